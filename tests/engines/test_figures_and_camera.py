"""Figures for every kind and action, the camera's moves, layers and the render thread."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pytest

from reelbox.engines.base import Frame
from reelbox.engines.procedural.camera import CameraPath
from reelbox.engines.procedural.figures import Motion, Pose, parts
from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.plan import CameraPlan
from reelbox.engines.procedural.prefetch import prefetch
from reelbox.engines.procedural.sdf import draw
from reelbox.engines.procedural.vocabulary import ACTIONS, CAMERA_MOVES

FIGURES = [k for k in KINDS if k != "character"]


@pytest.mark.parametrize("kind", FIGURES)
def test_every_kind_draws_for_every_action(kind: str) -> None:
    for i, action in enumerate(ACTIONS):
        frame = np.full((48, 48, 3), 128, dtype=np.uint8)
        pose = Pose(24, 44, 36, -1.0 if i % 2 else 1.0, 0.0)
        figure = parts(kind, pose, (200, 60, 60), Motion(action, 1.0 + i, 0.4 * i, variant=i))
        assert figure
        for shape, rgb in figure:
            draw(frame, shape, rgb)
        assert np.count_nonzero(np.any(frame != 128, axis=2)) > 20
    again = parts(kind, Pose(24, 44, 36), (1, 2, 3), Motion("walk", 1.0, 0.5))
    assert [str(s) for s, _ in again] == [
        str(s) for s, _ in parts(kind, Pose(24, 44, 36), (1, 2, 3), Motion("walk", 1.0, 0.5))
    ]


def test_legs_cycle_and_wings_flap() -> None:
    def outline(kind: str, motion: Motion) -> np.ndarray:
        frame = np.zeros((60, 60, 3), dtype=np.uint8)
        for shape, rgb in parts(kind, Pose(30, 56, 50), (255, 255, 255), motion):
            draw(frame, shape, rgb)
        return frame

    walking = [outline("person", Motion("walk", step, 0.0)) for step in (0.0, 1.5)]
    assert not np.array_equal(*walking)
    flapping = [outline("bird", Motion("fly", 0.0, t)) for t in (0.0, 0.035)]
    assert not np.array_equal(*flapping)
    wheels = [outline("car", Motion("drive", step, 0.0)) for step in (0.0, 0.4)]
    assert not np.array_equal(*wheels)  # the spokes turn


@pytest.mark.parametrize("move", CAMERA_MOVES)
def test_camera_moves_start_where_they_should_and_move(move: str) -> None:
    path = CameraPath(CameraPlan(move=move), width=320, height=180, horizon=110.0, seed=1)
    start, later = path.state(0.0), path.state(4.0)
    if move == "static":
        assert start == later
        return
    assert start != later
    if move not in ("dolly_out", "zoom_out", "crane_down"):
        assert (start.yaw, start.pitch, start.x, start.y, start.zoom, start.dolly) == (
            0.0,
            0.0,
            0.0,
            0.0,
            1.0,
            0.0,
        )
    assert later.scale(1.0) >= 1.0 and later.scale(0.0) >= 1.0  # never shows beyond the canvas


def test_handheld_shake_is_small_and_smooth() -> None:
    path = CameraPath(CameraPlan(handheld=True), width=320, height=180, horizon=110.0, seed=1)
    xs = [path.state(i / 24).yaw for i in range(48)]
    assert max(abs(x) for x in xs) < 0.02 * 320
    assert max(abs(b - a) for a, b in pairwise(xs)) < 1.0


def _numbered(count: int) -> Iterator[Frame]:
    for i in range(count):
        yield np.full((2, 2, 3), i, dtype=np.uint8)


def test_prefetch_keeps_order_and_passes_errors_on() -> None:
    assert [int(f[0, 0, 0]) for f in prefetch(lambda: _numbered(20))] == list(range(20))

    def broken() -> Iterator[Frame]:
        yield from _numbered(2)
        raise ValueError("boom")

    stream = prefetch(broken)
    assert int(next(stream)[0, 0, 0]) == 0
    with pytest.raises(ValueError, match="boom"):
        list(stream)


def test_closing_a_prefetch_stops_its_thread() -> None:
    stream = prefetch(lambda: _numbered(10_000), depth=2)
    next(stream)
    stream.close()
    assert _render_threads() == []


def _render_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "reelbox-render" and t.is_alive()]


def test_a_prefetch_starts_painting_before_the_first_frame_is_asked_for() -> None:
    # The engine mixes its sound track meanwhile: the scene's set-up must not wait for it.
    started = threading.Event()

    def frames() -> Iterator[Frame]:
        started.set()
        yield from _numbered(3)

    stream = prefetch(frames)
    assert started.wait(timeout=5)
    assert [int(f[0, 0, 0]) for f in stream] == [0, 1, 2]


def test_dropping_a_prefetch_unread_stops_its_thread() -> None:
    import gc
    import time

    stream = prefetch(lambda: _numbered(10_000), depth=2)
    assert _render_threads()
    del stream
    gc.collect()
    deadline = time.monotonic() + 5
    while _render_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _render_threads() == []


def test_walkers_turn_round_smoothly_not_in_one_mirrored_frame() -> None:
    from reelbox.engines.procedural.motion import Stage, place
    from reelbox.engines.procedural.planner import plan_scene

    stage = Stage(width=640, height=360, horizon=216)
    plan = plan_scene("a man walks back and forth in a park", seed=5)
    (walker,) = [s for s in plan.subjects if s.motion == "pingpong"]
    facings = [place(walker, stage, k / 24).facing for k in range(24 * 30)]
    assert min(facings) < 0 < max(facings)  # it does turn round
    steps = [abs(b - a) for a, b in itertools.pairwise(facings)]
    assert max(steps) < 0.5  # ... through an edge-on pose, never a full mirror flip


@pytest.mark.parametrize("shot", ["wide", "medium", "close_up", "low_angle"])
@pytest.mark.parametrize("setting", ["park", "city", "beach", "room", "snow", "space"])
def test_the_nearest_subjects_stand_inside_the_frame(setting: str, shot: str) -> None:
    """Feet of the nearest ground subjects stay clear of the frame's bottom edge."""
    from reelbox.engines.procedural.motion import Stage, place
    from reelbox.engines.procedural.planner import plan_scene
    from reelbox.engines.procedural.scenery import horizon_fraction

    height = 360
    stage = Stage(width=640, height=height, horizon=horizon_fraction(setting, shot) * height)
    plan = plan_scene(f"a snowman and a man in the {setting}, {shot.replace('_', ' ')}", seed=2)
    for subject in plan.subjects:
        spot = place(subject, stage, 0.5)
        if spot.grounded:
            assert spot.y <= 0.955 * height, (subject.kind, spot.y)
