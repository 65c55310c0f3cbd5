"""The static backdrop of a scene: sky, sun or moon, clouds, stars and the setting's scenery.

It is painted once per clip (in float32, then stored as uint8) onto a canvas that is at least a
frame wide and wraps around horizontally, so a panning camera can travel forever over a fixed
amount of memory. Only moving things (subjects, particles) are drawn per frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.palette import (
    DAYLIGHT,
    GROUND,
    RGB,
    WEATHER_LOOKS,
    Daylight,
    WeatherLook,
)
from reelbox.engines.procedural.planner import ScenePlan
from reelbox.engines.procedural.sdf import Box, Capsule, draw
from reelbox.engines.procedural.seeding import rng_for

# Where the ground (or sea) begins, as a fraction of the frame height.
HORIZON: dict[str, float] = {
    "meadow": 0.6,
    "city": 0.62,
    "forest": 0.62,
    "beach": 0.5,
    "ocean": 0.5,
    "mountains": 0.64,
    "desert": 0.6,
    "snow": 0.6,
    "space": 0.78,
    "underwater": 0.8,
    "room": 0.7,
}
_SHORE = 0.7  # beach: where the sea meets the sand


@dataclass(frozen=True, kw_only=True)
class Backdrop:
    """A painted backdrop and the facts about it that moving layers need."""

    image: Frame  # (height, canvas_width, 3); wraps around horizontally
    horizon: float  # pixels from the top where the ground or sea begins
    water: tuple[float, float] | None  # rows of open water (boats float here)
    light: RGB  # multiplier for the colour of lit subjects
    fog: RGB  # colour distant subjects fade toward
    fog_amount: float  # how far the most distant subject fades, 0..1
    window: tuple[int, int, int, int] | None  # indoors: the only place weather shows (x0,y0,x1,y1)


def build_backdrop(plan: ScenePlan, *, width: int, height: int, canvas_width: int) -> Backdrop:
    """Paint `plan`'s backdrop for `width` x `height` frames on a `canvas_width` wide canvas."""
    painter = _Painter(plan, width=width, height=height, canvas_width=canvas_width)
    return painter.paint()


