"""A real full disk under a live server: clean 507s, not ready, no attempt spent, recovery.

The data folder is a 4 MiB tmpfs; a test fills it to the last byte while a job runs, then frees
it again. On PostgreSQL the database lives elsewhere and only blobs fill up.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from PIL import Image

from reelbox.store.database import connect
from reelbox.store.store import Store
from support.disk import fill
from support.media import probe_mp4
from support.server import LiveServer, server_config, wait_for

# One attempt only: a run that burned its attempt on the full disk would fail the job. Below
# 256 KiB free the server counts as full (the failed run's partial file, freed, is not "space
# returned").
CONFIG = server_config(min_free_bytes=256 * 1024, max_attempts=1, workers=1)


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_disk_full_during_a_job_then_space_returns(
    small_disk: Path,
    sdk: Callable[..., OpenAI],
    request: pytest.FixtureRequest,
    database: str,
) -> None:
    url = request.getfixturevalue("postgres_url") if database == "postgres" else None
    server = LiveServer(small_disk, config=CONFIG, database_url=url)
    server.start()
    try:
        client = sdk(server)
        job = client.videos.create(prompt="a kite", model="slow", size="64x64", seconds="4")
        wait_for(lambda: client.videos.retrieve(job.id).status == "in_progress", timeout=30)
        filler = fill(small_disk)

        # The run cannot store its video and gives up; the job is not failed. (On PostgreSQL it
        # is queued again at once; on SQLite, whose file is on the full disk too, the requeue
        # is written once space returns, and the job shows as running meanwhile.)
        wait_for(lambda: f"job {job.id} could not write its results" in server.log(), timeout=60)
        assert client.videos.retrieve(job.id).status in ("queued", "in_progress")
        if database == "postgres":
            wait_for(lambda: client.videos.retrieve(job.id).status == "queued", timeout=10)
        ready = wait_for(lambda: _ready(server, 503), timeout=10)
        assert "full" in ready["reason"] and str(small_disk) not in ready["reason"]

        # Uploads are refused cleanly: 507 `storage_unavailable`, no path, no blob key.
        with pytest.raises(openai.APIStatusError) as refused:
            client.videos.create(
                prompt="with a picture",
                model="fake",
                size="64x64",
                seconds="1",
                input_reference=("ref.png", _png((64, 64)), "image/png"),
            )
        assert refused.value.status_code == 507
        error = refused.value.body
        assert isinstance(error, dict) and error["code"] == "storage_unavailable"
        assert error["type"] == "server_error" and "/" not in error["message"]
        assert int(refused.value.response.headers["retry-after"]) >= 1

        # Nothing starts meanwhile.
        assert client.videos.retrieve(job.id).status != "failed"

        filler.unlink()
        wait_for(lambda: _ready(server, 200), timeout=10)
        done = client.videos.poll(job.id, poll_interval_ms=100)
        assert done.status == "completed", done.error
        assert probe_mp4(client.videos.download_content(done.id).read()).frames == 32
        assert not list((small_disk / "blobs" / ".staging").iterdir())
        engine = connect(url or f"sqlite:///{small_disk / 'reelbox.db'}")
        try:
            events = Store(engine).events(job.id)
        finally:
            engine.dispose()
        requeued = [e.data for e in events if e.type == "job.requeued"]
        assert requeued == [{"reason": "storage_unavailable", "attempt": 1, "attempt_spent": False}]
        assert [e.type for e in events].count("job.started") == 2
    finally:
        server.stop()


def _ready(server: LiveServer, status: int) -> dict[str, str] | None:
    answer = httpx.get(f"{server.url}/readyz", timeout=5)
    return dict(answer.json()) if answer.status_code == status else None
