"""`Leadership`: which replica's scheduler dispatches, elected through PostgreSQL.

Every API replica runs a scheduler, but only the one holding a session-level advisory lock
dispatches, recovers lost runs and sweeps; the others accept requests and serve reads. The lock
lives on a dedicated connection (autocommit, nothing else runs on it), so it is held exactly as
long as that session: a replica that exits or is killed closes its socket and PostgreSQL frees
the lock at once; a replica whose machine vanishes is noticed by the server's TCP keepalives
(set on the session to a few seconds). The others try to take the lock about once a second, so
dispatch moves within a few seconds. A leader that loses its connection stops dispatching at
its next check, before anyone else can have taken over.

Dispatch stays safe even across that edge: claims are `FOR UPDATE SKIP LOCKED` and every run's
writes are fenced by attempt, so two dispatchers for a moment could waste work, never lose it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger(__name__)

LOCK_KEY = 0x7265656C626F78  # "reelbox" as an integer: the advisory lock's key


class Leadership:
    def __init__(
        self,
        database_url: str,
        *,
        check_seconds: float = 1.0,
        keepalive_seconds: int = 2,
        clock: Any = time.monotonic,
    ) -> None:
        from reelbox.notify.postgres import conninfo

        self.conninfo = conninfo(database_url)
        self.check_seconds = check_seconds
        self.keepalive_seconds = keepalive_seconds
        self._clock = clock
        self._conn: Any = None
        self._leader = False
        self._checked = float("-inf")

    @property
    def is_leader(self) -> bool:
        return self._leader

    def holds(self) -> bool:
        """Whether this replica leads now; tries (at most once per `check_seconds`) to become
        the leader, or checks that the lock's session is still alive."""
        now = self._clock()
        if now - self._checked < self.check_seconds:
            return self._leader
        self._checked = now
        try:
            if self._conn is None or self._conn.closed:
                self._connect()
            if self._leader:
                self._conn.execute("SELECT 1")
            else:
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
                self._leader = bool(row and row[0])
                if self._leader:
                    log.info("this replica now leads dispatch")
        except Exception as exc:
            if self._leader:
                log.warning("lost the dispatch lead: %s", exc)
            self._leader = False
            self._close()
        return self._leader

    def _connect(self) -> None:
        import psycopg

        self._leader = False
        self._conn = psycopg.connect(
            self.conninfo,
            autocommit=True,
            connect_timeout=5,
            keepalives=1,
            keepalives_idle=self.keepalive_seconds,
            keepalives_interval=1,
            keepalives_count=3,
            application_name="reelbox-leader",
        )
        # The server notices a vanished leader's machine within seconds, not hours.
        seconds = str(self.keepalive_seconds)
        self._conn.execute("SELECT set_config('tcp_keepalives_idle', %s, false)", (seconds,))
        self._conn.execute("SELECT set_config('tcp_keepalives_interval', '1', false)")
        self._conn.execute("SELECT set_config('tcp_keepalives_count', '3', false)")

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)

    def release(self) -> None:
        """Give the lead up (a clean shutdown): another replica takes it at its next try."""
        if self._leader and self._conn is not None:
            try:  # at once, rather than when the server reaps the closed session
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            except Exception:
                log.debug("unlocking failed; the session's end frees the lock", exc_info=True)
        self._leader = False
        self._close()