class _Painter:
    def __init__(self, plan: ScenePlan, *, width: int, height: int, canvas_width: int) -> None:
        self.plan = plan
        self.w, self.h, self.cw = width, height, canvas_width
        self.day: Daylight = DAYLIGHT[plan.time_of_day]
        self.look: WeatherLook = WEATHER_LOOKS[plan.weather]
        self.horizon = HORIZON[plan.setting] * height
        self.x = np.arange(canvas_width, dtype=np.float32) + np.float32(0.5)
        self.y = np.arange(height, dtype=np.float32) + np.float32(0.5)
        self.canvas = np.zeros((height, canvas_width, 3), dtype=np.float32)
        light = np.asarray(self.day.light, dtype=np.float32) * np.float32(self.look.light)
        self.light = light
        self.sky_horizon = self._mix(np.asarray(self.day.horizon, np.float32), self._haze(), 1.0)

    # -- colour helpers ----------------------------------------------------------------------

    def _haze(self) -> F32:
        return np.asarray(self.look.haze, np.float32) * np.float32(
            0.35 + 0.65 * float(np.mean(self.day.light)) / 1.05
        )

    def _mix(self, color: F32, other: F32, amount: float) -> F32:
        a = np.float32(self.look.haze_amount * amount)
        return color * (1 - a) + other * a

    def lit(self, rgb: RGB) -> F32:
        return np.asarray(rgb, np.float32) * self.light

    def aerial(self, color: F32, amount: float) -> F32:
        """Distant things take on the colour of the sky at the horizon."""
        a = np.float32(amount)
        return color * (1 - a) + self.sky_horizon * a

    def rng(self, purpose: str) -> np.random.Generator:
        return rng_for(self.plan.layout_seed, f"scenery:{purpose}")

    def cycles(self, per_screen: float) -> int:
        """A whole number of cycles across the canvas near `per_screen` per frame width."""
        return max(1, round(per_screen * self.cw / self.w))

    # -- shapes ------------------------------------------------------------------------------

    def ridge(
        self,
        purpose: str,
        *,
        base: float,
        amp: float,
        per_screen: float,
        octaves: int,
        sharp: bool = False,
    ) -> F32:
        """A wrapping skyline height field: y of the top edge for every canvas column."""
        rng = self.rng(purpose)
        top = np.full(self.cw, base, dtype=np.float32)
        scale = 1.0
        for octave in range(octaves):
            k = self.cycles(per_screen * (2.1**octave) * float(rng.uniform(0.8, 1.25)))
            phase = float(rng.uniform(0, 2 * math.pi))
            angle = self.x * np.float32(2 * math.pi * k / self.cw) + np.float32(phase)
            if sharp:
                # A triangle wave: straight flanks meeting in crisp peaks, like rock ridges.
                cycle = np.mod(angle / np.float32(2 * math.pi), np.float32(1.0))
                shape = np.float32(1) - np.float32(4) * np.abs(cycle - np.float32(0.5))
            else:
                shape = np.sin(angle)
            top -= np.float32(amp * scale) * shape.astype(np.float32)
            scale *= 0.45
        return top

    def conifers(
        self, purpose: str, *, base: float, tall: tuple[float, float], spacing: float
    ) -> F32:
        """The top edge of a row of pointed trees."""
        rng = self.rng(purpose)
        count = max(1, round(self.cw / (spacing * self.w)))
        centres = (np.arange(count) + rng.uniform(-0.35, 0.35, count)) * (self.cw / count)
        heights = rng.uniform(tall[0], tall[1], count) * self.h
        top = np.full(self.cw, np.inf, dtype=np.float32)
        flank = np.float32(1 / 0.28)  # a tree is about half as wide at its foot as it is tall
        for cx, th in zip(centres, heights, strict=True):
            d = np.abs(self.x - np.float32(cx))
            d = np.minimum(d, np.float32(self.cw) - d)  # wrap around
            top = np.minimum(top, np.float32(base - th) + d * flank)
        return top

    def skyline(
        self, purpose: str, *, base: float, tall: tuple[float, float], wide: tuple[float, float]
    ) -> F32:
        rng = self.rng(purpose)
        top = np.empty(self.cw, dtype=np.float32)
        x = 0
        while x < self.cw:
            bw = max(2, round(float(rng.uniform(*wide)) * self.w))
            if self.cw - (x + bw) < wide[0] * self.w:
                bw = self.cw - x  # the last building closes the loop
            top[x : x + bw] = base - float(rng.uniform(*tall)) * self.h
            x += bw
        return top

    def fill_below(
        self, top: F32, color: F32, *, bottom: float | None = None, start: float | None = None
    ) -> None:
        """Paint `color` under the edge `top` (anti-aliased), down to `bottom` or the frame end.

        `color` broadcasts against (rows, canvas_width, 3) where rows start at `start` (default:
        the highest point of `top`).
        """
        y0 = max(0, math.floor(float(np.min(top))) - 1) if start is None else int(start)
        y1 = self.h if bottom is None else min(self.h, math.ceil(bottom) + 1)
        if y0 >= y1:
            return
        ys = self.y[y0:y1, None]
        slope = np.abs(np.gradient(top)) if self.cw > 1 else np.zeros_like(top)
        slope = np.minimum(slope, np.float32(50.0))
        alpha = np.clip((ys - top[None, :]) / np.sqrt(1 + slope * slope)[None, :] + 0.5, 0, 1)
        if bottom is not None:
            alpha *= np.clip(np.float32(bottom) - ys + 0.5, 0, 1)
        region = self.canvas[y0:y1]
        if color.ndim == 3 and color.shape[0] == self.h:
            color = color[y0:y1]
        region += (color - region) * alpha[..., None]

    def rows(self, top_color: F32, bottom_color: F32, y0: float, y1: float) -> F32:
        """A vertical gradient as an (height, 1, 3) array, flat outside y0..y1."""
        t = np.clip((self.y - np.float32(y0)) / np.float32(max(1.0, y1 - y0)), 0, 1)[:, None]
        return f32((top_color * (1 - t) + bottom_color * t)[:, None, :])

    def speckle(
        self,
        purpose: str,
        *,
        y0: float,
        y1: float,
        density: float,
        colors: list[F32],
        size: int = 2,
    ) -> None:
        """Scatter small dots (flowers, grains) of `colors`; `size` is in pixels at 720 rows."""
        rng = self.rng(purpose)
        scaled = max(1, round(size * self.h / 720))
        # Same share of the ground covered at any resolution.
        n = int(density * self.cw * max(0.0, y1 - y0) / 1000 * (size / scaled) ** 2)
        size = scaled
        if n == 0:
            return
        xs = rng.integers(0, self.cw - size, n)
        ys = rng.integers(int(y0), max(int(y0) + 1, int(y1) - size), n)
        palette = np.stack(colors)
        picks = palette[rng.integers(0, len(colors), n)]
        for dy in range(size):
            for dx in range(size):
                self.canvas[np.minimum(ys + dy, self.h - 1), xs + dx] = picks

    # -- the painting ------------------------------------------------------------------------

    def paint(self) -> Backdrop:
        setting = self.plan.setting
        window: tuple[int, int, int, int] | None = None
        if setting == "space":
            self.space()
        elif setting == "underwater":
            self.underwater()
        else:
            self.sky()
            if setting == "room":
                window = self.room()
            else:
                _SETTINGS[setting](self)
        if self.plan.weather == "fog" and setting not in ("space", "underwater", "room"):
            self.fog()
        image = np.clip(self.canvas + 0.5, 0, 255).astype(np.uint8)
        if setting == "underwater":
            self.seaweed(image)
        elif setting == "room" and window is not None:
            self.window_frame(image, window)
        water: tuple[float, float] | None = None
        if setting == "ocean":
            water = (self.horizon, float(self.h))
        elif setting == "beach":
            water = (self.horizon, _SHORE * self.h)
        fog_color = self._haze() * np.float32(self.look.light)
        light = self.light
        if setting == "space":
            light = np.full(3, 0.95, np.float32)
        elif setting == "room":
            light = self.room_light()
        return Backdrop(
            image=image,
            horizon=self.horizon,
            water=water,
            light=_rgb(light),
            fog=_rgb(fog_color),
            fog_amount=0.6 if self.plan.weather == "fog" else 0.2,
            window=window,
        )

    def sky(self, *, y1: int | None = None) -> None:
        """Sky gradient, stars, sun or moon and clouds over rows 0..y1 of the whole canvas."""
        y1 = self.horizon_row() if y1 is None else y1
        zenith = self._mix(np.asarray(self.day.zenith, np.float32), self._haze(), 0.85)
        t = np.clip(self.y[:y1] / np.float32(max(1.0, self.horizon)), 0, 1) ** np.float32(0.85)
        grad = zenith[None, :] * (1 - t[:, None]) + self.sky_horizon[None, :] * t[:, None]
        self.canvas[:y1] = grad[:, None, :]
        # The sky also shows below the horizon line until scenery covers it.
        self.canvas[y1:] = self.sky_horizon
        density = self.clouds(y1)
        if self.day.stars > 0:
            self.stars(y1, density, amount=self.day.stars)
        self.sun(y1, density)
        self.paint_clouds(y1, density)

    def horizon_row(self) -> int:
        return min(self.h, math.ceil(self.horizon) + 2)

    def clouds(self, y1: int) -> F32:
        """Cloud density over rows 0..y1: a sum of soft puffs, gathered in banks."""
        density = np.zeros((y1, self.cw), dtype=np.float32)
        rng = self.rng("clouds")
        for _ in range(round(self.look.clouds * self.cw / self.w)):
            cx = float(rng.uniform(0, self.cw))
            cy = float(rng.uniform(0.05, 0.6)) * self.horizon
            bank_w = float(rng.uniform(0.12, 0.3)) * self.w
            for _ in range(int(rng.integers(5, 10))):
                px = cx + float(rng.normal(0, bank_w * 0.35))
                py = cy + float(rng.normal(0, bank_w * 0.06))
                rx = bank_w * float(rng.uniform(0.15, 0.3))
                ry = rx * float(rng.uniform(0.4, 0.6))
                ya, yb = max(0, int(py - 2 * ry)), min(y1, int(py + 2 * ry) + 1)
                if ya >= yb:
                    continue
                cols = np.arange(int(px - 2 * rx), int(px + 2 * rx) + 1)
                dx = ((cols + 0.5 - px) / rx).astype(np.float32)
                dy = ((self.y[ya:yb] - np.float32(py)) / np.float32(ry)).astype(np.float32)
                puff = np.exp(np.float32(-2.0) * (dy[:, None] ** 2 + dx[None, :] ** 2))
                # Columns may wrap around the canvas; within one puff they never repeat.
                density[ya:yb, cols % self.cw] += puff
        return density

    def paint_clouds(self, y1: int, density: F32) -> None:
        cover = _smoothstep(0.3, 0.8, density)
        if not np.any(cover):
            return
        tint = np.asarray(self.look.cloud_tint, np.float32) / 255
        lit = tint * (self.sky_horizon * 0.45 + 255 * 0.55 * self.light.clip(0.15, 1.0))
        # Light comes from above: the more cloud just above a point, the deeper its shade.
        drop = max(1, round(0.035 * self.h))
        above = np.zeros_like(density)
        above[drop:] = density[:-drop]
        shade = _smoothstep(0.4, 2.0, above)[..., None]
        dark = np.float32(0.35 if self.plan.weather in ("rain", "snow") else 0.22)
        color = lit * (1 - dark * shade)
        region = self.canvas[:y1]
        region += (color - region) * (cover[..., None] * np.float32(0.95))

    def stars(self, y1: int, density: F32, *, amount: float) -> None:
        rng = self.rng("stars")
        n = int(amount * self.cw * y1 / 900)
        if n == 0:
            return
        xs = rng.integers(0, self.cw, n)
        ys = rng.integers(0, max(1, int(y1 * 0.9)), n)
        bright = rng.uniform(90, 255, n).astype(np.float32)
        visible = bright * (1 - np.clip(density[ys, xs] * 2, 0, 1))
        region = self.canvas[:y1]
        region[ys, xs] = np.maximum(region[ys, xs], visible[:, None])

    def sun(self, y1: int, density: F32) -> None:
        sx = self.day.sun_pos[0] * self.w
        sy = self.day.sun_pos[1] * self.horizon
        color = np.asarray(self.day.sun, np.float32)
        region = self.canvas[:y1]
        dx = self.x[None, :] - np.float32(sx)
        dx = np.minimum(np.abs(dx), np.float32(self.cw) - np.abs(dx)) * np.sign(dx)
        dy = self.y[:y1, None] - np.float32(sy)
        dist = np.sqrt(dx * dx + dy * dy)
        visible = self.look.sun_visible
        radius = 0.035 * self.h if self.day.moon else 0.045 * self.h
        glow_size = (0.12 if self.day.moon else 0.3) * self.h
        glow_strength = (0.35 if self.day.moon else 0.55) * (0.4 + 0.6 * visible)
        glow = np.exp(-dist / np.float32(glow_size)) * np.float32(glow_strength)
        region += (color - region) * glow[..., None] * np.float32(0.9)
        disc = np.clip(np.float32(radius) - dist + 0.5, 0, 1) * np.float32(visible)
        disc *= 1 - np.clip(_smoothstep(0.3, 0.8, density), 0, 1)
        region += (color - region) * disc[..., None]
        if self.day.moon:
            # A few darker seas on the moon's face.
            for ox, oy, r in ((-0.3, -0.2, 0.35), (0.25, 0.15, 0.3), (-0.1, 0.4, 0.2)):
                d = np.sqrt((dx - ox * radius) ** 2 + (dy - oy * radius) ** 2)
                spot = np.clip(np.float32(r * radius) - d + 0.5, 0, 1) * disc * np.float32(0.15)
                region *= (1 - spot)[..., None]

    def fog(self) -> None:
        color = self._haze()
        near = np.clip(
            (self.y - np.float32(self.horizon)) / np.float32(self.h - self.horizon), 0, 1
        )
        above = np.clip(self.y / np.float32(max(1.0, self.horizon)), 0, 1)
        amount = np.where(self.y < self.horizon, 0.45 + 0.4 * above, 0.85 - 0.5 * near)
        amount = amount.astype(np.float32)[:, None, None]
        self.canvas += (color - self.canvas) * amount

    # -- settings ----------------------------------------------------------------------------

    def meadow(self) -> None:
        near, far = (np.asarray(c, np.float32) for c in GROUND["meadow"])
        hills = self.ridge(
            "hills", base=self.horizon - 0.03 * self.h, amp=0.05 * self.h, per_screen=1.2, octaves=3
        )
        self.fill_below(hills, self.aerial(self.lit(_rgb(far * 0.9)), 0.45))
        ground = self.ridge(
            "ground",
            base=self.horizon + 0.01 * self.h,
            amp=0.012 * self.h,
            per_screen=0.8,
            octaves=2,
        )
        self.fill_below(
            ground,
            self.rows(
                self.aerial(self.lit(_rgb(far)), 0.2), self.lit(_rgb(near)), self.horizon, self.h
            ),
        )
        flowers = [self.lit(c) for c in ((240, 140, 190), (245, 225, 80), (250, 250, 245))]
        self.speckle(
            "flowers", y0=self.horizon + 0.12 * self.h, y1=self.h, density=2.0, colors=flowers
        )

    def city(self) -> None:
        far = self.skyline("far", base=self.horizon, tall=(0.12, 0.34), wide=(0.03, 0.07))
        self.fill_below(far, self.aerial(self.lit((95, 102, 120)), 0.5), bottom=self.horizon)
        near = self.skyline("near", base=self.horizon, tall=(0.06, 0.24), wide=(0.05, 0.12))
        self.fill_below(near, self.lit((58, 60, 70)), bottom=self.horizon)
        self.windows(near)
        walk = self.horizon + 0.05 * self.h
        self.canvas[int(self.horizon) :] = self.lit((150, 148, 145))
        road = self.rows(self.lit((78, 80, 86)), self.lit((52, 54, 58)), walk, self.h)
        flat = np.full(self.cw, walk, dtype=np.float32)
        self.fill_below(flat, road)
        lane_y = walk + 0.5 * (self.h - walk)
        period = self.cw / self.cycles(1 / 0.14)
        dashes = np.mod(self.x, np.float32(period)) < period * 0.5
        rows = slice(int(lane_y - 0.006 * self.h), int(lane_y + 0.006 * self.h) + 1)
        band = self.canvas[rows]
        band[:, dashes] = self.lit((225, 222, 210))

    def windows(self, top: F32) -> None:
        lit_share = {"night": 0.35, "dusk": 0.3, "sunset": 0.2, "golden hour": 0.08}.get(
            self.plan.time_of_day, 0.0
        )
        cell_w = max(4, round(self.w / 110))
        cell_h = max(5, round(self.h / 50))
        y0 = int(max(0, float(np.min(top))))
        y1 = int(self.horizon) - cell_h
        if y1 <= y0:
            return
        xs = np.arange(self.cw)
        ys = np.arange(y0, y1)
        inside = (
            (ys[:, None] > top[None, :] + cell_h)
            & ((xs % cell_w) < cell_w * 0.55)[None, :]
            & ((ys % cell_h) < cell_h * 0.55)[:, None]
        )
        cell = (ys // cell_h)[:, None] * 7919 + (xs // cell_w)[None, :] * 104729
        hashed = (cell * 2654435761 + (self.plan.layout_seed & 0xFFFF)) % 1000
        glowing = inside & (hashed < lit_share * 1000)
        region = self.canvas[y0:y1]
        region[inside] = self.lit((105, 125, 150))
        region[glowing] = (255, 205, 125)

    def forest(self) -> None:
        near, far = (np.asarray(c, np.float32) for c in GROUND["forest"])
        flat = np.full(self.cw, self.horizon, dtype=np.float32)
        self.fill_below(
            flat, self.rows(self.lit(_rgb(far)), self.lit(_rgb(near)), self.horizon, self.h)
        )
        layers = (
            ("far", 0.0, (0.12, 0.2), 0.025, 0.55, (40, 85, 60)),
            ("mid", 0.015, (0.2, 0.32), 0.045, 0.3, (30, 70, 45)),
            ("near", 0.04, (0.32, 0.5), 0.08, 0.0, (22, 52, 32)),
        )
        for name, drop, tall, spacing, haze, color in layers:
            base = self.horizon + drop * self.h
            top = self.conifers(name, base=base, tall=tall, spacing=spacing)
            self.fill_below(top, self.aerial(self.lit(color), haze), bottom=base)

    def beach(self) -> None:
        shore = _SHORE * self.h
        self.sea(self.horizon, shore)
        near, far = (np.asarray(c, np.float32) for c in GROUND["beach"])
        edge = self.ridge("shore", base=shore, amp=0.008 * self.h, per_screen=2, octaves=2)
        wet = self.lit(_rgb(far * 0.8))
        self.fill_below(edge, self.rows(wet, self.lit(_rgb(near)), shore, shore + 0.1 * self.h))
        foam_rows = slice(
            max(0, int(shore - 0.03 * self.h)), min(self.h, int(shore + 0.02 * self.h))
        )
        dy = self.y[foam_rows, None] - edge[None, :]
        foam = np.exp(-((dy / np.float32(max(1.5, 0.004 * self.h))) ** 2)) * np.float32(0.8)
        band = self.canvas[foam_rows]
        band += (self.lit((245, 245, 240)) - band) * foam[..., None]
        grains = [self.lit(_rgb(near * 0.9)), self.lit(_rgb(near * 1.05))]
        self.speckle(
            "sand", y0=shore + 0.03 * self.h, y1=self.h, density=6.0, colors=grains, size=1
        )

    def ocean(self) -> None:
        self.sea(self.horizon, self.h)

    def sea(self, y0: float, y1: float) -> None:
        near, far = (np.asarray(c, np.float32) for c in GROUND["ocean"])
        top = np.full(self.cw, y0, dtype=np.float32)
        # Water mirrors the sky near the horizon and shows its own colour up close.
        sky = self.sky_horizon * np.float32(0.85)
        far_c = self.lit(_rgb(far)) * np.float32(0.45) + sky * np.float32(0.55)
        zenith = np.asarray(self.day.zenith, np.float32)
        near_c = self.lit(_rgb(near)) * np.float32(0.6) + zenith * np.float32(0.4)
        color = self.rows(far_c, near_c, y0, y1)
        self.fill_below(top, color, bottom=y1)
        rows = slice(int(y0), min(self.h, int(y1) + 1))
        ys = self.y[rows, None]
        # Wave bands crowd together toward the horizon (a cheap perspective).
        depth = np.float32(0.6 * self.h) / (ys - np.float32(y0) + np.float32(6))
        k = self.cycles(3)
        wobble = np.sin(self.x * np.float32(2 * math.pi * k / self.cw))[None, :]
        bands = np.sin(np.float32(2 * math.pi) * depth + wobble)
        region = self.canvas[rows]
        region *= (1 + np.float32(0.06) * bands)[..., None]
        # The sun's (or moon's) path on the water.
        sx = self.day.sun_pos[0] * self.w
        if self.day.sun_pos[1] <= 1.0:
            spread = np.float32(0.04 * self.w) * (1 + (ys - np.float32(y0)) / np.float32(self.h))
            d = np.abs(self.x[None, :] - np.float32(sx))
            d = np.minimum(d, np.float32(self.cw) - d)
            path = np.exp(-((d / spread) ** 2)) * np.clip(bands, 0, 1)
            strength = np.float32(0.55 * (0.3 + 0.7 * self.look.sun_visible))
            region += (np.asarray(self.day.sun, np.float32) - region) * (path * strength)[..., None]

    def mountains(self) -> None:
        near, far = (np.asarray(c, np.float32) for c in GROUND["mountains"])
        ridge = self.ridge(
            "far",
            base=self.horizon - 0.12 * self.h,
            amp=0.16 * self.h,
            per_screen=0.9,
            octaves=4,
            sharp=True,
        )
        self.fill_below(ridge, self.aerial(self.lit((108, 118, 142)), 0.45))
        snowline = self.ridge(
            "snowline",
            base=self.horizon - 0.26 * self.h,
            amp=0.02 * self.h,
            per_screen=4,
            octaves=2,
        )
        y1 = int(self.horizon)
        ys = self.y[:y1, None]
        cap = np.clip(snowline[None, :] - ys, 0, 1) * np.clip(ys - ridge[None, :] + 0.5, 0, 1)
        snow = self.aerial(self.lit((240, 244, 250)), 0.3)
        region = self.canvas[:y1]
        region += (snow - region) * cap[..., None]
        mid = self.ridge(
            "mid",
            base=self.horizon - 0.03 * self.h,
            amp=0.06 * self.h,
            per_screen=1.6,
            octaves=3,
            sharp=True,
        )
        self.fill_below(mid, self.aerial(self.lit((66, 84, 78)), 0.25))
        ground = self.ridge(
            "ground", base=self.horizon + 0.01 * self.h, amp=0.01 * self.h, per_screen=1, octaves=2
        )
        self.fill_below(
            ground, self.rows(self.lit(_rgb(far)), self.lit(_rgb(near)), self.horizon, self.h)
        )

    def dunes(self, name: str, colors: tuple[RGB, RGB], shadow: RGB) -> None:
        near, far = (np.asarray(c, np.float32) for c in colors)
        layers = ((-0.03, 0.04, 0.35), (0.05, 0.05, 0.15), (0.2, 0.06, 0.0))
        toward_sun = np.float32(1 if self.day.sun_pos[0] > 0.5 else -1)
        for i, (drop, amp, haze) in enumerate(layers):
            top = self.ridge(
                f"{name}:{i}",
                base=self.horizon + drop * self.h,
                amp=amp * self.h,
                per_screen=1.0 + 0.4 * i,
                octaves=3,
            )
            lit = self.aerial(self.lit(_rgb(far + (near - far) * np.float32(i / 2))), haze)
            dark = self.aerial(self.lit(shadow), haze)
            # Slopes that face the sun are lighter and the others fall into a tinted shadow,
            # most strongly just under the crest.
            lift = np.clip(
                -np.gradient(top) * toward_sun * np.float32(self.w / self.h / 3.0), -0.35, 0.25
            )
            y0 = max(0, math.floor(float(np.min(top))) - 1)
            below = np.maximum(self.y[y0:, None] - top[None, :], 0)
            reach = np.exp(-below / np.float32(0.06 * self.h))[..., None]
            bright = lit * (1 + np.maximum(lift, 0)[None, :, None] * reach)
            shaded = (dark - lit) * (np.minimum(lift, 0)[None, :, None] * np.float32(-1.5) * reach)
            self.fill_below(top, (bright + shaded).astype(np.float32), start=y0)

    def desert(self) -> None:
        self.dunes("desert", GROUND["desert"], (165, 110, 80))

    def snow(self) -> None:
        rng = self.rng("pines")
        if rng.uniform() < 0.8:
            pines = self.conifers(
                "pines", base=self.horizon + 0.02 * self.h, tall=(0.05, 0.12), spacing=0.09
            )
            self.fill_below(
                pines, self.aerial(self.lit((35, 60, 50)), 0.4), bottom=self.horizon + 0.02 * self.h
            )
        self.dunes("snow", GROUND["snow"], (165, 180, 215))

    def space(self) -> None:
        top = np.asarray((2, 2, 10), np.float32)
        bottom = np.asarray((14, 12, 34), np.float32)
        self.canvas[:] = self.rows(top, bottom, 0, self.h)
        rng = self.rng("nebula")
        for _ in range(round(6 * self.cw / self.w)):
            cx, cy = rng.uniform(0, self.cw), rng.uniform(0, self.horizon)
            r = float(rng.uniform(0.08, 0.25)) * self.h
            color = np.asarray(
                ((120, 50, 160), (40, 120, 160), (170, 60, 90))[rng.integers(3)], np.float32
            )
            xa, xb = int(cx - 2.5 * r), int(cx + 2.5 * r) + 1
            ya, yb = max(0, int(cy - 2.5 * r)), min(self.h, int(cy + 2.5 * r) + 1)
            cols = np.arange(xa, xb)
            blob = np.exp(
                -(((cols + 0.5 - cx) / r) ** 2)[None, :] - ((self.y[ya:yb, None] - cy) / r) ** 2
            ).astype(np.float32)
            target = self.canvas[ya:yb][:, cols % self.cw]
            target += (color - target) * (blob * np.float32(0.22))[..., None]
            self.canvas[ya:yb, cols % self.cw] = target
        self.stars(self.h, np.zeros((self.h, self.cw), np.float32), amount=3.0)
        # A planet hanging in the sky.
        px, py, pr = 0.22 * self.w, 0.3 * self.h, 0.13 * self.h
        dx, dy = self.x[None, :] - np.float32(px), self.y[:, None] - np.float32(py)
        dist = np.sqrt(dx * dx + dy * dy)
        disc = np.clip(np.float32(pr) - dist + 0.5, 0, 1)
        light = np.clip(0.25 + 0.9 * (dx + dy * 0.5) / -np.float32(pr), 0.05, 1.0)
        body = np.asarray((190, 140, 100), np.float32) * light[..., None]
        self.canvas += (body - self.canvas) * disc[..., None]
        ground = self.ridge(
            "surface", base=self.horizon, amp=0.012 * self.h, per_screen=1, octaves=3
        )
        self.fill_below(
            ground,
            self.rows(
                np.asarray((110, 108, 112), np.float32),
                np.asarray((150, 148, 150), np.float32),
                self.horizon,
                self.h,
            ),
        )
        dark = [np.asarray((90, 88, 92), np.float32), np.asarray((170, 168, 172), np.float32)]
        self.speckle(
            "regolith", y0=self.horizon + 0.02 * self.h, y1=self.h, density=8.0, colors=dark, size=1
        )

    def underwater(self) -> None:
        dim = np.float32(0.35 if self.plan.time_of_day in ("night", "dusk") else 1.0)
        top = np.asarray((40, 150, 180), np.float32) * dim
        bottom = np.asarray((5, 35, 75), np.float32) * dim
        self.canvas[:] = self.rows(top, bottom, 0, self.h)
        rng = self.rng("rays")
        fade = np.clip(1 - self.y / np.float32(0.85 * self.h), 0, 1)[:, None]
        for _ in range(round(7 * self.cw / self.w)):
            x0 = float(rng.uniform(0, self.cw))
            slant = float(rng.uniform(0.15, 0.35))
            width = float(rng.uniform(0.01, 0.04)) * self.w
            centre = np.float32(x0) + self.y[:, None] * np.float32(slant)
            d = np.mod(self.x[None, :] - centre, np.float32(self.cw))
            d = np.minimum(d, np.float32(self.cw) - d)
            ray = np.exp(-((d / np.float32(width)) ** 2)) * fade * np.float32(0.18) * dim
            self.canvas += (np.float32(255) - self.canvas) * ray[..., None] * np.float32(0.5)
        floor = self.ridge("floor", base=self.horizon, amp=0.02 * self.h, per_screen=1.5, octaves=3)
        sand = np.asarray(GROUND["underwater"][0], np.float32) * dim
        self.fill_below(
            floor, self.rows(sand * np.float32(0.55), sand * np.float32(0.85), self.horizon, self.h)
        )

    def seaweed(self, image: Frame) -> None:
        rng = self.rng("seaweed")
        for _ in range(round(9 * self.cw / self.w)):
            x = float(rng.uniform(0, self.cw))
            tall = float(rng.uniform(0.1, 0.3)) * self.h
            green = (30 + float(rng.uniform(0, 30)), 110 + float(rng.uniform(0, 50)), 70.0)
            y = self.horizon + float(rng.uniform(0.0, 0.15)) * self.h
            segments = 6
            for s in range(segments):
                y_a = y - tall * s / segments
                y_b = y - tall * (s + 1) / segments
                x_a = x + math.sin(s * 0.9) * 0.01 * self.w
                x_b = x + math.sin((s + 1) * 0.9) * 0.01 * self.w
                r = 0.006 * self.h * (1 - s / (segments + 1)) + 1
                draw(image, Capsule(x_a, y_a, x_b, y_b, r), green)

    def room_light(self) -> F32:
        dark = self.plan.time_of_day in ("night", "dusk")
        if dark:
            return np.asarray((0.8, 0.66, 0.5), np.float32)  # lamp light
        return np.float32(0.55) + np.float32(0.45) * self.light

    def room(self) -> tuple[int, int, int, int]:
        light = self.room_light()
        wall_top = np.asarray((214, 198, 172), np.float32) * light
        self.canvas[:] = self.rows(wall_top * np.float32(0.85), wall_top, 0, self.horizon)
        if self.plan.time_of_day in ("night", "dusk"):
            lx, ly = 0.2 * self.w, 0.32 * self.h
            d = np.sqrt(
                (self.x[None, :] - np.float32(lx)) ** 2 + (self.y[:, None] - np.float32(ly)) ** 2
            )
            glow = np.exp(-d / np.float32(0.3 * self.h)) * np.float32(0.6)
            self.canvas += (np.asarray((255, 205, 140), np.float32) - self.canvas) * glow[..., None]
        wood = np.asarray(GROUND["room"][0], np.float32) * light
        flat = np.full(self.cw, self.horizon, dtype=np.float32)
        self.fill_below(flat, self.rows(wood * np.float32(0.8), wood, self.horizon, self.h))
        # Floorboards: gaps that spread out toward the viewer.
        gaps = self.horizon + (self.h - self.horizon) * np.linspace(0, 1, 9)[1:] ** 1.6
        for g in gaps:
            row = min(self.h - 1, int(g))
            self.canvas[row] *= np.float32(0.7)
        skirting = slice(int(self.horizon - 0.02 * self.h), int(self.horizon))
        self.canvas[skirting] = np.asarray((235, 230, 220), np.float32) * light
        wx0, wx1 = int(0.56 * self.w), int(0.86 * self.w)
        wy0, wy1 = int(0.14 * self.h), int(0.5 * self.h)
        # The window shows the outside sky as it would be at this time and weather: paint a
        # sky whose horizon lies just below the window, then put the room back around it.
        indoors = self.canvas.copy()
        floor = self.horizon
        self.horizon = wy1 + 0.1 * self.h
        self.sky(y1=wy1)
        self.horizon = floor
        outside = np.ones((self.h, self.cw), dtype=bool)
        outside[wy0:wy1, wx0:wx1] = False
        self.canvas[outside] = indoors[outside]
        return wx0, wy0, wx1, wy1

    def window_frame(self, image: Frame, window: tuple[int, int, int, int]) -> None:
        x0, y0, x1, y1 = window
        t = max(2.0, 0.012 * self.h)
        frame_rgb = _rgb(np.asarray((238, 234, 226), np.float32) * self.room_light())
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hw, hh = (x1 - x0) / 2, (y1 - y0) / 2
        for box in (
            Box(cx, y0, hw + t, t),
            Box(cx, y1, hw + t, t),
            Box(x0, cy, t, hh + t),
            Box(x1, cy, t, hh + t),
            Box(cx, cy, t * 0.6, hh),
            Box(cx, cy, hw, t * 0.6),
        ):
            draw(image, box, frame_rgb)


def _rgb(values: F32) -> RGB:
    return float(values[0]), float(values[1]), float(values[2])


def _smoothstep(lo: float, hi: float, x: F32) -> F32:
    t = np.clip((x - np.float32(lo)) / np.float32(hi - lo), 0, 1)
    return f32(t * t * (3 - 2 * t))


_SETTINGS: dict[str, Callable[[_Painter], None]] = {
    "meadow": _Painter.meadow,
    "city": _Painter.city,
    "forest": _Painter.forest,
    "beach": _Painter.beach,
    "ocean": _Painter.ocean,
    "mountains": _Painter.mountains,
    "desert": _Painter.desert,
    "snow": _Painter.snow,
}
