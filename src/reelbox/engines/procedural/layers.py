"""Scenery layers and the compositor that stacks them into frames.

Every layer is painted once (`canvas.Band`), then stored as a Pillow RGB image plus an 8-bit
mask, split into a masked top part (the anti-aliased edge) and an opaque body that is copied
without blending. Per frame, each layer is pasted where the camera sees it: whole-pixel slides
are plain pastes (a fraction of a millisecond each); magnified views (zooms and dollies)
resample only the rows the layer covers. Layers repeat horizontally, so a camera can travel
forever over a fixed amount of memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.camera import CameraState
from reelbox.engines.procedural.canvas import BLOCK_ROWS, Band
from reelbox.engines.procedural.grade import Grade

if TYPE_CHECKING:
    from PIL._imaging import ImagingCore  # what `Image.im` is

_SCALE_EPSILON = 1e-4


@dataclass(frozen=True, kw_only=True)
class Finish:
    """How a finished band is coloured: haze toward a colour (distance, fog), then a grade."""

    grade: Grade
    haze: tuple[float, float, float] = (0.0, 0.0, 0.0)
    haze_amount: float = 0.0


class Layer:
    """A painted layer: world rows `top..top+rows`, repeating every `period` pixels."""

    def __init__(
        self,
        *,
        name: str,
        rgb: Frame,
        alpha: np.ndarray | None,
        top: int,
        parallax: float,
        drift: float = 0.0,
        bob: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.name = name
        self.top = top
        self.parallax = parallax
        self.drift = drift  # pixels per second the layer slides by itself (clouds, waves)
        self.bob = bob  # (amplitude pixels, cycles per second) of a vertical sway (swell)
        if alpha is not None:
            # Rows with nothing in them are dropped: pasting them would cost and show nothing.
            used = np.nonzero(alpha.max(axis=1))[0]
            if used.size == 0:
                used = np.zeros(1, dtype=np.intp)
            first, last = int(used[0]), int(used[-1]) + 1
            rgb, alpha = rgb[first:last], alpha[first:last]
            top += first
            self.top = top
            rgb = _dilate(rgb, alpha)
        rows, self.period = rgb.shape[:2]
        self.rows = rows
        self.body = 0  # first band row from which every pixel is opaque
        self.edge: Image.Image | None = None  # rows 0..body, pasted through `edge_mask`
        self.edge_mask: Image.Image | None = None
        self.masked = alpha is not None and bool(np.any(alpha < 255))
        if alpha is not None and self.masked:
            solid = np.all(alpha == 255, axis=1)
            # The body starts after the last row that is not fully opaque.
            holes = np.nonzero(~solid)[0]
            self.body = int(holes[-1]) + 1 if holes.size else 0
            self.edge = Image.fromarray(np.ascontiguousarray(rgb[: self.body]))
            self.edge_mask = Image.fromarray(np.ascontiguousarray(alpha[: self.body]))
        # Held once: the edge and the body; the whole image is put together only for
        # magnified views (zooms), which need it.
        self.body_image = Image.fromarray(np.ascontiguousarray(rgb[self.body :]))
        # What a whole-pixel slide pastes: column tiles cut into runs of rows, so that only
        # rows a tile's shapes actually cross are blended (a skyline's edge is a few rows in
        # each tile; a cloud layer is mostly empty sky).
        # A thin edge (a shore, a kerb) is cheaper pasted in one go.
        self.pieces: list[_Piece] = (
            _pieces(rgb[: self.body], alpha[: self.body])
            if alpha is not None and self.body >= _TILED_EDGE_ROWS
            else []
        )
        self._image: Image.Image | None = None
        self._mask: Image.Image | None = None

    @property
    def image(self) -> Image.Image:
        if self.edge is None:
            return self.body_image
        if self._image is None:
            image = Image.new("RGB", (self.period, self.rows))
            image.paste(self.edge, (0, 0))
            image.paste(self.body_image, (0, self.body))
            self._image = image
        return self._image

    @property
    def mask(self) -> Image.Image | None:
        if self.edge_mask is None:
            return None
        if self._mask is None:
            mask = Image.new("L", (self.period, self.rows), 255)
            mask.paste(self.edge_mask, (0, 0))
            self._mask = mask
        return self._mask

    @classmethod
    def from_band(
        cls,
        band: Band,
        *,
        parallax: float,
        finish: Finish,
        drift: float = 0.0,
        bob: tuple[float, float] = (0.0, 0.0),
    ) -> Layer:
        alpha = band.alpha
        rgb = np.empty(band.rgb.shape, dtype=np.uint8)
        haze = np.asarray(finish.haze, np.float32)
        a = np.float32(finish.haze_amount)
        for start in range(0, alpha.shape[0], BLOCK_ROWS):
            block = slice(start, start + BLOCK_ROWS)
            cover = alpha[block]
            if cover.min() == 1.0 and cover.max() == 1.0:
                # Opaque rows (a sky, the ground): un-premultiplying would divide by one.
                straight = band.rgb[block].copy()
            else:
                straight = f32(band.rgb[block] / np.maximum(cover, np.float32(1e-4))[..., None])
            if finish.haze_amount > 0:
                straight *= 1 - a
                straight += haze * a
            graded: F32 = finish.grade.apply_array(f32(straight))
            graded += np.float32(0.5)
            np.clip(graded, 0, 255, out=graded)
            np.copyto(rgb[block], graded, casting="unsafe")
        mask = np.clip(alpha * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
        opaque = bool(np.all(mask == 255))
        return cls(
            name=band.name,
            rgb=rgb,
            alpha=None if opaque else mask,
            top=band.y0,
            parallax=parallax,
            drift=drift,
            bob=bob,
        )

    # -- drawing -----------------------------------------------------------------------------

    def offset(self, state: CameraState, t: float) -> tuple[float, float, float]:
        ox, oy = state.offset(self.parallax)
        if self.drift:
            ox -= self.drift * t
        if self.bob[0]:
            oy -= self.bob[0] * math.sin(2 * math.pi * self.bob[1] * t)
        return ox, oy, state.scale(self.parallax)

    def paste(self, frame: Image.Image, state: CameraState, t: float) -> None:
        """Draw this layer into `frame` as the camera sees it at scene time `t`."""
        ox, oy, scale = self.offset(state, t)
        if abs(scale - 1.0) < _SCALE_EPSILON:
            self._paste_slid(frame, round(ox), round(oy))
        else:
            self._paste_scaled(frame, state, ox, oy, scale)

    def paste_cover(self, cover: Image.Image, ox: int, oy: int) -> None:
        """Accumulate this layer's coverage into the "L" image `cover` (slid by whole pixels)."""
        width, height = cover.size
        y = self.top - oy
        if y >= height or y + self.rows <= 0:
            return
        x = -(ox % self.period)
        while x < width:
            if self.mask is None:
                cover.paste(255, (x, y, x + self.period, y + self.rows))
            else:
                cover.paste(255, (x, y), self.mask)
            x += self.period

    def paste_slid(self, frame: Image.Image, ox: int, oy: int, *, masked: bool = True) -> None:
        """Draw this layer slid by whole pixels; unmasked, its edge colours fill the area."""
        if masked:
            self._paste_slid(frame, ox, oy)
            return
        width = frame.size[0]
        y = self.top - oy
        x = -(ox % self.period)
        while x < width:
            frame.paste(self.image, (x, y))
            x += self.period

    def _paste_slid(self, frame: Image.Image, ox: int, oy: int) -> None:
        width, height = frame.size
        y = self.top - oy
        if y >= height or y + self.rows <= 0:
            return
        x = -(ox % self.period)
        # Pillow's core paste (it clips to the frame) skips `Image.paste`'s checks, which
        # cost several times the paste of a small piece.
        core = frame.im
        while x < width:
            if self.edge is not None and not self.pieces:
                frame.paste(self.edge, (x, y), self.edge_mask)
            for piece in self.pieces:
                px = x + piece.x
                if px < width and px + piece.width > 0:
                    box = (px, y + piece.y, px + piece.width, y + piece.y + piece.rows)
                    if piece.mask is None:
                        core.paste(piece.image, box)
                    else:
                        core.paste(piece.image, box, piece.mask)
            frame.paste(self.body_image, (x, y + self.body))
            x += self.period

    def _paste_scaled(
        self, frame: Image.Image, state: CameraState, ox: float, oy: float, scale: float
    ) -> None:
        width, height = frame.size
        cx, cy = state.cx, state.cy
        # Screen rows the band covers, then back to exact source rows for those.
        sy0 = (self.top - oy - cy) * scale + cy
        sy1 = (self.top + self.rows - oy - cy) * scale + cy
        y0, y1 = max(0, math.ceil(sy0)), min(height, math.floor(sy1))
        if y0 >= y1:
            return
        v0 = (y0 - cy) / scale + cy + oy - self.top
        v1 = (y1 - cy) / scale + cy + oy - self.top
        u0 = (0 - cx) / scale + cx + ox
        u1 = (width - cx) / scale + cx + ox
        strip, mask, start = self._strip(u0, u1)
        box = (u0 - start, v0, u1 - start, v1)
        size = (width, y1 - y0)
        part = strip.resize(size, Image.Resampling.BILINEAR, box=box)
        if mask is None:
            frame.paste(part, (0, y0))
        else:
            frame.paste(part, (0, y0), mask.resize(size, Image.Resampling.BILINEAR, box=box))

    def _strip(self, u0: float, u1: float) -> tuple[Image.Image, Image.Image | None, int]:
        """The band's columns floor(u0)-1 .. ceil(u1)+1, unwrapped, and where they start."""
        start = math.floor(u0) - 1
        end = math.ceil(u1) + 1
        a = start % self.period
        if a + (end - start) <= self.period:
            box = (a, 0, a + end - start, self.rows)
            mask = self.mask.crop(box) if self.mask is not None else None
            return self.image.crop(box), mask, start
        strip = Image.new("RGB", (end - start, self.rows))
        strip_mask = Image.new("L", (end - start, self.rows)) if self.mask is not None else None
        x = -a
        while x < end - start:
            strip.paste(self.image, (x, 0))
            if strip_mask is not None and self.mask is not None:
                strip_mask.paste(self.mask, (x, 0))
            x += self.period
        return strip, strip_mask, start


