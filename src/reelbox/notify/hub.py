"""`EventHub`: a process's fan-out of job changes to the coroutines and callbacks that wait.

Publishing is thread-safe (the scheduler thread and the PostgreSQL listener both publish); waking
happens on the event loop the hub was started on. A change is only a hint to re-read: waiters
read the job themselves, so a spurious wake-up costs one read and a missed one is impossible
once a waiter is registered (register first, then read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, Literal, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

Kind = Literal["status", "progress"]
CHANNEL = "reelbox_jobs"
"""The PostgreSQL channel; payloads are `status:<job id>` or `progress:<job id>`."""


def payload(kind: Kind, job_id: str) -> str:
    return f"{kind}:{job_id}"


def parse_payload(text: str) -> tuple[Kind, str] | None:
    kind, sep, job_id = text.partition(":")
    if not sep or not job_id or kind not in ("status", "progress"):
        return None
    return ("status" if kind == "status" else "progress"), job_id


class Watch:
    """One waiter's interest in one job."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()

    async def wait(self, timeout: float) -> bool:
        """True when the job changed since the last wait; False after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class EventHub:
    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = {}
        self._callbacks: list[Callable[[Kind, str], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._versions: dict[str, int] = {}  # changes seen per watched job
        self._reads: dict[Hashable, asyncio.Future[Any]] = {}
        self.published = 0  # changes fanned out (for tests and benchmarks)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def on_change(self, callback: Callable[[Kind, str], None]) -> None:
        """Call `callback(kind, job_id)` on every change (from the event loop; keep it quick)."""
        self._callbacks.append(callback)

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[Watch]:
        watch = Watch(job_id)
        self._watches.setdefault(job_id, set()).add(watch)
        try:
            yield watch
        finally:
            waiting = self._watches.get(job_id)
            if waiting is not None:
                waiting.discard(watch)
                if not waiting:
                    del self._watches[job_id]
                    self._versions.pop(job_id, None)

    def watched(self) -> list[str]:
        return list(self._watches)

    def publish(self, kind: Kind, job_id: str) -> None:
        """Announce a change of `job_id` (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fire(kind, job_id)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._fire, kind, job_id)

    def publish_all(self) -> None:
        """Wake every waiter (after a gap in notifications: a reconnect)."""
        for job_id in self.watched():
            self.publish("status", job_id)

    def version(self, job_id: str) -> int:
        """How many changes of a watched job this hub has fanned out."""
        return self._versions.get(job_id, 0)

    async def shared(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """`read()` once for every waiter asking with the same `key` while it runs.

        Streams of one job woken by one change ask with the same key (job, last event seen,
        `version`), so one database read serves them all; a later change makes a new version
        and so a new read, never a stale answer.
        """
        future = self._reads.get(key)
        if future is None:
            future = asyncio.ensure_future(read())
            self._reads[key] = future
            future.add_done_callback(lambda _: self._reads.pop(key, None))
        result: T = await asyncio.shield(future)
        return result

    def _fire(self, kind: Kind, job_id: str) -> None:
        self.published += 1
        if job_id in self._watches:
            self._versions[job_id] = self._versions.get(job_id, 0) + 1
        for watch in self._watches.get(job_id, ()):
            watch.notify()
        for callback in self._callbacks:
            try:
                callback(kind, job_id)
            except Exception:
                log.exception("a job-change callback failed")
