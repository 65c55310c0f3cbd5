"""Weather and water particles: rain streaks, snowflakes, bubbles and glints on water.

Every particle's position is a closed-form function of time, so any frame can be drawn on its
own (no state carried between frames) and drawing is a handful of vectorised scatters into the
frame: the cost depends on the number of particles, not on the frame size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32
from reelbox.engines.procedural.palette import RGB
from reelbox.engines.procedural.seeding import rng_for

ToScreen = Callable[[F32, F32], tuple[F32, F32]]
"""Maps world (x, y) pixel arrays to screen pixel arrays for the current camera."""

Clip = tuple[float, float, float, float]


@dataclass(frozen=True, kw_only=True)
class ParticleStyle:
    color: RGB
    opacity: float  # 0..1 at full strength


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
    """Slanted, tapered streaks falling fast; density scales with the frame area."""

    def __init__(self, *, width: int, height: int, seed: int, brightness: float) -> None:
        rng = rng_for(seed, "particles:rain")
        n = max(8, width * height // 1100)
        self.w, self.h = width, height
        self.x0 = rng.uniform(0, width, n).astype(np.float32)
        self.y0 = rng.uniform(0, height * 1.2, n).astype(np.float32)
        near = rng.uniform(0, 1, n).astype(np.float32) ** 2
        self.speed = (height * (1.3 + 1.1 * near)).astype(np.float32)
        self.length = np.maximum(3, height * (0.02 + 0.045 * near)).astype(np.float32)
        self.alpha = (0.16 + 0.3 * near).astype(np.float32)
        self.slant = np.float32(0.12)
        self.steps = np.arange(int(self.length.max()) + 1, dtype=np.float32)
        level = 0.45 + 0.55 * brightness
        self.color: RGB = (205 * level, 212 * level, 225 * level)

    def draw(
        self, frame: Frame, t: float, *, strength: float = 1.0, clip: Clip | None = None
    ) -> None:
        span = np.float32(self.h) + self.length
        head_y = np.mod(self.y0 + self.speed * np.float32(t), span * np.float32(1.2))
        head_x = np.mod(self.x0 + self.slant * self.speed * np.float32(t), np.float32(self.w))
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

    def __init__(self, *, width: int, height: int, seed: int, brightness: float) -> None:
        rng = rng_for(seed, "particles:snow")
        n = max(8, width * height // 2400)
        self.w, self.h = width, height
        unit = height / 720
        near = rng.uniform(0, 1, n) ** 2
        self.radius = (0.8 + 2.6 * near) * max(0.6, unit)
        self.x0 = rng.uniform(0, width, n)
        self.y0 = rng.uniform(0, height, n)
        self.speed = height * (0.05 + 0.12 * near)
        self.sway = (3 + 10 * near) * unit
        self.freq = rng.uniform(0.2, 0.7, n) * 2 * math.pi
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.opacity = 0.55 + 0.45 * near
        # Each flake is a small disc. Flakes are grouped by size so each group only visits the
        # pixels its own radius can cover.
        reach = np.ceil(self.radius).astype(np.int64) + 1
        self.groups: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.int64]]]
        self.groups = []
        for r in np.unique(reach):
            oy, ox = np.mgrid[-r : r + 1, -r : r + 1]
            self.groups.append((np.nonzero(reach == r)[0], ox.ravel(), oy.ravel()))
        level = 0.7 + 0.3 * brightness
        self.color: RGB = (250 * level, 251 * level, 255 * level)

    def draw(
        self, frame: Frame, t: float, *, strength: float = 1.0, clip: Clip | None = None
    ) -> None:
        margin = self.radius + 2
        ys = np.mod(self.y0 + self.speed * t, self.h + 2 * margin) - margin
        xs = np.mod(
            self.x0 + self.sway * np.sin(self.freq * t + self.phase) + 0.02 * self.w * t, self.w
        )
        cx, cy = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
        fx, fy = (xs - cx).astype(np.float32), (ys - cy).astype(np.float32)
        pxs, pys, alphas = [], [], []
        for members, ox, oy in self.groups:
            # Distance from each covered pixel's centre to the flake's sub-pixel centre.
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

    def draw(
        self, frame: Frame, t: float, *, strength: float = 1.0, clip: Clip | None = None
    ) -> None:
        ys = np.mod(self.y0 - self.speed * t, self.h).astype(np.int64)
        xs = (self.x0 + 4 * np.sin(self.freq * t + self.phase)).astype(np.int64)
        px = np.concatenate([xs, xs + self.size, xs, xs + self.size])
        py = np.concatenate([ys, ys, ys + self.size, ys + self.size])
        alpha = np.full(px.shape, 0.45 * strength, dtype=np.float32)
        _scatter(frame, px, py, alpha, (225, 245, 255), clip)


class Glints:
    """Sparkles of light on open water, fixed on the water and flashing in turn."""

    def __init__(
        self, *, canvas_width: int, rows: tuple[float, float], seed: int, color: RGB, level: float
    ) -> None:
        rng = rng_for(seed, "particles:glints")
        y0, y1 = rows
        n = max(4, int(canvas_width * max(0.0, y1 - y0) / 700))
        self.x = rng.uniform(0, canvas_width, n).astype(np.float32)
        # More glints crowd toward the horizon, as on real water.
        self.y = (y0 + (y1 - y0) * rng.uniform(0, 1, n) ** 1.7).astype(np.float32)
        self.rate = rng.uniform(1.5, 4.0, n)
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.color = color
        self.level = level

    def draw(self, frame: Frame, t: float, *, to_screen: ToScreen, strength: float = 1.0) -> None:
        flash = np.sin(self.rate * t + self.phase)
        lit = flash > 0.85
        if not np.any(lit):
            return
        sx, sy = to_screen(self.x[lit], self.y[lit])
        alpha = ((flash[lit] - 0.85) / 0.15 * self.level * strength).astype(np.float32)
        xs, ys = sx.astype(np.int64), sy.astype(np.int64)
        px = np.concatenate([xs, xs + 1, xs - 1])
        py = np.concatenate([ys, ys, ys])
        a = np.concatenate([alpha, alpha * 0.5, alpha * 0.5])
        _scatter(frame, px, py, a, self.color, None)
