"""Concurrent reads of the same kind share round trips to the database.

Under polling load a PostgreSQL read costs the API process far more in the round trip (a query
sent and a result parsed per call, each a loopback send that wakes the server) than in the rows
themselves. A `Coalescer` runs at most `max_in_flight` batch loads at a time; keys asked for
while they run wait together and go in the next batch, so at low load every read is sent at
once, and at high load one round trip answers many requests.

A key joins only a batch that has not been sent yet, never one in flight: every answer was read
after its request arrived, so a client sees its own earlier writes (a cancel, a delete) exactly
as with one query per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """`load(key)` through `load_many(keys) -> {key: value}`; a key it leaves out is None."""

    def __init__(
        self,
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        max_in_flight: int = 2,
        max_batch: int = 256,
    ) -> None:
        self._load_many = load_many
        self._max_in_flight = max_in_flight
        self._max_batch = max_batch
        self._waiting: dict[K, asyncio.Future[V | None]] = {}
        self._in_flight = 0
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def load(self, key: K) -> V | None:
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
            self._schedule()
        # Shielded: a request that goes away (client disconnect) must not cancel the answer
        # other requests for the same key are waiting on.
        return await asyncio.shield(future)

    def _schedule(self) -> None:
        if self._flush_scheduled or not self._waiting or self._in_flight >= self._max_in_flight:
            return
        # On the next turn of the loop, so that keys asked for in this one go together.
        self._flush_scheduled = True
        asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._waiting or self._in_flight >= self._max_in_flight:
            return
        keys = list(self._waiting)[: self._max_batch]
        batch = {key: self._waiting.pop(key) for key in keys}
        self._in_flight += 1
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._schedule()  # more than one batch's worth waiting, and room for another

    async def _run(self, batch: dict[K, asyncio.Future[V | None]]) -> None:
        try:
            found = await self._load_many(list(batch))
        except Exception as exc:  # every waiter gets the failure, none is left hanging
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
                    future.add_done_callback(_retrieved)  # shielded waiters may be gone
        except BaseException:  # cancelled (the loop is shutting down)
            for future in batch.values():
                future.cancel()
            raise
        else:
            for key, future in batch.items():
                if not future.done():
                    future.set_result(found.get(key))
        finally:
            self._in_flight -= 1
            self._schedule()


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
