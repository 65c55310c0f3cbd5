"""Cutting the main subject out of a character clip, as an RGBA image.

The background is estimated from the frame's border (median colour); pixels that differ from it
become the subject, with a soft edge. Good enough for clips shot against a plain backdrop, which
is what character uploads are asked to be; otherwise the whole frame is kept.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelbox.media.decode import VideoProbe, iter_frames
from reelbox.media.frames import Frame

MAX_SIDE = 512


def character_cutout(path: Path, *, probe: VideoProbe) -> bytes:
    """A PNG (RGBA) of the subject in the middle frame of the clip at `path`."""
    middle = max(0, probe.frame_count // 2)
    frame: Frame | None = None
    for decoded in iter_frames(path, limit=middle + 1):
        frame = decoded
    if frame is None:
        raise ValueError("the clip has no frames")
    rgba = cut_out(frame)
    image = Image.fromarray(rgba, mode="RGBA")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def cut_out(frame: Frame) -> npt.NDArray[np.uint8]:
    """RGBA of `frame` with the border-coloured background made transparent, cropped."""
    rgb = frame.astype(np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(rgb - background, axis=2)
    alpha = np.clip((distance - 24.0) / 40.0, 0.0, 1.0)
    mask = alpha > 0.5
    if mask.sum() < 0.01 * mask.size:  # nothing stands out: keep the whole frame
        alpha[:] = 1.0
        mask[:] = True
    ys, xs = np.nonzero(mask)
    pad = 4
    top, bottom = max(0, ys.min() - pad), min(frame.shape[0], ys.max() + pad + 1)
    left, right = max(0, xs.min() - pad), min(frame.shape[1], xs.max() + pad + 1)
    out = np.dstack([frame, (alpha * 255).astype(np.uint8)])
    return np.ascontiguousarray(out[top:bottom, left:right])
