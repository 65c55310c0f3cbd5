"""Coalesced loads (store/coalescing.py): concurrent keys share batches, at most
`max_in_flight` batches run, a key never joins a batch already sent, failures reach every
waiter and a waiter that goes away does not cancel the others."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from reelbox.store.coalescing import Coalescer


class Loads:
    """`load_many` that records its batches and answers when released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    async def __call__(self, keys: list[str]) -> Mapping[str, str]:
        self.batches.append(list(keys))
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {key: key.upper() for key in keys if key != "missing"}


async def _turns(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_a_lone_load_goes_at_once_and_concurrent_ones_share_batches() -> None:
    async def check() -> None:
        loads = Loads()
        loads.release.set()
        coalescer = Coalescer(loads, max_in_flight=1)
        assert await coalescer.load("a") == "A"
        assert loads.batches == [["a"]]
        got = await asyncio.gather(*(coalescer.load(k) for k in ["b", "c", "b", "missing"]))
        assert got == ["B", "C", "B", None]
        assert loads.batches[1:] == [["b", "c", "missing"]]  # one batch, "b" asked once

    asyncio.run(check())


def test_keys_asked_while_batches_run_wait_for_the_next_one() -> None:
    async def check() -> None:
        loads = Loads()
        coalescer = Coalescer(loads, max_in_flight=2)
        first = [asyncio.create_task(coalescer.load(k)) for k in ("a", "b")]
        await _turns()
        second = [asyncio.create_task(coalescer.load(k)) for k in ("a", "c")]
        await _turns()
        assert loads.batches == [["a", "b"], ["a", "c"]]  # "a" again: never joins a sent batch
        third = [asyncio.create_task(coalescer.load(k)) for k in ("d", "e", "a")]
        await _turns()
        assert len(loads.batches) == 2  # two in flight: the rest wait
        loads.release.set()
        assert await asyncio.gather(*first, *second, *third) == ["A", "B", "A", "C", "D", "E", "A"]
        assert loads.batches[2:] == [["d", "e", "a"]]

    asyncio.run(check())


def test_a_failed_batch_fails_each_of_its_waiters_and_the_next_batch_runs() -> None:
    async def check() -> None:
        loads = Loads()
        loads.fail = RuntimeError("database gone")
        loads.release.set()
        coalescer = Coalescer(loads, max_in_flight=1)
        results = await asyncio.gather(
            coalescer.load("a"), coalescer.load("b"), return_exceptions=True
        )
        assert [str(r) for r in results] == ["database gone"] * 2
        loads.fail = None
        assert await coalescer.load("a") == "A"

    asyncio.run(check())


def test_a_waiter_that_goes_away_does_not_cancel_the_others() -> None:
    async def check() -> None:
        loads = Loads()
        coalescer = Coalescer(loads)
        leaving = asyncio.create_task(coalescer.load("a"))
        staying = asyncio.create_task(coalescer.load("a"))
        await _turns()
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        loads.release.set()
        assert await staying == "A"

    asyncio.run(check())


def test_batches_are_capped() -> None:
    async def check() -> None:
        loads = Loads()
        loads.release.set()
        coalescer = Coalescer(loads, max_in_flight=1, max_batch=2)
        keys = [f"k{i}" for i in range(5)]
        assert await asyncio.gather(*(coalescer.load(k) for k in keys)) == [k.upper() for k in keys]
        assert [len(b) for b in loads.batches] == [2, 2, 1]

    asyncio.run(check())
