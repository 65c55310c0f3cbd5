"""Quotas per project and per key: seconds of video per UTC day and per UTC month, and
unfinished jobs at once.

A project's limits come from settings (`quota_*`, for every project) and from the
`project_quotas` table (`reelbox quotas set P`), whose non-null columns override the settings.
A stored API key may have limits of its own in `key_quotas` (`reelbox quotas set --key K`),
checked on top of its project's; keys without a row (and keys from settings) have none.
What counts is read from the jobs table (store/usage.py; a job records the key that created it):
a job holds its seconds from creation (queued, running or completed), a failed or cancelled job
gives them back. A request that brings the total to exactly the limit is admitted; one second
more is refused.

`hold` makes the check exact when requests race: it serialises creations of one project (a lock
in this process, and on PostgreSQL an advisory lock shared by every replica) from the count to
the insert of the job. A key belongs to one project, so the same lock covers its quotas.
"""

from __future__ import annotations

import calendar
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from reelbox.errors import QuotaExceeded
from reelbox.settings import Settings
from reelbox.store.database import WRITE_OPTION
from reelbox.store.tables import jobs, key_quotas, project_quotas
from reelbox.store.usage import job_seconds

HOLDING = ("queued", "in_progress", "completed")
UNFINISHED = ("queued", "in_progress")


@dataclass(frozen=True, kw_only=True)
class QuotaLimits:
    """None: no limit."""

    seconds_per_day: float | None = None
    seconds_per_month: float | None = None
    concurrent_jobs: int | None = None

    @property
    def unlimited(self) -> bool:
        return (
            self.seconds_per_day is None
            and self.seconds_per_month is None
            and self.concurrent_jobs is None
        )

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "seconds_per_day": self.seconds_per_day,
            "seconds_per_month": self.seconds_per_month,
            "concurrent_jobs": self.concurrent_jobs,
        }


@dataclass(frozen=True, kw_only=True)
class QuotaStatus:
    """A project's limits and what it holds now."""

    limits: QuotaLimits
    seconds_today: float
    seconds_this_month: float
    unfinished_jobs: int
    day_resets_at: float
    month_resets_at: float


def day_start(now: float) -> tuple[float, float]:
    """The UTC day around `now`: its start and the next day's start."""
    start = float(calendar.timegm((*time.gmtime(now)[:3], 0, 0, 0)))
    return start, start + 86400


