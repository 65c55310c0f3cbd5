"""Progress units and cancellation between denoising steps (no torch)."""

from __future__ import annotations

from typing import Any

import pytest

from reelbox.engines.base import GenerationCancelled
from reelbox.engines.diffusers.progress import StepMonitor


class _Pipe:
    """Stands in for a diffusers pipeline: an interrupt flag and a scheduler."""

    def __init__(self) -> None:
        self._interrupt = False
        self.scheduler = _Scheduler()


class _Scheduler:
    def step(self, value: int) -> int:
        return value + 1


def test_progress_is_monotonic_and_ends_at_one() -> None:
    seen: list[float] = []
    monitor = StepMonitor(total_units=10, on_progress=seen.append, should_cancel=lambda: False)
    pipe = _Pipe()
    for step in range(4):
        monitor.step_end(pipe, step, 0, {})
    monitor.advance_to(6)
    monitor.advance_to(5)  # never backwards
    monitor.advance(100)  # never past the end
    assert seen == [0.1, 0.2, 0.3, 0.4, 0.6, 1.0]
    assert not pipe._interrupt


def test_cancel_sets_the_interrupt_flag_then_raises_between_calls() -> None:
    cancelled = {"now": False}
    monitor = StepMonitor(
        total_units=10, on_progress=lambda _: None, should_cancel=lambda: cancelled["now"]
    )
    pipe = _Pipe()
    tensors: dict[str, Any] = {"latents": object()}
    assert monitor.step_end(pipe, 0, 0, tensors) is tensors
    cancelled["now"] = True
    monitor.step_end(pipe, 1, 0, tensors)
    assert pipe._interrupt and monitor.cancelled
    with pytest.raises(GenerationCancelled):
        monitor.check()


def test_pipelines_without_callbacks_are_followed_through_their_scheduler() -> None:
    seen: list[float] = []
    cancelled = {"now": False}
    monitor = StepMonitor(
        total_units=4, on_progress=seen.append, should_cancel=lambda: cancelled["now"]
    )
    pipe = _Pipe()
    with monitor.following_scheduler(pipe):
        assert pipe.scheduler.step(1) == 2
        cancelled["now"] = True
        pipe.scheduler.step(2)
    assert seen == [0.25, 0.5] and pipe._interrupt
    assert "step" not in vars(pipe.scheduler)  # the class's own method is back


def test_legacy_callbacks_raise_on_cancel() -> None:
    monitor = StepMonitor(total_units=2, on_progress=lambda _: None, should_cancel=lambda: True)
    with pytest.raises(GenerationCancelled):
        monitor.legacy_callback(0, 0, None)


def test_a_call_is_timed_as_denoise_then_decode_with_a_step_each() -> None:
    import time

    monitor = StepMonitor(total_units=10, on_progress=lambda _: None, should_cancel=lambda: False)
    pipe = _Pipe()
    monitor.step_end(pipe, 0, 0, {})  # outside a call: progress only, no step timed
    for _ in range(2):  # two pipeline calls (segments) of three steps, then a decode
        monitor.call_started()
        for step in range(3):
            time.sleep(0.01)
            monitor.step_end(pipe, step, 0, {})
        time.sleep(0.03)
        monitor.call_ended()
    timings = monitor.timings
    assert timings.steps.count == 6 and timings.steps.total >= 6 * 0.01
    denoise, decode = timings.stages["denoise"], timings.stages["decode"]
    assert denoise.seconds == pytest.approx(timings.steps.total)
    assert 2 * 0.03 <= decode.seconds < denoise.seconds + 1
    assert denoise.start < decode.start and denoise.end < decode.end
