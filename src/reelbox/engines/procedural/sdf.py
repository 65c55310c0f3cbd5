"""Signed-distance shapes and anti-aliased drawing into uint8 frames.

A shape's signed distance (pixels, negative inside) turns into coverage with a one-pixel ramp,
which gives smooth edges at any size and position without supersampling. Drawing only touches
the shape's bounding box, so small moving shapes cost little on big frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32, f32

Field = F32
Bounds = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass(frozen=True, slots=True)
class Circle:
    cx: float
    cy: float
    r: float

    def bounds(self) -> Bounds:
        return self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r

    def distance(self, x: Field, y: Field) -> Field:
        return f32(np.sqrt((x - self.cx) ** 2 + (y - self.cy) ** 2) - self.r)

    def inner(self, margin: float) -> Bounds | None:
        """A rectangle inside which the distance is at most `-margin` (None when there is none)."""
        half = (self.r - margin) / math.sqrt(2)
        if half <= 0:
            return None
        return self.cx - half, self.cy - half, self.cx + half, self.cy + half


@dataclass(frozen=True, slots=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float
    angle: float = 0.0  # radians, clockwise on screen

    def bounds(self) -> Bounds:
        c, s = math.cos(self.angle), math.sin(self.angle)
        ex = math.hypot(self.rx * c, self.ry * s)
        ey = math.hypot(self.rx * s, self.ry * c)
        return self.cx - ex, self.cy - ey, self.cx + ex, self.cy + ey

    def distance(self, x: Field, y: Field) -> Field:
        dx, dy = _unrotate(x - self.cx, y - self.cy, self.angle)
        # A cheap, smooth approximation of the ellipse distance (exact on circles), good
        # enough for a one-pixel anti-aliasing ramp.
        k0 = np.sqrt((dx / self.rx) ** 2 + (dy / self.ry) ** 2)
        k1 = np.sqrt((dx / self.rx**2) ** 2 + (dy / self.ry**2) ** 2)
        return f32(k0 * (k0 - 1.0) / np.maximum(k1, np.float32(1e-6)))


@dataclass(frozen=True, slots=True)
class Capsule:
    """A thick line segment with round ends (limbs, masts, tails)."""

    ax: float
    ay: float
    bx: float
    by: float
    r: float

    def bounds(self) -> Bounds:
        return (
            min(self.ax, self.bx) - self.r,
            min(self.ay, self.by) - self.r,
            max(self.ax, self.bx) + self.r,
            max(self.ay, self.by) + self.r,
        )

    def distance(self, x: Field, y: Field) -> Field:
        return _segment_distance(x, y, self.ax, self.ay, self.bx, self.by) - self.r


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle with rounded corners, optionally rotated about its centre."""

    cx: float
    cy: float
    hw: float
    hh: float
    radius: float = 0.0
    angle: float = 0.0

    def bounds(self) -> Bounds:
        c, s = abs(math.cos(self.angle)), abs(math.sin(self.angle))
        ex = self.hw * c + self.hh * s
        ey = self.hw * s + self.hh * c
        return self.cx - ex, self.cy - ey, self.cx + ex, self.cy + ey

    def distance(self, x: Field, y: Field) -> Field:
        dx, dy = _unrotate(x - self.cx, y - self.cy, self.angle)
        rad = min(self.radius, self.hw, self.hh)
        qx = np.abs(dx) - (self.hw - rad)
        qy = np.abs(dy) - (self.hh - rad)
        outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
        inside = np.minimum(np.maximum(qx, qy), 0.0)
        return f32(outside + inside - rad)

    def inner(self, margin: float) -> Bounds | None:
        """A rectangle inside which the distance is at most `-margin` (None when there is none)."""
        if self.angle != 0.0:
            return None
        inset = max(margin, min(self.radius, self.hw, self.hh))
        hw, hh = self.hw - inset, self.hh - inset
        if hw <= 0 or hh <= 0:
            return None
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh


@dataclass(frozen=True, slots=True)
class Polygon:
    """A simple polygon (triangles for ears, beaks, sails, hulls)."""

    points: tuple[tuple[float, float], ...]

    def bounds(self) -> Bounds:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)

    def distance(self, x: Field, y: Field) -> Field:
        pts = self.points
        best: Field | None = None
        inside = np.zeros(np.broadcast_shapes(x.shape, y.shape), dtype=bool)
        for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1], strict=True):
            d = _segment_distance(x, y, ax, ay, bx, by)
            best = d if best is None else np.minimum(best, d)
            # Even-odd crossing test for the sign.
            if ay != by:
                crosses = (ay > y) != (by > y)
                x_at = ax + (y - ay) * ((bx - ax) / (by - ay))
                inside ^= crosses & (x < x_at)
        assert best is not None
        return np.where(inside, -best, best)


Shape = Circle | Ellipse | Capsule | Box | Polygon
_SOLID_PIXELS = 8192  # below this many pixels, fewer numpy calls beat fewer pixels


