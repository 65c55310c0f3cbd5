"""`Store`: every read and write of jobs, generations, characters and job events.

Status changes are single guarded statements (`UPDATE … WHERE id = :id AND status = :expected`)
that write an event row in the same transaction, so a crash can never separate a status change
from its event (the webhook outbox builds on that). Worker-side writes are fenced by the job's
`attempt`: a worker whose lease was taken over can no longer change the job.

`Store` is built in layers, each module owning one part: the reads (`queries.py`), what every
write shares, the guarded status change among it (`writer.py`), claims and leases
(`leases.py`), and here creating, finishing, cancelling and expiring jobs, and characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from reelbox.jobs.models import Character, Job
from reelbox.jobs.status import FailureCode, JobStatus
from reelbox.jobs.timings import JobTimings
from reelbox.store.job_timings import insert_timings
from reelbox.store.leases import JobLeases, LeaseState
from reelbox.store.moderation_log import NewModerationEvent, insert_event
from reelbox.store.rows import (
    NewGeneration,
    NewJob,
    job_from_row,
)
from reelbox.store.tables import characters, generations, jobs

__all__ = ["MAX_UNSPENT_REQUEUES", "LeaseState", "QueueFull", "Store"]

MAX_UNSPENT_REQUEUES = 20  # storage-fault requeues of one job before they spend attempts


class QueueFull(Exception):
    """The project already has as many queued jobs as its cap allows."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"{queued} jobs are already queued")
        self.queued = queued