def month_start(now: float) -> tuple[float, float]:
    """The UTC month around `now`: its start and the next month's start."""
    t = time.gmtime(now)
    start = float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)))
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    return start, float(calendar.timegm((year, month, 1, 0, 0, 0)))


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lock_id(project: str) -> int:
    # A signed 64-bit key for pg_advisory_lock, stable across processes.
    digest = hashlib.sha256(b"reelbox-quota:" + project.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Quotas:
    """Checks a project's quotas before a job is created (`hold`, or `check` alone)."""

    def __init__(
        self,
        engine: Engine,
        *,
        defaults: QuotaLimits = QuotaLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.defaults = defaults
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- limits -----------------------------------------------------------------------------------

    def limits(self, project: str, *, conn: Connection | None = None) -> QuotaLimits:
        """A project's limits: its own row's non-null columns over the settings' defaults."""
        row = self._row(project_quotas, project_quotas.c.project == project, conn=conn)
        if row is None:
            return self.defaults
        d = self.defaults
        return QuotaLimits(
            seconds_per_day=d.seconds_per_day
            if row.seconds_per_day is None
            else row.seconds_per_day,
            seconds_per_month=(
                d.seconds_per_month if row.seconds_per_month is None else row.seconds_per_month
            ),
            concurrent_jobs=d.concurrent_jobs
            if row.concurrent_jobs is None
            else row.concurrent_jobs,
        )

    def key_limits(self, key_id: str, *, conn: Connection | None = None) -> QuotaLimits:
        """A key's own limits (no row: unlimited; its project's limits apply regardless)."""
        row = self._row(key_quotas, key_quotas.c.key_id == key_id, conn=conn)
        return QuotaLimits() if row is None else row

    def set(
        self,
        project: str,
        *,
        seconds_per_day: float | None = None,
        seconds_per_month: float | None = None,
        concurrent_jobs: int | None = None,
    ) -> QuotaLimits:
        """Store a project's own limits (None keeps the settings' default for that limit)."""
        limits = QuotaLimits(
            seconds_per_day=seconds_per_day,
            seconds_per_month=seconds_per_month,
            concurrent_jobs=concurrent_jobs,
        )
        self._upsert(project_quotas, project_quotas.c.project, project, limits)
        return self.limits(project)

    def set_key(
        self,
        key_id: str,
        *,
        seconds_per_day: float | None = None,
        seconds_per_month: float | None = None,
        concurrent_jobs: int | None = None,
    ) -> QuotaLimits:
        """Store a key's own limits (None: no limit of the key's for that one)."""
        limits = QuotaLimits(
            seconds_per_day=seconds_per_day,
            seconds_per_month=seconds_per_month,
            concurrent_jobs=concurrent_jobs,
        )
        self._upsert(key_quotas, key_quotas.c.key_id, key_id, limits)
        return self.key_limits(key_id)

    def clear(self, project: str) -> None:
        """Forget a project's own limits: the settings' defaults apply again."""
        with self._writer.begin() as conn:
            conn.execute(delete(project_quotas).where(project_quotas.c.project == project))

    def clear_key(self, key_id: str) -> None:
        """Forget a key's own limits: only its project's apply."""
        with self._writer.begin() as conn:
            conn.execute(delete(key_quotas).where(key_quotas.c.key_id == key_id))

    def _row(
        self, table: Table, where: ColumnElement[bool], *, conn: Connection | None
    ) -> QuotaLimits | None:
        query = select(
            table.c.seconds_per_day, table.c.seconds_per_month, table.c.concurrent_jobs
        ).where(where)
        if conn is None:
            with self.engine.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        if row is None:
            return None
        day, month, concurrent = row
        return QuotaLimits(
            seconds_per_day=None if day is None else float(day),
            seconds_per_month=None if month is None else float(month),
            concurrent_jobs=None if concurrent is None else int(concurrent),
        )

    def _upsert(
        self, table: Table, id_column: ColumnElement[str], name: str, limits: QuotaLimits
    ) -> None:
        values = {**limits.to_json(), "updated_at": self._clock()}
        with self._writer.begin() as conn:
            done = conn.execute(update(table).where(id_column == name).values(values))
            if done.rowcount == 0:
                conn.execute(insert(table).values({id_column.key: name, **values}))

    # -- counting ---------------------------------------------------------------------------------

    def status(self, project: str, *, conn: Connection | None = None) -> QuotaStatus:
        """A project's limits and what its jobs hold now."""
        if conn is None:
            with self.engine.connect() as own:
                return self.status(project, conn=own)
        return self._status(
            jobs.c.project == project, limits=self.limits(project, conn=conn), conn=conn
        )

    def key_status(self, key_id: str, *, conn: Connection | None = None) -> QuotaStatus:
        """A key's own limits and what the jobs it created hold now."""
        if conn is None:
            with self.engine.connect() as own:
                return self.key_status(key_id, conn=own)
        return self._status(
            jobs.c.key_id == key_id, limits=self.key_limits(key_id, conn=conn), conn=conn
        )

    def _status(
        self, owned: ColumnElement[bool], *, limits: QuotaLimits, conn: Connection
    ) -> QuotaStatus:
        now = self._clock()
        day, next_day = day_start(now)
        month, next_month = month_start(now)
        since = min(day, month)
        seconds = job_seconds()
        holding = jobs.c.status.in_(HOLDING)
        row = conn.execute(
            select(
                func.coalesce(
                    func.sum(seconds).filter(holding, jobs.c.created_at >= day), 0.0
                ).label("today"),
                func.coalesce(
                    func.sum(seconds).filter(holding, jobs.c.created_at >= month), 0.0
                ).label("month"),
                func.count().filter(jobs.c.status.in_(UNFINISHED)).label("unfinished"),
            ).where(
                owned,
                (jobs.c.created_at >= since) | jobs.c.status.in_(UNFINISHED),
            )
        ).one()
        return QuotaStatus(
            limits=limits,
            seconds_today=float(row.today),
            seconds_this_month=float(row.month),
            unfinished_jobs=int(row.unfinished),
            day_resets_at=next_day,
            month_resets_at=next_month,
        )

    # -- checking ---------------------------------------------------------------------------------

    def check(
        self,
        project: str,
        seconds: float,
        *,
        key_id: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Raise `QuotaExceeded` when a new job of `seconds` would pass a limit of `project`,
        or of the key `key_id` (a stored key's id; None: a key from settings, or none)."""
        limits = self.limits(project, conn=conn)
        if not limits.unlimited:
            self._refuse_past(
                f"project '{project}'", self.status(project, conn=conn), seconds, limits=limits
            )
        if key_id is not None:
            own = self.key_limits(key_id, conn=conn)
            if not own.unlimited:
                status = self.key_status(key_id, conn=conn)
                self._refuse_past(f"key '{key_id}'", status, seconds, limits=own)

    def _refuse_past(
        self, whose: str, status: QuotaStatus, seconds: float, *, limits: QuotaLimits
    ) -> None:
        now = self._clock()
        if limits.concurrent_jobs is not None and status.unfinished_jobs >= limits.concurrent_jobs:
            raise QuotaExceeded(
                f"Quota exceeded: {whose} already has {status.unfinished_jobs} "
                f"unfinished job(s), its limit is {limits.concurrent_jobs}; retry when one ends.",
                retry_after=10,
                resets_at=None,
            )
        periods = (
            ("today", limits.seconds_per_day, status.seconds_today, status.day_resets_at),
            (
                "this month",
                limits.seconds_per_month,
                status.seconds_this_month,
                status.month_resets_at,
            ),
        )
        for when, limit, used, resets_at in periods:
            if limit is not None and used + seconds > limit:
                raise QuotaExceeded(
                    f"Quota exceeded: {whose} has used {used:g} of its {limit:g} "
                    f"video seconds {when}; this request needs {seconds:g} more. The quota "
                    f"resets at {_iso(resets_at)}.",
                    retry_after=max(1.0, resets_at - now),
                    resets_at=resets_at,
                )

    @contextmanager
    def hold(self, project: str, seconds: float, *, key_id: str | None = None) -> Iterator[None]:
        """Check, then keep other creations of `project` waiting until the block ends: wrap
        the insert of the job in it, so that racing requests cannot both pass the boundary."""
        if self.limits(project).unlimited and (key_id is None or self.key_limits(key_id).unlimited):
            yield
            return
        with self._lock(project):
            if not self._postgres:
                self.check(project, seconds, key_id=key_id)
                yield
                return
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _lock_id(project)})
                try:
                    conn.commit()
                    self.check(project, seconds, key_id=key_id, conn=conn)
                    conn.commit()  # end the snapshot; the lock is the session's
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id(project)})
                    conn.commit()

    def _lock(self, project: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(project)
            if lock is None:
                lock = self._locks[project] = threading.Lock()
            return lock


def quota_defaults(settings: Settings) -> QuotaLimits:
    """The limits of every project without a row of its own."""
    return QuotaLimits(
        seconds_per_day=settings.quota_seconds_per_day,
        seconds_per_month=settings.quota_seconds_per_month,
        concurrent_jobs=settings.quota_concurrent_jobs,
    )
