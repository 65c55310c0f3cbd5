"""The admin API in-process: keys managed by admin keys only, taking effect at once and
refused after revocation; usage and cost pages in OpenAI's shape; quotas answering 429
`quota_exceeded` at the boundary on both dialects."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelbox.app import create_app
from reelbox.settings import Settings
from reelbox.store.database import connect
from reelbox.store.keys import KeyStore
from reelbox.store.store import Store
from support.store import new_generation

PROJECT_A = {"authorization": "Bearer key-a"}
VIDEO = {"prompt": "a red kite", "model": "sora-2", "size": "720x1280"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        api_keys={"key-a": "a"},
        key_cache_seconds=0.2,
        quota_seconds_per_day=12,
    )
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as client:
        yield client


@pytest.fixture
def admin(tmp_path: Path, api: TestClient) -> dict[str, str]:
    engine = connect(f"sqlite:///{tmp_path / 'data' / 'reelbox.db'}")
    _, plain = KeyStore(engine).create(project="ops", admin=True)  # as `reelbox keys create`
    engine.dispose()
    return {"authorization": f"Bearer {plain}"}


def test_project_keys_never_administer(api: TestClient, admin: dict[str, str]) -> None:
    for method, path in (
        ("GET", "/v1/organization/api_keys"),
        ("POST", "/v1/organization/api_keys"),
        ("GET", "/v1/organization/usage/videos?start_time=0"),
        ("GET", "/v1/organization/costs?start_time=0"),
        ("GET", "/v1/organization/projects/a/quotas"),
    ):
        answer = api.request(method, path, headers=PROJECT_A, json={"project_id": "a"})
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["code"] == "insufficient_permissions"
        assert api.request(method, path).status_code == 401


def test_an_admin_creates_lists_and_revokes_keys(api: TestClient, admin: dict[str, str]) -> None:
    created = api.post(
        "/v1/organization/api_keys", json={"project_id": "acme", "name": "ci"}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["object"] == "organization.api_key" and body["project_id"] == "acme"
    key = {"authorization": f"Bearer {body['value']}"}
    assert api.get("/v1/videos", headers=key).status_code == 200  # at once
    made = api.post("/v1/videos", json={**VIDEO, "seconds": "4"}, headers=key).json()
    assert api.get(f"/v1/videos/{made['id']}", headers=key).status_code == 200
    assert api.get(f"/v1/videos/{made['id']}", headers=PROJECT_A).status_code == 404
    assert api.get("/v1/organization/api_keys", headers=key).status_code == 403
    listed = api.get("/v1/organization/api_keys", headers=admin).json()
    assert [k["project_id"] for k in listed["data"]] == ["ops", "acme"]
    assert all("value" not in k for k in listed["data"])
    one = api.get(f"/v1/organization/api_keys/{body['id']}", headers=admin).json()
    assert one["name"] == "ci" and one["revoked_at"] is None
    gone = api.delete(f"/v1/organization/api_keys/{body['id']}", headers=admin)
    assert gone.json() == {
        "object": "organization.api_key.deleted",
        "id": body["id"],
        "deleted": True,
    }
    time.sleep(0.3)  # key_cache_seconds = 0.2
    refused = api.get("/v1/videos", headers=key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert api.get("/v1/videos", headers=PROJECT_A).status_code == 200  # settings keys stay
    assert api.delete("/v1/organization/api_keys/key_nope", headers=admin).status_code == 404
    bad = api.post("/v1/organization/api_keys", json={"project_id": ""}, headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "project_id"
    bad = api.post(
        "/v1/organization/api_keys", json={"project_id": "x", "expires_in": -5}, headers=admin
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "expires_in"


def _complete_all(tmp_path: Path) -> None:
    """Finish every queued job as a worker would (this app runs no workers)."""
    engine = connect(f"sqlite:///{tmp_path / 'data' / 'reelbox.db'}")
    store = Store(engine)
    n = 0
    while (job := store.claim_next(owner="t", lease_seconds=30, per_project_limit=100)) is not None:
        n += 1
        assert store.complete(
            job.id,
            attempt=1,
            outputs=[new_generation(f"gen_{n}")],
            plan=None,
            retention_seconds=3600,
        )
    engine.dispose()


def test_quota_answers_429_at_the_boundary_on_both_dialects(
    api: TestClient, admin: dict[str, str], tmp_path: Path
) -> None:
    for seconds in ("4", "8"):  # 12 of 12 seconds today: admitted
        made = api.post("/v1/videos", json={**VIDEO, "seconds": seconds}, headers=PROJECT_A)
        assert made.status_code == 200, made.text
    over = api.post("/v1/videos", json={**VIDEO, "seconds": "4"}, headers=PROJECT_A)
    assert over.status_code == 429
    error = over.json()["error"]
    assert error["code"] == "quota_exceeded" and error["type"] == "insufficient_quota"
    assert "resets at" in error["message"] and int(over.headers["retry-after"]) >= 1
    azure = api.post(
        "/openai/v1/video/generations/jobs",
        params={"api-version": "preview"},
        json={
            "model": "sora",
            "prompt": "a kite",
            "width": "480",
            "height": "480",
            "n_seconds": "1",
        },
        headers={"api-key": "key-a"},
    )
    assert azure.status_code == 429 and azure.json()["error"]["code"] == "quota_exceeded"
    # An admin raises the project's own limit: the Azure job fits exactly again.
    raised = api.post(
        "/v1/organization/projects/a/quotas", json={"seconds_per_day": 14}, headers=admin
    )
    assert raised.status_code == 200 and raised.json()["limits"]["seconds_per_day"] == 14
    azure = api.post(
        "/openai/v1/video/generations/jobs",
        params={"api-version": "preview"},
        json={
            "model": "sora",
            "prompt": "a kite",
            "width": "480",
            "height": "480",
            "n_seconds": "1",
            "n_variants": "2",
        },
        headers={"api-key": "key-a"},
    )
    assert azure.status_code == 200, azure.text
    status = api.get("/v1/organization/projects/a/quotas", headers=admin).json()
    assert status["seconds_today"] == 14 and status["unfinished_jobs"] == 3
    _complete_all(tmp_path)

    usage = api.get(
        "/v1/organization/usage/videos",
        params={"start_time": int(time.time()) // 86400 * 86400, "group_by": "project_id,model"},
        headers=admin,
    )
    assert usage.status_code == 200, usage.text
    page = usage.json()
    assert page["object"] == "page" and page["has_more"] is False and page["next_page"] is None
    [bucket] = page["data"]
    assert bucket["object"] == "bucket" and bucket["end_time"] - bucket["start_time"] == 86400
    results = {(r["project_id"], r["model"]): r for r in bucket["results"]}
    assert (
        results[("a", "sora-2")]["seconds"] == 12
        and results[("a", "sora-2")]["num_model_requests"] == 2
    )
    assert results[("a", "sora")]["seconds"] == 2  # 1 s x 2 variants
    assert all(r["object"] == "organization.usage.videos.result" for r in bucket["results"])
    costs = api.get(
        "/v1/organization/costs",
        params={
            "start_time": int(time.time()) // 86400 * 86400,
            "group_by": ["project_id", "line_item"],
        },
        headers=admin,
    ).json()
    amounts = {r["line_item"]: r["amount"] for r in costs["data"][0]["results"]}
    assert amounts["sora-2"] == {"value": pytest.approx(1.2), "currency": "usd"}  # $0.10/s


def test_usage_pages_follow_openai_parameters(api: TestClient, admin: dict[str, str]) -> None:
    start = 1_700_000_000
    page: dict[str, Any] = api.get(
        "/v1/organization/usage/videos",
        params={
            "start_time": start,
            "end_time": start + 10 * 3600,
            "bucket_width": "1h",
            "limit": 4,
        },
        headers=admin,
    ).json()
    assert len(page["data"]) == 4 and page["has_more"] is True
    assert page["data"][0]["start_time"] == start - start % 3600
    following = api.get(
        "/v1/organization/usage/videos",
        params={
            "start_time": start,
            "end_time": start + 10 * 3600,
            "bucket_width": "1h",
            "limit": 4,
            "page": page["next_page"],
        },
        headers=admin,
    ).json()
    assert following["data"][0]["start_time"] == page["data"][-1]["end_time"]
    for params, param in (
        ({}, "start_time"),
        ({"start_time": "x"}, "start_time"),
        ({"start_time": start, "bucket_width": "2d"}, "bucket_width"),
        ({"start_time": start, "group_by": "colour"}, "group_by"),
        ({"start_time": start, "bucket_width": "1d", "limit": 32}, "limit"),
    ):
        bad = api.get("/v1/organization/usage/videos", params=params, headers=admin)
        assert bad.status_code == 400 and bad.json()["error"]["param"] == param, bad.text


def test_a_key_quota_answers_429_at_its_boundary_on_both_dialects(
    api: TestClient, admin: dict[str, str]
) -> None:
    made, other = (
        api.post("/v1/organization/api_keys", json={"project_id": "k"}, headers=admin).json()
        for _ in range(2)
    )
    key = made["id"]
    mine = {"authorization": f"Bearer {made['value']}"}
    limited = api.post(
        f"/v1/organization/api_keys/{key}/quotas", json={"seconds_per_day": 8}, headers=admin
    )
    assert limited.status_code == 200, limited.text
    body = limited.json()
    assert body["object"] == "organization.api_key.quotas" and body["api_key_id"] == key
    assert body["project_id"] == "k" and body["limits"]["seconds_per_day"] == 8
    for _ in range(2):  # 8 of the key's 8 seconds: admitted
        assert (
            api.post("/v1/videos", json={**VIDEO, "seconds": "4"}, headers=mine).status_code == 200
        )
    over = api.post("/v1/videos", json={**VIDEO, "seconds": "4"}, headers=mine)
    assert over.status_code == 429
    error = over.json()["error"]
    assert error["code"] == "quota_exceeded" and f"key '{key}'" in error["message"]
    assert "resets at" in error["message"] and int(over.headers["retry-after"]) >= 1
    azure = api.post(
        "/openai/v1/video/generations/jobs",
        params={"api-version": "preview"},
        json={
            "model": "sora",
            "prompt": "a kite",
            "width": "480",
            "height": "480",
            "n_seconds": "1",
        },
        headers={"api-key": made["value"]},
    )
    assert azure.status_code == 429 and azure.json()["error"]["code"] == "quota_exceeded"
    # The project's other key still has the project's 12 seconds a day minus the 8 used.
    theirs = {"authorization": f"Bearer {other['value']}"}
    assert api.post("/v1/videos", json={**VIDEO, "seconds": "4"}, headers=theirs).status_code == 200
    status = api.get(f"/v1/organization/api_keys/{key}/quotas", headers=admin).json()
    assert status["seconds_today"] == 8 and status["unfinished_jobs"] == 2
    assert api.get(f"/v1/organization/api_keys/{key}/quotas", headers=mine).status_code == 403
    missing = api.get("/v1/organization/api_keys/key_nope/quotas", headers=admin)
    assert missing.status_code == 404
    bad = api.post(
        f"/v1/organization/api_keys/{key}/quotas", json={"concurrent_jobs": 0}, headers=admin
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "concurrent_jobs"
