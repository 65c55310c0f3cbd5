"""Pipelined output: the GPU starts the next job while the last one is encoded and stored.

A diffusion model computes a whole clip before its first frame comes out; encoding H.264,
making thumbnails and a spritesheet and storing the files is CPU work that would otherwise keep
the GPU idle. With pipelining a worker runs each job on a thread of its own and tells the parent
it is free as soon as the engine's frames are all in memory (`Handoff`); the job's encoding and
storing go on beside the next job's denoising.

At most two jobs are in a worker at once, one in each stage: before a third starts, the oldest
must have finished storing. So memory holds at most two clips' frames, whatever the queue.

Each job keeps everything it had in a worker of its own: its heartbeat (lease and progress, which
covers both stages), its cancel check, and its own failure recording, so a failure while encoding
fails only that job. Engines whose frames stream (the embedded engine renders while it encodes)
gain nothing and run as before; so do multi-GPU groups, whose ranks must stay in step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from reelbox.engines.base import (
    CancelCheck,
    Capabilities,
    Engine,
    Frame,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.jobs.spec import GenerationSpec
from reelbox.observability.logs import start_thread

log = logging.getLogger(__name__)


def pipelines_output(engine: Engine) -> bool:
    """Engines that compute frames before yielding them (diffusion models) say so."""
    return bool(getattr(engine, "computes_frames_first", False))


class Handoff:
    """An engine seen by one job: its frames are gathered in memory, then `engine_done` is set.

    The job's variants each call `generate` once; after the last one's frames are gathered the
    engine is free for the next job (the GPU stage of this job is over).
    """

    def __init__(self, engine: Engine, *, calls: int) -> None:
        self._engine = engine
        self._calls_left = calls
        self.engine_done = threading.Event()

    def capabilities(self) -> Capabilities:
        return self._engine.capabilities()

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult:
        try:
            result = self._engine.generate(
                spec, inputs, on_progress=on_progress, should_cancel=should_cancel
            )
            frames: list[Frame] = list(result.frames)
        except BaseException:
            self.engine_done.set()  # the job fails; the engine is free all the same
            raise
        self._calls_left -= 1
        if self._calls_left <= 0:
            self.engine_done.set()
        return replace(result, frames=_drain(frames))


def _drain(frames: list[Frame]) -> Iterator[Frame]:
    """Yield the gathered frames, letting each go once the encoder has it (memory shrinks)."""
    frames.reverse()
    while frames:
        yield frames.pop()


class Stages:
    """A worker's jobs on threads: at most one in the engine and one storing, in order."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def run(self, job_id: str, *, calls: int, engine: Engine, run: Callable[[Engine], Any]) -> None:
        """Run `run(handoff)` on a thread; return once its engine work is done (or it ended)."""
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) > 1:  # keep one job storing at most
            self._threads.pop(0).join()
        handoff = Handoff(engine, calls=calls)

        def main() -> None:
            try:
                run(handoff)
            except Exception:  # run_job records failures itself; this is a last resort
                log.exception("job %s failed outside the job runner", job_id)
            finally:
                handoff.engine_done.set()

        # In a copy of the worker's context: the job's log fields (observability/logs.py).
        self._threads.append(start_thread(main, name=f"job-{job_id}"))
        handoff.engine_done.wait()

    def join(self) -> None:
        """Wait for every job to finish storing (before the worker stops)."""
        for thread in self._threads:
            thread.join()
        self._threads = []
