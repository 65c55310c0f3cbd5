"""Live events over Server-Sent Events from a real server: progress to completion, keep-alives,
and resuming a dropped connection with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openai import OpenAI

from support.server import LiveServer, server_config

EVENTS_CONFIG = server_config(events_poll_interval_seconds=0.05, events_keepalive_seconds=0.2)


@dataclass
class Message:
    id: int | None
    event: str
    data: dict[str, Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("events") / "data", config=EVENTS_CONFIG)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.url}/v1", api_key="anything", max_retries=0) as sdk:
        yield sdk


def _read(
    lines: Iterator[str], *, stop: Any = None, comments: list[str] | None = None
) -> list[Message]:
    """Parse an event stream's lines until it ends, or until `stop(message)` is true."""
    messages: list[Message] = []
    fields: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            if comments is not None:
                comments.append(line)
            continue
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            raw_id = fields.get("id")
            message = Message(
                id=int(raw_id) if raw_id else None,
                event=fields.get("event", "message"),
                data=json.loads(fields["data"]),
            )
            messages.append(message)
            if stop is not None and stop(message):
                return messages
        fields = {}
    return messages


def _check_order(messages: list[Message]) -> None:
    ids = [m.id for m in messages]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(set(ids)), ids  # strictly increasing  # type: ignore[type-var]
    progress = [m.data["progress"] for m in messages]
    assert progress == sorted(progress), progress


def test_the_stream_follows_a_video_to_completion(client: OpenAI, server: LiveServer) -> None:
    video = client.videos.create(prompt="a slow boat", model="slow", size="64x64", seconds="3")
    comments: list[str] = []
    with httpx.stream("GET", f"{server.url}/v1/videos/{video.id}/events", timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        messages = _read(response.iter_lines(), comments=comments)
    _check_order(messages)
    assert messages[0].event in ("video.queued", "video.in_progress")
    assert messages[-1].event == "video.completed"
    assert messages[-1].data["status"] == "completed" and messages[-1].data["progress"] == 100
    assert messages[-1].data == client.videos.retrieve(video.id).to_dict(mode="json")
    assert len({m.data["progress"] for m in messages if m.event == "video.progress"}) >= 2
    assert ": keep-alive" in comments


def test_a_dropped_connection_resumes_from_last_event_id(
    client: OpenAI, server: LiveServer
) -> None:
    video = client.videos.create(prompt="a long walk", model="slow", size="64x64", seconds="3")
    url = f"{server.url}/v1/videos/{video.id}/events"
    with httpx.stream("GET", url, timeout=30) as response:
        first = _read(response.iter_lines(), stop=lambda m: m.data["progress"] > 0)
    # The client went away mid-video; it comes back with the last id it saw.
    last = first[-1].id
    headers = {"last-event-id": str(last)}
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        second = _read(response.iter_lines())
    assert second[0].id is not None and last is not None and second[0].id > last
    _check_order(first + second)
    assert second[-1].event == "video.completed"
    # Having seen the end, a reconnecting EventSource is told to stop (204).
    done = httpx.get(url, headers={"last-event-id": str(second[-1].id)})
    assert done.status_code == 204
    # Without a position, a finished video's stream is its final state, then the end.
    with httpx.stream("GET", url, timeout=30) as response:
        (final,) = _read(response.iter_lines())
    assert final.event == "video.completed" and final.id == second[-1].id


def test_a_deleted_video_ends_its_stream(client: OpenAI, server: LiveServer) -> None:
    video = client.videos.create(prompt="cancel me", model="slow", size="64x64", seconds="3")
    url = f"{server.url}/v1/videos/{video.id}/events"
    with httpx.stream("GET", url, timeout=30) as response:
        lines = response.iter_lines()
        first = _read(lines, stop=lambda m: True)
        client.videos.delete(video.id)
        rest = _read(lines)
    assert first and rest[-1].event == "video.deleted"
    assert rest[-1].data == {"id": video.id, "object": "video.deleted", "deleted": True}
    assert httpx.get(url).status_code == 404


def test_unknown_videos_answer_404(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/v1/videos/video_nope/events")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "Video with id 'video_nope' not found."
