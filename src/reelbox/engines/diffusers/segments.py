"""Seconds → pipeline calls: how many frames each call makes and which of them are kept.

A model makes at most `max_frames` frames in one call, and only counts that fit its frame rule
(`4k+1`, `8k+1`). A clip is the first call's frames followed by continuations: each conditioned
on the last `context` frames made so far, whose first `context` output frames repeat that
conditioning and are dropped. Counts are rounded up to the rule and the surplus cut from the end,
so the output has exactly the requested number of frames.

Video-to-video (remix, edit) needs no conditioning between calls: the source gives continuity,
so it is cut into independent chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelbox.engines.diffusers.presets import FrameRule


@dataclass(frozen=True)
class Segment:
    """One pipeline call: it makes `frames`, of which `keep` after the first `skip` are output.

    `start` is the output index of the first kept frame; `continues` says the call is
    conditioned on the frames before it (the previous segment's, or an extended video's).
    """

    frames: int
    skip: int
    keep: int
    start: int
    continues: bool


class TooLong(ValueError):
    """The clip needs more than one call and the family cannot continue from frames."""


def plan_segments(
    total: int,
    *,
    rule: FrameRule,
    max_frames: int,
    context: int | None,
    extends: bool = False,
) -> tuple[Segment, ...]:
    """Calls that make `total` frames; `context` None means the family cannot continue.

    With `extends`, even the first call continues from earlier frames (an extension).
    """
    if total < 1:
        raise ValueError(f"a clip needs at least one frame, got {total}")
    if not rule.valid(max_frames):
        raise ValueError(f"max_frames {max_frames} does not fit the frame rule {rule}")
    if context is not None and not 0 < context < max_frames:
        raise ValueError(f"context {context} must be between 1 and {max_frames - 1} frames")
    if context is None and (extends or total > max_frames):
        raise TooLong(f"{total} frames need more than one call of at most {max_frames} frames")
    segments: list[Segment] = []
    made = 0
    while made < total:
        remaining = total - made
        continues = extends or made > 0
        skip = context if continues and context is not None else 0
        frames = rule.at_least(min(remaining + skip, max_frames))
        keep = min(remaining, frames - skip)
        segments.append(
            Segment(frames=frames, skip=skip, keep=keep, start=made, continues=continues)
        )
        made += keep
    return tuple(segments)


def plan_chunks(total: int, *, rule: FrameRule, max_frames: int) -> tuple[Segment, ...]:
    """Independent calls over consecutive stretches of a source video (video-to-video)."""
    if total < 1:
        raise ValueError(f"a clip needs at least one frame, got {total}")
    chunks: list[Segment] = []
    made = 0
    while made < total:
        frames = rule.at_least(min(total - made, max_frames))
        keep = min(total - made, frames)
        chunks.append(Segment(frames=frames, skip=0, keep=keep, start=made, continues=False))
        made += keep
    return tuple(chunks)
