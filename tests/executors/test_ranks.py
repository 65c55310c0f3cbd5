"""Rank 0 ends its process (for the parent to rebuild the group) exactly when the group was
lost, however the engine wrapped that failure; other failures stay the job's own."""

from __future__ import annotations

import logging
import os

import pytest

from reelbox.engines.base import EngineError
from reelbox.executors.ranks import EXIT_GROUP_LOST, OutOfStep, _chain, _group_lost_ends_process


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


@pytest.mark.usefixtures("exits")
def test_a_group_loss_wrapped_by_the_engine_still_ends_rank_0() -> None:
    with pytest.raises(Exited) as ended, _group_lost_ends_process():
        try:
            raise OutOfStep("rank 0: the control channel failed: Connection reset by peer")
        except OutOfStep as exc:  # what the diffusers engine does at its pipeline boundary
            raise EngineError("WanPipeline failed: OutOfStep: ...") from exc
    assert ended.value.code == EXIT_GROUP_LOST


@pytest.mark.usefixtures("exits")
def test_an_engine_error_of_its_own_is_raised_to_fail_the_job() -> None:
    with pytest.raises(EngineError, match="out of memory"), _group_lost_ends_process():
        raise EngineError("out of memory")


def test_the_chain_follows_causes_and_contexts_once() -> None:
    inner = OutOfStep("lost")
    middle = RuntimeError("during")
    middle.__context__ = inner
    outer = EngineError("wrapped")
    outer.__cause__ = middle
    inner.__context__ = outer  # a cycle must not loop
    assert list(_chain(outer)) == [outer, middle, inner]
