"""Hostile input at the edge, in-process on SQLite and PostgreSQL: every case a clean 4xx in the
OpenAI envelope, nothing stored, and the dialects never see each other's jobs (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from reelbox.app import create_app
from reelbox.settings import Settings

AZURE = "/openai/v1/video/generations/jobs"
PUBLIC = "https://93.184.216.34/hook"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def api(database_url: str, data_dir: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as client:
        yield client


def refused(answer: Response, status: int = 400, *, code: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


def post_json(api: TestClient, path: str, raw: str) -> Response:
    return api.post(path, content=raw.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "path",
    ["/v1/videos?limit=²", "/v1/webhook_endpoints?limit=²", f"{AZURE}?limit=²",
     "/v1/videos?limit=" + "9" * 400, "/v1/videos?limit=1_0", "/v1/videos?limit=%EF%BC%91"],
)  # fmt: skip
def test_non_ascii_and_huge_limits_are_400(api: TestClient, path: str) -> None:
    refused(api.get(path), code="invalid_value")


@pytest.mark.parametrize("width", ["²", "٣٢٠", "1_0", "9" * 400])
def test_azure_integers_must_be_plain_ascii_digits(api: TestClient, width: str) -> None:
    body = {"prompt": "a lighthouse", "width": width, "height": "480"}
    error = refused(api.post(AZURE, json=body))
    assert error["param"] == "width"


def test_a_400_digit_json_integer_is_400(api: TestClient) -> None:
    refused(post_json(api, "/v1/videos", '{"prompt": "x", "seed": ' + "7" * 400 + "}"))
    refused(post_json(api, AZURE, '{"prompt": "x", "width": ' + "7" * 400 + ', "height": 480}'))


@pytest.mark.parametrize(
    "raw",
    ['{"prompt": "\\ud800 car"}', '{"prompt": "a\\u0000car"}', '{"prompt": "x", "\\u0000": 1}',
     '{"prompt": "x", "size": "\\udfff"}'],
)  # fmt: skip
def test_nul_and_lone_surrogates_in_bodies_are_400(api: TestClient, raw: str) -> None:
    refused(post_json(api, "/v1/videos", raw), code="invalid_value")
    assert api.get("/v1/videos").json()["data"] == []


def test_nul_in_ids_cursors_and_query_values_is_400(api: TestClient) -> None:
    for path in (
        "/v1/videos/video_%00x",
        "/v1/videos/video_%00x/content",
        "/v1/videos?after=%00",
        "/v1/videos/characters/char_%00",
        "/v1/webhook_endpoints/we_%00",
        f"{AZURE}/task_%00",
        f"{AZURE}?after=%00",
    ):
        # The edge guard refuses them before routing (api/guards.py); deps.get_project's own
        # check stays behind it for values the guard does not see (Last-Event-ID).
        refused(api.get(path), code="invalid_url")
    refused(api.delete("/v1/videos/video_%00x"), code="invalid_url")


def test_nul_in_a_form_field_is_400(api: TestClient) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    answer = api.post("/v1/videos", content=b"prompt=a%00b", headers=form)
    refused(answer, code="invalid_value")


def test_a_character_named_with_nul_is_refused_and_leaves_no_files(
    api: TestClient, data_dir: Path
) -> None:
    answer = api.post(
        "/v1/videos/characters",
        data={"name": "Ann\x00"},
        files={"video": ("clip.mp4", b"not a video", "video/mp4")},
    )
    refused(answer, code="invalid_value")
    assert not list(data_dir.rglob("characters/*"))


@pytest.mark.parametrize("url", ["https://a..example.com/", "https://[::1/", "https://x:99999/",
                                 "https://" + "a" * 64 + ".example.com/"])  # fmt: skip
def test_malformed_webhook_urls_are_400(api: TestClient, url: str) -> None:
    body = {"name": "hook", "url": url, "event_types": ["video.completed"]}
    refused(api.post("/v1/webhook_endpoints", json=body), code="invalid_url")


def test_seconds_must_be_one_of_the_plain_strings(api: TestClient) -> None:
    for seconds in ("1_0", "٨", " 8", "8.0", "inf"):
        error = refused(api.post("/v1/videos", json={"prompt": "x", "seconds": seconds}))
        assert error["param"] == "seconds"


def test_deep_json_is_400_not_a_recursion_error(api: TestClient) -> None:
    refused(post_json(api, "/v1/videos", "[" * 100_000 + "]" * 100_000))
    nested = '{"prompt": "x", "input_reference": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    refused(post_json(api, "/v1/videos", nested), code="nesting_too_deep")
    nested = '{"prompt": "x", "input_reference": ' + "[" * 40 + "]" * 40 + "}"
    refused(post_json(api, "/v1/videos", nested), code="nesting_too_deep")


def test_deep_bracket_keys_are_400(api: TestClient) -> None:
    key = "input_reference" + "[a]" * 600
    answer = api.post("/v1/videos", data={"prompt": "x", key: "1"})
    refused(answer, code="nesting_too_deep")


def test_deeply_nested_inpaint_items_are_400(api: TestClient) -> None:
    items = "[" * 5000 + "]" * 5000
    answer = api.post(
        AZURE,
        data={"prompt": "x", "width": "480", "height": "480", "inpaint_items": items},
        files={"files": ("a.png", b"x", "image/png")},
    )
    error = refused(answer)
    assert error["param"] == "inpaint_items"


def test_too_many_urlencoded_fields_are_refused_before_parsing(api: TestClient) -> None:
    body = b"a=1&" * 500_000
    answer = api.post(
        "/v1/videos", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    refused(answer, code="too_many_fields")


def test_too_many_multipart_parts_are_400(api: TestClient) -> None:
    files = [("files", (f"{i}.png", b"x", "image/png")) for i in range(9)]
    answer = api.post(AZURE, data={"prompt": "x", "width": "480", "height": "480"}, files=files)
    refused(answer, code="invalid_body")


def test_openai_paths_never_see_or_delete_azure_jobs(api: TestClient) -> None:
    body = {"model": "sora", "prompt": "a lighthouse", "width": 480, "height": 480}
    job = api.post(AZURE, json=body)
    assert job.status_code == 200, job.text
    task_id = job.json()["id"]
    refused(api.delete(f"/v1/videos/{task_id}"), 404)
    refused(api.get(f"/v1/videos/{task_id}"), 404)
    assert api.get(f"{AZURE}/{task_id}").status_code == 200  # still there
    video = api.post("/v1/videos", json={"prompt": "a lighthouse", "size": "720x1280"})
    assert video.status_code == 200, video.text
    video_id = video.json()["id"]
    refused(api.delete(f"{AZURE}/{video_id}"), 404)
    assert api.get(f"/v1/videos/{video_id}").status_code == 200
    assert api.delete(f"{AZURE}/{task_id}").status_code == 204
    assert api.delete(f"/v1/videos/{video_id}").json()["deleted"] is True


def test_the_rate_limit_comes_before_moderation_and_covers_characters(
    database_url: str, data_dir: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url, requests_per_minute=1)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        assert api.post("/v1/videos", json={"prompt": "a lighthouse"}).status_code == 200
        blocked = api.post("/v1/videos", json={"prompt": "Barack Obama giving a speech"})
        refused(blocked, 429)
        character = api.post(
            "/v1/videos/characters",
            data={"name": "Ann"},
            files={"video": ("clip.mp4", b"not a video", "video/mp4")},
        )
        refused(character, 429)


def test_openapi_shows_the_request_schemas(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    create = spec["paths"]["/v1/videos"]["post"]["requestBody"]["content"]
    schema = create["application/json"]["schema"]
    assert "prompt" in schema["required"]
    assert schema["properties"]["input_reference_fit"]["anyOf"][0]["enum"] == [
        "crop", "pad", "stretch"
    ]  # fmt: skip
    assert "multipart/form-data" in create
    characters = spec["paths"]["/v1/videos/characters"]["post"]["requestBody"]["content"]
    assert set(characters) == {"multipart/form-data"}
    azure = spec["paths"][AZURE]["post"]["requestBody"]["content"]["application/json"]
    assert {"width", "height", "prompt"} <= set(azure["schema"]["required"])
    hooks = spec["paths"]["/v1/webhook_endpoints"]["post"]["requestBody"]["content"]
    assert "url" in hooks["application/json"]["schema"]["properties"]
    assert "$ref" not in json.dumps(create)
