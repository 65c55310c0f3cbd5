"""Usage read from the jobs table: seconds of video and jobs per project, model, profile and
outcome, in time buckets. There is no second bookkeeping: a job's usage is its row.

A job counts in the bucket of its `created_at` (when it was requested, as OpenAI's usage pages
count requests). Its seconds are the seconds it renders (`spec.seconds`, the new segment of an
extension) times its variants (Azure's `n_variants`); only completed jobs have used seconds.
Deleted jobs keep their rows (`deleted_at`), so deleting a video never erases its usage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Float, Integer, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from reelbox.store.tables import jobs

GROUP_FIELDS = ("project_id", "model", "profile", "outcome")
"""What usage can be grouped by (OpenAI's `group_by` values, plus profile and outcome)."""

_OUTCOMES = {"completed": "completed", "failed": "failed", "cancelled": "cancelled"}


def job_seconds() -> ColumnElement[float]:
    """A job's seconds of video as SQL: `spec.seconds * spec.variants`, on SQLite and PostgreSQL."""
    seconds = cast(jobs.c.spec["seconds"].as_float(), Float)
    variants = func.coalesce(cast(jobs.c.spec["variants"].as_integer(), Integer), 1)
    return seconds * variants


@dataclass(frozen=True, kw_only=True)
class JobUsage:
    """One job's contribution to usage."""

    id: str
    project: str
    model: str
    profile: str
    status: str
    size: str
    seconds: float  # rendered seconds * variants (what a completed job used)
    created_at: float

    @property
    def outcome(self) -> str:
        """completed, failed, cancelled, or pending for a job not finished yet."""
        return _OUTCOMES.get(self.status, "pending")

    @property
    def used_seconds(self) -> float:
        return self.seconds if self.status == "completed" else 0.0


@dataclass(kw_only=True)
class UsageResult:
    """One group's totals within a bucket; fields not grouped by are None."""

    project_id: str | None = None
    model: str | None = None
    profile: str | None = None
    outcome: str | None = None
    seconds: float = 0.0
    jobs: int = 0
    cost: float = 0.0


@dataclass(kw_only=True)
class UsageBucket:
    start_time: int
    end_time: int
    results: list[UsageResult] = field(default_factory=list)


class UsageReader:
    """Reads usage from the jobs table of one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def jobs(
        self,
        *,
        start: float,
        end: float,
        projects: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
    ) -> list[JobUsage]:
        """Every job created in `[start, end)`, oldest first."""
        query = (
            select(
                jobs.c.id,
                jobs.c.project,
                jobs.c.model,
                jobs.c.profile,
                jobs.c.status,
                jobs.c.width,
                jobs.c.height,
                job_seconds().label("seconds"),
                jobs.c.created_at,
            )
            .where(jobs.c.created_at >= start, jobs.c.created_at < end)
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        if projects:
            query = query.where(jobs.c.project.in_(list(projects)))
        if models:
            query = query.where(jobs.c.model.in_(list(models)))
        with self.engine.connect() as conn:
            return [
                JobUsage(
                    id=row.id,
                    project=row.project,
                    model=row.model,
                    profile=row.profile,
                    status=row.status,
                    size=f"{row.width}x{row.height}",
                    seconds=float(row.seconds or 0.0),
                    created_at=row.created_at,
                )
                for row in conn.execute(query)
            ]

    def buckets(
        self,
        *,
        start: float,
        end: float,
        width: int,
        group_by: Sequence[str] = (),
        projects: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        price: Callable[[JobUsage], float] | None = None,
    ) -> list[UsageBucket]:
        """Buckets of `width` seconds from `start` (every bucket, empty ones too) up to `end`."""
        unknown = sorted(set(group_by) - set(GROUP_FIELDS))
        if unknown:
            raise ValueError(f"cannot group by {', '.join(unknown)}")
        if width <= 0 or end <= start:
            raise ValueError("buckets need a positive width and end after start")
        count = int(-(-(end - start) // width))
        buckets = [
            UsageBucket(start_time=int(start + i * width), end_time=int(start + (i + 1) * width))
            for i in range(count)
        ]
        groups: list[dict[tuple[Any, ...], UsageResult]] = [{} for _ in buckets]
        for job in self.jobs(start=start, end=end, projects=projects, models=models):
            index = int((job.created_at - start) // width)
            values = {
                "project_id": job.project,
                "model": job.model,
                "profile": job.profile,
                "outcome": job.outcome,
            }
            chosen = {name: values[name] for name in group_by}
            key = tuple(chosen[name] for name in GROUP_FIELDS if name in chosen)
            result = groups[index].get(key)
            if result is None:
                result = groups[index][key] = UsageResult(
                    project_id=chosen.get("project_id"),
                    model=chosen.get("model"),
                    profile=chosen.get("profile"),
                    outcome=chosen.get("outcome"),
                )
            result.jobs += 1
            result.seconds += job.used_seconds
            if price is not None and job.used_seconds:
                result.cost += price(job)
        for bucket, found in zip(buckets, groups, strict=True):
            bucket.results = list(found.values())
        return buckets

    def total_seconds(self, *, project: str, start: float, end: float) -> float:
        """Seconds of video a project's completed jobs created in `[start, end)` used."""
        return sum(j.used_seconds for j in self.jobs(start=start, end=end, projects=[project]))
