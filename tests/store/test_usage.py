"""Usage read from the jobs table on real SQLite and PostgreSQL: seconds of completed jobs, jobs
by outcome, buckets, and Azure variants."""

from __future__ import annotations

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from reelbox.store.usage import UsageReader
from support.store import new_generation


def _new(
    job_id: str,
    *,
    project: str = "a",
    seconds: float = 4,
    variants: int = 1,
    model: str = "sora-2",
    profile: str = "p",
) -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt="a cat",
        width=64,
        height=64,
        seconds=seconds,
        seed=7,
        profile=profile,
        variants=variants,
    )
    return NewJob(
        id=job_id, project=project, dialect="openai", model=model, spec=spec, seconds=f"{seconds:g}"
    )


def _run(store: Store, job_id: str, *, fail: bool = False) -> None:
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=100)
    assert job is not None and job.id == job_id
    if fail:
        assert store.fail(job_id, attempt=1, code="engine_error", message="boom")
    else:
        assert store.complete(
            job_id,
            attempt=1,
            outputs=[new_generation(f"gen_{job_id}")],
            plan=None,
            retention_seconds=3600,
        )


def test_usage_is_the_sum_of_completed_jobs_seconds(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now
    store.create_job(_new("v1", seconds=4), queue_cap=100)
    _run(store, "v1")
    store.create_job(_new("v2", seconds=12), queue_cap=100)
    _run(store, "v2")
    store.create_job(_new("v3", seconds=8), queue_cap=100)
    _run(store, "v3", fail=True)  # failed: no seconds used
    store.create_job(_new("v4", seconds=8, variants=2, model="sora-1"), queue_cap=100)
    _run(store, "v4")  # Azure n_variants=2: twice the seconds
    store.create_job(_new("v5", seconds=4), queue_cap=100)  # still queued
    store.create_job(_new("b1", project="b", seconds=12), queue_cap=100)
    _run(store, "b1")
    store.cancel("v2", project="a")  # deleting a video keeps its usage
    reader = UsageReader(store.engine)
    assert reader.total_seconds(project="a", start=start, end=clock.now + 1) == 4 + 12 + 16
    assert reader.total_seconds(project="b", start=start, end=clock.now + 1) == 12
    [bucket] = reader.buckets(
        start=start, end=clock.now + 1, width=86400, group_by=["project_id", "outcome"]
    )
    got = {(r.project_id, r.outcome): (r.jobs, r.seconds) for r in bucket.results}
    assert got == {
        ("a", "completed"): (3, 32.0),
        ("a", "failed"): (1, 0.0),
        ("a", "pending"): (1, 0.0),
        ("b", "completed"): (1, 12.0),
    }
    [by_model] = reader.buckets(
        start=start,
        end=clock.now + 1,
        width=86400,
        group_by=["model"],
        projects=["a"],
        price=lambda job: job.seconds * 0.1,
    )
    models = {r.model: (r.seconds, round(r.cost, 6)) for r in by_model.results}
    assert models == {"sora-2": (16.0, 1.6), "sora-1": (16.0, 1.6)}


def test_buckets_cover_the_window_and_place_jobs_by_creation(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now - clock.now % 3600
    clock.now = start + 10
    store.create_job(_new("v1"), queue_cap=100)
    _run(store, "v1")
    clock.now = start + 2 * 3600 + 5
    store.create_job(_new("v2", seconds=8), queue_cap=100)
    _run(store, "v2")
    buckets = UsageReader(store.engine).buckets(start=start, end=start + 3 * 3600, width=3600)
    assert [(b.start_time - start, b.end_time - start) for b in buckets] == [
        (0, 3600),
        (3600, 7200),
        (7200, 10800),
    ]
    assert [[(r.jobs, r.seconds) for r in b.results] for b in buckets] == [
        [(1, 4.0)],
        [],
        [(1, 8.0)],
    ]
