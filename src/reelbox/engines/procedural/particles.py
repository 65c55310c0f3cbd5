"""Weather and water particles: rain, snow, blown leaves and dust, bubbles, glints, lightning.

Every particle's position is a closed-form function of time, so any frame can be drawn on its
own (no state carried between frames), and drawing is a handful of vectorised scatters into the
frame: the cost depends on the number of particles, not on the frame size. Particles near the
camera slide with it (`shift`: the camera's offset for the foreground) so a pan carries the
weather along with the scene.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32
from reelbox.engines.procedural.palette import RGB
from reelbox.engines.procedural.sdf import Capsule, Ellipse, draw
from reelbox.engines.procedural.seeding import rng_for

Clip = tuple[float, float, float, float]
Shift = tuple[float, float]

LIGHTNING_FLASH = 0.35  # seconds a flash takes to fade


def _scatter(
    frame: Frame,
    xs: npt.NDArray[np.int64],
    ys: npt.NDArray[np.int64],
    alpha: F32,
    color: RGB,
    clip: Clip | None,
) -> None:
    """Blend `color` into frame pixels (xs, ys) with per-pixel `alpha` (flat arrays)."""
    height, width = frame.shape[:2]
    keep = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height) & (alpha > 0.004)
    if clip is not None:
        x0, y0, x1, y1 = clip
        keep &= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    if not np.any(keep):
        return
    flat = frame.reshape(-1, 3)
    index = ys[keep] * width + xs[keep]
    a = alpha[keep][:, None]
    base = flat[index].astype(np.float32)
    base += (np.asarray(color, np.float32) - base) * a
    flat[index] = (base + np.float32(0.5)).astype(np.uint8)


class Rain:
    """Slanted, tapered streaks falling fast; the wind slants them more."""

    def __init__(
        self, *, width: int, height: int, seed: int, color: RGB, wind: float, heavy: bool
    ) -> None:
        rng = rng_for(seed, "particles:rain")
        # Fewer, brighter streaks read as the same rain and cost the encoder far less.
        n = max(8, width * height // (1300 if heavy else 2000))
        self.w, self.h = width, height
        self.x0 = rng.uniform(0, width, n).astype(np.float32)
        self.y0 = rng.uniform(0, height * 1.2, n).astype(np.float32)
        near = rng.uniform(0, 1, n).astype(np.float32) ** 2
        self.speed = (height * (1.3 + 1.1 * near)).astype(np.float32)
        self.length = np.maximum(3, height * (0.02 + 0.045 * near)).astype(np.float32)
        self.alpha = (0.22 + 0.36 * near).astype(np.float32)
        self.near = near
        self.slant = np.float32(0.1 + 0.35 * wind)
        self.steps = np.arange(int(self.length.max()) + 1, dtype=np.float32)
        self.color = color

    def draw(
        self,
        frame: Frame,
        t: float,
        *,
        strength: float = 1.0,
        clip: Clip | None = None,
        shift: Shift = (0.0, 0.0),
    ) -> None:
        span = np.float32(self.h) + self.length
        head_y = np.mod(
            self.y0 + self.speed * np.float32(t) - np.float32(shift[1]), span * np.float32(1.2)
        )
        drift = self.slant * self.speed * np.float32(t) - np.float32(shift[0]) * (0.5 + self.near)
        head_x = np.mod(self.x0 + drift, np.float32(self.w))
        k = self.steps[None, :]
        inside = k < self.length[:, None]
        ys = head_y[:, None] - k
        xs = head_x[:, None] - self.slant * k
        taper = np.clip(1 - k / self.length[:, None], 0, 1)
        alpha = self.alpha[:, None] * taper * np.float32(strength) * inside
        _scatter(
            frame,
            xs.astype(np.int64).ravel(),
            ys.astype(np.int64).ravel(),
            alpha.ravel(),
            self.color,
            clip,
        )


class Snow:
    """Soft round flakes drifting down and swaying; big flakes are near, fast and bright."""

    def __init__(self, *, width: int, height: int, seed: int, color: RGB, wind: float) -> None:
        rng = rng_for(seed, "particles:snow")
        n = max(8, width * height // (1500 if wind > 0.6 else 2400))
        self.w, self.h = width, height
        unit = height / 720
        near = rng.uniform(0, 1, n) ** 2
        self.near = near
        self.radius = (0.8 + 2.6 * near) * max(0.6, unit)
        self.x0 = rng.uniform(0, width, n)
        self.y0 = rng.uniform(0, height, n)
        self.speed = height * (0.05 + 0.12 * near) * (1 + wind)
        self.sway = (3 + 10 * near) * unit
        self.freq = rng.uniform(0.2, 0.7, n) * 2 * math.pi
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.opacity = 0.55 + 0.45 * near
        self.wind = (0.02 + 0.5 * wind) * width
        reach = np.ceil(self.radius).astype(np.int64) + 1
        self.groups: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.int64]]]
        self.groups = []
        for r in np.unique(reach):
            oy, ox = np.mgrid[-r : r + 1, -r : r + 1]
            self.groups.append((np.nonzero(reach == r)[0], ox.ravel(), oy.ravel()))
        self.color = color

    def draw(
        self,
        frame: Frame,
        t: float,
        *,
        strength: float = 1.0,
        clip: Clip | None = None,
        shift: Shift = (0.0, 0.0),
    ) -> None:
        margin = self.radius + 2
        ys = np.mod(self.y0 + self.speed * t - shift[1] * (0.5 + self.near), self.h + 2 * margin)
        ys -= margin
        xs = np.mod(
            self.x0
            + self.sway * np.sin(self.freq * t + self.phase)
            + self.wind * t
            - shift[0] * (0.5 + self.near),
            self.w,
        )
        cx, cy = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
        fx, fy = (xs - cx).astype(np.float32), (ys - cy).astype(np.float32)
        pxs, pys, alphas = [], [], []
        for members, ox, oy in self.groups:
            dx = ox[None, :] + np.float32(0.5) - fx[members, None]
            dy = oy[None, :] + np.float32(0.5) - fy[members, None]
            d = np.sqrt(dx * dx + dy * dy)
            radius = self.radius[members].astype(np.float32)[:, None]
            cover = np.clip(radius - d + np.float32(0.5), 0, 1)
            opacity = self.opacity[members].astype(np.float32)[:, None] * np.float32(strength)
            alphas.append((cover * opacity).ravel())
            pxs.append((cx[members, None] + ox[None, :]).ravel())
            pys.append((cy[members, None] + oy[None, :]).ravel())
        _scatter(
            frame,
            np.concatenate(pxs),
            np.concatenate(pys),
            np.concatenate(alphas),
            self.color,
            clip,
        )


class Leaves:
    """Leaves (or sand and dust) carried across the frame by the wind, tumbling."""

    def __init__(
        self, *, width: int, height: int, seed: int, wind: float, colors: Sequence[RGB], dust: bool
    ) -> None:
        rng = rng_for(seed, "particles:leaves")
        n = max(4, round((14 if not dust else 120) * wind * width / 1280))
        self.w, self.h, self.dust = width, height, dust
        self.x0 = rng.uniform(0, width, n)
        self.y0 = rng.uniform(0.1 * height, height, n)
        self.speed = width * rng.uniform(0.15, 0.4, n) * (0.5 + wind)
        self.fall = height * rng.uniform(0.02, 0.08, n)
        self.size = height * rng.uniform(0.006, 0.014, n) * (0.35 if dust else 1.0)
        self.spin = rng.uniform(2, 6, n)
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.colors = [colors[int(i)] for i in rng.integers(0, len(colors), n)]

    def draw(self, frame: Frame, t: float, *, shift: Shift = (0.0, 0.0)) -> None:
        span = self.w * 1.2
        xs = np.mod(self.x0 + self.speed * t - shift[0], span) - 0.1 * self.w
        ys = np.mod(self.y0 + self.fall * t + 0.03 * self.h * np.sin(t * 2 + self.phase), self.h)
        for i in range(xs.size):
            angle = float(self.spin[i] * t + self.phase[i])
            r = float(self.size[i])
            if self.dust:
                shape: Ellipse | Capsule = Capsule(
                    float(xs[i]) - 3 * r, float(ys[i]), float(xs[i]) + 3 * r, float(ys[i]), r * 0.5
                )
                draw(frame, shape, self.colors[i], opacity=0.35)
                continue
            squash = max(0.2, abs(math.cos(angle * 0.7)))
            shape = Ellipse(float(xs[i]), float(ys[i]), r * 1.6, r * squash, angle)
            draw(frame, shape, self.colors[i], opacity=0.9)


class Bubbles:
    """Small bright rings rising and wobbling (underwater scenes)."""

    def __init__(self, *, width: int, height: int, seed: int) -> None:
        rng = rng_for(seed, "particles:bubbles")
        n = max(4, width * height // 9000)
        self.w, self.h = width, height
        self.x0 = rng.uniform(0, width, n)
        self.y0 = rng.uniform(0, height, n)
        self.speed = height * rng.uniform(0.06, 0.18, n)
        self.freq = rng.uniform(1.0, 3.0, n)
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.size = rng.integers(1, 3, n)

    def draw(self, frame: Frame, t: float, *, shift: Shift = (0.0, 0.0)) -> None:
        ys = np.mod(self.y0 - self.speed * t - shift[1], self.h).astype(np.int64)
        xs = np.mod(self.x0 + 4 * np.sin(self.freq * t + self.phase) - shift[0], self.w)
        xi = xs.astype(np.int64)
        px = np.concatenate([xi, xi + self.size, xi, xi + self.size])
        py = np.concatenate([ys, ys, ys + self.size, ys + self.size])
        alpha = np.full(px.shape, 0.45, dtype=np.float32)
        _scatter(frame, px, py, alpha, (225, 245, 255), None)


class Glints:
    """Sparkles of light on open water, fixed on the water and flashing in turn."""

    def __init__(
        self, *, period: int, rows: tuple[float, float], seed: int, color: RGB, level: float
    ) -> None:
        rng = rng_for(seed, "particles:glints")
        y0, y1 = rows
        n = max(4, int(period * max(0.0, y1 - y0) / 700))
        self.x = rng.uniform(0, period, n).astype(np.float32)
        # More glints crowd toward the horizon, as on real water.
        self.y = (y0 + (y1 - y0) * rng.uniform(0, 1, n) ** 1.7).astype(np.float32)
        self.rate = rng.uniform(1.5, 4.0, n)
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.color = color
        self.level = level
        self.period = period
        span = max(1.0, y1 - y0)
        self.parallax = (0.4 + 0.6 * (self.y - y0) / span).astype(np.float32)

    def draw(self, frame: Frame, t: float, *, offset: tuple[float, float]) -> None:
        """`offset`: the camera's (x, y) offset for parallax 1 (glints slide with the water)."""
        flash = np.sin(self.rate * t + self.phase)
        lit = flash > 0.85
        if not np.any(lit):
            return
        sx = np.mod(self.x[lit] - offset[0] * self.parallax[lit], self.period)
        sy = self.y[lit] - offset[1] * self.parallax[lit]
        alpha = ((flash[lit] - 0.85) / 0.15 * self.level).astype(np.float32)
        xs, ys = sx.astype(np.int64), sy.astype(np.int64)
        px = np.concatenate([xs, xs + 1, xs - 1])
        py = np.concatenate([ys, ys, ys])
        a = np.concatenate([alpha, alpha * 0.5, alpha * 0.5])
        _scatter(frame, px, py, a, self.color, None)