def draw(
    frame: Frame,
    shape: Shape,
    rgb: tuple[float, float, float],
    *,
    opacity: float = 1.0,
    feather: float = 1.0,
    grow: float = 0.0,
) -> None:
    """Blend `rgb` into `frame` (in place) where `shape` covers it.

    `feather` widens the edge ramp (pixels) for soft shapes such as shadows and glows; `grow`
    enlarges the shape by that many pixels (an outline drawn under the shape itself).
    """
    height, width = frame.shape[:2]
    bx0, by0, bx1, by1 = shape.bounds()
    pad = feather + 1.0 + grow
    x0, y0 = max(0, math.floor(bx0 - pad)), max(0, math.floor(by0 - pad))
    x1, y1 = min(width, math.ceil(bx1 + pad)), min(height, math.ceil(by1 + pad))
    if x0 >= x1 or y0 >= y1 or opacity <= 0.0:
        return
    inner = _solid(shape, feather=feather, grow=grow) if opacity >= 1.0 else None
    if inner is not None:
        # Where the shape surely covers the pixels, its colour is simply set; only the band
        # around that, where the edge runs, is measured and blended.
        ix0, iy0 = max(x0, inner[0]), max(y0, inner[1])
        ix1, iy1 = min(x1, inner[2]), min(y1, inner[3])
        if (ix1 - ix0) * (iy1 - iy0) >= _SOLID_PIXELS and ix0 < ix1 and iy0 < iy1:
            color = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 255.0) + np.float32(0.5)
            frame[iy0:iy1, ix0:ix1] = color.astype(np.uint8)
            for box in (
                (x0, y0, x1, iy0),
                (x0, iy1, x1, y1),
                (x0, iy0, ix0, iy1),
                (ix1, iy0, x1, iy1),
            ):
                _draw_in(frame, shape, rgb, box, opacity=opacity, feather=feather, grow=grow)
            return
    _draw_in(frame, shape, rgb, (x0, y0, x1, y1), opacity=opacity, feather=feather, grow=grow)


def _solid(shape: Shape, *, feather: float, grow: float) -> tuple[int, int, int, int] | None:
    """Pixels (x0, y0, x1, y1, end exclusive) whose centres `shape` covers fully, if any."""
    if not isinstance(shape, Circle | Box):
        return None
    # Full coverage needs distance - grow <= -feather / 2; a hundredth of slack for rounding.
    found = shape.inner(0.5 * feather - grow + 0.01)
    if found is None:
        return None
    fx0, fy0, fx1, fy1 = found
    return (
        math.ceil(fx0 - 0.5),
        math.ceil(fy0 - 0.5),
        math.floor(fx1 - 0.5) + 1,
        math.floor(fy1 - 0.5) + 1,
    )


def _draw_in(
    frame: Frame,
    shape: Shape,
    rgb: tuple[float, float, float],
    box: tuple[int, int, int, int],
    *,
    opacity: float,
    feather: float,
    grow: float,
) -> None:
    """`draw` over the pixels of `box` only."""
    x0, y0, x1, y1 = box
    if x0 >= x1 or y0 >= y1:
        return
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + np.float32(0.5)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + np.float32(0.5)
    d = shape.distance(xs, ys)
    if grow:
        d = d - np.float32(grow)
    alpha = np.clip(0.5 - d / np.float32(feather), 0.0, 1.0)
    if opacity < 1.0:
        alpha *= np.float32(opacity)
    blend_color(frame[y0:y1, x0:x1], alpha, rgb)


def blend_color(
    region: Frame, alpha: Field, rgb: tuple[float, float, float] | npt.NDArray[np.float32]
) -> None:
    """region = region + (rgb - region) * alpha, in place, rounding to uint8."""
    if not np.any(alpha):
        return
    # With the colour inside 0..255 the blend is a convex mix, so no clipping of the result.
    color = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 255.0)
    base = region.astype(np.float32)
    step = color - base
    if alpha.size >= _SOLID_PIXELS:
        # Coverage spelled out per channel: numpy is several times slower broadcasting one
        # plane over a big region (on a small one the copy costs more than it saves).
        step *= np.repeat(alpha[..., None], 3, axis=-1)
    else:
        step *= alpha[..., None]
    base += step
    base += np.float32(0.5)
    np.copyto(region, base, casting="unsafe")


def _unrotate(dx: Field, dy: Field, angle: float) -> tuple[Field, Field]:
    if angle == 0.0:
        return dx, dy
    c, s = np.float32(math.cos(angle)), np.float32(math.sin(angle))
    return dx * c + dy * s, dy * c - dx * s


def _segment_distance(x: Field, y: Field, ax: float, ay: float, bx: float, by: float) -> Field:
    px, py = x - np.float32(ax), y - np.float32(ay)
    ex, ey = np.float32(bx - ax), np.float32(by - ay)
    length2 = float(ex * ex + ey * ey)
    if length2 == 0.0:
        return f32(np.sqrt(px * px + py * py))
    h = np.clip((px * ex + py * ey) / np.float32(length2), 0.0, 1.0)
    return np.sqrt((px - ex * h) ** 2 + (py - ey * h) ** 2)
