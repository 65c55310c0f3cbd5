"""The job time limit covers storing too: real worker processes, pipelined output, and an
object store that accepts connections but never answers (a stalled S3 endpoint on loopback).

With pipelined output a worker reports the engine free once a job's frames exist and stores
the video beside the next job. A store that hangs must not leave that job running forever: at
the time limit, counted from when the job was sent, it fails with `timeout`, and the job then in
the same worker goes back to the queue without spending an attempt.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelbox.executors.local import LocalExecutor
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store

TIME_LIMIT = 4.0
FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class SilentServer:
    """Accepts TCP connections on loopback, reads whatever comes, and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = connect(f"sqlite:///{tmp_path / 'reelbox.db'}")
    migrate(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _executor(store: Store, tmp_path: Path, **blobs: Any) -> LocalExecutor:
    executor = LocalExecutor(
        config=WorkerConfig(
            database_url=f"sqlite:///{tmp_path / 'reelbox.db'}",
            blob_dir=tmp_path / "blobs",
            profiles={"fake": ("fake", {"fps": 8, "frames_first": True})},
            run=RunSettings(lease_seconds=30, retention_seconds=3600, heartbeat_seconds=0.05),
            **blobs,
        ),
        slots=1,
        store=store,
        job_timeout=TIME_LIMIT,
    )
    executor.start()
    return executor


def _create(store: Store, job_id: str) -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt="a red car",
        width=32,
        height=32,
        seconds=1.0,
        seed=1,
        profile="fake",
        fps=8,
    )
    new = NewJob(id=job_id, project="p", dialect="openai", model="fake", spec=spec, seconds="1")
    store.create_job(new, queue_cap=10)


def _tick(executor: LocalExecutor, store: Store) -> None:
    """What the scheduler does on each tick: poll, then fill free slots."""
    executor.poll()
    while executor.free_slots() > 0:
        job = store.claim_next(owner="test", lease_seconds=30, per_project_limit=2)
        if job is None:
            break
        executor.submit(job)


def _until(executor: LocalExecutor, store: Store, done: Any, *, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, "timed out waiting"
        _tick(executor, store)
        time.sleep(0.02)


def _job(store: Store, job_id: str) -> Job:
    job = store.get_job(job_id)
    assert job is not None
    return job


def test_a_video_that_cannot_be_stored_fails_the_job_at_its_time_limit(
    store: Store, tmp_path: Path, silent: SilentServer
) -> None:
    executor = _executor(
        store,
        tmp_path,
        blob_url="s3://videos",
        blob_options={
            "endpoint": f"http://127.0.0.1:{silent.port}",
            "region": "us-east-1",
            "access_key_id": "test",
            "secret_access_key": "test",
            "allow_http": True,
            "timeout": "120s",
        },
    )
    try:
        _create(store, "video_1")
        # The engine is done with video_1 (its frames exist): the worker takes the next job
        # while video_1's upload hangs.
        _until(executor, store, lambda: executor.free_slots() == 1 and executor.running() == set())
        worker = executor.workers()[0]["pids"]
        storing = time.monotonic()  # video_1 was sent a moment before
        time.sleep(1.0)
        _create(store, "video_2")
        _until(executor, store, lambda: _job(store, "video_1").status in FINISHED)
        failed = _job(store, "video_1")
        assert failed.status is JobStatus.FAILED and failed.error_code == "timeout"
        assert "could not be stored in time" in (failed.error_message or "")
        assert time.monotonic() - storing < TIME_LIMIT + 10  # not the upload's own timeout
        # video_2 had time left: its worker was replaced, and it waits for the next one with
        # the attempt it lost given back.
        requeued = _job(store, "video_2")
        assert requeued.status is JobStatus.QUEUED
        assert (requeued.attempt, requeued.max_attempts) == (1, 4)
        assert executor.workers()[0]["pids"] != worker
    finally:
        executor.shutdown()


def test_pipelined_jobs_that_store_in_time_complete(store: Store, tmp_path: Path) -> None:
    executor = _executor(store, tmp_path)
    try:
        for job_id in ("video_1", "video_2", "video_3"):
            _create(store, job_id)
        _until(
            executor,
            store,
            lambda: all(_job(store, f"video_{n}").status in FINISHED for n in (1, 2, 3)),
        )
        for n in (1, 2, 3):
            assert _job(store, f"video_{n}").status is JobStatus.COMPLETED
    finally:
        executor.shutdown()
