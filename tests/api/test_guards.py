"""The edge guards: request targets, open mode's Host and Origin checks, private paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelbox.api.guards import host_allowed, same_origin, split_host, target_problem
from reelbox.app import create_app
from reelbox.settings import Settings

KEY = {"authorization": "Bearer key-a"}


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(*, base_url: str = "http://localhost:8000", **settings: Any) -> TestClient:
        app = create_app(
            Settings(data_dir=tmp_path / f"d{len(clients)}", **settings), run_jobs=False
        )
        client = TestClient(app, base_url=base_url)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def local(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


# --- request targets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"/v1/videos", None),
        (b"/v1/videos/%C3%A9t%C3%A9", None),
        (b"after=video_1&limit=2", None),
        (b"q=a+b%20c", None),
        (b"after=%00", "NUL"),
        (b"/v1/videos/a%00b", "NUL"),
        (b"/v1/videos/%ED%A0%80", "UTF-8"),  # a lone surrogate, encoded
        (b"after=%FF", "UTF-8"),
        (b"after=%zz", "'%'"),
        (b"after=100%", "'%'"),
        (b"after=%4", "'%'"),
    ],
)
def test_target_problem(raw: bytes, problem: str | None) -> None:
    found = target_problem(raw)
    assert (found is None) == (problem is None)
    if problem is not None:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    "target",
    [
        "/v1/videos?after=%00",
        "/v1/videos/video_%00",
        "/v1/videos/%ED%A0%80",
        "/v1/videos?after=%ED%B0%80",
        "/v1/videos?limit=%zz",
        "/openai/v1/video/generations/jobs?after=%00",
    ],
)
def test_hostile_targets_answer_400_invalid_url(local: TestClient, target: str) -> None:
    answer = local.get(target)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (
        error["code"] in ("invalid_url", "BadRequest") or error["type"] == "invalid_request_error"
    )
    assert answer.headers["x-request-id"].startswith("req_")


def test_azure_targets_get_the_azure_envelope(local: TestClient) -> None:
    error = local.get("/openai/v1/video/generations/jobs?after=%00").json()["error"]
    assert error["code"] == "invalid_url" and "inner_error" in error


def test_ordinary_non_ascii_text_passes(local: TestClient) -> None:
    answer = local.get("/v1/videos?after=vid%C3%A9o")
    assert answer.status_code != 400 or answer.json()["error"]["code"] != "invalid_url"


# --- open mode: Host ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:8000", ("localhost", 8000)),
        ("LOCALHOST", ("localhost", None)),
        ("[::1]:8000", ("::1", 8000)),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("[::1", None),
        ("user@localhost", None),
        ("localhost/x", None),
        ("localhost:99999", None),
        ("", None),
    ],
)
def test_split_host(host: str, expected: tuple[str, int | None] | None) -> None:
    assert split_host(host) == expected


@pytest.mark.parametrize(
    ("name", "allowed", "ok"),
    [
        ("localhost", [], True),
        ("127.0.0.1", [], True),
        ("127.4.5.6", [], True),
        ("::1", [], True),
        ("localhost.evil.example", [], False),
        ("evil.example", [], False),
        ("192.168.1.5", [], False),
        ("reelbox.lan", ["reelbox.lan"], True),
        ("reelbox.lan", ["REELBOX.LAN"], True),
        ("a.reelbox.lan", ["reelbox.lan"], False),
        ("a.reelbox.lan", [".reelbox.lan"], True),
        ("reelbox.lan", [".reelbox.lan"], True),
        ("xreelbox.lan", [".reelbox.lan"], False),
        ("anything.example", ["*"], True),
        ("::2", ["[::2]"], True),
    ],
)
def test_host_allowed(name: str, allowed: list[str], ok: bool) -> None:
    assert host_allowed(name, allowed=allowed) is ok


@pytest.mark.parametrize(
    "host", ["localhost:8000", "127.0.0.1:9", "[::1]:8000", "localhost", "127.0.0.1"]
)
def test_loopback_hosts_are_served(local: TestClient, host: str) -> None:
    assert local.get("/healthz", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "localhost.evil.example", "[::1", "10.0.0.1"]
)
def test_other_hosts_are_refused_421_in_open_mode(local: TestClient, host: str) -> None:
    # DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
    answer = local.get("/v1/videos", headers={"host": host})
    assert answer.status_code == 421
    error = answer.json()["error"]
    assert error["code"] == "host_not_allowed" and error["type"] == "invalid_request_error"
    assert "allowed_hosts" in error["message"]


def test_allowed_hosts_and_the_bound_address_are_served(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(allowed_hosts=["reelbox.lan"], host="192.168.7.7", insecure=True)
    for host in ("reelbox.lan:8000", "192.168.7.7:8000", "localhost"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200
    assert client.get("/healthz", headers={"host": "other.lan"}).status_code == 421


def test_keys_mode_serves_any_host(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys={"key-a": "a"}, base_url="http://reelbox.example.com")
    assert client.get("/v1/videos", headers=KEY).status_code == 200


# --- open mode: Origin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://localhost:8000", "localhost:8000", True),
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("http://localhost", "localhost:80", True),
        ("https://localhost", "localhost:443", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://localhost:8001", "localhost:8000", False),
        ("http://127.0.0.1:8000", "localhost:8000", False),
        ("https://evil.example", "localhost:8000", False),
        ("null", "localhost:8000", False),
        ("file://", "localhost:8000", False),
        ("http://[::1", "[::1]:8000", False),
    ],
)
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


CREATE = {"prompt": "a red ball", "model": "sora-2", "size": "720x1280", "seconds": "4"}


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},  # a sandboxed frame or a file:// page
        {"origin": "http://localhost:3000"},  # another local app is another origin
        {"sec-fetch-site": "cross-site"},
        {"origin": "http://localhost:8000", "sec-fetch-site": "cross-site"},
    ],
)
def test_cross_site_writes_are_refused_403(local: TestClient, headers: dict[str, str]) -> None:
    # A form on any web page the user visits posts to their local server (CSRF).
    answer = local.post("/v1/videos", data=CREATE, headers=headers)
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "cross_origin_request"
    assert local.get("/v1/videos").json()["data"] == []  # nothing was created
    assert local.delete("/v1/videos/video_x", headers=headers).status_code == 403
    hook = {"url": "https://example.com/hook"}
    assert local.post("/v1/webhook_endpoints", json=hook, headers=headers).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},  # SDKs, curl
        {"origin": "http://localhost:8000"},  # the studio, same origin
        {"origin": "http://localhost:8000", "sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},
    ],
)
def test_same_origin_and_non_browser_writes_pass(
    local: TestClient, headers: dict[str, str]
) -> None:
    answer = local.post("/v1/videos", json=CREATE, headers=headers)
    assert answer.status_code == 200, answer.text


def test_cross_origin_reads_pass(local: TestClient) -> None:
    # Reads change nothing, and without CORS headers the page cannot read the answer.
    assert local.get("/v1/videos", headers={"origin": "https://evil.example"}).status_code == 200


def test_allowed_origins(make_client: Callable[..., TestClient]) -> None:
    client = make_client(allowed_origins=["http://localhost:3000/"])
    ok = client.post("/v1/videos", json=CREATE, headers={"origin": "http://localhost:3000"})
    assert ok.status_code == 200
    other = client.post("/v1/videos", json=CREATE, headers={"origin": "http://localhost:3001"})
    assert other.status_code == 403


def test_keys_mode_does_not_check_origins(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys={"key-a": "a"})
    answer = client.post(
        "/v1/videos", json=CREATE, headers={**KEY, "origin": "https://app.example"}
    )
    assert answer.status_code == 200


# --- keys mode: docs and metrics ------------------------------------------------------------------

PRIVATE = ("/metrics", "/docs", "/openapi.json")
# The routers are mounted under three prefixes, so FastAPI warns of duplicate operation ids while
# building the schema (left to the request-model rework, which owns the routes).
DUPLICATE_IDS = pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")


@DUPLICATE_IDS
@pytest.mark.parametrize("path", PRIVATE)
def test_keys_mode_docs_and_metrics_need_a_key(
    make_client: Callable[..., TestClient], path: str
) -> None:
    client = make_client(api_keys={"key-a": "a"})
    missing = client.get(path)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get(path, headers={"authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers=KEY).status_code == 200
    assert client.get(path, headers={"api-key": "key-a"}).status_code == 200


@DUPLICATE_IDS
def test_settings_can_make_docs_and_metrics_public(
    make_client: Callable[..., TestClient],
) -> None:
    docs = make_client(api_keys={"key-a": "a"}, public_docs=True)
    assert docs.get("/docs").status_code == 200
    assert docs.get("/openapi.json").status_code == 200
    assert docs.get("/metrics").status_code == 401
    metrics = make_client(api_keys={"key-a": "a"}, public_metrics=True)
    assert metrics.get("/metrics").status_code == 200
    assert metrics.get("/openapi.json").status_code == 401


@DUPLICATE_IDS
@pytest.mark.parametrize("path", [*PRIVATE, "/healthz", "/readyz", "/"])
def test_open_mode_and_probes_need_no_key(
    make_client: Callable[..., TestClient], local: TestClient, path: str
) -> None:
    assert local.get(path).status_code == 200
    if path in ("/healthz", "/readyz", "/"):
        assert make_client(api_keys={"key-a": "a"}).get(path).status_code == 200
