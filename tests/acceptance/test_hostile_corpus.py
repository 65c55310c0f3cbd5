"""The hostile corpus of issue 12 against live servers on SQLite and PostgreSQL.

Every request must get an answer below 500 in its dialect's error envelope, promptly, and the
same keep-alive connection must answer the next request (0 reset connections). After the corpus
the server is healthy: probes answer and a normal create still completes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from support.hostile import envelope_problem, healthy, live_server, postgres_database
from support.raw_http import Answer, RawConnection
from support.server import LiveServer

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
AZURE_JOBS = "/openai/v1/video/generations/jobs?api-version=preview"
VIDEO = {"prompt": "a red ball", "model": "tiny", "size": "64x64", "seconds": "1"}
AZURE = {
    "prompt": "a red ball",
    "model": "sora-fast",
    "width": "854",
    "height": "480",
    "n_seconds": "1",
}


@dataclass
class World:
    server: LiveServer
    video_id: str  # a completed video
    task_id: str  # an Azure job


def _wait(client: httpx.Client, path: str, done: Callable[[dict[str, object]], bool]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if done(client.get(path).json()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} did not finish")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    data = tmp_path_factory.mktemp(f"hostile-{request.param}") / "data"
    if request.param == "sqlite":
        servers = live_server(data)
    else:
        admin = request.getfixturevalue("postgres_admin")
        databases = postgres_database(admin)
        url = databases.__enter__()
        request.addfinalizer(lambda: databases.__exit__(None, None, None))
        servers = live_server(data, database_url=url)
    with servers as server, httpx.Client(base_url=server.url, timeout=30) as client:
        video = client.post("/v1/videos", json=VIDEO).json()
        _wait(client, f"/v1/videos/{video['id']}", lambda v: v["status"] == "completed")
        task = client.post(AZURE_JOBS, json=AZURE).json()
        _wait(
            client,
            f"{AZURE_JOBS.split('?')[0]}/{task['id']}",
            lambda j: j["status"] in ("succeeded", "failed"),
        )
        yield World(server=server, video_id=video["id"], task_id=task["id"])
        healthy(server)


def _deep_json(depth: int) -> bytes:
    return b'{"prompt": ' + b"[" * depth + b"]" * depth + b', "model": "tiny"}'


def _multipart(fields: list[tuple[str, bytes]], boundary: str = "hostileboundary") -> bytes:
    parts = [
        f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


MULTIPART = {"content-type": "multipart/form-data; boundary=hostileboundary"}
BIG = "9" * 400


@dataclass(frozen=True)
class Case:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    expect: int | None = None  # the exact status, where the issue says which
    param: str | None = None  # the error's param, where it matters


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


CASES: dict[str, Case] = {
    "limit non-ASCII digit": Case("GET", "/v1/videos?limit=%C2%B2", {}, expect=400),
    "azure width non-ASCII digit": Case(
        "POST", AZURE_JOBS, JSON, _json({**AZURE, "width": "²"}), expect=400
    ),
    "azure list limit non-ASCII digit": Case("GET", AZURE_JOBS + "&limit=%C2%B2", {}, expect=400),
    "2000-deep JSON on create": Case("POST", "/v1/videos", JSON, _deep_json(2000), expect=400),
    "2000-deep JSON on a webhook": Case(
        "POST",
        "/v1/webhook_endpoints",
        JSON,
        b'{"url": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        expect=400,
    ),
    "2000-deep JSON on Azure inpaint_items": Case(
        "POST",
        AZURE_JOBS,
        JSON,
        b'{"prompt": "x", "model": "sora-fast", "inpaint_items": '
        + b"[" * 2000
        + b"]" * 2000
        + b"}",
        expect=400,
    ),
    "600-deep bracket field name (urlencoded)": Case(
        "POST",
        "/v1/videos",
        FORM,
        b"prompt=x&model=tiny&input_reference" + b"[a]" * 600 + b"=1",
        expect=400,
    ),
    "600-deep bracket field name (multipart)": Case(
        "POST",
        "/v1/videos",
        MULTIPART,
        _multipart([("prompt", b"x"), ("characters" + "[0]" * 600, b"1")]),
        expect=400,
    ),
    "lone surrogate in a JSON prompt": Case(
        "POST", "/v1/videos", JSON, b'{"prompt": "\\ud800 car", "model": "tiny"}', expect=400
    ),
    "lone surrogate in a webhook url": Case(
        "POST",
        "/v1/webhook_endpoints",
        JSON,
        b'{"url": "https://example.com/\\udc00"}',
        expect=400,
    ),
    "lone surrogate in the path": Case("GET", "/v1/videos/video_%ED%A0%80", {}, expect=400),
    "NUL in a JSON prompt": Case(
        "POST", "/v1/videos", JSON, _json({**VIDEO, "prompt": "a\u0000b"}), expect=400
    ),
    "NUL in a multipart prompt": Case(
        "POST",
        "/v1/videos",
        MULTIPART,
        _multipart([("prompt", b"a\x00b"), ("model", b"tiny")]),
        expect=400,
    ),
    "NUL in a character name": Case(
        "POST",
        "/v1/videos/characters",
        MULTIPART,
        _multipart([("name", b"a\x00b"), ("video", b"not a video")]),
        expect=400,
        param="name",  # refused for the name, not for the video that follows it
    ),
    "NUL in the path": Case("GET", "/v1/videos/video_%00", {}, expect=400),
    "NUL in the cursor": Case("GET", "/v1/videos?after=video_%00", {}, expect=400),
    "NUL in the Azure cursor": Case("GET", AZURE_JOBS + "&after=%00", {}, expect=400),
    "400-digit integer seconds": Case(
        "POST",
        "/v1/videos",
        JSON,
        b'{"prompt": "x", "model": "tiny", "seconds": ' + BIG.encode() + b"}",
        expect=400,
    ),
    "400-digit Azure n_seconds": Case(
        "POST", AZURE_JOBS, JSON, _json({**AZURE, "n_seconds": int(BIG)}), expect=400
    ),
    "400-digit Azure width string": Case(
        "POST", AZURE_JOBS, JSON, _json({**AZURE, "width": BIG}), expect=400
    ),
    "webhook url with an empty label": Case(
        "POST",
        "/v1/webhook_endpoints",
        JSON,
        _json({"url": "https://a..example.com/"}),
        expect=400,
    ),
    "webhook url with an open IPv6 bracket": Case(
        "POST", "/v1/webhook_endpoints", JSON, _json({"url": "https://[::1/"}), expect=400
    ),
    "seconds with an underscore": Case(
        "POST", "/v1/videos", JSON, _json({**VIDEO, "seconds": "1_0"}), expect=400
    ),
    "cross-origin form post": Case(
        "POST",
        "/v1/videos",
        {**FORM, "origin": "https://evil.example"},
        b"prompt=a+cat&model=tiny",
        expect=403,
    ),
    "cross-site webhook registration": Case(
        "POST",
        "/v1/webhook_endpoints",
        {**JSON, "sec-fetch-site": "cross-site"},
        _json({"url": "https://example.com/hook"}),
        expect=403,
    ),
    "DNS-rebinding Host": Case("GET", "/v1/videos", {"host": "evil.example:8000"}, expect=421),
    "invalid JSON": Case("POST", "/v1/videos", JSON, b'{"prompt": ', expect=400),
    "bad percent-escape": Case("GET", "/v1/videos?after=%zz", {}, expect=400),
}


def _run(conn: RawConnection, case: Case) -> Answer:
    return conn.request(case.method, case.target, headers=case.headers, body=case.body)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_request(world: World, name: str) -> None:
    case = CASES[name]
    with RawConnection("127.0.0.1", world.server.port, timeout=30) as conn:
        answer = _run(conn, case)
        # First: the same keep-alive connection answers the next request (no reset), whatever
        # the answer was.
        assert conn.request("GET", "/healthz").status == 200
    assert answer.status < 500, (answer.status, answer.body[:300])
    assert envelope_problem(case.target, answer) is None, envelope_problem(case.target, answer)
    if case.expect is not None:
        assert answer.status == case.expect, answer.body[:300]
    if case.param is not None:
        assert answer.json()["error"]["param"] == case.param, answer.body[:300]  # type: ignore[index]


def test_last_event_id_with_a_non_ascii_digit(world: World) -> None:
    with RawConnection("127.0.0.1", world.server.port, timeout=30) as conn:
        answer = conn.request(
            "GET", f"/v1/videos/{world.video_id}/events", headers={"last-event-id": "²"}
        )
        assert answer.status < 500, answer.body[:300]
        assert envelope_problem("/v1", answer) is None
        assert conn.request("GET", "/healthz").status == 200


def test_a_64_mib_chunked_multipart_against_a_1_mib_cap(world: World) -> None:
    boundary = "hostileboundary"
    head = (
        f"--{boundary}\r\ncontent-disposition: form-data; name=prompt\r\n\r\nx\r\n"
        f'--{boundary}\r\ncontent-disposition: form-data; name=input_reference; filename="a.png"'
        "\r\ncontent-type: image/png\r\n\r\n"
    ).encode()
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"\x89" * (1024 * 1024))
    with RawConnection("127.0.0.1", world.server.port, timeout=60) as conn:
        conn.send(
            b"POST /v1/videos HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n"
            b"content-type: multipart/form-data; boundary="
            + boundary.encode()
            + b"\r\n\r\n"
            + b"%x\r\n%s\r\n" % (len(head), head)
        )
        for _ in range(64):
            conn.send(chunk)
        conn.send(b"0\r\n\r\n")
        answer = conn.read_answer()
        assert answer.status == 413
        assert answer.json()["error"]["code"] == "request_too_large"  # type: ignore[index]
        assert conn.request("GET", "/healthz").status == 200


def test_a_cross_dialect_delete_deletes_nothing(world: World) -> None:
    with httpx.Client(base_url=world.server.url, timeout=30) as client:
        assert client.delete(f"/v1/videos/{world.task_id}").status_code == 404
        job = client.get(
            f"{AZURE_JOBS.split('?')[0]}/{world.task_id}", params={"api-version": "preview"}
        )
        assert job.status_code == 200, "DELETE /v1/videos/task_... deleted the Azure job"
        assert client.delete(f"{AZURE_JOBS.split('?')[0]}/{world.video_id}").status_code == 404
        assert client.get(f"/v1/videos/{world.video_id}").status_code == 200
