"""The scheduler with an in-memory executor: slots, fairness, recovery, expiry."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from reelbox.blobs import LocalBlobStore
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.scheduler.scheduler import Scheduler, SchedulerSettings
from reelbox.store.rows import NewGeneration, NewJob
from reelbox.store.store import Store
from support.disk import fill


class MemoryExecutor:
    """Accepts jobs into a fixed number of slots and runs nothing."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.jobs: list[Job] = []
        self.started = False

    def start(self) -> None:
        self.started = True

    def free_slots(self) -> int:
        return self.slots - len(self.jobs)

    def submit(self, job: Job) -> None:
        self.jobs.append(job)

    def poll(self) -> None:
        pass

    def running(self) -> set[str]:
        return {j.id for j in self.jobs}

    def shutdown(self) -> None:
        pass


def _scheduler(store: Store, tmp_path: Path, slots: int = 2, *, recover_all: bool = False):  # type: ignore[no-untyped-def]
    return Scheduler(
        store=store,
        blobs=LocalBlobStore(tmp_path),
        executor=MemoryExecutor(slots),
        settings=SchedulerSettings(
            per_project_limit=2,
            lease_seconds=10,
            interval=0.01,
            sweep_interval=1,
            recover_all_on_start=recover_all,
        ),
    )


def _create(store: Store, job_id: str, project: str = "a") -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="p", width=32, height=32, seconds=1, seed=1, profile="fake"
    )
    store.create_job(
        NewJob(id=job_id, project=project, dialect="openai", model="m", spec=spec, seconds="1"),
        queue_cap=100,
    )


def test_dispatch_fills_free_slots_only(store: Store, tmp_path: Path) -> None:
    for i in range(5):
        _create(store, f"video_{i}", project=f"p{i}")
    scheduler = _scheduler(store, tmp_path, slots=3)
    assert scheduler.dispatch() == 3
    assert scheduler.dispatch() == 0
    assert store.count_jobs(project="p0", status=JobStatus.IN_PROGRESS) == 1
    assert len(scheduler.executor.jobs) == 3  # type: ignore[attr-defined]


