"""`GET /v1/videos/{id}/events` in-process: tenancy, finished videos, resuming at the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelbox.app import create_app
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.settings import Settings
from reelbox.store.database import connect
from reelbox.store.rows import NewJob
from reelbox.store.store import Store

A = {"authorization": "Bearer key-a"}
B = {"authorization": "Bearer key-b"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    settings = Settings(data_dir=tmp_path, api_keys={"key-a": "a", "key-b": "b"})
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as client:
        engine = connect(settings.resolved_database_url)
        yield client, Store(engine)
        engine.dispose()


def _job(store: Store, job_id: str, *, dialect: str = "openai") -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="x", width=64, height=64, seconds=1.0, seed=1, profile="p"
    )
    new = NewJob(id=job_id, project="a", dialect=dialect, model="m", spec=spec, seconds="1")
    store.create_job(new, queue_cap=10)


def test_only_the_owner_sees_the_stream(world: tuple[TestClient, Store]) -> None:
    client, store = world
    _job(store, "video_1")
    _job(store, "task_1", dialect="azure")
    for path, headers in (
        ("/v1/videos/video_1/events", B),
        ("/v1/videos/task_1/events", A),
        ("/v1/videos/video_nope/events", A),
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_a_finished_video_streams_its_final_state_then_ends(
    world: tuple[TestClient, Store],
) -> None:
    client, store = world
    _job(store, "video_1")
    assert store.fail("video_1", attempt=None, code="moderation_blocked", message="no")
    answer = client.get("/v1/videos/video_1/events", headers=A)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in answer.text.split("\n\n") if b]
    assert blocks[0] == "retry: 1000"
    fields = dict(line.split(": ", 1) for line in blocks[1].splitlines())
    assert fields["event"] == "video.failed"
    video = json.loads(fields["data"])
    assert video["id"] == "video_1" and video["status"] == "failed"
    assert video["error"] == {"code": "moderation_blocked", "message": "no"}
    last = fields["id"]
    assert len(blocks) == 2
    # Reconnecting with that id: nothing more will come, so the client is told to stop.
    again = client.get("/v1/videos/video_1/events", headers={**A, "last-event-id": last})
    assert again.status_code == 204
    older = client.get("/v1/videos/video_1/events", headers={**A, "last-event-id": "1"})
    assert older.status_code == 200 and f"id: {last}" in older.text


@pytest.mark.parametrize("seen", ["²", "1_0", "٣", "9" * 400, " ", "-1"])
def test_a_last_event_id_that_is_not_plain_digits_counts_as_none(
    world: tuple[TestClient, Store], seen: str
) -> None:
    client, store = world
    _job(store, "video_1")
    assert store.fail("video_1", attempt=None, code="moderation_blocked", message="no")
    answer = client.get("/v1/videos/video_1/events", headers={**A, "last-event-id": seen.encode()})
    assert answer.status_code == 200  # the whole final state again, never a 500
    assert "event: video.failed" in answer.text
