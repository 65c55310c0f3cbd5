"""Values for store tests."""

from __future__ import annotations

from reelbox.store.rows import NewGeneration


def new_generation(gen_id: str = "gen_1") -> NewGeneration:
    """A finished 64x64, one-second generation with made-up blob keys."""
    return NewGeneration(
        id=gen_id,
        index=0,
        seed=7,
        video_key="v.mp4",
        thumbnail_key="t.webp",
        thumbnail_jpeg_key="t.jpg",
        spritesheet_key="s.jpg",
        width=64,
        height=64,
        fps=24,
        frame_count=24,
        duration=1.0,
        has_audio=True,
        sprite_columns=4,
        sprite_rows=4,
        sprite_frame_width=64,
        sprite_frame_height=64,
    )
