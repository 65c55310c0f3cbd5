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

A rank that dies (a killed process, a crashed driver) loses the group, and the job goes back to the
queue: rank 0 ends its process with EXIT_GROUP_LOST, the parent re-queues the job (spending an
attempt, as for any dead worker) and rebuilds the whole group. Whichever collective meets the dead
rank first reports it, and in its own way:

- the control channel: `message` raises OutOfStep;
- a model collective inside the pipeline (diffusers' context-parallel all-to-all) raises what its
  backend raises (gloo: a plain RuntimeError, "Connection closed by peer"), which the engine wraps
  in its EngineError like any pipeline failure, so the error alone cannot tell a dead rank from a
  bug. Rank 0 therefore probes the group before a failure becomes the job's: it runs the job's END
  exchange at once, with a short deadline (PROBE_TIMEOUT), and `end` tells three answers apart —
  every rank ended the job (IN_STEP), every rank is alive but one failed, is elsewhere or did not
  answer in time (OUT_OF_STEP), or the exchange itself failed, which a live gloo peer never makes
  it do (LOST). Only LOST is a group loss; otherwise the failure is the job's own and fails it as
  it would on one rank (then, out of step, the group is rebuilt);
- the parent, which watches its rank processes (local.py, ray_actor.py), often sees the death
  before either, and ends the group itself; on GPUs it is the usual path, since an NCCL
  collective waits for a dead peer rather than failing.
"""

from __future__ import annotations

import contextlib
import enum
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
# How long rank 0 waits, after its engine failed, for the other ranks to end the job too. A dead
# rank answers at once (its connection is closed); this bounds the wait for live ones.
PROBE_TIMEOUT = timedelta(seconds=15)


class OutOfStep(RuntimeError):
    """The ranks disagree about where they are; the group must be rebuilt."""


class Ending(enum.Enum):
    """How a job's END exchange went, seen from rank 0."""

    IN_STEP = "in step"  # every rank ended the job and none failed: the group takes the next job
    OUT_OF_STEP = "out of step"  # every rank is alive, but one failed, is elsewhere or is late
    LOST = "lost"  # the exchange failed: a rank is gone


@dataclass(frozen=True, kw_only=True)
class GroupAddress:
    rank: int
    world_size: int
    port: int
    backend: str  # "gloo" on the CPU, "nccl" on GPUs


class RankGroup:
    """This process's membership of a job group (joined in the worker, after spawning)."""

    def __init__(self, *, rank: int, world_size: int, control: Any) -> None:
        self.rank = rank
        self.world_size = world_size
        self._control = control  # a gloo process group of every rank, for control messages only

    @classmethod
    def join(cls, address: GroupAddress) -> RankGroup:
        """Join the job group (the model's collectives use it) and its control channel."""
        import torch.distributed as dist

        dist.init_process_group(
            backend=address.backend,
            init_method=f"tcp://127.0.0.1:{address.port}",
            rank=address.rank,
            world_size=address.world_size,
            timeout=CONTROL_TIMEOUT,
        )
        # Control messages never share a group with the model's collectives.
        control = dist.new_group(backend="gloo", timeout=CONTROL_TIMEOUT)
        return cls(rank=address.rank, world_size=address.world_size, control=control)

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

    def end(self, *, timeout: timedelta) -> Ending:
        """Rank 0's END message for a job (the followers send theirs, with 1 if they failed).

        The control channel is gloo, whose transport fails at once when a peer's process is gone,
        while a live peer that is elsewhere (in a model collective waiting for this rank) leaves
        the exchange pending: so a failed exchange means LOST, and one still pending at `timeout`
        means OUT_OF_STEP (the exchange stays posted; the group is rebuilt, never reused).
        """
        import torch
        import torch.distributed as dist

        tensor = torch.tensor([END, 0], dtype=torch.int64)
        work = dist.all_reduce(tensor, group=self._control, async_op=True)
        try:
            work.wait(timeout=timeout)
        except RuntimeError as exc:
            if not work.is_completed():
                log.warning("the other ranks did not end the job within %s", timeout)
                return Ending.OUT_OF_STEP
            log.warning("the control channel failed: %s", exc)
            return Ending.LOST
        if int(tensor[0]) != END * self.world_size or int(tensor[1]) != 0:
            return Ending.OUT_OF_STEP
        return Ending.IN_STEP

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
    """Rank 0's engine. A lost group (a rank is gone) ends rank 0's process at once instead of
    failing the job, so the parent re-queues the job (an attempt, as for any dead worker) and
    rebuilds the whole group. A failure not known to be the group's is probed first (see the
    module docstring): `ending` then holds the job's END exchange, which `worker._run_in_group`
    does not repeat."""

    def __init__(self, engine: Engine, group: RankGroup) -> None:
        self._engine = engine
        self._group = group
        self.ending: Ending | None = None

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
        with self._group_loss_ends_process():
            result = self._engine.generate(
                spec, inputs, on_progress=on_progress, should_cancel=should_cancel
            )
        return replace(result, frames=self._guarded(result.frames))

    def _guarded(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        with self._group_loss_ends_process():
            yield from frames

    @contextlib.contextmanager
    def _group_loss_ends_process(self) -> Iterator[None]:
        try:
            yield
        except GenerationCancelled:
            raise  # agreed by every rank at a step check: the group is in step
        except Exception as exc:
            lost = group_loss(exc)
            if lost is None and self.ending is None:
                self.ending = self._group.end(timeout=PROBE_TIMEOUT)
                if self.ending is Ending.LOST:
                    lost = exc
            if lost is None:
                raise
            log.error("the job group lost a rank (%s); rank 0 stops for a rebuild", lost)
            logging.shutdown()
            os._exit(EXIT_GROUP_LOST)


def group_loss(exc: BaseException) -> BaseException | None:
    """The group's own failure in `exc`'s chain, if any: the engine wraps what fails inside its
    pipeline call (a cancel check at a step end included) in its own EngineError."""
    import torch.distributed as dist

    return next((e for e in _chain(exc) if isinstance(e, OutOfStep | dist.DistError)), None)


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
