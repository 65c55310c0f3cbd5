"""One job through the worker-side runner, on a real store and blob store."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reelbox.blobs import LocalBlobStore
from reelbox.engines.base import EngineError
from reelbox.engines.fake import FakeEngine
from reelbox.executors.runner import RunOutcome, RunSettings, run_job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from support.disk import fill

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


def _job(store: Store, prompt: str, **spec_options: object):  # type: ignore[no-untyped-def]
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt=prompt,
        width=32,
        height=32,
        seconds=1.0,
        seed=1,
        profile="fake",
        fps=8,
        **spec_options,  # type: ignore[arg-type]
    )
    store.create_job(
        NewJob(
            id="video_1",
            project="p",
            dialect="openai",
            model="m",
            spec=spec,
            seconds="1",
            max_attempts=1,
        ),
        queue_cap=10,
    )
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=2)
    assert job is not None
    return job


def test_a_full_disk_requeues_the_job_without_spending_its_attempt(
    store: Store, small_disk: Path
) -> None:
    """A real full filesystem under the blob store: the run cannot write its video."""
    blobs = LocalBlobStore(small_disk / "blobs")
    job = _job(store, "full disk")
    filler = fill(small_disk)
    outcome = run_job(
        job, store=store, blobs=blobs, engine=FakeEngine({"fps": 8}), settings=SETTINGS
    )
    assert outcome is RunOutcome.REQUEUED
    queued = store.get_job("video_1")
    assert queued is not None and queued.status is JobStatus.QUEUED
    assert queued.error_code is None and queued.max_attempts == 2  # the one attempt is kept
    requeued = [e for e in store.events("video_1") if e.type == "job.requeued"]
    assert requeued[-1].data["attempt_spent"] is False
    assert list((small_disk / "blobs" / ".staging").iterdir()) == []
    assert not (small_disk / "blobs" / "videos").exists()

    filler.unlink()  # space returns: the same job runs to the end on its next claim
    again = store.claim_next(owner="t", lease_seconds=30, per_project_limit=2)
    assert again is not None and again.attempt == 2
    assert (
        run_job(again, store=store, blobs=blobs, engine=FakeEngine({"fps": 8}), settings=SETTINGS)
        is RunOutcome.SETTLED
    )
    done = store.get_job("video_1")
    assert done is not None and done.status is JobStatus.COMPLETED


def test_a_read_only_staging_folder_requeues_and_shows_no_path(
    store: Store, tmp_path: Path
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    job = _job(store, "read only")
    staging = tmp_path / "blobs" / ".staging"
    subprocess.run(["mount", "--bind", str(staging), str(staging)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(staging)], check=True)
        outcome = run_job(
            job, store=store, blobs=blobs, engine=FakeEngine({"fps": 8}), settings=SETTINGS
        )
    finally:
        subprocess.run(["umount", str(staging)], check=True)
    assert outcome is RunOutcome.REQUEUED
    queued = store.get_job("video_1")
    assert queued is not None and queued.status is JobStatus.QUEUED
    assert queued.error_message is None


def test_when_the_database_is_full_too_the_executor_is_asked_to_settle(
    small_disk: Path, clock: object
) -> None:
    """Blobs and the SQLite database on one full disk: not even the requeue can be written."""
    engine = connect(f"sqlite:///{small_disk / 'reelbox.db'}")
    migrate(engine)
    store = Store(engine)
    blobs = LocalBlobStore(small_disk / "blobs")
    job = _job(store, "all full")
    filler = fill(small_disk)
    try:
        outcome = run_job(
            job, store=store, blobs=blobs, engine=FakeEngine({"fps": 8}), settings=SETTINGS
        )
        assert outcome is RunOutcome.STORAGE_FAULT
        running = store.get_job("video_1")
        assert running is not None and running.status is JobStatus.IN_PROGRESS
        filler.unlink()
        assert store.requeue_unspent("video_1", attempt=job.attempt, reason="storage")
        queued = store.get_job("video_1")
        assert queued is not None and queued.status is JobStatus.QUEUED
        assert queued.max_attempts == 2
    finally:
        filler.unlink(missing_ok=True)
        engine.dispose()


class _SecondVariantFails:
    """The fake engine, failing on its second generation (after the first was stored)."""

    def __init__(self) -> None:
        self.inner = FakeEngine({"fps": 8})
        self.calls = 0

    def capabilities(self):  # type: ignore[no-untyped-def]
        return self.inner.capabilities()

    def generate(self, spec, inputs, *, on_progress, should_cancel):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 2:
            raise EngineError("cannot read /srv/models/wan/weights.safetensors")
        return self.inner.generate(
            spec, inputs, on_progress=on_progress, should_cancel=should_cancel
        )


def test_a_failed_attempt_keeps_nothing_and_its_message_no_path(
    store: Store, tmp_path: Path
) -> None:
    blobs = LocalBlobStore(tmp_path)
    job = _job(store, "two variants", variants=2)
    run_job(job, store=store, blobs=blobs, engine=_SecondVariantFails(), settings=SETTINGS)  # type: ignore[arg-type]
    failed = store.get_job("video_1")
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error_message == "The engine failed: cannot read <path>"
    assert failed.expires_at == failed.completed_at + store.retention_seconds  # type: ignore[operator]
    assert not (tmp_path / "videos" / "video_1" / "1").exists()  # variant 0 was removed


def test_a_missing_input_fails_without_naming_its_key(store: Store, tmp_path: Path) -> None:
    job = _job(store, "edit", input_image_key="uploads/video_1/input.png")
    run_job(
        job,
        store=store,
        blobs=LocalBlobStore(tmp_path),
        engine=FakeEngine({"fps": 8}),
        settings=SETTINGS,
    )
    failed = store.get_job("video_1")
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error_message == "An input of this job is no longer available."


def test_an_unexpected_error_is_logged_not_shown(store: Store, tmp_path: Path) -> None:
    class Broken:
        def capabilities(self):  # type: ignore[no-untyped-def]
            raise AssertionError

        def generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise KeyError("/var/lib/reelbox/blobs/videos/video_1/1/0/video.mp4")

    job = _job(store, "broken")
    run_job(job, store=store, blobs=LocalBlobStore(tmp_path), engine=Broken(), settings=SETTINGS)  # type: ignore[arg-type]
    failed = store.get_job("video_1")
    assert failed is not None and failed.error_code == "internal_error"
    assert "video_1/1" not in (failed.error_message or "") and "/" not in (
        failed.error_message or ""
    )
