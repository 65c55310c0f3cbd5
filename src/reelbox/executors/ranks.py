"""A multi-GPU job's process group: every rank runs the pipeline, rank 0 talks to the parent.

A worker placed on N devices is N processes joined in one `torch.distributed` group (NCCL on
GPUs, gloo on the CPU). Rank 0 receives jobs from the parent as a single worker does, hands each
to the other ranks, and writes the outputs, progress and the job's end; ranks 1..N-1 ("followers")
run the same engine call on the same spec and drop the frames.

The ranks must agree on every collective, so their control messages go through a group of their
own (gloo) and have one shape: a sum of `[kind, value]` over the ranks. A rank that sees a sum
other than `world_size * kind` knows the ranks have gone out of step (one failed where the others
did not); rank 0 then reports the group broken and the parent rebuilds it. Cancellation is such a
message, sent at every step check: rank 0 contributes whether the job is cancelled, so every rank
stops at the same step.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from reelbox.blobs.base import BlobStore
from reelbox.engines.base import (
    CancelCheck,
    Capabilities,
    Engine,
    Frame,
    GenerationCancelled,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec

log = logging.getLogger(__name__)

STEP, END, BYE = 1, 2, 3
EXIT_GROUP_LOST = 75
CONTROL_TIMEOUT = timedelta(minutes=30)
# How long rank 0 waits at a job's end for ranks that may be stuck in a model collective.
END_TIMEOUT = timedelta(seconds=60)


class OutOfStep(RuntimeError):
    """The ranks disagree about where they are; the group must be rebuilt."""


@dataclass(frozen=True, kw_only=True)
class GroupAddress:
    rank: int
    world_size: int
    port: int
    backend: str  # "gloo" on the CPU, "nccl" on GPUs


class RankGroup:
    """This process's membership of a job group (created in the worker, after spawning)."""

    def __init__(self, address: GroupAddress) -> None:
        import torch.distributed as dist

        self.address = address
        self.rank = address.rank
        self.world_size = address.world_size
        dist.init_process_group(
            backend=address.backend,
            init_method=f"tcp://127.0.0.1:{address.port}",
            rank=address.rank,
            world_size=address.world_size,
            timeout=CONTROL_TIMEOUT,
        )
        # Control messages never share a group with the model's collectives.
        self._control = dist.new_group(backend="gloo", timeout=CONTROL_TIMEOUT)

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def message(self, kind: int, value: int = 0, *, timeout: timedelta | None = None) -> int:
        """Send `[kind, value]`, get the sum of the values; raises OutOfStep on a kind mismatch,
        when `timeout` passes first, or when the transport fails (gloo reports a rank that died
        as a plain RuntimeError, "Connection reset by peer": the group is lost all the same)."""
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([kind, value], dtype=torch.int64)
        try:
            work = dist.all_reduce(tensor, group=self._control, async_op=True)
            if timeout is None:
                work.wait()
            else:
                work.wait(timeout=timeout)
        except RuntimeError as exc:
            raise OutOfStep(f"rank {self.rank}: the control channel failed: {exc}") from exc
        if int(tensor[0]) != kind * self.world_size:
            raise OutOfStep(f"rank {self.rank} expected {kind}, the group sent {int(tensor[0])}")
        return int(tensor[1])

    def share(self, item: Any) -> Any:
        """Rank 0's `item`, on every rank."""
        import torch.distributed as dist

        box = [item if self.leader else None]
        dist.broadcast_object_list(box, src=0, group=self._control)
        return box[0]

    def cancel_check(self, local: Callable[[], bool]) -> Callable[[], bool]:
        """A cancel check every rank calls at the same points: true on all once rank 0 says so."""

        def check() -> bool:
            mine = 1 if self.leader and local() else 0
            return self.message(STEP, mine) > 0

        return check

    def close(self) -> None:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


class LeaderEngine:
    """Rank 0's engine. A failed collective means a rank is gone (or out of step): rank 0 then
    ends its process at once instead of failing the job, so the parent re-queues the job (an
    attempt, as for any dead worker) and rebuilds the whole group."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
        with _group_lost_ends_process():
            result = self._engine.generate(
                spec, inputs, on_progress=on_progress, should_cancel=should_cancel
            )
        return replace(result, frames=_guarded(result.frames))


def _guarded(frames: Iterator[Frame]) -> Iterator[Frame]:
    with _group_lost_ends_process():
        yield from frames


@contextlib.contextmanager
def _group_lost_ends_process() -> Iterator[None]:
    import torch.distributed as dist

    try:
        yield
    except Exception as exc:
        # The engine wraps what fails inside its pipeline call (a cancel check at a step end
        # included) in its own EngineError: look down the chain for the group's failure.
        lost = next((e for e in _chain(exc) if isinstance(e, OutOfStep | dist.DistError)), None)
        if lost is None:
            raise
        log.error("the job group lost a rank (%s); rank 0 stops for the group to be rebuilt", lost)
        logging.shutdown()
        os._exit(EXIT_GROUP_LOST)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def follow(group: RankGroup, *, engine: Engine, blobs: BlobStore) -> bool:
    """A follower's loop: run each shared job's engine calls until rank 0 says goodbye.

    Returns False when the group went out of step (the parent replaces the whole group).
    """
    from reelbox.executors.pipeline import load_inputs

    while True:
        job: Job | None = group.share(None)
        if job is None:
            group.message(BYE)
            return True
        status = 0
        try:
            run_variants(job.spec, engine=engine, blobs=blobs, load=load_inputs, group=group)
        except GenerationCancelled:
            status = 0
        except OutOfStep:
            log.warning("rank %d is out of step with its group", group.rank)
            return False
        except Exception:
            log.exception("rank %d failed job %s", group.rank, job.id)
            status = 1
        try:
            if group.message(END, status) != 0:
                log.warning("job %s: a rank failed; the group will be rebuilt", job.id)
        except OutOfStep:
            return False


def run_variants(
    spec: GenerationSpec,
    *,
    engine: Engine,
    blobs: BlobStore,
    load: Callable[[GenerationSpec, BlobStore], Any],
    group: RankGroup,
) -> None:
    """What a follower does for one job: the leader's engine calls, frames dropped."""
    inputs = load(spec, blobs)
    cancel = group.cancel_check(lambda: False)
    for index in range(spec.variants):
        variant = replace(spec, seed=spec.seed + index)
        result = engine.generate(variant, inputs, on_progress=lambda _f: None, should_cancel=cancel)
        for _frame in result.frames:
            pass
