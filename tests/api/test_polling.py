"""The polling fast path (api/polling.py): a plain poll answered at the edge gets the routed
answer byte for byte; everything else reaches the routes as before; it is counted like a routed
request. `/openai/v1/videos…` serves the same routes without the fast path, so it is the
reference."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reelbox.api import polling
from reelbox.app import create_app
from reelbox.settings import Settings
from reelbox.store.database import connect
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader

PROMPTS = ("a red ball bouncing", "猫が桜の木の下で踊る — «ç'est ça»", 'quotes "and" \\ slashes')
UNCHANGING = {"date", "x-request-id"}


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "d", database_url=database_url)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as client:
        yield client


def _create(api: TestClient, prompt: str) -> str:
    answer = api.post("/v1/videos", json={"prompt": prompt, "seconds": "4", "size": "720x1280"})
    assert answer.status_code == 200, answer.text
    video_id: str = answer.json()["id"]
    return video_id


def _same(fast: Any, routed: Any) -> None:
    assert fast.status_code == routed.status_code
    assert fast.content == routed.content
    assert [(k, v) for k, v in fast.headers.multi_items() if k not in UNCHANGING] == [
        (k, v) for k, v in routed.headers.multi_items() if k not in UNCHANGING
    ]


def test_a_poll_gets_the_routed_answer_byte_for_byte(
    api: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str | None] = []
    answer = polling.answer

    async def recorded(scope: Any, receive: Any, send: Any) -> str | None:
        answered.append(await answer(scope, receive, send))
        return answered[-1]

    monkeypatch.setattr(polling, "answer", recorded)
    ids = [_create(api, prompt) for prompt in PROMPTS]
    store = Store(connect(database_url))
    try:
        store.fail(ids[1], attempt=None, code="internal_error", message="it broke: «here»")
    finally:
        store.engine.dispose()
    for video_id in ids:  # queued (with openai-poll-after-ms) and failed (with an error)
        _same(api.get(f"/v1/videos/{video_id}"), api.get(f"/openai/v1/videos/{video_id}"))
    for query in ("", "?limit=2", "?limit=1&order=asc", f"?after={ids[2]}", "?limit=0"):
        _same(api.get(f"/v1/videos{query}"), api.get(f"/openai/v1/videos{query}"))
    assert [v["id"] for v in api.get("/v1/videos?order=asc").json()["data"]] == ids
    # Every /v1 poll above was answered on the fast path; the /openai/v1 ones were offered
    # and passed on to the routes (bodies, as in the creates, are never offered).
    R, L = polling.RETRIEVE, polling.LIST
    assert answered == [R, None] * 3 + [L, None] * 5 + [L]


def test_what_the_fast_path_does_not_answer_reaches_the_routes(api: TestClient) -> None:
    video_id = _create(api, "a cat")
    missing = api.get("/v1/videos/video_missing")
    assert missing.status_code == 404
    assert missing.json()["error"]["param"] is not None or missing.json()["error"]["message"]
    _same(missing, api.get("/openai/v1/videos/video_missing"))
    bad = api.get("/v1/videos?limit=101")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"
    assert api.get("/v1/videos?order=sideways").status_code == 400
    assert api.get(f"/v1/videos/{video_id}?x=1").json()["id"] == video_id  # routed, ignored
    for path in (f"/{video_id}/content", "/", "/characters"):
        _same(api.get(f"/v1/videos{path}"), api.get(f"/openai/v1/videos{path}"))


def test_keys_are_checked_on_the_fast_path(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", api_keys={"ka": "a", "kb": "b"})
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        a = {"authorization": "Bearer ka"}
        created = api.post("/v1/videos", json={"prompt": "x"}, headers=a)
        video_id = created.json()["id"]
        assert api.get(f"/v1/videos/{video_id}", headers=a).status_code == 200
        assert api.get(f"/v1/videos/{video_id}").status_code == 401
        assert api.get("/v1/videos", headers={"authorization": "Bearer nope"}).status_code == 401
        other = api.get(f"/v1/videos/{video_id}", headers={"authorization": "Bearer kb"})
        assert other.status_code == 404  # another project's video does not exist for b
        assert api.get("/v1/videos", headers={"api-key": "kb"}).json()["data"] == []
        assert [v["id"] for v in api.get("/v1/videos", headers=a).json()["data"]] == [video_id]


def test_fast_polls_are_counted_under_their_route(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        video_id = _create(api, "a cat")
        for _ in range(3):
            assert api.get(f"/v1/videos/{video_id}").status_code == 200
        assert api.get("/v1/videos").status_code == 200
        assert api.get("/v1/videos/video_missing").status_code == 404
        text = api.get("/metrics").text
    counted = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "reelbox_http_requests_total"
    }
    assert counted[("GET", polling.RETRIEVE, "200")] == 3
    assert counted[("GET", polling.LIST, "200")] == 1
    assert counted[("GET", polling.RETRIEVE, "404")] == 1


def test_the_fast_path_answers_only_plain_gets_of_the_two_routes() -> None:
    sent: list[object] = []

    async def receive() -> dict[str, object]:
        raise AssertionError("a poll has no body to read")

    async def send(message: object) -> None:
        sent.append(message)

    def scope(method: str, path: str, **extra: object) -> dict[str, object]:
        return {"type": "http", "method": method, "path": path, "query_string": b"",
                "headers": [], "state": {}, **extra}  # fmt: skip

    for method, path, extra in [
        ("POST", "/v1/videos", {}),
        ("HEAD", "/v1/videos/video_1", {}),
        ("GET", "/v1/videos/video_1/content", {}),
        ("GET", "/v1/videosx", {}),
        ("GET", "/openai/v1/videos/video_1", {}),
        ("GET", "/v1/videos/video_1", {"root_path": "/api"}),
        ("GET", "/v1/videos", {}),  # no services in the state: not this app's request
    ]:
        answered = asyncio.run(polling.answer(scope(method, path, **extra), receive, send))
        assert answered is None
    assert sent == []


def test_a_storage_fault_on_the_fast_path_gets_the_routed_error(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path has no error handlers of its own: a failing read goes on to the route,
    whose handlers turn a full disk into 507 `storage_unavailable` (not the edge's 500)."""
    video_id = _create(api, "a cat")

    async def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VideoReader, "fetch", full)
    monkeypatch.setattr(VideoReader, "fetch_page", full)
    for path in (f"/v1/videos/{video_id}", "/v1/videos"):
        fast, routed = api.get(path), api.get("/openai" + path)
        assert fast.status_code == 507, fast.text
        assert fast.json()["error"]["code"] == "storage_unavailable"
        _same(fast, routed)
