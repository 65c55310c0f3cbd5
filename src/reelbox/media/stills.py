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
    for frame in frames:
        _check_frame(frame)
    height, width = frames[0].shape[:2]
    sheet = SpriteSheet(
        len(frames), width=width, height=height, columns=columns, tile_width=tile_width
    )
    for index, frame in enumerate(frames):
        sheet.add(index, frame)
    return sheet.save(path)


class SpriteSheet:
    """A sprite sheet of `tiles` frames built one tile at a time, so that each frame can be
    scaled down as it goes by (while a video is still encoding) instead of being kept whole.

    The same frames added in any order give the same sheet as `write_spritesheet`.
    """

    def __init__(
        self, tiles: int, *, width: int, height: int, columns: int = 4, tile_width: int = 256
    ) -> None:
        if tiles < 1:
            raise ValueError("a sprite sheet needs at least one frame")
        if columns < 1 or tile_width < 1:
            raise ValueError(
                f"columns and tile_width must be positive, got {columns}, {tile_width}"
            )
        self.size = (width, height)
        self.tiles = tiles
        tile_height = max(1, round(tile_width * height / width))
        columns = min(columns, tiles)
        rows = -(-tiles // columns)
        self.geometry = SpriteGeometry(
            columns=columns, rows=rows, frame_width=tile_width, frame_height=tile_height
        )
        self._sheet = Image.new("RGB", (columns * tile_width, rows * tile_height))
        self._added: set[int] = set()

    def add(self, index: int, frame: Frame) -> None:
        """Scale `frame` down into tile `index` (0 .. tiles - 1)."""
        _check_frame(frame)
        if frame.shape[1::-1] != self.size:
            raise ValueError("all frames of a sprite sheet must have the same size")
        if not 0 <= index < self.tiles:
            raise ValueError(f"tile {index} is outside 0..{self.tiles - 1}")
        g = self.geometry
        tile = Image.fromarray(frame).resize(
            (g.frame_width, g.frame_height), Image.Resampling.LANCZOS, reducing_gap=2.0
        )
        row, column = divmod(index, g.columns)
        self._sheet.paste(tile, (column * g.frame_width, row * g.frame_height))
        self._added.add(index)

    def save(self, path: Path) -> SpriteGeometry:
        """Write the sheet as a JPEG; every tile must have been added."""
        missing = self.tiles - len(self._added)
        if missing:
            raise ValueError(f"{missing} of the sprite sheet's {self.tiles} tiles were not added")
        self._sheet.save(path, format="JPEG", quality=_SPRITE_QUALITY, optimize=True)
        return self.geometry


def _check_frame(frame: Frame) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(
            f"expected an RGB uint8 frame of shape (h, w, 3), got {frame.dtype} {frame.shape}"
        )
