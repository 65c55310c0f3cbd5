"""One job through the worker-side runner, on a real store and blob store."""

from __future__ import annotations

from pathlib import Path

from reelbox.blobs import LocalBlobStore
from reelbox.engines.fake import FakeEngine
from reelbox.executors.runner import RunSettings, run_job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.rows import NewJob
from reelbox.store.store import Store

SETTINGS = RunSettings(lease_seconds=30, retention_seconds=3600, heartbeat_seconds=0.05)


def _claimed(store: Store, prompt: str, seconds: float = 1.0):  # type: ignore[no-untyped-def]
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt=prompt,
        width=32,
        height=32,
        seconds=seconds,
        seed=1,
        profile="fake",
        fps=8,
    )
    store.create_job(
        NewJob(id="video_1", project="p", dialect="openai", model="m", spec=spec, seconds="1"),
        queue_cap=10,
    )
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=2)
    assert job is not None
    return job


def test_a_successful_run_completes_the_job(store: Store, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, "fine")
    run_job(job, store=store, blobs=blobs, engine=FakeEngine({"fps": 8}), settings=SETTINGS)
    done = store.get_job("video_1")
    assert done is not None and done.status is JobStatus.COMPLETED and done.progress == 100
    (generation,) = store.generations("video_1")
    assert blobs.exists(generation.video_key) and generation.frame_count == 8
    assert done.plan is not None


def test_an_engine_error_fails_the_job_with_a_reason(store: Store, tmp_path: Path) -> None:
    job = _claimed(store, "[fail:raise]")
    run_job(
        job,
        store=store,
        blobs=LocalBlobStore(tmp_path),
        engine=FakeEngine({"fps": 8}),
        settings=SETTINGS,
    )
    failed = store.get_job("video_1")
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error_code == "engine_error"
    assert "fake engine failure" in (failed.error_message or "")


def test_a_cancelled_job_stops_and_leaves_no_files(store: Store, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _claimed(store, "long", seconds=30)
    engine = FakeEngine({"fps": 8, "frame_delay": 0.02})
    store.cancel("video_1", project="p")
    run_job(job, store=store, blobs=blobs, engine=engine, settings=SETTINGS)
    assert store.generations("video_1") == []
    assert not (tmp_path / "videos").exists()
    assert list((tmp_path / ".staging").iterdir()) == []
