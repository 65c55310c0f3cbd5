"""Where completed jobs' time went, on real SQLite and PostgreSQL: written with completion (and
only then), read back as histograms for `/metrics`, gone with their job; and the trace context
stored with a job."""

from __future__ import annotations

from sqlalchemy import delete, select

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.timings import STEP_BUCKETS, JobTimings
from reelbox.store.gauges import read_gauges
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from reelbox.store.tables import job_stages, job_steps, jobs
from support.store import new_generation


def _new(job_id: str, profile: str, **kw: object) -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="a cat", width=64, height=64, seconds=1.0, seed=7, profile=profile
    )
    return NewJob(
        id=job_id,
        project="a",
        dialect="openai",
        model="sora-2",
        spec=spec,
        seconds="1",
        **kw,  # type: ignore[arg-type]
    )


def _timings(encode: float, steps: list[float]) -> JobTimings:
    timings = JobTimings()
    timings.add("queue", start=100.0, end=101.0)
    timings.add("encode", start=101.0, end=101.0 + encode)
    for s in steps:
        timings.steps.add(s)
    return timings


def _run(store: Store, job_id: str, profile: str, timings: JobTimings | None) -> bool:
    store.create_job(_new(job_id, profile), queue_cap=10)
    claimed = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert claimed is not None and claimed.id == job_id
    return store.complete(
        job_id,
        attempt=claimed.attempt,
        outputs=[new_generation(f"gen_{job_id}")],
        plan=None,
        retention_seconds=100,
        timings=timings,
    )


def test_completed_jobs_stages_and_steps_read_as_histograms(store: Store) -> None:
    assert _run(store, "video_1", "p", _timings(0.3, [0.002, 0.002, 0.4]))
    assert _run(store, "video_2", "p", _timings(2.0, [0.002]))
    assert _run(store, "video_3", "q", _timings(0.02, []))
    gauges = read_gauges(store.engine, now=200.0)
    stages = {h.labels: h for h in gauges.stage_seconds}
    assert set(stages) == {("p", "queue"), ("p", "encode"), ("q", "queue"), ("q", "encode")}
    encode = stages[("p", "encode")]
    assert encode.count == 2 and abs(encode.total - 2.3) < 1e-9
    assert dict(encode.buckets)[0.5] == 1 and dict(encode.buckets)[2.5] == 2
    steps = {h.labels: h for h in gauges.step_seconds}
    assert set(steps) == {("p",)}  # a job without steps adds none
    p = steps[("p",)]
    assert p.count == 4 and abs(p.total - 0.406) < 1e-9
    cumulative = dict(p.buckets)
    assert cumulative[STEP_BUCKETS[0]] == 0
    assert cumulative[0.0025] == 3 and cumulative[0.25] == 3 and cumulative[0.5] == 4
    assert cumulative[float("inf")] == 4


def test_nothing_is_written_for_a_fenced_out_completion_and_rows_go_with_their_job(
    store: Store,
) -> None:
    store.create_job(_new("video_1", "p"), queue_cap=10)
    claimed = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert claimed is not None
    assert not store.complete(
        "video_1",
        attempt=claimed.attempt + 1,  # not this attempt's to record
        outputs=[new_generation()],
        plan=None,
        retention_seconds=100,
        timings=_timings(1.0, [0.1]),
    )
    with store.engine.connect() as conn:
        assert conn.execute(select(job_stages)).all() == []
    assert _run(store, "video_2", "p", _timings(1.0, [0.1]))
    with store.engine.begin() as conn:
        assert len(conn.execute(select(job_stages)).all()) == 2
        conn.execute(delete(jobs).where(jobs.c.id == "video_2"))
        assert conn.execute(select(job_stages)).all() == []
        assert conn.execute(select(job_steps)).all() == []


def test_the_trace_context_and_run_times_are_kept_with_the_job(store: Store) -> None:
    context = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    store.create_job(_new("video_1", "p", trace_context=context), queue_cap=10)
    store.create_job(_new("video_2", "p"), queue_cap=10)
    assert store.get_job("video_1").trace_context == context  # type: ignore[union-attr]
    assert store.get_job("video_2").trace_context is None  # type: ignore[union-attr]
    assert store.run_times("video_1") is None  # not started
    claimed = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert claimed is not None
    times = store.run_times(claimed.id)
    assert times is not None and times[0] <= times[1]
