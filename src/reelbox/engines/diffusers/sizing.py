"""Output sizes → the native resolution a model renders at, and back.

A model renders at the native resolution nearest the requested size with the same orientation
(nearest in aspect ratio and in pixel count, on a log scale), and every frame is then resampled
to exactly the requested size (Lanczos, scaled to cover and cut evenly), so a Sora size can be
asked of any profile whose family has that orientation. A profile serves its native sizes, the
Sora sizes it has an orientation for, and any extra sizes its `sizes` option lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from reelbox.engines.base import Frame
from reelbox.engines.catalog import SORA_PRO_SIZES
from reelbox.engines.diffusers.presets import Size
from reelbox.media.images import fit_image


def orientation(size: Size) -> str:
    width, height = size
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def render_size(size: Size, natives: Iterable[Size]) -> Size:
    """The native size to render `size` at. ValueError if no native size has its orientation.

    A square request with no square native size takes the nearest of all of them.
    """
    candidates = [n for n in natives if orientation(n) == orientation(size)]
    if not candidates and orientation(size) == "square":
        candidates = list(natives)
    if not candidates:
        shown = ", ".join(f"{w}x{h}" for w, h in natives)
        raise ValueError(
            f"{size[0]}x{size[1]} is {orientation(size)}; this model renders only {shown}"
        )
    return min(candidates, key=lambda native: _distance(size, native))


def served_sizes(natives: tuple[Size, ...], extra: Iterable[Size] = ()) -> tuple[Size, ...]:
    """Sizes a profile accepts: native, Sora and configured ones that some native size can serve.

    ValueError names an `extra` size with no native size of its orientation.
    """
    sizes = list(natives)
    for size in SORA_PRO_SIZES:
        if _renderable(size, natives):
            sizes.append(size)
    for size in extra:
        render_size(size, natives)  # raises for an orientation the family cannot make
        sizes.append(size)
    return tuple(dict.fromkeys(sizes))


def fit_frame(frame: Frame, size: Size) -> Frame:
    """`frame` at exactly `size`: scaled to cover it and cut evenly (no-op when it matches)."""
    width, height = size
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    return fit_image(frame, width=width, height=height, fit="crop")


def _renderable(size: Size, natives: Iterable[Size]) -> bool:
    try:
        render_size(size, natives)
    except ValueError:
        return False
    return True


def _distance(size: Size, native: Size) -> float:
    aspect = abs(math.log((size[0] / size[1]) / (native[0] / native[1])))
    area = abs(math.log((size[0] * size[1]) / (native[0] * native[1])))
    return aspect + area
