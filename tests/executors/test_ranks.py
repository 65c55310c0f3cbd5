"""Rank 0 ends its process (for the parent to rebuild the group) exactly when the group was
lost, however the engine wrapped that failure; other failures stay the job's own."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

from reelbox.engines.base import EngineError
from reelbox.executors.ranks import EXIT_GROUP_LOST, OutOfStep, _chain, _group_lost_ends_process


def _raise_wrapped_group_loss() -> None:
    with _group_lost_ends_process():
        try:
            raise OutOfStep("rank 0: the control channel failed: Connection reset by peer")
        except OutOfStep as exc:  # what the diffusers engine does at its pipeline boundary
            raise EngineError("WanPipeline failed: OutOfStep: ...") from exc


def _raise_engine_error() -> None:
    with _group_lost_ends_process():
        raise EngineError("out of memory")


def _exit_code(target: Callable[[], None]) -> int | None:
    process = multiprocessing.get_context("spawn").Process(target=target)
    process.start()
    process.join(60)
    return process.exitcode


def test_a_group_loss_wrapped_by_the_engine_still_ends_rank_0() -> None:
    assert _exit_code(_raise_wrapped_group_loss) == EXIT_GROUP_LOST


def test_an_engine_error_of_its_own_is_raised_to_fail_the_job() -> None:
    assert _exit_code(_raise_engine_error) == 1  # the exception ended the process, not os._exit


def test_the_chain_follows_causes_and_contexts_once() -> None:
    inner = OutOfStep("lost")
    middle = RuntimeError("during")
    middle.__context__ = inner
    outer = EngineError("wrapped")
    outer.__cause__ = middle
    inner.__context__ = outer  # a cycle must not loop
    assert list(_chain(outer)) == [outer, middle, inner]