class Store(JobLeases):
    """All persistence of the job system, on one SQLAlchemy engine.

    `clock` is injectable so expiry and leases can be tested without sleeping.
    `retention_seconds` is how long a finished job's media is kept (failed and cancelled jobs'
    inputs too). `min_free_bytes` is the free space below which a SQLite database's folder
    counts as a storage problem (`storage_problem`).
    """

    # -- creating jobs ----------------------------------------------------------------------------

    def create_job(self, new: NewJob, *, queue_cap: int) -> Job:
        """Insert a queued job, unless the project already has `queue_cap` queued jobs."""
        now = self.now()
        spec = new.spec
        with self._writer.begin() as conn:
            # Count-then-insert is exact only while no other server inserts meanwhile.
            self._lock_project(conn, "queue", new.project)
            queued = conn.execute(
                select(func.count())
                .select_from(jobs)
                .where(jobs.c.project == new.project, jobs.c.status == JobStatus.QUEUED.value)
            ).scalar_one()
            if queued >= queue_cap:
                raise QueueFull(queued)
            conn.execute(
                insert(jobs).values(
                    id=new.id,
                    project=new.project,
                    dialect=new.dialect,
                    mode=spec.mode.value,
                    model=new.model,
                    profile=spec.profile,
                    status=JobStatus.QUEUED.value,
                    progress=0,
                    prompt=spec.prompt,
                    width=spec.width,
                    height=spec.height,
                    seconds=new.seconds,
                    spec=spec.to_json(),
                    source_video_id=new.source_video_id,
                    remixed_from_video_id=new.remixed_from_video_id,
                    attempt=0,
                    max_attempts=new.max_attempts,
                    extra=new.extra or {},
                    trace_context=new.trace_context,
                    key_id=new.key_id,
                    created_at=now,
                    updated_at=now,
                    assets_expired=False,
                )
            )
            self._event(
                conn,
                job_id=new.id,
                project=new.project,
                type="job.created",
                from_status=None,
                to_status=JobStatus.QUEUED,
                now=now,
            )
            self._notify(conn, "status", new.id)
            row = conn.execute(select(jobs).where(jobs.c.id == new.id)).mappings().one()
        return job_from_row(row)

    def complete(
        self,
        job_id: str,
        *,
        attempt: int,
        outputs: Sequence[NewGeneration],
        plan: dict[str, Any] | None,
        retention_seconds: float,
        seconds: str | None = None,
        timings: JobTimings | None = None,
    ) -> bool:
        """Record a finished job and its generations atomically, with where its time went
        (`timings`, read by `/metrics`). False if fenced out."""
        now = self.now()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs.c.created_at, jobs.c.extra, jobs.c.profile).where(jobs.c.id == job_id)
            ).one_or_none()
        # Azure counts retention from creation (SORA_API.md B2), OpenAI from completion (D3).
        from_creation = row is not None and (row[1] or {}).get("expires_from") == "creation"
        expires_at = (row[0] if row is not None and from_creation else now) + retention_seconds
        values: dict[str, Any] = {
            "progress": 100,
            "completed_at": now,
            "expires_at": expires_at,
            "plan": plan,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if seconds is not None:
            values["seconds"] = seconds
        with self._writer.begin() as conn:
            done = self._transition(
                conn,
                job_id,
                target=JobStatus.COMPLETED,
                values=values,
                attempt=attempt,
                expected=[JobStatus.IN_PROGRESS],
                event="job.completed",
                data={"generations": [g.id for g in outputs], **_plan_notes(plan)},
                now=now,
            )
            if not done:
                return False
            for g in outputs:
                conn.execute(
                    insert(generations).values(
                        job_id=job_id,
                        created_at=now,
                        **{k: getattr(g, k) for k in NewGeneration.__dataclass_fields__},
                    )
                )
            if timings is not None and row is not None:
                insert_timings(conn, job_id, profile=row[2], timings=timings)
        return True

    def run_times(self, job_id: str) -> tuple[float, float] | None:
        """When a running job was created and when its attempt started (exact, for its
        `queue` stage), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs.c.created_at, jobs.c.started_at).where(jobs.c.id == job_id)
            ).one_or_none()
        if row is None or row[1] is None:
            return None
        return float(row[0]), float(row[1])

    def fail(self, job_id: str, *, attempt: int | None, code: str, message: str) -> bool:
        """Fail a queued or running job (with `attempt`, only that attempt's run)."""
        now = self.now()
        with self._writer.begin() as conn:
            return self._fail(conn, job_id, attempt=attempt, code=code, message=message, now=now)

    def fail_moderated(
        self,
        job_id: str,
        *,
        attempt: int,
        message: str,
        stage: str,
        event: NewModerationEvent,
    ) -> bool:
        """Fail a running job that moderation blocked, and audit the block, in one transaction.

        `stage` (`input_moderation` or `output_moderation`) is kept in the job's `extra` for
        the Azure dialect's `failure_reason`.
        """
        now = self.now()
        with self._writer.begin() as conn:
            extra = conn.execute(select(jobs.c.extra).where(jobs.c.id == job_id)).scalar()
            failed = self._fail(
                conn,
                job_id,
                attempt=attempt,
                code=FailureCode.MODERATION_BLOCKED.value,
                message=message,
                now=now,
                extra={**(extra or {}), "moderation_stage": stage},
            )
            if failed:
                insert_event(conn, event, now=now)
            return failed

    def _fail(
        self,
        conn: Connection,
        job_id: str,
        *,
        attempt: int | None,
        code: str,
        message: str,
        now: float,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            "error_code": code,
            "error_message": message,
            "completed_at": now,
            "expires_at": self._expires_at(conn, job_id, now),
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if extra is not None:
            values["extra"] = extra
        return self._transition(
            conn,
            job_id,
            target=JobStatus.FAILED,
            values=values,
            attempt=attempt,
            expected=[JobStatus.QUEUED, JobStatus.IN_PROGRESS],
            event="job.failed",
            data={"code": code, "message": message},
            now=now,
        )

    def requeue_or_fail(self, job_id: str, *, attempt: int, reason: str) -> JobStatus | None:
        """A run was lost (worker died, lease expired): retry while attempts remain."""
        now = self.now()
        with self._writer.begin() as conn:
            row = conn.execute(
                select(jobs.c.attempt, jobs.c.max_attempts, jobs.c.status).where(
                    jobs.c.id == job_id
                )
            ).one_or_none()
            if row is None or row[0] != attempt or row[2] != JobStatus.IN_PROGRESS.value:
                return None
            if row[0] < row[1]:
                ok = self._transition(
                    conn,
                    job_id,
                    target=JobStatus.QUEUED,
                    values={"lease_owner": None, "lease_expires_at": None},
                    attempt=attempt,
                    expected=[JobStatus.IN_PROGRESS],
                    event="job.requeued",
                    data={"reason": reason, "attempt": attempt},
                    now=now,
                )
                return JobStatus.QUEUED if ok else None
            ok = self._transition(
                conn,
                job_id,
                target=JobStatus.FAILED,
                values={
                    "error_code": "internal_error",
                    "error_message": f"{reason} (after {attempt} attempts)",
                    "completed_at": now,
                    "expires_at": self._expires_at(conn, job_id, now),
                    "lease_owner": None,
                    "lease_expires_at": None,
                },
                attempt=attempt,
                expected=[JobStatus.IN_PROGRESS],
                event="job.failed",
                data={"code": "internal_error", "reason": reason},
                now=now,
            )
            return JobStatus.FAILED if ok else None

    def requeue_unspent(self, job_id: str, *, attempt: int, reason: str) -> bool:
        """Put back a run that could not write its results (storage full or read-only) without
        spending one of the job's attempts: the fault is the server's, not the job's.

        False when the run is no longer this attempt's, or when the job was already put back
        this way `MAX_UNSPENT_REQUEUES` times (a fault of this job alone, say an unreadable
        input, must not loop forever): the caller then spends an attempt (`requeue_or_fail`).
        """
        now = self.now()
        with self._writer.begin() as conn:
            extra = conn.execute(select(jobs.c.extra).where(jobs.c.id == job_id)).scalar()
            count = int((extra or {}).get("storage_requeues", 0))
            if count >= MAX_UNSPENT_REQUEUES:
                return False
            return self._transition(
                conn,
                job_id,
                target=JobStatus.QUEUED,
                # `attempt` stays a fencing token that only grows; the budget grows with it.
                values={
                    "lease_owner": None,
                    "lease_expires_at": None,
                    "max_attempts": jobs.c.max_attempts + 1,
                    "extra": {**(extra or {}), "storage_requeues": count + 1},
                },
                attempt=attempt,
                expected=[JobStatus.IN_PROGRESS],
                event="job.requeued",
                data={"reason": reason, "attempt": attempt, "attempt_spent": False},
                now=now,
            )

    def cancel(self, job_id: str, *, project: str) -> Job | None:
        """Cancel an unfinished job, or do nothing to a finished one; then mark it deleted.

        Returns the job as it was before deletion, or None when there is no such visible job.
        """
        now = self.now()
        with self._writer.begin() as conn:
            row = (
                conn.execute(
                    select(jobs).where(
                        jobs.c.id == job_id,
                        jobs.c.project == project,
                        jobs.c.deleted_at.is_(None),
                    )
                )
                .mappings()
                .one_or_none()
            )
            if row is None:
                return None
            job = job_from_row(row)
            if not job.status.terminal:
                self._transition(
                    conn,
                    job_id,
                    target=JobStatus.CANCELLED,
                    values={
                        "error_code": "cancelled",
                        "error_message": "The job was cancelled.",
                        "completed_at": now,
                        "expires_at": self._expires_at(conn, job_id, now),
                    },
                    attempt=None,
                    expected=[JobStatus.QUEUED, JobStatus.IN_PROGRESS],
                    event="job.cancelled",
                    now=now,
                )
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(deleted_at=now))
            self._event(
                conn,
                job_id=job_id,
                project=project,
                type="job.deleted",
                from_status=None,
                to_status=None,
                now=now,
            )
            self._notify(conn, "status", job_id)
        return job

    # -- expiry -----------------------------------------------------------------------------------

    def mark_assets_expired(self, job_id: str) -> None:
        now = self.now()
        with self._writer.begin() as conn:
            row = conn.execute(select(jobs.c.project).where(jobs.c.id == job_id)).one_or_none()
            if row is None:
                return
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(assets_expired=True, updated_at=now)
            )
            self._event(
                conn,
                job_id=job_id,
                project=row[0],
                type="job.assets_expired",
                from_status=None,
                to_status=None,
                now=now,
            )

    # -- characters ----------------------------------------------------------------------------

    def create_character(
        self, *, id: str, project: str, name: str, clip_key: str, image_key: str
    ) -> Character:
        now = self.now()
        with self._writer.begin() as conn:
            conn.execute(
                insert(characters).values(
                    id=id,
                    project=project,
                    name=name,
                    clip_key=clip_key,
                    image_key=image_key,
                    created_at=now,
                )
            )
        return Character(
            id=id,
            project=project,
            name=name,
            clip_key=clip_key,
            image_key=image_key,
            created_at=int(now),
        )


def _plan_notes(plan: dict[str, Any] | None) -> dict[str, Any]:
    """What the engine's plan says it could not render, and its warnings, for the event."""
    if not plan:
        return {}
    return {k: plan[k] for k in ("not_understood", "warnings") if plan.get(k)}
