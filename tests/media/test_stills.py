"""Thumbnails and sprite sheets, checked by opening the written files with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelbox.engines.base import Frame
from reelbox.media.stills import (
    SpriteGeometry,
    SpriteSheet,
    spritesheet_indices,
    write_spritesheet,
    write_thumbnail,
)


def _frame(width: int, height: int, value: int) -> Frame:
    return np.full((height, width, 3), value, dtype=np.uint8)


@pytest.mark.parametrize("frame_count", [1, 2, 15, 16, 17, 31, 240, 241, 10_000])
@pytest.mark.parametrize("tiles", [1, 4, 16])
def test_spritesheet_indices_are_even_distinct_sorted_and_start_at_zero(
    frame_count: int, tiles: int
) -> None:
    indices = spritesheet_indices(frame_count, tiles=tiles)
    assert len(indices) == min(frame_count, tiles)
    assert indices[0] == 0
    assert indices == sorted(set(indices))
    assert indices[-1] < frame_count
    if frame_count >= tiles > 1:
        gaps = np.diff(indices)
        assert gaps.max() - gaps.min() <= 1


def test_spritesheet_indices_examples() -> None:
    assert spritesheet_indices(240, tiles=4) == [0, 60, 120, 180]
    assert spritesheet_indices(3) == [0, 1, 2]
    assert spritesheet_indices(0) == []
    with pytest.raises(ValueError):
        spritesheet_indices(10, tiles=0)


@pytest.mark.parametrize(("format", "pillow_format"), [("webp", "WEBP"), ("jpeg", "JPEG")])
def test_thumbnails_are_full_size(format: str, pillow_format: str, tmp_path: Path) -> None:
    path = tmp_path / f"thumb.{format}"
    frame = _frame(120, 68, 90)
    write_thumbnail(frame, path, format=format)  # type: ignore[arg-type]
    with Image.open(path) as image:
        assert image.format == pillow_format
        assert image.size == (120, 68)
        assert abs(int(np.asarray(image.convert("RGB")).mean()) - 90) <= 2


def test_thumbnail_quality_changes_the_file(tmp_path: Path) -> None:
    noise = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    write_thumbnail(noise, tmp_path / "low.jpg", format="jpeg", quality=20)
    write_thumbnail(noise, tmp_path / "high.jpg", format="jpeg", quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_spritesheet_grid_and_geometry(tmp_path: Path) -> None:
    frames = [_frame(720, 1280, 16 * i) for i in range(10)]
    path = tmp_path / "sheet.jpg"
    geometry = write_spritesheet(frames, path, columns=4, tile_width=128)
    assert geometry == SpriteGeometry(columns=4, rows=3, frame_width=128, frame_height=228)
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (4 * 128, 3 * 228)
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # Tile 6 sits in row 1, column 2; the unused cells at the end are black.
    assert abs(pixels[228 + 114, 2 * 128 + 64].mean() - 96) <= 3
    assert pixels[2 * 228 + 114, 3 * 128 + 64].max() <= 3


def test_spritesheet_with_fewer_frames_than_columns(tmp_path: Path) -> None:
    geometry = write_spritesheet(
        [_frame(64, 36, 0), _frame(64, 36, 255)], tmp_path / "s.jpg", columns=4, tile_width=32
    )
    assert geometry == SpriteGeometry(columns=2, rows=1, frame_width=32, frame_height=18)


def test_spritesheet_refuses_mixed_or_no_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        write_spritesheet([], tmp_path / "s.jpg")
    with pytest.raises(ValueError, match="same size"):
        write_spritesheet([_frame(64, 36, 0), _frame(36, 64, 0)], tmp_path / "s.jpg")


def test_a_sheet_built_tile_by_tile_in_any_order_is_the_written_sheet(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (90, 160, 3), dtype=np.uint8) for _ in range(6)]
    write_spritesheet(frames, tmp_path / "whole.jpg", columns=4, tile_width=64)
    sheet = SpriteSheet(6, width=160, height=90, columns=4, tile_width=64)
    for index in (5, 0, 3, 1, 4, 2):
        sheet.add(index, frames[index])
    geometry = sheet.save(tmp_path / "tiles.jpg")
    assert geometry == SpriteGeometry(columns=4, rows=2, frame_width=64, frame_height=36)
    assert (tmp_path / "tiles.jpg").read_bytes() == (tmp_path / "whole.jpg").read_bytes()


def test_a_sheet_refuses_missing_misplaced_or_mismatched_tiles(tmp_path: Path) -> None:
    sheet = SpriteSheet(2, width=64, height=36, tile_width=32)
    sheet.add(0, _frame(64, 36, 0))
    with pytest.raises(ValueError, match="1 of the sprite sheet's 2 tiles"):
        sheet.save(tmp_path / "s.jpg")
    with pytest.raises(ValueError, match="outside"):
        sheet.add(2, _frame(64, 36, 0))
    with pytest.raises(ValueError, match="same size"):
        sheet.add(1, _frame(36, 64, 0))
    assert not (tmp_path / "s.jpg").exists()