@dataclass(frozen=True)
class _Piece:
    """Part of a layer pasted on its own: at (x, y) in the layer, through `mask` if any."""

    x: int
    y: int
    width: int
    rows: int
    image: ImagingCore
    mask: ImagingCore | None


_TILE = 32  # columns per tile
_TILED_EDGE_ROWS = 24  # edges at least this deep are pasted in tiles
_SHORT_RUN = 6  # opaque runs shorter than this between blended rows are blended with them


def _pieces(rgb: Frame, alpha: np.ndarray) -> list[_Piece]:
    """Cut a masked layer into tiles of runs of rows: skipped, copied or blended.

    Pasting the pieces gives the very pixels one masked paste of the whole layer gives:
    transparent rows are left out and opaque ones copied, which blending would do anyway.
    """
    pieces: list[_Piece] = []
    period = rgb.shape[1]
    for x0 in range(0, period, _TILE):
        x1 = min(period, x0 + _TILE)
        tile = alpha[:, x0:x1]
        # Per row: 0 nothing, 1 blended, 2 opaque.
        kind = np.where(tile.min(axis=1) == 255, 2, np.where(tile.max(axis=1) == 0, 0, 1))
        runs = _runs(kind)
        for start, stop, what in runs:
            if what == 0:
                continue
            image = Image.fromarray(np.ascontiguousarray(rgb[start:stop, x0:x1])).im
            mask = None
            if what == 1:
                mask = Image.fromarray(np.ascontiguousarray(tile[start:stop])).im
            pieces.append(
                _Piece(x=x0, y=start, width=x1 - x0, rows=stop - start, image=image, mask=mask)
            )
    return pieces


