"""Still pictures of a video: full-size thumbnails and sprite sheets for scrubbing previews."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from reelbox.media.frames import Frame

_SPRITE_QUALITY = 80


@dataclass(frozen=True, kw_only=True)
class SpriteGeometry:
    """How a sprite sheet is laid out: tiles in row-major order, each frame_width x frame_height."""

    columns: int
    rows: int
    frame_width: int
    frame_height: int


def spritesheet_indices(frame_count: int, *, tiles: int = 16) -> list[int]:
    """Pick up to `tiles` frame indices spread evenly over the video, starting at 0.

    Tile i shows the start of the i-th equal slice of the video, which is what a scrubbing
    preview expects. Videos with no more frames than tiles use every frame.
    """
    if frame_count < 0:
        raise ValueError(f"frame_count must not be negative, got {frame_count}")
    if tiles < 1:
        raise ValueError(f"tiles must be at least 1, got {tiles}")
    if frame_count <= tiles:
        return list(range(frame_count))
    return [tile * frame_count // tiles for tile in range(tiles)]


def write_thumbnail(
    frame: Frame, path: Path, *, format: Literal["webp", "jpeg"], quality: int = 85
) -> None:
    """Save `frame` at full size as a WebP or JPEG image."""
    _check_frame(frame)
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be between 1 and 100, got {quality}")
    image = Image.fromarray(frame)
    if format == "webp":
        image.save(path, format="WEBP", quality=quality)
    elif format == "jpeg":
        image.save(path, format="JPEG", quality=quality, optimize=True)
    else:
        raise ValueError(f"unknown thumbnail format {format!r}; expected 'webp' or 'jpeg'")


def write_spritesheet(
    frames: Sequence[Frame], path: Path, *, columns: int = 4, tile_width: int = 256
) -> SpriteGeometry:
    """Save `frames` scaled to `tile_width` (keeping their aspect ratio) as a JPEG grid.

    Tiles run left to right, then top to bottom; unused cells of the last row are black. A
    sheet never has more columns than frames.
    """
    if not frames:
        raise ValueError("a sprite sheet needs at least one frame")
    if columns < 1 or tile_width < 1:
        raise ValueError(f"columns and tile_width must be positive, got {columns}, {tile_width}")
    for frame in frames:
        _check_frame(frame)
    height, width = frames[0].shape[:2]
    if any(frame.shape != frames[0].shape for frame in frames):
        raise ValueError("all frames of a sprite sheet must have the same size")
    tile_height = max(1, round(tile_width * height / width))
    columns = min(columns, len(frames))
    rows = -(-len(frames) // columns)
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height))
    for index, frame in enumerate(frames):
        tile = Image.fromarray(frame).resize(
            (tile_width, tile_height), Image.Resampling.LANCZOS, reducing_gap=3.0
        )
        row, column = divmod(index, columns)
        sheet.paste(tile, (column * tile_width, row * tile_height))
    sheet.save(path, format="JPEG", quality=_SPRITE_QUALITY, optimize=True)
    return SpriteGeometry(
        columns=columns, rows=rows, frame_width=tile_width, frame_height=tile_height
    )


def _check_frame(frame: Frame) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(
            f"expected an RGB uint8 frame of shape (h, w, 3), got {frame.dtype} {frame.shape}"
        )
