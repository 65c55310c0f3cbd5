"""`JobLeases`: claiming the fairest queued job for a worker, and the lease it then holds.

A claim is one transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so concurrent schedulers
never take the same job); progress reports extend the lease and tell the worker whether its
attempt still owns the job (`LeaseState`).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, false, func, or_, select, update

from reelbox.jobs.models import Job
from reelbox.jobs.status import JobStatus
from reelbox.store.rows import job_from_row
from reelbox.store.tables import jobs
from reelbox.store.writer import JobWriter

CLAIM_CANDIDATES = 8  # projects tried per claim when some turn out full (PostgreSQL)


class LeaseState(enum.Enum):
    """What a worker learns when it reports progress."""

    HELD = "held"  # carry on
    CANCELLED = "cancelled"  # the job was cancelled or deleted: stop
    LOST = "lost"  # another attempt owns the job now: stop without writing


class JobLeases(JobWriter):
    """Claims and leases; `Store` adds creating, finishing, cancelling and expiring jobs."""

    def claim_next(
        self,
        *,
        owner: str,
        lease_seconds: float,
        per_project_limit: int,
        profiles: Collection[str] | None = None,
        other_than: Collection[str] | None = None,
    ) -> Job | None:
        """Move the fairest queued job to `in_progress` and lease it to `owner`.

        With a placement only some profiles have a free worker: then only jobs of `profiles`, or
        of any profile not in `other_than` (when given), are taken. Without either, any job.

        Fair: among projects under their running limit, the one with the fewest running jobs
        goes first; within a project, oldest first. On Postgres the row is locked with
        `FOR UPDATE SKIP LOCKED` so concurrent schedulers never claim the same job. With
        `profiles`, only jobs of those profiles (the ones with a free actor) are considered.
        """
        now = self.now()
        # A dedicated alias keeps the correlated subquery readable in SQL.
        r = jobs.alias("running_jobs")
        running = (
            select(func.count())
            .select_from(r)
            .where(r.c.project == jobs.c.project, r.c.status == JobStatus.IN_PROGRESS.value)
            .correlate(jobs)
            .scalar_subquery()
        )
        query = (
            select(jobs.c.id, jobs.c.project)
            .where(jobs.c.status == JobStatus.QUEUED.value, running < per_project_limit)
            .order_by(running, jobs.c.created_at, jobs.c.id)
            .limit(1)
        )
        if profiles is not None or other_than is not None:
            takeable = [jobs.c.profile.in_(sorted(profiles))] if profiles else []
            if other_than is not None:
                takeable.append(jobs.c.profile.not_in(sorted(other_than)))
            query = query.where(or_(*takeable) if takeable else false())
        if self._postgres:
            query = query.with_for_update(skip_locked=True, of=jobs)
        with self._writer.begin() as conn:
            found = self._claimable(conn, query, per_project_limit)
            if found is None:
                return None
            job_id, project = found
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED.value)
                .values(
                    status=JobStatus.IN_PROGRESS.value,
                    attempt=jobs.c.attempt + 1,
                    lease_owner=owner,
                    lease_expires_at=now + lease_seconds,
                    started_at=func.coalesce(jobs.c.started_at, now),
                    updated_at=now,
                )
            )
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().one()
            self._event(
                conn,
                job_id=job_id,
                project=project,
                type="job.started",
                from_status=JobStatus.QUEUED,
                to_status=JobStatus.IN_PROGRESS,
                data={"attempt": row["attempt"]},
                now=now,
            )
            self._notify(conn, "status", job_id)
        return job_from_row(row)

    def _claimable(self, conn: Connection, query: Any, per_project_limit: int) -> Any:
        """The (id, project) to claim, or None. On PostgreSQL the project's running count is
        checked again under its advisory lock: another server may have claimed one of its jobs
        since the snapshot `query` saw, and the running limit must hold across servers."""
        full: list[str] = []
        for _ in range(CLAIM_CANDIDATES):
            candidate = query.where(jobs.c.project.not_in(full)) if full else query
            found = conn.execute(candidate).one_or_none()
            if found is None or not self._postgres:
                return found
            self._lock_project(conn, "running", found[1])
            running = conn.execute(
                select(func.count())
                .select_from(jobs)
                .where(jobs.c.project == found[1], jobs.c.status == JobStatus.IN_PROGRESS.value)
            ).scalar_one()
            if running < per_project_limit:
                return found
            full.append(found[1])
        return None

    def report_progress(
        self, job_id: str, *, attempt: int, progress: int, lease_seconds: float
    ) -> LeaseState:
        """Record progress (never backwards) and extend the lease; tells the worker to go on."""
        now = self.now()
        with self._writer.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.attempt == attempt,
                    jobs.c.status == JobStatus.IN_PROGRESS.value,
                )
                .values(
                    progress=func.max(jobs.c.progress, progress)
                    if not self._postgres
                    else func.greatest(jobs.c.progress, progress),
                    lease_expires_at=now + lease_seconds,
                    updated_at=now,
                )
            )
            if result.rowcount == 1:
                if self._postgres and self._progress_sent.get((job_id, attempt)) != progress:
                    if len(self._progress_sent) > 1000:
                        self._progress_sent.clear()
                    self._progress_sent[(job_id, attempt)] = progress
                    self._notify(conn, "progress", job_id)
                return LeaseState.HELD
            row = conn.execute(
                select(jobs.c.status, jobs.c.attempt).where(jobs.c.id == job_id)
            ).one_or_none()
        if row is None or row[1] != attempt:
            return LeaseState.LOST
        return LeaseState.CANCELLED

    def lease_state(self, job_id: str, *, attempt: int) -> LeaseState:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs.c.status, jobs.c.attempt).where(jobs.c.id == job_id)
            ).one_or_none()
        if row is None or row[1] != attempt:
            return LeaseState.LOST
        if row[0] != JobStatus.IN_PROGRESS.value:
            return LeaseState.CANCELLED
        return LeaseState.HELD
