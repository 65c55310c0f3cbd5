"""Where completed jobs' time went: rows written with each completion, read as histograms.

Stage rows hold each stage's busy seconds (`jobs/timings.py`); step rows hold a job's engine
steps already bucketed. `/metrics` reads both at scrape time (`store/gauges.py`), so the
figures count every worker process and agree with the completed jobs.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, insert, select

from reelbox.jobs.timings import STEP_BUCKETS, JobTimings
from reelbox.store.tables import job_stages, job_steps


def insert_timings(conn: Connection, job_id: str, *, profile: str, timings: JobTimings) -> None:
    """A completed job's stages and bucketed steps (inside its completion's transaction)."""
    stages = [
        {
            "job_id": job_id,
            "stage": s.name,
            "profile": profile,
            "started_at": s.start,
            "ended_at": s.end,
            "seconds": s.seconds,
        }
        for s in timings.stages.values()
    ]
    if stages:
        conn.execute(insert(job_stages), stages)
    steps = [
        {
            "job_id": job_id,
            "bucket": i,
            "le": STEP_BUCKETS[i] if i < len(STEP_BUCKETS) else None,
            "profile": profile,
            "count": count,
            "seconds": seconds,
        }
        for i, (count, seconds) in enumerate(
            zip(timings.steps.counts, timings.steps.sums, strict=True)
        )
        if count
    ]
    if steps:
        conn.execute(insert(job_steps), steps)


def step_histograms(engine: Engine) -> list[tuple[str, list[int], float]]:
    """Per profile: step counts per bucket of `STEP_BUCKETS` (+Inf last) and their sum."""
    found: dict[str, tuple[list[int], list[float]]] = {}
    with engine.connect() as conn:
        for profile, bucket, count, seconds in conn.execute(
            select(
                job_steps.c.profile,
                job_steps.c.bucket,
                func.sum(job_steps.c.count),
                func.sum(job_steps.c.seconds),
            ).group_by(job_steps.c.profile, job_steps.c.bucket)
        ):
            counts, total = found.setdefault(profile, ([0] * (len(STEP_BUCKETS) + 1), [0.0]))
            if 0 <= bucket < len(counts):
                counts[bucket] += int(count or 0)
            total[0] += float(seconds or 0.0)
    return [(profile, counts, total[0]) for profile, (counts, total) in sorted(found.items())]
