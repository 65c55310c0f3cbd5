"""Screen-space finishing touches of a style or lighting: what cannot be baked into layers.

Vignettes (cinematic, noir, vintage, dramatic and candle light), letterbox bars (cinematic, wide
frames only), pixelation with a reduced palette (pixel art), paper texture (watercolour), and
dust and scratches (vintage film). Colour itself is graded elsewhere (grade.py). Each effect is
fixed to the screen and costs a pass or two over the frame.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from reelbox.engines.base import Frame
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.seeding import rng_for

_VIGNETTE_BY_STYLE = {"cinematic": 0.3, "noir": 0.5, "vintage": 0.45, "watercolor": 0.15}
_VIGNETTE_BY_LIGHTING = {"dramatic": 0.45, "candlelight": 0.4, "neon": 0.2}
CINEMA_ASPECT = 2.39
_BLOCK_ROWS = 32  # rows multiplied at a time: 240 KB of 16-bit scratch at 1280 wide


class Finisher:
    """Applies the plan's screen-space effects to rendered frames."""

    def __init__(self, plan: ScenePlan, *, width: int, height: int) -> None:
        self.w, self.h = width, height
        self._scratch: np.ndarray | None = None
        self.style = plan.style
        self.seed = plan.layout_seed
        strength = max(
            _VIGNETTE_BY_STYLE.get(plan.style, 0.0), _VIGNETTE_BY_LIGHTING.get(plan.lighting, 0.0)
        )
        self.vignette: np.ndarray | None = None
        if strength > 0:
            ys = (np.arange(height, dtype=np.float32) + 0.5) / height * 2 - 1
            xs = (np.arange(width, dtype=np.float32) + 0.5) / width * 2 - 1
            r2 = ys[:, None] ** 2 * 0.8 + xs[None, :] ** 2
            falloff = np.clip((r2 - 0.35) / 1.45, 0, 1) ** 1.5
            mask = 1 - np.float32(strength) * falloff
            # Held per channel: numpy multiplies matching shapes several times faster than it
            # broadcasts one plane over three channels.
            factor = np.round(mask * 256).astype(np.uint16)
            self.vignette = np.repeat(factor[..., None], 3, axis=-1)
        self.bars = 0
        if plan.style == "cinematic" and width > height * 1.2:
            self.bars = max(0, round((height - width / CINEMA_ASPECT) / 2))
        self.pixel = max(3, round(min(width, height) / 90)) if plan.style == "pixel_art" else 0
        self.paper: np.ndarray | None = None
        if plan.style == "watercolor":
            rng = rng_for(self.seed, "style:paper")
            small = rng.uniform(0, 1, (max(2, height // 3), max(2, width // 3))).astype(np.float32)
            image = Image.fromarray((small * 255).astype(np.uint8)).filter(ImageFilter.BoxBlur(1))
            grain = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
            paper = (232 + grain.astype(np.uint16) * 24 // 255).astype(np.uint16)
            self.paper = np.repeat(paper[..., None], 3, axis=-1)

    def __bool__(self) -> bool:
        return bool(
            self.vignette is not None
            or self.bars
            or self.pixel
            or self.paper is not None
            or self.style == "vintage"
        )

    def apply(self, frame: Frame, index: int) -> Frame:
        if self.pixel:
            frame = self._pixelate(frame)
        if self.paper is not None:
            frame = self._multiply(frame, self.paper)
        if self.vignette is not None:
            # Rows under the letterbox bars are about to be black anyway.
            rows = slice(self.bars, self.h - self.bars)
            self._multiply(frame[rows], self.vignette[rows])
        if self.style == "vintage":
            self._dust(frame, index)
        if self.bars:
            frame[: self.bars] = 0
            frame[self.h - self.bars :] = 0
        return frame

    def _multiply(self, frame: Frame, factor: np.ndarray) -> Frame:
        """`frame * factor / 256` in place, a block of rows at a time through one reused
        16-bit buffer small enough to stay in the CPU's cache across the three passes (a
        whole-frame buffer is 5.5 MB at 720p, and each pass would go out to memory)."""
        rows = _BLOCK_ROWS
        if self._scratch is None or self._scratch.shape[1:] != frame.shape[1:]:
            self._scratch = np.empty((rows, *frame.shape[1:]), dtype=np.uint16)
        for start in range(0, frame.shape[0], rows):
            part = frame[start : start + rows]
            scratch = self._scratch[: part.shape[0]]
            np.multiply(part, factor[start : start + rows], out=scratch)
            np.right_shift(scratch, 8, out=scratch)
            np.copyto(part, scratch, casting="unsafe")
        return frame

    def _pixelate(self, frame: Frame) -> Frame:
        k = self.pixel
        small = Image.fromarray(frame).reduce(k)
        levels = np.round(np.linspace(0, 255, 6)).astype(np.uint8)
        table = levels[np.clip(np.round(np.arange(256) / 51), 0, 5).astype(int)].tolist() * 3
        small = small.point(table)
        big = small.resize((small.width * k, small.height * k), Image.Resampling.NEAREST)
        out = np.empty_like(frame)
        bw, bh = min(self.w, big.width), min(self.h, big.height)
        out[:bh, :bw] = np.asarray(big)[:bh, :bw]
        if bw < self.w:
            out[:, bw:] = out[:, bw - 1 : bw]
        if bh < self.h:
            out[bh:] = out[bh - 1 : bh]
        return out

    def _dust(self, frame: Frame, index: int) -> None:
        rng = rng_for(self.seed, f"style:dust:{index}")
        for _ in range(int(rng.integers(0, 5))):
            x, y = int(rng.integers(0, self.w)), int(rng.integers(0, self.h))
            r = max(1, round(self.h / 400 * float(rng.uniform(0.5, 2.0))))
            value = 30 if rng.uniform() < 0.7 else 225
            frame[max(0, y - r) : y + r, max(0, x - r) : x + r] = value
        if rng.uniform() < 0.25:
            x = int(rng.integers(0, self.w))
            column = frame[:, x]
            column[...] = np.clip(column.astype(np.int16) + 40, 0, 255).astype(np.uint8)


def weave(plan: ScenePlan, index: int) -> float:
    """Vintage film jiggles in the gate: a whole-pixel vertical offset for frame `index`."""
    if plan.style != "vintage":
        return 0.0
    return float(round(1.2 * math.sin(index * 2.1) * math.sin(index * 0.37)))
