"""Inpainting (Azure Sora 1): frames the output is conditioned on at given frame indices.

An inpaint request places images at output frame indices (`keyframes`) and/or a video from
`source_frame_index` on. Those frames are the anchors. A clip is made in calls (segments), so
the anchors are cut by call: each call is conditioned on the runs of consecutive anchored frames
that fall among the frames it keeps, at their index within the call (after the context frames a
continuation repeats). The model is conditioned on the anchors, not forced to copy them: the
frames it makes there come back through its VAE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reelbox.engines.base import Frame, GenerationInputs
from reelbox.engines.diffusers.presets import Size
from reelbox.engines.diffusers.segments import Segment
from reelbox.engines.diffusers.sizing import fit_frame
from reelbox.engines.diffusers.sources import retimed_frames
from reelbox.jobs.spec import GenerationSpec


@dataclass(frozen=True)
class Run:
    """`length` anchored frames from frame `index` of a call (output frame `start` on)."""

    index: int
    start: int
    length: int


@dataclass(frozen=True)
class Anchor:
    """Frames a call is conditioned on, shown from its frame `index` on."""

    index: int
    frames: Sequence[Frame]


def anchored_indices(spec: GenerationSpec, inputs: GenerationInputs) -> frozenset[int]:
    """The output frames an inpaint request places something at."""
    count = spec.frame_count
    indices = {k.frame_index for k in inputs.keyframes if 0 <= k.frame_index < count}
    video = inputs.source_video
    if video is not None:
        start = spec.source_frame_index
        indices.update(range(start, start + _video_length(spec, video.duration)))
    return frozenset(indices)


def call_runs(indices: frozenset[int], segment: Segment) -> tuple[Run, ...]:
    """The runs of anchored frames among the frames `segment` keeps, in call frame indices."""
    runs: list[Run] = []
    for output in range(segment.start, segment.start + segment.keep):
        if output not in indices:
            continue
        index = output - segment.start + segment.skip
        last = runs[-1] if runs else None
        if last is not None and last.index + last.length == index:
            runs[-1] = Run(index=last.index, start=last.start, length=last.length + 1)
        else:
            runs.append(Run(index=index, start=output, length=1))
    return tuple(runs)


def anchor_frames(
    spec: GenerationSpec, inputs: GenerationInputs, *, size: Size
) -> Mapping[int, Frame]:
    """Output index → the anchored frame at the render size; a keyframe wins over the video."""
    count = spec.frame_count
    frames: dict[int, Frame] = {}
    video = inputs.source_video
    if video is not None:
        start = spec.source_frame_index
        length = _video_length(spec, video.duration)
        for offset, frame in enumerate(
            retimed_frames(video, fps=spec.fps, count=length, size=size)
        ):
            frames[start + offset] = frame
    for keyframe in inputs.keyframes:
        if 0 <= keyframe.frame_index < count:
            frames[keyframe.frame_index] = fit_frame(keyframe.image, size)
    return frames


def call_anchors(runs: Sequence[Run], frames: Mapping[int, Frame]) -> tuple[Anchor, ...]:
    return tuple(
        Anchor(index=run.index, frames=[frames[run.start + i] for i in range(run.length)])
        for run in runs
    )


def _video_length(spec: GenerationSpec, duration: float) -> int:
    """Frames of the source video inside the clip: all of it, up to the clip's end."""
    room = spec.frame_count - spec.source_frame_index
    return max(0, min(room, max(1, round(duration * spec.fps))))
