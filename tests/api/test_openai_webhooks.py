"""The webhook endpoint routes in-process: tenancy, validation, secrets shown once, URL rules."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelbox.app import create_app
from reelbox.settings import Settings

PUBLIC = "https://93.184.216.34/hook"  # a literal address: no DNS lookup in tests
BOTH = ["video.completed", "video.failed"]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        values: dict[str, Any] = {
            "data_dir": tmp_path / f"data{len(clients)}",
            "api_keys": {"key-a": "a", "key-b": "b"},
        }
        values.update(settings)
        client = TestClient(create_app(Settings(**values), run_jobs=False), base_url="http://localhost")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


A = {"authorization": "Bearer key-a"}
B = {"authorization": "Bearer key-b"}


def _create(api: TestClient, headers: dict[str, str] = A, **fields: Any) -> dict[str, Any]:
    body = {"name": "hook", "url": PUBLIC, "event_types": BOTH, **fields}
    answer = api.post("/v1/webhook_endpoints", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_endpoints_are_scoped_to_their_project(api: TestClient) -> None:
    endpoint = _create(api)
    eid = endpoint["id"]
    not_found = {
        "error": {
            "message": f"Webhook endpoint with id '{eid}' not found.",
            "type": "invalid_request_error",
            "param": "webhook_endpoint_id",
            "code": "not_found",
        }
    }
    attempts = [
        api.get(f"/v1/webhook_endpoints/{eid}", headers=B),
        api.post(f"/v1/webhook_endpoints/{eid}", json={"name": "mine"}, headers=B),
        api.post(f"/v1/webhook_endpoints/{eid}/rotate_secret", json={}, headers=B),
        api.post(
            f"/v1/webhook_endpoints/{eid}/test", json={"event_type": "video.failed"}, headers=B
        ),
        api.get(f"/v1/webhook_endpoints/{eid}/deliveries", headers=B),
        api.post(f"/v1/webhook_endpoints/{eid}/deliveries/wh_x/redeliver", headers=B),
        api.delete(f"/v1/webhook_endpoints/{eid}", headers=B),
    ]
    for answer in attempts:
        assert (answer.status_code, answer.json()) == (404, not_found)
    assert api.get("/v1/webhook_endpoints", headers=B).json()["data"] == []
    assert [e["id"] for e in api.get("/v1/webhook_endpoints", headers=A).json()["data"]] == [eid]
    assert api.get(f"/v1/webhook_endpoints/{eid}", headers=A).json()["name"] == "hook"


def test_a_key_is_required(api: TestClient) -> None:
    answer = api.get("/v1/webhook_endpoints")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
    assert api.get("/v1/webhook_event_types").status_code == 401


def test_the_signing_secret_is_shown_only_on_create_and_rotate(api: TestClient) -> None:
    endpoint = _create(api)
    secret = endpoint["signing_secret"]
    assert set(endpoint) == {
        "id",
        "object",
        "name",
        "url",
        "event_types",
        "created_at",
        "updated_at",
        "signing_secret_hint",
        "signing_secret",
    }
    eid = endpoint["id"]
    for answer in (
        api.get(f"/v1/webhook_endpoints/{eid}", headers=A),
        api.post(f"/v1/webhook_endpoints/{eid}", json={"name": "x"}, headers=A),
    ):
        assert "signing_secret" not in answer.json()
        assert secret not in answer.text
    listed = api.get("/v1/webhook_endpoints", headers=A)
    assert secret not in listed.text
    rotated = api.post(f"/v1/webhook_endpoints/{eid}/rotate_secret", headers=A).json()
    assert rotated["signing_secret"].startswith("whsec_")
    assert rotated["signing_secret"] != secret


def test_unchanged_updates_keep_updated_at(api: TestClient) -> None:
    endpoint = _create(api)
    same = api.post(
        f"/v1/webhook_endpoints/{endpoint['id']}",
        json={"name": "hook", "event_types": BOTH},
        headers=A,
    ).json()
    assert same["updated_at"] == endpoint["updated_at"]
    dupes = api.post(
        f"/v1/webhook_endpoints/{endpoint['id']}",
        json={"event_types": ["video.failed", "video.failed"]},
        headers=A,
    ).json()
    assert dupes["event_types"] == ["video.failed"]


@pytest.mark.parametrize(
    ("fields", "status", "param", "code"),
    [
        ({"name": None}, 400, "name", "missing_required_parameter"),
        ({"url": None}, 400, "url", "missing_required_parameter"),
        ({"event_types": None}, 400, "event_types", "missing_required_parameter"),
        ({"name": 7}, 400, "name", "invalid_type"),
        ({"name": " "}, 400, "name", "invalid_value"),
        ({"event_types": "video.failed"}, 400, "event_types", "invalid_type"),
        ({"event_types": []}, 400, "event_types", "invalid_value"),
        ({"event_types": ["batch.completed"]}, 400, "event_types[0]", "invalid_value"),
        ({"event_types": ["video.failed", 3]}, 400, "event_types[1]", "invalid_type"),
        ({"secret": "mine"}, 400, "secret", "unknown_parameter"),
        ({"url": "http://93.184.216.34/hook"}, 400, "url", "invalid_url"),
        ({"url": "https://localhost/hook"}, 400, "url", "invalid_url"),
        ({"url": "https://10.1.1.1/hook"}, 400, "url", "invalid_url"),
    ],
)
def test_bad_fields_are_refused_precisely(
    api: TestClient, fields: dict[str, Any], status: int, param: str, code: str
) -> None:
    body: dict[str, Any] = {"name": "hook", "url": PUBLIC, "event_types": BOTH}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    answer = api.post("/v1/webhook_endpoints", json=body, headers=A)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")


def test_event_types_and_paging(api: TestClient) -> None:
    types = api.get("/v1/webhook_event_types", headers=A).json()
    assert types == {
        "object": "list",
        "data": [
            "video.completed",
            "video.failed",
            "video.generation.job.succeeded",
            "video.generation.job.failed",
        ],
    }
    made = [_create(api, name=f"n{i}")["id"] for i in range(3)]
    first = api.get("/v1/webhook_endpoints?limit=2", headers=A).json()
    assert first["has_more"] and len(first["data"]) == 2
    rest = api.get(f"/v1/webhook_endpoints?limit=2&after={first['last_id']}", headers=A).json()
    assert not rest["has_more"]
    assert {e["id"] for e in first["data"] + rest["data"]} == set(made)
    assert api.get("/v1/webhook_endpoints?limit=0", headers=A).json()["error"]["param"] == "limit"


def test_a_test_event_that_cannot_be_delivered_answers_400(
    make_client: Callable[..., TestClient],
) -> None:
    api = make_client(webhook_allow_http=True, webhook_allowed_networks=["127.0.0.0/8"])
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint = _create(api, url=f"http://127.0.0.1:{port}/hook")
    answer = api.post(
        f"/v1/webhook_endpoints/{endpoint['id']}/test",
        json={"event_type": "video.completed"},
        headers=A,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "webhook_test_failed"
    assert error["message"].startswith("The test event could not be delivered: ConnectError")
    (delivery,) = api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", headers=A).json()[
        "data"
    ]
    assert delivery["status"] == "failed" and delivery["attempt_count"] == 1
    assert delivery["attempts"][0]["status_code"] is None
    bad = api.post(
        f"/v1/webhook_endpoints/{endpoint['id']}/test", json={"event_type": "x"}, headers=A
    )
    assert bad.json()["error"]["param"] == "event_type"
