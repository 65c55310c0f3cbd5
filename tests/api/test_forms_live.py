"""The parser against a live `reelbox serve` (SQLite and PostgreSQL): a 4,000,000-field body
is refused without stalling the event loop, hostile bodies never get a 5xx and the connection
stays usable (issue 12). One server per database serves the module's tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.hostile import envelope_problem, postgres_database
from support.raw_http import Answer, RawConnection
from support.server import TEST_CONFIG, LiveServer


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp(f"forms-{request.param}") / "data"
    if request.param == "sqlite":
        yield from _serve(data, None)
    else:
        with postgres_database(request.getfixturevalue("postgres_admin")) as url:
            yield from _serve(data, url)


def _serve(data: Path, database_url: str | None) -> Iterator[LiveServer]:
    live = LiveServer(data, config=TEST_CONFIG, database_url=database_url)
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_a_four_million_field_body_neither_stalls_nor_fails(server: LiveServer) -> None:
    """The body is sent on one raw keep-alive connection, which must answer the next request;
    /healthz is polled on another meanwhile."""
    body = b"a&" * 4_000_000
    result: dict[str, object] = {}

    def send() -> None:
        form = {"content-type": "application/x-www-form-urlencoded"}
        with RawConnection("127.0.0.1", server.port, timeout=60) as conn:
            answer = conn.request("POST", "/v1/videos", headers=form, body=body)
            result["answer"] = answer
            result["envelope"] = envelope_problem("/v1/videos", answer)
            result["next"] = conn.request("GET", "/healthz").status

    thread = threading.Thread(target=send, daemon=True)
    latencies: list[float] = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        thread.start()
        while thread.is_alive():
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
        thread.join()
    answer = result["answer"]
    assert isinstance(answer, Answer) and answer.status == 400, result
    error = answer.json()["error"]
    assert isinstance(error, dict) and error["code"] == "too_many_fields", error
    assert result["envelope"] is None and result["next"] == 200, result
    # On main this froze /healthz for 11 s; a generous bound for a loaded 2-core machine.
    assert max(latencies) < 2.0, sorted(latencies)[-5:]


def test_hostile_bodies_on_one_keep_alive_connection(server: LiveServer) -> None:
    json_type = {"content-type": "application/json"}
    cases: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", "/v1/videos", b'{"prompt": "\\ud800 car"}', json_type),
        ("POST", "/v1/videos", b'{"prompt": "a\\u0000b"}', json_type),
        ("POST", "/v1/videos", b"[" * 50_000, json_type),
        ("POST", "/v1/videos", b'{"prompt": "x", "seed": ' + b"9" * 400 + b"}", json_type),
        ("POST", "/v1/videos", b'{"prompt": "x", "seconds": "1_0"}', json_type),
        ("GET", "/v1/videos?limit=%C2%B2", b"", {}),
        ("GET", "/v1/videos/video_%00", b"", {}),
        ("GET", "/v1/videos?after=%00", b"", {}),
        ("DELETE", "/v1/videos/task_%00", b"", {}),
        ("POST", "/openai/v1/video/generations/jobs",
         '{"prompt": "x", "width": "²", "height": "480"}'.encode(), json_type),
        ("POST", "/v1/webhook_endpoints",
         b'{"name": "h", "url": "https://[::1/", "event_types": ["video.completed"]}', json_type),
        ("POST", "/v1/webhook_endpoints",
         b'{"name": "h", "url": "https://a..example.com/", "event_types": ["video.completed"]}',
         json_type),
        ("POST", "/v1/videos", b"input_reference" + b"[a]" * 600 + b"=1",
         {"content-type": "application/x-www-form-urlencoded"}),
    ]  # fmt: skip
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, path, content, headers in cases:
            answer = client.request(method, path, content=content, headers=headers)
            assert 400 <= answer.status_code < 500, (path, answer.text)
            error = answer.json()["error"]
            assert error["message"] and "type" in error, error
        assert client.get("/healthz").status_code == 200
