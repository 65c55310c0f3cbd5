"""Where a job's time went: its stages and its engine's steps, recorded once, where it runs.

A worker fills one `JobTimings` while it runs a job (`executors/pipeline.py` times reading the
inputs, encoding and storing; the engine reports its own stages and steps through the
`EngineTimings` on its result). The same record then feeds both consumers:

- the store writes it with the job's completion, in the same transaction (`store.complete`), and
  `/metrics` reads those rows at scrape time (`store/gauges.py`), so every process is counted;
- the worker's tracer turns it into spans with the recorded start and end times
  (`observability/tracing.py`), under the trace context stored with the job.

Stage names: `queue` (created → started), `load` (inputs read and decoded; weights when an
engine loads them on a job's path), `denoise` and `decode` (diffusion engines: the denoising
loop, then the VAE), `render` (the embedded engine painting frames, or the time an engine that
says nothing more took), `sound` (audio made apart from the picture), `encode` (H.264/AAC,
thumbnails, spritesheet, low rendition: the encoder's own time, not the time it waited for
frames) and `upload` (moving the files into the blob store).

A stage's `seconds` is its busy time; `start`/`end` bound it. Stages of a streaming engine
overlap (frames are painted while the encoder works), so their seconds may add up to more than
the job's wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Upper bounds of the engine step-time histogram (seconds); the last bucket is +Inf.
STEP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass
class Stage:
    name: str
    start: float  # epoch seconds of its first moment
    end: float  # epoch seconds of its last moment
    seconds: float  # busy time within [start, end]


@dataclass
class StepCounts:
    """Engine steps bucketed as they are recorded (a job may take thousands)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(STEP_BUCKETS) + 1))
    sums: list[float] = field(default_factory=lambda: [0.0] * (len(STEP_BUCKETS) + 1))

    def add(self, seconds: float) -> None:
        i = next((i for i, bound in enumerate(STEP_BUCKETS) if seconds <= bound), -1)
        self.counts[i] += 1
        self.sums[i] += seconds

    @property
    def total(self) -> float:
        return sum(self.sums)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def merge(self, other: StepCounts) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.sums = [a + b for a, b in zip(self.sums, other.sums, strict=True)]


@dataclass
class JobTimings:
    """A job's stages by name (repeated stages, one per variant, add up) and its steps."""

    stages: dict[str, Stage] = field(default_factory=dict)
    steps: StepCounts = field(default_factory=StepCounts)

    def add(self, name: str, *, start: float, end: float, seconds: float | None = None) -> None:
        busy = max(0.0, end - start) if seconds is None else max(0.0, seconds)
        found = self.stages.get(name)
        if found is None:
            self.stages[name] = Stage(name=name, start=start, end=end, seconds=busy)
        else:
            found.start = min(found.start, start)
            found.end = max(found.end, end)
            found.seconds += busy

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as (part of) stage `name`, even if it raises."""
        start = time.time()
        try:
            yield
        finally:
            self.add(name, start=start, end=time.time())

    def merge(self, other: JobTimings) -> None:
        for s in other.stages.values():
            self.add(s.name, start=s.start, end=s.end, seconds=s.seconds)
        self.steps.merge(other.steps)

    def ordered(self) -> list[Stage]:
        return sorted(self.stages.values(), key=lambda s: (s.start, s.end))


class EngineTimings(JobTimings):
    """What an engine reports about its own work, filled in as it goes (its frames may be
    produced lazily, so read it once they have all been taken)."""

    def step(self, seconds: float) -> None:
        self.steps.add(seconds)