@dataclass(frozen=True, kw_only=True)
class Strike:
    time: float  # seconds
    x: float  # fraction of the frame width
    distance: float  # 0 overhead .. 1 far away (fainter flash, later and softer thunder)


def lightning_strikes(seed: int, duration: float, *, offset: float = 0.0) -> list[Strike]:
    """When and where lightning strikes in a storm of `duration` seconds from `offset`.

    Shared by the picture (flashes) and the sound (thunder), so they stay in step.
    """
    rng = rng_for(seed, "weather:lightning")
    strikes: list[Strike] = []
    t = float(rng.uniform(0.4, 1.6))
    while t < offset + duration + 4.0:
        strikes.append(
            Strike(time=t, x=float(rng.uniform(0.1, 0.9)), distance=float(rng.uniform(0.1, 1.0)))
        )
        t += float(rng.uniform(2.2, 5.5))
    return strikes


class Lightning:
    """A jagged bolt in the sky and a flash over the whole frame that fades quickly."""

    def __init__(self, strikes: Sequence[Strike], *, width: int, horizon: float, seed: int) -> None:
        self.strikes = list(strikes)
        self.w = width
        self.horizon = horizon
        self.seed = seed

    def flash(self, t: float) -> tuple[float, Strike | None]:
        for strike in self.strikes:
            age = t - strike.time
            if 0 <= age < LIGHTNING_FLASH:
                level = (1 - age / LIGHTNING_FLASH) ** 2 * (1 - 0.6 * strike.distance)
                return level, strike
        return 0.0, None

    def draw(self, frame: Frame, t: float) -> Frame:
        level, strike = self.flash(t)
        if strike is None or level <= 0.01:
            return frame
        if t - strike.time < 0.15:
            rng = rng_for(self.seed, f"bolt:{strike.time:.3f}")
            x = strike.x * self.w
            y = 0.0
            bottom = self.horizon * (0.7 + 0.3 * (1 - strike.distance))
            width = max(1.2, 0.004 * self.w * (1.3 - strike.distance))
            while y < bottom:
                ny = y + float(rng.uniform(0.04, 0.1)) * self.horizon
                nx = x + float(rng.uniform(-0.03, 0.03)) * self.w
                draw(frame, Capsule(x, y, nx, ny, width * 3), (170, 170, 255), opacity=0.3)
                draw(frame, Capsule(x, y, nx, ny, width), (250, 250, 255))
                x, y = nx, ny
        lift = np.float32(level * 0.55)
        out = frame.astype(np.float32)
        out += (np.float32(235) - out) * lift
        return (out + np.float32(0.5)).astype(np.uint8)
