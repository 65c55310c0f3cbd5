"""`StatePoller`: on SQLite (one server), one query per tick for every watched job.

SQLite has no notifications, and its worker processes write progress directly, so a process
still has to look. But it looks once for all its open event streams (one `IN (…)` query every
`interval`), and wakes only the streams whose job changed, instead of every stream reading its
own job four times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine, select

from reelbox.notify.hub import EventHub
from reelbox.store.tables import jobs

log = logging.getLogger(__name__)

_State = tuple[str, int, bool]  # status, progress, deleted


class StatePoller:
    def __init__(self, engine: Engine, hub: EventHub, *, interval: float) -> None:
        self.engine = engine
        self.hub = hub
        self.interval = interval
        self._seen: dict[str, _State | None] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reelbox-state-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _read(self, ids: list[str]) -> dict[str, _State]:
        found: dict[str, _State] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(
                    select(jobs.c.id, jobs.c.status, jobs.c.progress, jobs.c.deleted_at).where(
                        jobs.c.id.in_(ids[start : start + 500])
                    )
                )
                for job_id, status, progress, deleted_at in rows:
                    found[job_id] = (status, progress, deleted_at is not None)
        return found

    def tick(self, states: dict[str, _State], watched: list[str]) -> None:
        """Publish the watched jobs whose state differs from the last tick (or is new)."""
        for job_id in watched:
            state = states.get(job_id)
            if job_id not in self._seen or self._seen[job_id] != state:
                old = self._seen.get(job_id)
                self._seen[job_id] = state
                moved = old is not None and state is not None and old[0] == state[0]
                self.hub.publish("progress" if moved else "status", job_id)
        for job_id in set(self._seen) - set(watched):
            del self._seen[job_id]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            watched = self.hub.watched()
            if not watched:
                self._seen.clear()
                continue
            try:
                states = await asyncio.to_thread(self._read, watched)
            except Exception:
                log.exception("reading job states failed")
                continue
            self.tick(states, watched)
