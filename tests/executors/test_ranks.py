"""Rank 0 ends its process (for the parent to rebuild the group) exactly when the group was
lost, however that loss reached it; other failures stay the job's own.

The group here is real gloo, without child processes: two "ranks" are two gloo process groups in
this process, on one in-memory store, the follower driven from a thread. A rank dies when its
process group is destroyed, which closes its connections as a killed process's do.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import torch
import torch.distributed as dist

from reelbox.engines.base import (
    CancelCheck,
    Capabilities,
    EngineError,
    Frame,
    GenerationCancelled,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.executors.ranks import (
    END,
    EXIT_GROUP_LOST,
    STEP,
    Ending,
    LeaderEngine,
    OutOfStep,
    RankGroup,
    _chain,
    group_loss,
)
from reelbox.jobs.spec import GenerationSpec, Mode

SHORT = timedelta(seconds=1)


class Exited(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    """`os._exit` raises instead of ending the test process (and logging stays up)."""

    def _exit(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(os, "_exit", _exit)
    monkeypatch.setattr(logging, "shutdown", lambda: None)


@dataclass
class Pair:
    """A two-rank control channel: `leader` is rank 0's RankGroup, `peer` rank 1's gloo group."""

    leader: RankGroup
    peer: Any

    def answer(self, kind: int, value: int) -> threading.Thread:
        """Rank 1 sends `[kind, value]` (from a thread, as a live follower would)."""

        peer = self.peer

        def send() -> None:
            tensor = torch.tensor([kind, value], dtype=torch.int64)
            peer.allreduce([tensor]).wait()

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        return thread

    def kill_peer(self) -> None:
        """Destroy rank 1's group: its connections close, as when its process is killed
        (`abort` alone leaves them open)."""
        self.peer = None
        gc.collect()


@pytest.fixture
def pair() -> Iterator[Pair]:
    store = dist.HashStore()
    made: dict[int, Any] = {}

    def make(rank: int) -> None:
        made[rank] = dist.ProcessGroupGloo(store, rank, 2, timedelta(seconds=30))

    threads = [threading.Thread(target=make, args=(rank,)) for rank in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    pair = Pair(leader=RankGroup(rank=0, world_size=2, control=made.pop(0)), peer=made.pop(1))
    yield pair
    pair.peer = None  # both groups close with the last references to them


class FailingEngine:
    """An engine whose pipeline call fails as the diffusers engine reports it, from `cause`;
    with `in_frames`, the failure comes while the frames stream (a streaming decode)."""

    def __init__(self, cause: Exception, *, in_frames: bool = False) -> None:
        self.cause = cause
        self.in_frames = in_frames

    def capabilities(self) -> Capabilities:
        raise NotImplementedError  # not asked in these tests

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult:
        if not self.in_frames:
            self._fail()
        return GenerationResult(
            width=8, height=8, fps=8, frame_count=1, frames=self._frames(), audio=None
        )

    def _frames(self) -> Iterator[Frame]:
        yield from ()
        self._fail()

    def _fail(self) -> None:
        if isinstance(self.cause, GenerationCancelled):
            raise self.cause
        try:
            raise self.cause
        except Exception as exc:  # the diffusers engine's boundary (engine.py, `_failure`)
            raise EngineError(f"WanPipeline failed: {type(exc).__name__}: {exc}") from exc


def run(engine: LeaderEngine) -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="waves", width=64, height=32, seconds=1, seed=7, profile="wan-two"
    )
    result = engine.generate(
        spec, GenerationInputs(), on_progress=lambda _f: None, should_cancel=lambda: False
    )
    for _frame in result.frames:
        pass


# What gloo raises in a model collective (an all-to-all) whose peer died.
CLOSED = RuntimeError("[gloo/transport/tcp/pair.cc:553] Connection closed by peer [127.0.0.1]:4")


def test_an_exchange_with_a_dead_rank_is_a_loss_at_once(pair: Pair) -> None:
    pair.kill_peer()
    started = time.monotonic()
    assert pair.leader.end(timeout=timedelta(seconds=20)) is Ending.LOST
    assert time.monotonic() - started < 10  # the closed connection answers, not the deadline


def test_a_live_rank_elsewhere_is_out_of_step_not_lost(pair: Pair) -> None:
    started = time.monotonic()
    assert pair.leader.end(timeout=SHORT) is Ending.OUT_OF_STEP
    assert time.monotonic() - started >= SHORT.total_seconds() * 0.9


@pytest.mark.parametrize(
    ("kind", "value", "ending"),
    [
        (END, 0, Ending.IN_STEP),
        (END, 1, Ending.OUT_OF_STEP),  # rank 1 failed the job too
        (STEP, 0, Ending.OUT_OF_STEP),  # rank 1 is at a step check
    ],
)
def test_the_end_exchange_reads_what_the_follower_sent(
    pair: Pair, kind: int, value: int, ending: Ending
) -> None:
    follower = pair.answer(kind, value)
    assert pair.leader.end(timeout=timedelta(seconds=20)) is ending
    follower.join(20)


@pytest.mark.usefixtures("exits")
@pytest.mark.parametrize("in_frames", [False, True])
def test_a_dead_rank_first_seen_in_a_model_collective_ends_rank_0(
    pair: Pair, in_frames: bool
) -> None:
    pair.kill_peer()
    leader = LeaderEngine(FailingEngine(CLOSED, in_frames=in_frames), pair.leader)
    with pytest.raises(Exited) as ended:
        run(leader)
    assert ended.value.code == EXIT_GROUP_LOST
    assert leader.ending is Ending.LOST


@pytest.mark.usefixtures("exits")
def test_an_engine_error_with_a_healthy_group_fails_the_job(pair: Pair) -> None:
    follower = pair.answer(END, 1)  # rank 1 met the same error and ended the job failed
    leader = LeaderEngine(FailingEngine(RuntimeError("shapes do not match")), pair.leader)
    with pytest.raises(EngineError, match="shapes do not match"):
        run(leader)
    assert leader.ending is Ending.OUT_OF_STEP  # the END exchange is done: not run again
    follower.join(20)


@pytest.mark.usefixtures("exits")
def test_rank_0_failing_alone_fails_the_job_once_the_probe_times_out(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reelbox.executors.ranks.PROBE_TIMEOUT", SHORT)
    leader = LeaderEngine(FailingEngine(MemoryError("rank 0 only")), pair.leader)
    with pytest.raises(EngineError, match="rank 0 only"):  # rank 1 waits in a collective
        run(leader)
    assert leader.ending is Ending.OUT_OF_STEP


@pytest.mark.usefixtures("exits")
def test_a_cancelled_job_is_not_probed(pair: Pair) -> None:
    leader = LeaderEngine(FailingEngine(GenerationCancelled("cancelled")), pair.leader)
    with pytest.raises(GenerationCancelled):
        run(leader)
    assert leader.ending is None  # every rank stopped at the same step check


@pytest.mark.usefixtures("exits")
def test_a_control_channel_loss_wrapped_by_the_engine_ends_rank_0_unprobed(pair: Pair) -> None:
    lost = OutOfStep("rank 0: the control channel failed: Connection reset by peer")
    leader = LeaderEngine(FailingEngine(lost), pair.leader)
    with pytest.raises(Exited) as ended:
        run(leader)
    assert ended.value.code == EXIT_GROUP_LOST
    assert leader.ending is None


def test_a_group_loss_is_found_down_the_chain() -> None:
    try:
        try:
            raise OutOfStep("lost")
        except OutOfStep as exc:
            raise EngineError("WanPipeline failed: OutOfStep: lost") from exc
    except EngineError as wrapped:
        assert isinstance(group_loss(wrapped), OutOfStep)
    assert group_loss(EngineError("out of memory")) is None


def test_the_chain_follows_causes_and_contexts_once() -> None:
    inner = OutOfStep("lost")
    middle = RuntimeError("during")
    middle.__context__ = inner
    outer = EngineError("wrapped")
    outer.__cause__ = middle
    inner.__context__ = outer  # a cycle must not loop
    assert list(_chain(outer)) == [outer, middle, inner]
