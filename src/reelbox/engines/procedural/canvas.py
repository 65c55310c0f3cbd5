"""Painting one scenery layer: a band of world rows on a canvas that wraps horizontally.

A `Band` holds premultiplied float32 colour and coverage for world rows `y0..y1` over a canvas
`width` pixels wide (a whole number of repeats of every pattern, so the layer can scroll
forever). Painting is "over" compositing of anti-aliased shapes: edges are height fields (a
ridge, a skyline, a row of trees) whose coverage ramps over one pixel across the edge. When a
band is finished it becomes uint8 RGB plus an 8-bit mask (`Layer` in layers.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.seeding import rng_for

Color = F32 | tuple[float, float, float]
BLOCK_ROWS = 96  # rows worked on at once by whole-band operations (bounds scratch memory)


class Band:
    """A layer being painted; rows are world rows `y0 <= y < y1`, columns wrap at `width`."""

    def __init__(self, *, y0: int, y1: int, width: int, unit: float, seed: int, name: str) -> None:
        self.y0, self.y1 = y0, max(y0 + 1, y1)
        self.width = width
        self.unit = unit  # pixels per frame height (scales sizes given as fractions)
        self.seed = seed
        self.name = name
        rows = self.y1 - self.y0
        self.rgb = np.zeros((rows, width, 3), dtype=np.float32)
        self.alpha = np.zeros((rows, width), dtype=np.float32)
        self.x = np.arange(width, dtype=np.float32) + np.float32(0.5)
        self.y = np.arange(self.y0, self.y1, dtype=np.float32) + np.float32(0.5)

    # -- bookkeeping -------------------------------------------------------------------------

    def rng(self, purpose: str) -> np.random.Generator:
        return rng_for(self.seed, f"{self.name}:{purpose}")

    def rows(self, y0: float, y1: float) -> slice:
        """Band row indices covering world rows y0..y1 (clipped)."""
        a = min(max(0, math.floor(y0) - self.y0), self.alpha.shape[0])
        b = min(max(0, math.ceil(y1) - self.y0), self.alpha.shape[0])
        return slice(a, b)

    def cycles(self, per_frame: float, frame_width: float) -> int:
        """A whole number of cycles across the canvas, near `per_frame` per frame width."""
        return max(1, round(per_frame * self.width / frame_width))

    # -- compositing -------------------------------------------------------------------------

    def over(self, rows: slice, cover: F32, color: Color, cols: slice | None = None) -> None:
        """Composite `color` with coverage `cover` (rows x cols) over the band.

        Works through the rows a block at a time, so big bands need little scratch memory.
        """
        if rows.start >= rows.stop:
            return
        cols = cols if cols is not None else slice(0, self.width)
        c = np.asarray(color, dtype=np.float32)
        per_row = c.ndim == 3 and c.shape[0] == self.rgb.shape[0]
        for start in range(rows.start, rows.stop, BLOCK_ROWS):
            block = slice(start, min(rows.stop, start + BLOCK_ROWS))
            part = cover[block.start - rows.start : block.stop - rows.start]
            region = self.rgb[block, cols]
            a = self.alpha[block, cols]
            if per_row:
                shade = c[block]
            elif c.ndim == 3 and c.shape[0] == rows.stop - rows.start:
                shade = c[block.start - rows.start : block.stop - rows.start]
            else:
                shade = c
            region += (shade - region) * part[..., None]
            a += (np.float32(1) - a) * part

    def fill(self, color: Color) -> None:
        """Cover the whole band (opaque)."""
        self.rgb[...] = np.asarray(color, np.float32)
        self.alpha[...] = 1.0

    def fill_below(
        self, top: F32, color: Color, *, bottom: float | None = None, soft: float = 1.0
    ) -> None:
        """Paint `color` under the edge `top` (world y per canvas column), down to `bottom`.

        `color` broadcasts against (rows, width, 3); a (band rows, 1, 3) gradient works too.
        `soft` widens the edge ramp (pixels), for hazy or blurred edges.
        """
        y_start = float(np.min(top)) - soft - 1
        y_end = float(self.y1 if bottom is None else bottom)
        rows = self.rows(y_start, y_end + 1)
        if rows.start >= rows.stop:
            return
        slope = np.abs(np.gradient(top)) if self.width > 1 else np.zeros_like(top)
        slope = np.minimum(slope, np.float32(50.0))
        norm = np.sqrt(1 + slope * slope)[None, :] * np.float32(soft)
        for start in range(rows.start, rows.stop, BLOCK_ROWS):
            block = slice(start, min(rows.stop, start + BLOCK_ROWS))
            ys = self.y[block, None]
            cover = np.clip((ys - top[None, :]) / norm + 0.5, 0, 1)
            if bottom is not None:
                cover *= np.clip(np.float32(bottom) - ys + 0.5, 0, 1)
            self.over(block, f32(cover), color)

    def gradient(self, top: Color, bottom: Color, y0: float, y1: float) -> F32:
        """A vertical gradient as a (band rows, 1, 3) array, flat outside y0..y1."""
        t = np.clip((self.y - np.float32(y0)) / np.float32(max(1.0, y1 - y0)), 0, 1)[:, None]
        a, b = np.asarray(top, np.float32), np.asarray(bottom, np.float32)
        return f32((a * (1 - t) + b * t)[:, None, :])

    def disc(
        self, cx: float, cy: float, rx: float, ry: float, color: Color, *, soft: float = 1.0
    ) -> None:
        """An anti-aliased ellipse (wrapping horizontally)."""
        rows = self.rows(cy - ry - soft - 1, cy + ry + soft + 1)
        if rows.start >= rows.stop:
            return
        cols = np.arange(math.floor(cx - rx - soft - 1), math.ceil(cx + rx + soft + 1))
        dx = (cols + np.float32(0.5) - np.float32(cx)) / np.float32(rx)
        dy = (self.y[rows] - np.float32(cy)) / np.float32(ry)
        k = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2)
        dist = (k - 1) * np.float32(min(rx, ry))
        cover = f32(np.clip(0.5 - dist / np.float32(soft), 0, 1))
        self._over_cols(rows, cols, cover, color)

    def glow(
        self, cx: float, cy: float, radius: float, color: Color, *, strength: float = 0.5
    ) -> None:
        """A soft light: `color` mixed in with a Gaussian falloff of `radius` pixels."""
        reach = 2.5 * radius
        rows = self.rows(cy - reach, cy + reach)
        if rows.start >= rows.stop:
            return
        cols = np.arange(math.floor(cx - reach), math.ceil(cx + reach))
        dx = (cols + np.float32(0.5) - np.float32(cx)) / np.float32(radius)
        dy = (self.y[rows] - np.float32(cy)) / np.float32(radius)
        cover = np.exp(-(dy[:, None] ** 2 + dx[None, :] ** 2)) * np.float32(strength)
        index = np.mod(cols, self.width).astype(np.intp)
        region = self.rgb[rows][:, index]
        c = np.asarray(color, dtype=np.float32)
        # Light adds to what is there (premultiplied: scale by the coverage already present).
        a = self.alpha[rows][:, index][..., None]
        region += (c - region) * cover[..., None] * a
        self.rgb[rows, index] = region

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, color: Color, *, soft: float = 0.0
    ) -> None:
        """An axis-aligned rectangle with anti-aliased (or `soft`) edges, wrapping horizontally."""
        pad = soft + 1
        rows = self.rows(y0 - pad, y1 + pad)
        if rows.start >= rows.stop or x1 <= x0:
            return
        cols = np.arange(math.floor(x0 - pad), math.ceil(x1 + pad))
        xs = cols + np.float32(0.5)
        ys = self.y[rows]
        s = np.float32(max(1.0, soft))
        cx = np.clip(np.minimum(xs - np.float32(x0), np.float32(x1) - xs) / s + 0.5, 0, 1)
        cy = np.clip(np.minimum(ys - np.float32(y0), np.float32(y1) - ys) / s + 0.5, 0, 1)
        self._over_cols(rows, cols, f32(cy[:, None] * cx[None, :]), color)

    def _over_cols(self, rows: slice, cols: F32 | np.ndarray, cover: F32, color: Color) -> None:
        index = np.mod(cols, self.width).astype(np.intp)
        if index.size <= self.width and np.all(np.diff(index) == 1):
            self.over(rows, cover, color, slice(int(index[0]), int(index[-1]) + 1))
            return
        region = self.rgb[rows][:, index]
        a = self.alpha[rows][:, index]
        c = np.asarray(color, dtype=np.float32)
        region += (c - region) * cover[..., None]
        a += (np.float32(1) - a) * cover
        self.rgb[rows, index] = region
        self.alpha[rows, index] = a

    def speckle(
        self,
        purpose: str,
        *,
        y0: float,
        y1: float,
        density: float,
        colors: Sequence[Color],
        size: float = 2.0,
    ) -> None:
        """Scatter small dots (flowers, grains, pebbles) over world rows y0..y1.

        `density` is dots per thousand square pixels at 720 rows; `size` is in pixels at 720 rows.
        """
        rng = self.rng(purpose)
        px = max(1, round(size * self.unit / 720))
        rows = self.rows(y0, y1 - px)
        if rows.start >= rows.stop:
            return
        area = self.width * (rows.stop - rows.start)
        n = int(density * area / 1000 * (size / px) ** 2)
        n = min(n, 400_000)
        if n == 0:
            return
        xs = rng.integers(0, self.width, n)
        ys = rng.integers(rows.start, rows.stop, n)
        palette = np.stack([np.asarray(c, np.float32) for c in colors])
        picks = palette[rng.integers(0, len(colors), n)]
        h = self.rgb.shape[0]
        for dy in range(px):
            for dx in range(px):
                yy, xx = np.minimum(ys + dy, h - 1), (xs + dx) % self.width
                self.rgb[yy, xx] = picks * self.alpha[yy, xx][:, None]

    # -- edges -------------------------------------------------------------------------------

    def ridge(
        self,
        purpose: str,
        *,
        base: float,
        amp: float,
        per_frame: float,
        frame_width: float,
        octaves: int = 3,
        sharp: bool = False,
    ) -> F32:
        """A wrapping skyline height field: y of the top edge for every canvas column."""
        rng = self.rng(purpose)
        top = np.full(self.width, base, dtype=np.float32)
        scale = 1.0
        for octave in range(octaves):
            k = self.cycles(per_frame * (2.1**octave) * float(rng.uniform(0.8, 1.25)), frame_width)
            phase = float(rng.uniform(0, 2 * math.pi))
            angle = self.x * np.float32(2 * math.pi * k / self.width) + np.float32(phase)
            if sharp:
                cycle = np.mod(angle / np.float32(2 * math.pi), np.float32(1.0))
                shape = np.float32(1) - np.float32(4) * np.abs(cycle - np.float32(0.5))
            else:
                shape = np.sin(angle)
            top -= np.float32(amp * scale) * f32(shape)
            scale *= 0.45
        return top

    def peaks(
        self, purpose: str, *, base: float, tall: tuple[float, float], spacing: float, flank: float
    ) -> F32:
        """The top edge of a row of pointed shapes (conifers, tents, spires) `spacing` apart.

        `tall` and `spacing` are in pixels; `flank` is horizontal run per unit of drop.
        """
        rng = self.rng(purpose)
        count = max(1, round(self.width / spacing))
        centres = (np.arange(count) + rng.uniform(-0.35, 0.35, count)) * (self.width / count)
        heights = rng.uniform(tall[0], tall[1], count)
        top = np.full(self.width, np.inf, dtype=np.float32)
        slope = np.float32(1 / flank)
        for cx, th in zip(centres, heights, strict=True):
            d = np.abs(self.x - np.float32(cx))
            d = np.minimum(d, np.float32(self.width) - d)
            top = np.minimum(top, np.float32(base - th) + d * slope)
        return f32(np.minimum(top, np.float32(base)))

    def domes(
        self, purpose: str, *, base: float, radius: tuple[float, float], spacing: float
    ) -> F32:
        """The top edge of a row of round crowns (deciduous trees, bushes, clouds of foliage)."""
        rng = self.rng(purpose)
        count = max(1, round(self.width / spacing))
        centres = (np.arange(count) + rng.uniform(-0.4, 0.4, count)) * (self.width / count)
        radii = rng.uniform(radius[0], radius[1], count)
        lifts = rng.uniform(0.0, 0.6, count) * radii
        top = np.full(self.width, np.float32(base), dtype=np.float32)
        for cx, r, lift in zip(centres, radii, lifts, strict=True):
            d = np.abs(self.x - np.float32(cx))
            d = np.minimum(d, np.float32(self.width) - d)
            inside = d < r
            cap = np.float32(base - lift) - np.sqrt(np.maximum(np.float32(r * r) - d * d, 0))
            top = np.where(inside, np.minimum(top, cap), top)
        return f32(top)

    def blocks(
        self, purpose: str, *, base: float, tall: tuple[float, float], wide: tuple[float, float]
    ) -> F32:
        """The top edge of a row of buildings (pixels), closing the loop at the canvas end."""
        rng = self.rng(purpose)
        top = np.empty(self.width, dtype=np.float32)
        x = 0
        while x < self.width:
            bw = max(2, round(float(rng.uniform(*wide))))
            if self.width - (x + bw) < wide[0]:
                bw = self.width - x
            top[x : x + bw] = base - float(rng.uniform(*tall))
            x += bw
        return top


def smoothstep(lo: float, hi: float, x: F32) -> F32:
    t = np.clip((x - np.float32(lo)) / np.float32(hi - lo), 0, 1)
    return f32(t * t * (3 - 2 * t))