def _runs(kind: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs (start, stop, kind) of equal row kinds; short opaque runs between blended rows
    join them (one paste instead of three)."""
    cuts = [0, *(np.flatnonzero(np.diff(kind)) + 1).tolist(), len(kind)]
    runs = [(a, b, int(kind[a])) for a, b in pairwise(cuts) if b > a]
    merged: list[tuple[int, int, int]] = []
    for i, (a, b, what) in enumerate(runs):
        if (
            what == 2
            and b - a < _SHORT_RUN
            and 0 < i < len(runs) - 1
            and runs[i - 1][2] == 1
            and runs[i + 1][2] == 1
        ):
            what = 1
        if merged and merged[-1][2] == what:
            merged[-1] = (merged[-1][0], b, what)
        else:
            merged.append((a, b, what))
    return merged


def _dilate(rgb: Frame, alpha: np.ndarray) -> Frame:
    """Give transparent pixels above each column's first visible pixel that pixel's colour.

    Resampling colour and coverage separately then blends edge pixels with the colour under the
    edge rather than with black, so magnified layers keep clean edges.
    """
    covered = alpha > 0
    first = np.argmax(covered, axis=0)
    first[~covered.any(axis=0)] = 0
    reach = int(first.max())  # rows below this already have their own colour everywhere
    if reach == 0:
        return rgb
    rows = np.arange(reach)[:, None]
    source = np.maximum(rows, first[None, :])
    out = rgb.copy()
    out[:reach] = rgb[source, np.arange(rgb.shape[1])[None, :]]
    return out


class Compositor:
    """Stacks layers back to front: `background` before the actors, `foreground` after.

    When the camera magnifies (zoom, dolly), consecutive layers whose magnifications are within
    `GROUP_TOLERANCE` of each other are stacked at their own resolution first and resampled
    together once, instead of once per layer.
    """

    GROUP_TOLERANCE = 0.025

    def __init__(self, layers: Sequence[Layer], *, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.back = [layer for layer in layers if layer.parallax <= 1.0]
        self.front = [layer for layer in layers if layer.parallax > 1.0]

    def background(self, state: CameraState, t: float) -> Image.Image:
        frame = Image.new("RGB", (self.width, self.height))
        self._stack(frame, self.back, state, t)
        return frame

    def foreground(self, frame: Frame, state: CameraState, t: float) -> Frame:
        """`frame` with the foreground layers on top (a new array when there are any)."""
        if not self.front:
            return frame
        image = Image.fromarray(frame)
        self._stack(image, self.front, state, t)
        return np.array(image, dtype=np.uint8)

    def _stack(
        self, frame: Image.Image, layers: Sequence[Layer], state: CameraState, t: float
    ) -> None:
        index = 0
        while index < len(layers):
            first = layers[index]
            scale = first.offset(state, t)[2]
            end = index + 1
            if abs(scale - 1.0) >= _SCALE_EPSILON:
                while end < len(layers):
                    other = layers[end].offset(state, t)[2]
                    if abs(other / scale - 1.0) > self.GROUP_TOLERANCE:
                        break
                    end += 1
            group = layers[index:end]
            if len(group) == 1:
                first.paste(frame, state, t)
            else:
                self._paste_group(frame, group, state, t, scale, opaque=index == 0)
            index = end

    def _paste_group(
        self,
        frame: Image.Image,
        group: Sequence[Layer],
        state: CameraState,
        t: float,
        scale: float,
        *,
        opaque: bool,
    ) -> None:
        """Stack `group` unscaled over the world area the frame shows, then resample once."""
        width, height = frame.size
        cx, cy = state.cx, state.cy
        # World coordinates in the frame of the group's first layer (its offset is the origin).
        ox0, oy0, _ = group[0].offset(state, t)
        shifts = []
        top_row, bottom_row = math.inf, -math.inf
        for layer in group:
            lx, ly, _ = layer.offset(state, t)
            shift = (round(lx - ox0), round(ly - oy0))
            shifts.append(shift)
            top_row = min(top_row, layer.top - shift[1])
            bottom_row = max(bottom_row, layer.top + layer.rows - shift[1])
        sy0 = (top_row - oy0 - cy) * scale + cy
        sy1 = (bottom_row - oy0 - cy) * scale + cy
        y0, y1 = max(0, math.ceil(sy0)), min(height, math.floor(sy1))
        if y0 >= y1:
            return
        v0 = (y0 - cy) / scale + cy + oy0
        v1 = (y1 - cy) / scale + cy + oy0
        u0 = (0 - cx) / scale + cx + ox0
        u1 = (width - cx) / scale + cx + ox0
        left, top = math.floor(u0) - 1, math.floor(v0) - 1
        size = (math.ceil(u1) + 2 - left, math.ceil(v1) + 2 - top)
        canvas = Image.new("RGB", size)
        cover = None if opaque else Image.new("L", size)
        for i, (layer, (sx, sy)) in enumerate(zip(group, shifts, strict=True)):
            layer.paste_slid(canvas, left + sx, top + sy, masked=i > 0 or opaque)
            if cover is not None:
                layer.paste_cover(cover, left + sx, top + sy)
        box = (u0 - left, v0 - top, u1 - left, v1 - top)
        out_size = (width, y1 - y0)
        resized = canvas.resize(out_size, Image.Resampling.BILINEAR, box=box)
        if cover is None:
            frame.paste(resized, (0, y0))
        else:
            frame.paste(
                resized, (0, y0), cover.resize(out_size, Image.Resampling.BILINEAR, box=box)
            )