def test_recovery_requeues_lost_runs_but_not_its_own(store: Store, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    _create(store, "video_mine")
    clock.advance(1)
    _create(store, "video_lost")
    scheduler = _scheduler(store, tmp_path, slots=1)
    scheduler.dispatch()  # video_mine runs here
    lost = store.claim_next(owner="elsewhere", lease_seconds=10, per_project_limit=2)
    assert lost is not None and lost.id == "video_lost"
    clock.advance(11)
    assert scheduler.recover(everything=False) == 1
    assert store.get_job("video_lost").status is JobStatus.QUEUED  # type: ignore[union-attr]
    assert store.get_job("video_mine").status is JobStatus.IN_PROGRESS  # type: ignore[union-attr]


def test_start_on_sqlite_requeues_everything_left_running(store: Store, tmp_path: Path) -> None:
    _create(store, "video_1")
    store.claim_next(owner="dead-server", lease_seconds=1000, per_project_limit=2)
    scheduler = _scheduler(store, tmp_path, slots=1, recover_all=True)
    scheduler.start()
    # Re-queued before the executor starts, then claimed again into the free slot.
    assert [e.type for e in store.events("video_1")][2] == "job.requeued"
    assert scheduler.executor.started  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while len(store.events("video_1")) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    events = [e.type for e in store.events("video_1")]
    assert events == ["job.created", "job.started", "job.requeued", "job.started"]
    job = store.get_job("video_1")
    assert job is not None and job.attempt == 2


def test_sweep_deletes_expired_media(store: Store, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    _create(store, "video_1")
    scheduler = _scheduler(store, tmp_path, slots=1)
    scheduler.dispatch()
    blobs = scheduler.blobs
    blobs.put_bytes("videos/video_1/1/0/video.mp4", b"mp4")
    store.complete(
        "video_1",
        attempt=1,
        outputs=[
            NewGeneration(
                id="gen_1",
                index=0,
                seed=1,
                video_key="videos/video_1/1/0/video.mp4",
                thumbnail_key="t",
                thumbnail_jpeg_key="tj",
                spritesheet_key="s",
                width=32,
                height=32,
                fps=8,
                frame_count=8,
                duration=1,
                has_audio=False,
                sprite_columns=1,
                sprite_rows=1,
                sprite_frame_width=32,
                sprite_frame_height=32,
            )
        ],
        plan=None,
        retention_seconds=60,
    )
    assert scheduler.sweep() == 0
    clock.advance(61)
    assert scheduler.sweep() == 1
    assert not blobs.exists("videos/video_1/1/0/video.mp4")
    assert store.get_job("video_1").assets_expired  # type: ignore[union-attr]
    assert scheduler.sweep() == 0


def test_nothing_starts_while_the_disk_is_full_and_everything_after(
    store: Store, small_disk: Path
) -> None:
    for i in range(3):
        _create(store, f"video_{i}", project=f"p{i}")
    scheduler = _scheduler(store, small_disk / "blobs", slots=3)
    filler = fill(small_disk)
    scheduler.blobs.forget_probe()  # type: ignore[attr-defined]
    assert scheduler.dispatch() == 0
    assert scheduler.storage_paused == "blob storage is full"
    assert store.count_jobs(project="p0", status=JobStatus.QUEUED) == 1
    filler.unlink()
    scheduler.blobs.forget_probe()  # type: ignore[attr-defined]
    assert scheduler.dispatch() == 3
    assert scheduler.storage_paused is None


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    for p in [path, *path.rglob("*")]:
        os.utime(p, (past, past))


def test_orphan_sweep_removes_blobs_no_row_owns_after_the_grace(
    store: Store, tmp_path: Path
) -> None:
    scheduler = _scheduler(store, tmp_path)
    blobs = scheduler.blobs
    _create(store, "video_live")
    _create(store, "video_done")
    scheduler.dispatch()  # both run: attempt 1
    store.complete(
        "video_done",
        attempt=1,
        outputs=[_generation("videos/video_done/2/0")],
        plan=None,
        retention_seconds=3600,
    )
    old = [
        "uploads/video_live/input.png",  # a live job's upload: kept
        "videos/video_live/1/0/video.mp4",  # the attempt running now: kept
        "videos/video_done/1/0/video.mp4",  # an attempt no generation came from: removed
        "videos/video_done/2/0/video.mp4",  # the recorded generation: kept
        "uploads/video_never/input.png",  # an upload whose job row never came: removed
        "characters/char_none/clip.mp4",  # no such character: removed
    ]
    for key in old:
        blobs.put_bytes(key, b"-")
    for top in ("uploads", "videos", "characters"):
        _age(tmp_path / top, 7200)
    blobs.put_bytes("uploads/video_fresh/input.png", b"-")  # written just now: in grace
    assert scheduler.sweep_orphans() == 3
    remaining = sorted(
        b.key for top in ("uploads", "videos", "characters") for b in blobs.iter_blobs(top)
    )
    assert remaining == [
        "uploads/video_fresh/input.png",
        "uploads/video_live/input.png",
        "videos/video_done/2/0/video.mp4",
        "videos/video_live/1/0/video.mp4",
    ]


def test_one_orphan_sweep_serves_an_object_store_and_removes_lost_attempts(
    store: Store, tmp_path: Path
) -> None:
    from reelbox.blobs.factory import open_blob_store

    bucket = open_blob_store(url=f"file://{tmp_path / 'bucket'}", local_dir=tmp_path / "work")
    scheduler = _scheduler(store, tmp_path)
    scheduler.blobs = bucket
    _create(store, "video_retried")
    scheduler.dispatch()  # attempt 1 ...
    assert store.requeue_or_fail("video_retried", attempt=1, reason="its node died")
    scheduler.dispatch()  # ... lost; attempt 2 runs now
    assert store.get_job("video_retried").attempt == 2  # type: ignore[union-attr]
    for key in (
        "videos/video_retried/1/0/video.mp4",  # the dead node's upload: removed
        "videos/video_retried/2/0/video.mp4",  # the attempt running now: kept
        "uploads/video_retried/input.png",  # its input: kept
        "videos/video_nobody/1/0/video.mp4",  # no row at all: removed
    ):
        bucket.put_bytes(key, b"-")
    assert scheduler.sweep_orphans() == 0  # all within the grace period
    assert scheduler.sweep_orphans(now=time.time() + 7200) == 2
    left = sorted(b.key for top in ("videos", "uploads") for b in bucket.iter_blobs(top))
    assert left == ["uploads/video_retried/input.png", "videos/video_retried/2/0/video.mp4"]


def test_sweep_removes_staged_files_of_dead_writers(store: Store, tmp_path: Path) -> None:
    scheduler = _scheduler(store, tmp_path)
    dead = tmp_path / ".staging" / f"{socket.gethostname().replace('-', '_')}-{_dead_pid()}-x.mp4"
    dead.write_bytes(b"partial")
    live = scheduler.blobs.staging_path(".mp4")
    live.write_bytes(b"partial")
    scheduler.sweep()
    assert not dead.exists() and live.exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _generation(prefix: str) -> NewGeneration:
    return NewGeneration(
        id=f"gen_{prefix.replace('/', '_')}",
        index=0,
        seed=1,
        video_key=f"{prefix}/video.mp4",
        thumbnail_key=f"{prefix}/thumbnail.webp",
        thumbnail_jpeg_key=f"{prefix}/thumbnail.jpg",
        spritesheet_key=f"{prefix}/spritesheet.jpg",
        width=32,
        height=32,
        fps=8,
        frame_count=8,
        duration=1,
        has_audio=False,
        sprite_columns=1,
        sprite_rows=1,
        sprite_frame_width=32,
        sprite_frame_height=32,
    )


def test_a_failed_jobs_uploads_go_when_it_expires(store: Store, tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    _create(store, "video_1")
    scheduler = _scheduler(store, tmp_path)
    scheduler.blobs.put_bytes("uploads/video_1/input.png", b"png")
    store.fail("video_1", attempt=None, code="engine_error", message="no")
    assert scheduler.sweep() == 0
    clock.advance(store.retention_seconds + 1)
    assert scheduler.sweep() == 1
    assert not scheduler.blobs.exists("uploads/video_1/input.png")
    job = store.get_job("video_1")
    assert job is not None and job.assets_expired
