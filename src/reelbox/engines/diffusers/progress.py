"""Progress and cancellation for a generation made of several pipeline calls.

The work is planned in units before it starts (loading, each call's denoising steps and its
decode, the text-to-audio call) and reported as the fraction done, so the bar only moves
forward. Between denoising steps a cancelled job sets the pipeline's interrupt flag: the
pipeline skips its remaining steps, and the engine raises `GenerationCancelled` once the call
returns. Pipelines without `callback_on_step_end` (HunyuanVideo 1.5) are followed through their
scheduler's `step`, called once per denoising step by every diffusers pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reelbox.engines.base import CancelCheck, GenerationCancelled, ProgressCallback
from reelbox.jobs.timings import EngineTimings

LOAD_UNITS = 10.0  # loading the weights, when the pipeline is not warm yet


def decode_units(steps: int) -> float:
    """The VAE decode of a call, in denoising-step units (video VAEs are slow)."""
    return max(1.0, steps / 5)


class StepMonitor:
    """Counts planned units of work done and watches for cancellation; times each denoising
    step and, per pipeline call, its denoising loop (`denoise`, which includes encoding the
    prompt) and what follows the last step (`decode`: the VAE)."""

    def __init__(
        self, *, total_units: float, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> None:
        self.total = max(total_units, 1.0)
        self.done = 0.0
        self.cancelled = False
        self._on_progress = on_progress
        self._should_cancel = should_cancel
        self.timings = EngineTimings()
        self._call_at: float | None = None  # when the running pipeline call started
        self._step_at = 0.0  # when its last step ended (or it started)

    def advance(self, units: float) -> None:
        if units <= 0:
            return
        self.done = min(self.total, self.done + units)
        self._on_progress(self.done / self.total)

    def advance_to(self, units: float) -> None:
        """Mark everything up to `units` done (a call that ran fewer steps than planned)."""
        if units > self.done:
            self.advance(units - self.done)

    def check(self) -> None:
        """Raise `GenerationCancelled` if the job was cancelled (between calls)."""
        if self.cancelled or self._should_cancel():
            self.cancelled = True
            raise GenerationCancelled

    def step_end(
        self, pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]
    ) -> dict[str, Any]:
        """A `callback_on_step_end`: one step done; on cancel, set the interrupt flag."""
        self._after_step(pipe)
        return tensors

    def legacy_callback(self, step: int, timestep: Any, latents: Any) -> None:
        """The older `callback(step, timestep, latents)` (audio pipelines have no interrupt)."""
        self.advance(1)
        if self._should_cancel():
            self.cancelled = True
            raise GenerationCancelled

    @contextmanager
    def following_scheduler(self, pipe: Any) -> Iterator[None]:
        """Count steps through `pipe.scheduler.step` while the block runs."""
        scheduler = pipe.scheduler
        original: Callable[..., Any] = scheduler.step

        def step(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self._after_step(pipe)
            return result

        scheduler.step = step
        try:
            yield
        finally:
            del scheduler.step  # the instance attribute shadowed the method

    def call_started(self) -> None:
        self._call_at = self._step_at = time.time()

    def call_ended(self) -> None:
        """The pipeline call returned: split its time into denoise and decode."""
        if self._call_at is None:
            return
        now = time.time()
        self.timings.add("denoise", start=self._call_at, end=self._step_at)
        self.timings.add("decode", start=self._step_at, end=now)
        self._call_at = None

    def _after_step(self, pipe: Any) -> None:
        if self._call_at is not None:
            now = time.time()
            self.timings.step(now - self._step_at)
            self._step_at = now
        self.advance(1)
        if not self.cancelled and self._should_cancel():
            self.cancelled = True
            pipe._interrupt = True
