"""The camera: which part of the backdrop each frame shows, and where world points land.

The view is an affine map `screen = (world - origin) * scale`. Pans move the origin by whole
pixels per frame over a wrapping canvas (a plain copy, and no judder from uneven sub-pixel
steps); zooms resample a canvas painted at twice the frame size (or bilinearly from a canvas
at frame size). An unbounded canvas (a painted scene) wraps
around; a bounded one (a reference image) is never left: pans there are slight zooms that
drift toward one edge, and a zoom out shrinks the picture over a blurred copy of itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32, f32

PAN_RATE = 0.05  # frame widths per second
ZOOM_IN_RANGE = 0.35  # how much a zoom in magnifies in the long run
ZOOM_OUT_RANGE = 0.25  # how magnified a zoom out starts
ZOOM_RATE = 0.08  # per second: zooms ease out exponentially so long clips stay sensible


@dataclass(frozen=True, slots=True)
class View:
    """Where the frame looks at time t: world point at the frame's top-left, and magnification."""

    ox: float
    oy: float
    scale: float

    def to_screen(self, x: F32, y: F32) -> tuple[F32, F32]:
        s = np.float32(self.scale)
        return (x - np.float32(self.ox)) * s, (y - np.float32(self.oy)) * s


class Camera:
    """Frames of a backdrop canvas, seen through `move` ("static", "pan_left", ...)."""

    def __init__(
        self,
        canvas: Frame,
        *,
        move: str,
        speed: float,
        width: int,
        height: int,
        fps: int,
        bounded: bool,
        supersample: int = 1,
    ) -> None:
        self.canvas = canvas
        self.supersample = supersample
        self.move = move
        self.speed = speed
        self.w, self.h, self.fps = width, height, fps
        self.bounded = bounded
        self.cw = canvas.shape[1] // supersample
        # Whole pixels per frame: uniform steps read as smooth motion.
        self.pan_step = max(1, round(PAN_RATE * speed * width / fps))
        self._image: Image.Image | None = None
        self._backfill: Frame | None = None

    def view(self, t: float) -> View:
        """The camera's view at `t` seconds."""
        w, h = self.w, self.h
        if self.move in ("pan_left", "pan_right"):
            sign = 1 if self.move == "pan_right" else -1
            if not self.bounded:
                steps = round(t * self.fps)
                return View(float((sign * steps * self.pan_step) % self.cw), 0.0, 1.0)
            scale = 1 + 0.15 * (1 - math.exp(-0.25 * self.speed * t))
            slack = w - w / scale
            return View(slack if sign > 0 else 0.0, (h - h / scale) / 2, scale)
        if self.move == "zoom_in":
            scale = 1 + ZOOM_IN_RANGE * (1 - math.exp(-ZOOM_RATE * self.speed * t))
        elif self.move == "zoom_out":
            if self.bounded:
                scale = 1 / (1 + ZOOM_OUT_RANGE * (1 - math.exp(-ZOOM_RATE * self.speed * t)))
            else:
                scale = 1 + ZOOM_OUT_RANGE * math.exp(-ZOOM_RATE * self.speed * t)
        else:
            return View(0.0, 0.0, 1.0)
        return View(w / 2 - w / (2 * scale), h / 2 - h / (2 * scale), scale)

    def render(self, view: View) -> Frame:
        """A new (height, width, 3) frame of the canvas as seen by `view`."""
        w, h = self.w, self.h
        if view.scale == 1.0 and view.oy == 0.0 and self.supersample == 1:
            x = int(view.ox)
            if x + w <= self.cw:
                return self.canvas[:, x : x + w].copy()
            frame = np.empty((h, w, 3), dtype=np.uint8)
            first = self.cw - x
            frame[:, :first] = self.canvas[:, x:]
            frame[:, first:] = self.canvas[:, : w - first]
            return frame
        if view.scale < 1.0:
            return self._shrunk(view)
        ss = self.supersample
        box = (
            view.ox * ss,
            view.oy * ss,
            (view.ox + w / view.scale) * ss,
            (view.oy + h / view.scale) * ss,
        )
        if ss == 1:
            resized = self._pil().resize((w, h), Image.Resampling.BILINEAR, box=box)
        else:
            # Nearest sampling at the canvas's own resolution, then an ss x ss box average:
            # anti-aliased like a filtered resize at about a third of its cost.
            sharp = self._pil().resize((w * ss, h * ss), Image.Resampling.NEAREST, box=box)
            resized = sharp.reduce(ss)
        return np.array(resized, dtype=np.uint8)

    def _pil(self) -> Image.Image:
        if self._image is None:
            self._image = Image.fromarray(self.canvas)
        return self._image

    def _shrunk(self, view: View) -> Frame:
        """The whole picture made smaller, centred over a soft blurred enlargement of itself.

        Only for bounded canvases, which are never supersampled.
        """
        if self._backfill is None:
            small = self._pil().reduce(8).filter(ImageFilter.GaussianBlur(3))
            self._backfill = np.array(small.resize((self.w, self.h), Image.Resampling.BILINEAR))
        frame = self._backfill.copy()
        sw = max(1, round(self.w * view.scale))
        sh = max(1, round(self.h * view.scale))
        picture = np.asarray(self._pil().resize((sw, sh), Image.Resampling.BILINEAR))
        x0, y0 = (self.w - sw) // 2, (self.h - sh) // 2
        frame[y0 : y0 + sh, x0 : x0 + sw] = picture
        return frame

    def wrap_x(self, x: F32) -> F32:
        """Screen x of wrapping world content, brought next to the frame (pans only)."""
        if self.bounded or self.cw == self.w:
            return x
        cw = np.float32(self.cw)
        half = np.float32(self.w) / 2
        return f32(np.mod(x + cw / 2 - half, cw) - cw / 2 + half)
