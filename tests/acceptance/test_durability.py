"""Killing processes at bad moments loses nothing; broken engines fail only their own jobs."""

from __future__ import annotations

import os
import signal

import pytest

from support.media import probe_mp4
from support.server import LiveServer, server_config, wait_for


def test_server_killed_mid_generation_resumes_after_restart(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server()
    client = sdk(server)
    finished = client.videos.create_and_poll(
        prompt="done before the crash",
        model="fake",
        size="64x64",
        seconds="1",
        poll_interval_ms=50,
    )
    before = client.videos.download_content(finished.id).read()
    running = client.videos.create(prompt="interrupted", model="slow", size="64x64", seconds="3")
    wait_for(lambda: client.videos.retrieve(running.id).progress > 10, timeout=30)
    workers = server.worker_pids()
    assert workers

    server.kill()
    # The workers die with the server (PR_SET_PDEATHSIG), leaving no orphan writing to the job.
    wait_for(
        lambda: not any(os.path.exists(f"/proc/{pid}") and _alive(pid) for pid in workers),
        timeout=10,
    )
    server.start()

    client = sdk(server)
    done = client.videos.poll(running.id, poll_interval_ms=50)
    assert done.status == "completed", done.error
    assert probe_mp4(client.videos.download_content(done.id).read()).frames == 24
    # The video finished before the crash is intact, byte for byte.
    assert client.videos.retrieve(finished.id).status == "completed"
    assert client.videos.download_content(finished.id).read() == before
    # No half-written file became visible: every stored MP4 decodes completely.
    visible = list((server.data_dir / "blobs" / "videos").rglob("*.mp4"))
    assert len(visible) == 2
    for path in visible:
        assert probe_mp4(path).frames == 8 or probe_mp4(path).frames == 24


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_worker_killed_mid_generation_is_retried(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server()
    client = sdk(server)
    video = client.videos.create(prompt="victim", model="slow", size="64x64", seconds="3")
    wait_for(lambda: client.videos.retrieve(video.id).progress > 10, timeout=30)
    workers = server.worker_pids()
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    done = client.videos.poll(video.id, poll_interval_ms=50)
    assert done.status == "completed", done.error
    assert not set(server.worker_pids()) & set(workers)
    # The server replaced its workers and goes on serving.
    again = client.videos.create_and_poll(
        prompt="after", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert again.status == "completed"


def test_crashing_engine_fails_only_its_job(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(config=server_config(max_attempts=2))
    client = sdk(server)
    crash = client.videos.create(prompt="[fail:exit]", model="fake", size="64x64", seconds="1")
    fine = client.videos.create(prompt="fine", model="fake", size="64x64", seconds="1")
    crashed = client.videos.poll(crash.id, poll_interval_ms=50)
    assert crashed.status == "failed"
    assert crashed.error is not None and crashed.error.code == "internal_error"
    assert "worker process died" in crashed.error.message
    assert "after 2 attempts" in crashed.error.message
    assert client.videos.poll(fine.id, poll_interval_ms=50).status == "completed"


def test_hanging_engine_times_out(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(config=server_config(job_timeout_seconds=2))
    client = sdk(server)
    video = client.videos.create(prompt="[fail:hang]", model="fake", size="64x64", seconds="1")
    failed = client.videos.poll(video.id, poll_interval_ms=100)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "timeout"
    ok = client.videos.create_and_poll(
        prompt="fine", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert ok.status == "completed"


def test_memory_hungry_engine_fails_its_job(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(config=server_config(worker_memory_mb=1500))
    client = sdk(server)
    video = client.videos.create(prompt="[fail:memory]", model="fake", size="64x64", seconds="1")
    failed = client.videos.poll(video.id, poll_interval_ms=100)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code in ("engine_error", "internal_error")
    ok = client.videos.create_and_poll(
        prompt="fine", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert ok.status == "completed"


@pytest.mark.postgres
def test_postgres_backed_server(make_server, sdk, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(database_url=postgres_url)
    client = sdk(server)
    video = client.videos.create_and_poll(
        prompt="on postgres", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert video.status == "completed"
    running = client.videos.create(prompt="slow", model="slow", size="64x64", seconds="2")
    wait_for(lambda: client.videos.retrieve(running.id).progress > 10, timeout=30)
    server.kill()
    server.start()
    # On Postgres recovery waits for the lease (5 s here) to run out.
    done = sdk(server).videos.poll(running.id, poll_interval_ms=100)
    assert done.status == "completed", done.error
