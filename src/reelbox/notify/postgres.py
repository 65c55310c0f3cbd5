"""`PostgresListener`: one `LISTEN reelbox_jobs` connection per process, feeding the hub.

`Store` sends `pg_notify('reelbox_jobs', 'status:<id>')` inside every status-change transaction
(and `progress:<id>` when progress moves), so a notification arrives only once the change is
committed and visible to every replica. The listener holds a dedicated psycopg async connection
(autocommit, as LISTEN needs); when it drops, it reconnects and wakes every waiter, because
notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import make_url

from reelbox.notify.hub import CHANNEL, EventHub, parse_payload

log = logging.getLogger(__name__)


def conninfo(database_url: str) -> str:
    """A libpq URL for psycopg from the SQLAlchemy URL (`postgresql+psycopg://…`)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresListener:
    def __init__(self, database_url: str, hub: EventHub, *, retry_seconds: float = 1.0) -> None:
        self.conninfo = conninfo(database_url)
        self.hub = hub
        self.retry_seconds = retry_seconds
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start listening; returns once the first LISTEN is in place (or failed once)."""
        self._task = asyncio.create_task(self._run(), name="reelbox-pg-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        import psycopg

        first = True
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    if not first:
                        self.hub.publish_all()  # changes during the gap were not announced
                    first = False
                    async for note in conn.notifies():
                        parsed = parse_payload(note.payload)
                        if parsed is not None:
                            self.hub.publish(*parsed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                log.warning("job notifications interrupted (%s); reconnecting", exc)
                first = False
                await asyncio.sleep(self.retry_seconds)
