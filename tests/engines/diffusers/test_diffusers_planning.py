"""Sizes → render sizes, and seconds → pipeline calls (pure functions, no torch)."""

from __future__ import annotations

import numpy as np
import pytest

from reelbox.engines.diffusers.presets import FAMILIES, FrameRule
from reelbox.engines.diffusers.segments import Segment, TooLong, plan_chunks, plan_segments
from reelbox.engines.diffusers.sizing import fit_frame, orientation, render_size, served_sizes

WAN_480 = FAMILIES["wan2.1-t2v"].resolutions["480p"]
WAN = WAN_480 + FAMILIES["wan2.1-t2v"].resolutions["720p"]
HUNYUAN = FAMILIES["hunyuanvideo1.5-t2v"].resolutions["720p"]


@pytest.mark.parametrize(
    ("size", "natives", "expected"),
    [
        ((1280, 720), WAN, (1280, 720)),
        ((720, 1280), WAN, (720, 1280)),
        ((1792, 1024), WAN, (1280, 720)),  # nearest in area and aspect, same orientation
        ((1024, 1792), WAN, (720, 1280)),
        ((720, 1280), WAN_480, (480, 832)),  # only 480p: render small, resample up
        ((640, 360), WAN, (832, 480)),
        ((1024, 1024), HUNYUAN, (960, 960)),
        ((1024, 1024), WAN_480, (832, 480)),  # no square native: the nearest of all
    ],
)
def test_render_size(
    size: tuple[int, int], natives: tuple[tuple[int, int], ...], expected: tuple[int, int]
) -> None:
    assert render_size(size, natives) == expected
    if orientation(size) != "square":
        assert orientation(expected) == orientation(size)


def test_an_orientation_the_family_lacks_is_refused() -> None:
    cog = FAMILIES["cogvideox"].resolutions["480p"]
    with pytest.raises(ValueError, match=r"720x1280 is portrait; this model renders only 720x480"):
        render_size((720, 1280), cog)


def test_served_sizes_are_native_sora_and_configured_ones() -> None:
    assert served_sizes(WAN_480) == (
        (832, 480),
        (480, 832),
        (720, 1280),
        (1280, 720),
        (1024, 1792),
        (1792, 1024),
    )
    cog = FAMILIES["cogvideox"].resolutions["480p"]
    assert served_sizes(cog, [(1440, 960)]) == ((720, 480), (1280, 720), (1792, 1024), (1440, 960))
    with pytest.raises(ValueError, match="portrait"):
        served_sizes(cog, [(480, 720)])


def test_fit_frame_resamples_to_the_exact_size() -> None:
    frame = np.zeros((480, 832, 3), dtype=np.uint8)
    frame[:, 416:] = 255
    fitted = fit_frame(frame, (1280, 720))
    assert fitted.shape == (720, 1280, 3)
    assert fitted[:, :600].max() < 20 and fitted[:, 700:].min() > 235
    assert fit_frame(frame, (832, 480)) is frame


def _frames(plan: tuple[Segment, ...]) -> int:
    return sum(s.keep for s in plan)


def test_one_call_rounds_up_to_the_rule_and_keeps_exactly_the_frames() -> None:
    (only,) = plan_segments(64, rule=FrameRule(4), max_frames=81, context=None)
    assert only == Segment(frames=65, skip=0, keep=64, start=0, continues=False)


def test_long_clips_continue_from_the_last_frames() -> None:
    plan = plan_segments(192, rule=FrameRule(4), max_frames=81, context=1)
    assert plan == (
        Segment(frames=81, skip=0, keep=81, start=0, continues=False),
        Segment(frames=81, skip=1, keep=80, start=81, continues=True),
        Segment(frames=33, skip=1, keep=31, start=161, continues=True),
    )
    assert _frames(plan) == 192
    ltx = plan_segments(288, rule=FrameRule(8), max_frames=161, context=9)
    assert [(s.frames, s.skip, s.keep) for s in ltx] == [(161, 0, 161), (137, 9, 127)]
    assert all(FrameRule(8).valid(s.frames) for s in ltx)


def test_an_extension_continues_from_its_first_call() -> None:
    plan = plan_segments(64, rule=FrameRule(4), max_frames=81, context=9, extends=True)
    assert plan == (Segment(frames=73, skip=9, keep=64, start=0, continues=True),)


def test_families_that_cannot_continue_refuse_long_clips_and_extensions() -> None:
    with pytest.raises(TooLong):
        plan_segments(82, rule=FrameRule(4), max_frames=81, context=None)
    with pytest.raises(TooLong):
        plan_segments(16, rule=FrameRule(4), max_frames=81, context=None, extends=True)


def test_video_to_video_chunks_need_no_context() -> None:
    plan = plan_chunks(100, rule=FrameRule(4), max_frames=49)
    assert [(s.frames, s.skip, s.keep, s.start) for s in plan] == [
        (49, 0, 49, 0),
        (49, 0, 49, 49),
        (5, 0, 2, 98),
    ]


@pytest.mark.parametrize("total", [1, 2, 16, 80, 81, 82, 160, 161, 162, 480, 1920])
@pytest.mark.parametrize(
    ("step", "max_frames", "context"), [(4, 81, 1), (4, 81, 9), (8, 121, 9), (4, 49, 1)]
)
def test_plans_always_cover_the_clip_exactly(
    total: int, step: int, max_frames: int, context: int
) -> None:
    rule = FrameRule(step)
    for extends in (False, True):
        plan = plan_segments(
            total, rule=rule, max_frames=max_frames, context=context, extends=extends
        )
        assert _frames(plan) == total
        assert all(rule.valid(s.frames) and s.frames <= max_frames for s in plan)
        assert all(s.skip + s.keep <= s.frames and s.keep >= 1 for s in plan)
        assert [s.start for s in plan] == [sum(p.keep for p in plan[:i]) for i in range(len(plan))]
