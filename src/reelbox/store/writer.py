"""`JobWriter`: what every write of the store shares.

The write connection (on SQLite, `BEGIN IMMEDIATE`), the PostgreSQL advisory lock per project,
the notification to every replica, the event row, and the guarded status change that writes the
event with it: `UPDATE … WHERE id = :id AND status = :expected`, fenced by `attempt` when given.
`Store` (store.py) builds on it; the reads it inherits live in `queries.py`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from reelbox.disk import FolderProbe
from reelbox.jobs.status import JobStatus, check_transition
from reelbox.notify.hub import CHANNEL, Kind, payload
from reelbox.store.database import WRITE_OPTION
from reelbox.store.outbox import enqueue_job_event
from reelbox.store.queries import JobQueries
from reelbox.store.tables import job_events, jobs

DEFAULT_RETENTION_SECONDS = 86400.0


class JobWriter(JobQueries):
    """The engine, its write connection and the helpers every write uses (see `Store`).

    `clock` is injectable so expiry and leases can be tested without sleeping.
    `retention_seconds` is how long a finished job's media is kept (failed and cancelled jobs'
    inputs too). `min_free_bytes` is the free space below which a SQLite database's folder
    counts as a storage problem (`storage_problem`).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Any = time.time,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        min_free_bytes: int = 0,
    ) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._progress_sent: dict[tuple[str, int], int] = {}
        self.retention_seconds = retention_seconds
        database = engine.url.database
        self._probe = (
            FolderProbe(
                Path(database).resolve().parent, label="the database", min_free_bytes=min_free_bytes
            )
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )

    def forget_probe(self) -> None:
        """Probe the database's folder afresh next time (a write just failed)."""
        if self._probe is not None:
            self._probe.forget()

    def storage_problem(self) -> str | None:
        """Why the database cannot take writes now (SQLite: its folder is full or read-only),
        or None. PostgreSQL's own disk is its server's business: None."""
        return None if self._probe is None else self._probe.problem()

    def _lock_project(self, conn: Connection, purpose: str, project: str) -> None:
        """PostgreSQL: serialise `purpose` for `project` across every server until the
        transaction ends (SQLite writers are serialised by BEGIN IMMEDIATE already)."""
        if self._postgres:
            conn.execute(
                select(func.pg_advisory_xact_lock(func.hashtextextended(f"{purpose}:{project}", 0)))
            )

    def _expires_at(self, conn: Connection, job_id: str, now: float) -> float | None:
        """When a job that ends now stops keeping its media: retention after the end, or after
        creation for the Azure Sora 1 dialect (SORA_API.md B2)."""
        row = conn.execute(
            select(jobs.c.created_at, jobs.c.extra).where(jobs.c.id == job_id)
        ).one_or_none()
        if row is None:
            return None
        from_creation = (row[1] or {}).get("expires_from") == "creation"
        return (row[0] if from_creation else now) + self.retention_seconds

    @property
    def local(self) -> bool:
        """Reads are local file reads (SQLite): cheap enough to run on the event loop."""
        return not self._postgres

    # -- events -----------------------------------------------------------------------------------

    def _notify(self, conn: Connection, kind: Kind, job_id: str) -> None:
        """Tell every replica about a change; PostgreSQL delivers it only if this commits."""
        if self._postgres:
            conn.execute(select(func.pg_notify(CHANNEL, payload(kind, job_id))))

    def _event(
        self,
        conn: Connection,
        *,
        job_id: str,
        project: str,
        type: str,
        from_status: JobStatus | None,
        to_status: JobStatus | None,
        data: dict[str, Any] | None = None,
        now: float,
    ) -> None:
        conn.execute(
            insert(job_events).values(
                job_id=job_id,
                project=project,
                type=type,
                from_status=None if from_status is None else from_status.value,
                to_status=None if to_status is None else to_status.value,
                data=data or {},
                created_at=now,
            )
        )

    def _transition(
        self,
        conn: Connection,
        job_id: str,
        *,
        target: JobStatus,
        values: dict[str, Any],
        attempt: int | None,
        expected: Iterable[JobStatus],
        event: str,
        data: dict[str, Any] | None = None,
        now: float,
    ) -> bool:
        row = conn.execute(
            select(jobs.c.status, jobs.c.project, jobs.c.attempt).where(jobs.c.id == job_id)
        ).one_or_none()
        if row is None:
            return False
        current = JobStatus(row[0])
        allowed = set(expected)
        if current not in allowed or (attempt is not None and row[2] != attempt):
            return False
        check_transition(current, target)
        result = conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == current.value, jobs.c.attempt == row[2])
            .values(status=target.value, updated_at=now, **values)
        )
        if result.rowcount != 1:
            return False
        self._event(
            conn,
            job_id=job_id,
            project=row[1],
            type=event,
            from_status=current,
            to_status=target,
            data=data,
            now=now,
        )
        # The webhook outbox rows commit (or roll back) with the change that causes them.
        enqueue_job_event(conn, job_id=job_id, project=row[1], status=target, now=now)
        self._notify(conn, "status", job_id)
        return True
