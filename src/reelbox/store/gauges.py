"""What `/metrics` reads from the database at scrape time: the jobs queued and running, job
times, failures, and the webhook outbox. Being read from the tables, these figures agree with
the jobs table by construction and count the work of every process and replica (each replica
reports the same values; dashboards take `max` across instances).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Engine, Table, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from reelbox.jobs.timings import STEP_BUCKETS
from reelbox.store.job_timings import step_histograms
from reelbox.store.tables import job_stages, jobs, webhook_attempts, webhook_deliveries

DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


@dataclass(frozen=True, kw_only=True)
class Histogram:
    """Cumulative counts per upper bound (the last is +Inf), with the sum of observations."""

    labels: tuple[str, ...]
    buckets: tuple[tuple[float, int], ...]
    count: int
    total: float


@dataclass(frozen=True, kw_only=True)
class Gauges:
    jobs_by_status: list[tuple[str, str, str, int]]  # status, project, profile, count
    failures: list[tuple[str, str, int]]  # error code, profile, count
    queue_seconds: list[Histogram]  # per profile: created -> started
    run_seconds: list[Histogram]  # per profile: started -> completed (completed jobs)
    stage_seconds: list[Histogram]  # per profile and stage, completed jobs (jobs/timings.py)
    step_seconds: list[Histogram]  # per profile: engine steps of completed jobs
    deliveries: list[tuple[str, int]]  # status, count
    attempts: list[tuple[bool, int]]  # success, count
    oldest_due_delivery_age: float  # seconds the oldest due pending delivery has waited
    dead_endpoints: int  # endpoints whose newest delivery failed for good


def _histograms(
    engine: Engine,
    value: ColumnElement[float],
    where: ColumnElement[bool],
    *,
    table: Table = jobs,
    by: tuple[Column[str], ...] = (jobs.c.profile,),
    buckets: tuple[float, ...] = DURATION_BUCKETS,
) -> list[Histogram]:
    columns = [
        func.sum(case((value <= bound, 1), else_=0)).label(f"le_{i}")
        for i, bound in enumerate(buckets)
    ]
    query = (
        select(*by, func.count().label("n"), func.sum(value).label("total"), *columns)
        .select_from(table)
        .where(where)
        .group_by(*by)
    )
    found = []
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            counts = tuple((bound, int(row[f"le_{i}"] or 0)) for i, bound in enumerate(buckets))
            found.append(
                Histogram(
                    labels=tuple(row[c.name] for c in by),
                    buckets=(*counts, (float("inf"), int(row["n"]))),
                    count=int(row["n"]),
                    total=float(row["total"] or 0.0),
                )
            )
    return found


def _steps(engine: Engine) -> list[Histogram]:
    found = []
    for profile, counts, total in step_histograms(engine):
        cumulative, running = [], 0
        for bound, count in zip((*STEP_BUCKETS, float("inf")), counts, strict=True):
            running += count
            cumulative.append((bound, running))
        found.append(
            Histogram(labels=(profile,), buckets=tuple(cumulative), count=running, total=total)
        )
    return found


def read_gauges(engine: Engine, *, now: float) -> Gauges:
    """Everything the collector needs, in a handful of grouped queries."""
    with engine.connect() as conn:
        by_status = [
            (r.status, r.project, r.profile, int(r.n))
            for r in conn.execute(
                select(jobs.c.status, jobs.c.project, jobs.c.profile, func.count().label("n"))
                .where(jobs.c.status.in_(("queued", "in_progress")))
                .group_by(jobs.c.status, jobs.c.project, jobs.c.profile)
            )
        ]
        failures = [
            (r.code or "unknown", r.profile, int(r.n))
            for r in conn.execute(
                select(jobs.c.error_code.label("code"), jobs.c.profile, func.count().label("n"))
                .where(jobs.c.status == "failed")
                .group_by(jobs.c.error_code, jobs.c.profile)
            )
        ]
        d = webhook_deliveries.c
        deliveries = [
            (r.status, int(r.n))
            for r in conn.execute(select(d.status, func.count().label("n")).group_by(d.status))
        ]
        attempts = [
            (bool(r.success), int(r.n))
            for r in conn.execute(
                select(webhook_attempts.c.success, func.count().label("n")).group_by(
                    webhook_attempts.c.success
                )
            )
        ]
        oldest = conn.execute(
            select(func.min(d.created_at)).where(d.status == "pending", d.next_attempt_at <= now)
        ).scalar()
        newest = (
            select(d.endpoint_id, func.max(d.created_at).label("at"))
            .group_by(d.endpoint_id)
            .subquery()
        )
        dead = conn.execute(
            select(func.count(func.distinct(d.endpoint_id)))
            .select_from(
                webhook_deliveries.join(
                    newest, and_(newest.c.endpoint_id == d.endpoint_id, newest.c.at == d.created_at)
                )
            )
            .where(d.status == "failed")
        ).scalar_one()
    started = jobs.c.started_at.is_not(None)
    return Gauges(
        jobs_by_status=by_status,
        failures=failures,
        queue_seconds=_histograms(engine, jobs.c.started_at - jobs.c.created_at, started),
        run_seconds=_histograms(
            engine,
            jobs.c.completed_at - jobs.c.started_at,
            and_(started, jobs.c.status == "completed"),
        ),
        stage_seconds=_histograms(
            engine,
            job_stages.c.seconds,
            job_stages.c.seconds.is_not(None),
            table=job_stages,
            by=(job_stages.c.profile, job_stages.c.stage),
            buckets=STAGE_BUCKETS,
        ),
        step_seconds=_steps(engine),
        deliveries=deliveries,
        attempts=attempts,
        oldest_due_delivery_age=0.0 if oldest is None else max(0.0, now - float(oldest)),
        dead_endpoints=int(dead),
    )
