"""A setting as a stack of layers: sky, far and mid scenery, ground strips and foreground.

`build_scenery` sizes every layer to what the camera will see over the whole clip (taller for
a tilt or a crane, wider for a pan or a tracking shot), asks the setting's painter
(scenery_land, scenery_water, scenery_built) to paint it, and bakes the scene's grade into
every layer. What moving things need to know about the place comes back with it: where the
ground and the water are, the light on subjects, the window a room's weather shows through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.camera import CameraPath
from reelbox.engines.procedural.canvas import Band
from reelbox.engines.procedural.grade import Grade
from reelbox.engines.procedural.layers import Finish, Layer
from reelbox.engines.procedural.palette import DAYLIGHT, RGB, WEATHER_LOOKS, Daylight, WeatherLook
from reelbox.engines.procedural.plan import ScenePlan

# Where the ground (or sea) begins, as a fraction of the frame height, in a wide shot.
HORIZON: dict[str, float] = {
    "meadow": 0.6,
    "park": 0.6,
    "city": 0.6,
    "skyline": 0.7,
    "forest": 0.62,
    "beach": 0.5,
    "ocean": 0.5,
    "lake": 0.52,
    "mountains": 0.62,
    "desert": 0.6,
    "snow": 0.6,
    "road": 0.58,
    "space": 0.76,
    "underwater": 0.8,
    "room": 0.7,
    "stage": 0.72,
}
MAX_PERIOD_FACTOR = 2  # layers repeat at most every two frame widths
_FIELDS = frozenset({"meadow", "park", "road", "forest", "mountains"})  # patchwork from above


def horizon_fraction(setting: str, shot: str) -> float:
    base = HORIZON[setting]
    if shot == "aerial":
        return 0.3 * base / 0.6
    if shot == "low_angle":
        return min(0.86, base + 0.18)
    if shot == "pov":
        return min(base, 0.55)
    return base


def ground_parallax(fraction: float) -> float:
    """Parallax of the ground `fraction` of the way from the horizon (0) to the bottom (1)."""
    return 0.4 + 0.6 * min(1.2, max(0.0, fraction))


@dataclass(kw_only=True)
class Scenery:
    """The painted layers of a scene and what moving things need to know about it."""

    layers: list[Layer]
    horizon: float  # world row where the ground (or sea) begins
    period: int  # layers repeat every `period` pixels
    light: RGB  # multiplier for the colour of lit subjects
    fog: RGB  # colour distant subjects fade toward
    fog_amount: float  # how far the most distant subject fades, 0..1
    water: tuple[float, float] | None = None  # world rows of open water (boats float here)
    road: tuple[float, float] | None = None  # world rows vehicles drive along
    window: tuple[float, float, float, float, float] | None = None  # x0, y0, x1, y1, parallax
    sun: tuple[float, float] = (0.0, 0.0)  # world position of the sun or moon (parallax 0)
    shadows: bool = True


class Painter:
    """Shared state and helpers for the setting painters."""

    def __init__(
        self,
        plan: ScenePlan,
        *,
        width: int,
        height: int,
        horizon: float,
        period: int,
        y_min: float,
        y_max: float,
        slack: float,
        grade: Grade,
    ) -> None:
        self.plan = plan
        self.w, self.h = width, height
        self.horizon = horizon
        self.period = period
        self.y_min, self.y_max = y_min, y_max
        self.slack = slack  # how far below its covering layer a layer must still be painted
        self.grade = grade
        self.day: Daylight = DAYLIGHT[plan.time_of_day]
        self.look: WeatherLook = WEATHER_LOOKS[plan.weather]
        light = np.asarray(self.day.light, np.float32) * np.float32(self.look.light)
        if plan.lighting == "candlelight":
            light = light * np.float32(0.55) + np.asarray((0.5, 0.33, 0.16), np.float32)
        elif plan.lighting == "neon":
            light = light * np.float32(0.7) + np.asarray((0.18, 0.08, 0.25), np.float32)
        self.light = f32(light)
        self.sky_horizon = self.mix_haze(np.asarray(self.day.horizon, np.float32), 1.0)
        self.layers: list[Layer] = []
        self.water: tuple[float, float] | None = None
        self.road: tuple[float, float] | None = None
        self.window: tuple[float, float, float, float, float] | None = None
        self.subject_light: F32 | None = None

    # -- colour ------------------------------------------------------------------------------

    def haze_color(self) -> F32:
        return f32(
            np.asarray(self.look.haze, np.float32)
            * np.float32(0.35 + 0.65 * float(np.mean(self.day.light)) / 1.05)
        )

    def mix_haze(self, color: F32, amount: float) -> F32:
        a = np.float32(self.look.haze_amount * amount)
        return f32(color * (1 - a) + self.haze_color() * a)

    def lit(self, rgb: RGB | F32) -> F32:
        return f32(np.asarray(rgb, np.float32) * self.light)

    def aerial(self, color: F32, amount: float) -> F32:
        """Distant things take on the colour of the sky at the horizon."""
        a = np.float32(amount)
        return f32(color * (1 - a) + self.sky_horizon * a)

    # -- layers ------------------------------------------------------------------------------

    def band(self, name: str, y0: float, y1: float) -> Band:
        top = max(math.floor(y0), math.floor(self.y_min))
        bottom = min(math.ceil(y1), math.ceil(self.y_max))
        return Band(
            y0=top,
            y1=max(top + 1, bottom),
            width=self.period,
            unit=self.h,
            seed=self.plan.layout_seed,
            name=name,
        )

    def cover(self, row: float) -> float:
        """How far down a layer whose lower part hides behind something at `row` must go."""
        return row + self.slack

    def add(
        self,
        band: Band,
        *,
        parallax: float,
        haze: bool = True,
        drift: float = 0.0,
        bob: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        amount = 0.0
        color = self.sky_horizon
        if haze:
            distance = max(0.0, 1.0 - parallax)
            fog = {"fog": 0.75, "storm": 0.35, "rain": 0.3, "snow": 0.3}.get(self.plan.weather, 0.0)
            amount = min(0.92, 0.12 * distance + fog * distance**0.8)
            if fog:
                color = self.haze_color() * np.float32(self.look.light)
        finish = Finish(grade=self.grade, haze=_rgb(color), haze_amount=amount)
        self.layers.append(
            Layer.from_band(band, parallax=parallax, finish=finish, drift=drift, bob=bob)
        )

    def ground(
        self,
        name: str,
        near: RGB | F32,
        far: RGB | F32,
        *,
        start: float = 0.0,
        parts: tuple[float, ...] = (0.0, 0.35, 0.7),
        amp: float = 0.006,
        decorate: Callable[[Band, int, float], None] | None = None,
    ) -> None:
        """The ground from `start` (fraction of the way down from the horizon) as strips that
        slide at their own parallax; `decorate(band, index, top_row)` adds detail per strip."""
        span = self.h - self.horizon
        colors = (self.lit(far), self.lit(near))
        for i, part in enumerate(parts):
            fraction = start + (1 - start) * part
            top = self.horizon + span * fraction
            nxt = parts[i + 1] if i + 1 < len(parts) else 1.2
            bottom = (
                self.y_max
                if i + 1 == len(parts)
                else self.cover(self.horizon + span * (start + (1 - start) * nxt))
            )
            band = self.band(f"{name}{i}", top - amp * self.h - 2, bottom)
            edge = (
                band.ridge(
                    f"edge{i}", base=top, amp=amp * self.h, per_frame=1.3, frame_width=self.w
                )
                if i or start
                else np.full(band.width, top, np.float32)
            )
            band.fill_below(
                f32(edge), band.gradient(colors[0], colors[1], self.horizon, self.h), soft=1.5
            )
            if self.plan.camera.shot == "aerial" and self.plan.setting in _FIELDS:
                self._fields(band, top, bottom, colors)
            if decorate is not None:
                decorate(band, i, top)
            mid = fraction + (1 - start) * (nxt - part) / 2
            self.add(band, parallax=ground_parallax(min(1.0, mid)))

    def _fields(self, band: Band, top: float, bottom: float, colors: tuple[F32, F32]) -> None:
        """Seen from above, the land is a patchwork of fields that shrink with distance."""
        rng = band.rng("fields")
        span = self.h - self.horizon
        crops = (self.lit((200, 180, 95)), self.lit((150, 112, 72)), self.lit((95, 140, 60)))
        y = top
        while y < min(bottom, float(band.y1)):
            depth = (y - self.horizon) / max(1.0, span)  # 0 at the horizon, 1 at the bottom
            row_h = max(2.0, (0.02 + 0.1 * depth**1.4) * self.h)
            x = float(rng.uniform(0, band.width))
            end = x + band.width
            while x < end:
                width = float(rng.uniform(0.08, 0.32)) * self.w * (0.25 + depth)
                base = colors[0] + (colors[1] - colors[0]) * np.float32(min(1.0, depth))
                pick = float(rng.uniform())
                if pick < 0.55:
                    color = base * np.float32(rng.uniform(0.88, 1.1))
                else:
                    color = crops[int(rng.integers(len(crops)))] * np.float32(0.9 + 0.2 * depth)
                jitter = float(rng.uniform(-0.25, 0.25)) * row_h
                tall = row_h * float(rng.uniform(0.7, 1.05))
                band.rect(
                    x + 1.5,
                    y + jitter,
                    x + width - 1.5,
                    y + jitter + tall,
                    f32(color * np.float32(0.75) + base * np.float32(0.25)),
                    soft=1.5,
                )
                x += width
            y += row_h


# -- building --------------------------------------------------------------------------------

Paint = Callable[[Painter], None]


def build_scenery(
    plan: ScenePlan,
    *,
    width: int,
    height: int,
    camera: CameraPath,
    duration: float,
    start: float = 0.0,
    tempo: float,
    grade: Grade,
) -> Scenery:
    """Paint `plan`'s setting for frames of `width` x `height` seen by `camera`."""
    from reelbox.engines.procedural import scenery_built, scenery_land, scenery_water
    from reelbox.engines.procedural.sky import sun_position

    painters: dict[str, Paint] = {
        **scenery_land.PAINTERS,
        **scenery_water.PAINTERS,
        **scenery_built.PAINTERS,
    }
    horizon = camera.horizon
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    slack = 0.04 * height
    low: list[float] = []
    for parallax in (0.0, 0.5, 1.0, 1.4):
        a, b, c, d = camera.extents(parallax, duration, start=start, tempo=tempo)
        x0, y0, x1, y1 = min(x0, a), min(y0, b), max(x1, c), max(y1, d)
        low.append(d)
    slack += max(low) - min(low)
    seen = x1 - x0
    # A short view repeats nowhere on screen; a long journey repeats every two frame widths.
    period = max(width, math.ceil(seen) + 4) if seen <= 1.5 * width else MAX_PERIOD_FACTOR * width
    painter = Painter(
        plan,
        width=width,
        height=height,
        horizon=horizon,
        period=period,
        y_min=math.floor(y0) - 2,
        y_max=math.ceil(y1) + 2,
        slack=slack,
        grade=grade,
    )
    painters[plan.setting](painter)
    fog_color = painter.haze_color() * np.float32(painter.look.light)
    light = painter.subject_light if painter.subject_light is not None else painter.light
    return Scenery(
        layers=painter.layers,
        horizon=horizon,
        period=period,
        light=_rgb(light),
        fog=_rgb(fog_color),
        fog_amount={"fog": 0.6, "storm": 0.3}.get(plan.weather, 0.18),
        water=painter.water,
        road=painter.road,
        window=painter.window,
        sun=sun_position(painter),
        shadows=plan.setting not in ("space", "underwater"),
    )


def _rgb(values: F32) -> RGB:
    return float(values[0]), float(values[1]), float(values[2])
