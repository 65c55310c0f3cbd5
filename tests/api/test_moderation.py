"""The request checkpoint in-process: each dialect's refusal, per-project policies, the audit
log and counters, and an external classifier's answers, timeouts and fail-open/closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reelbox.app import create_app
from reelbox.moderation.verdict import BLOCKED_MESSAGE
from reelbox.settings import Settings
from reelbox.store.database import connect
from reelbox.store.moderation_log import ModerationLog
from support.moderation_stub import ModerationStub, running_moderation_stub

A = {"authorization": "Bearer key-a"}  # project a: sora (the default)
B = {"authorization": "Bearer key-b"}  # project b: standard
C = {"authorization": "Bearer key-c"}  # project c: off
AZURE = {"api-key": "key-a"}

REAL_PERSON = "Barack Obama dancing on a stage"
ADULT = "a nude figure study in charcoal"
VIDEO = {"model": "sora-2", "size": "720x1280", "seconds": "4"}


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**moderation: Any) -> TestClient:
        settings = Settings(
            data_dir=tmp_path / f"data{len(clients)}",
            api_keys={"key-a": "a", "key-b": "b", "key-c": "c"},
            moderation={"projects": {"b": "standard", "c": "off"}, **moderation},
        )
        client = TestClient(create_app(settings, run_jobs=False), base_url="http://localhost")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def _log(tmp_path: Path, index: int = 0) -> ModerationLog:
    return ModerationLog(connect(f"sqlite:///{tmp_path / f'data{index}' / 'reelbox.db'}"))


def _create(api: TestClient, prompt: str, headers: dict[str, str] = A) -> Any:
    return api.post("/v1/videos", json={"prompt": prompt, **VIDEO}, headers=headers)


def test_a_blocked_prompt_answers_400_in_the_openai_shape(api: TestClient, tmp_path: Path) -> None:
    answer = _create(api, REAL_PERSON)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "moderation_blocked"
    assert error["type"] == "invalid_request_error" and error["param"] == "prompt"
    assert error["message"].startswith(BLOCKED_MESSAGE)
    assert "a real person" in error["message"]
    assert "Obama" not in error["message"] and "inner_error" not in error
    # Nothing was stored but the audit row.
    assert api.get("/v1/videos", headers=A).json()["data"] == []
    (event,) = _log(tmp_path).events()
    assert (event.project, event.checkpoint, event.subject) == ("a", "request", "prompt")
    assert event.categories == ("real-person/name",) and event.outcome == "blocked"
    assert event.sources == ("terms",) and event.dialect == "openai"
    assert len(event.input_sha256) == 64


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/videos/video_missing/remix", {"prompt": REAL_PERSON}),
        ("/v1/videos/edits", {"prompt": REAL_PERSON, "video": {"id": "video_missing"}}),
        ("/v1/videos/extensions", {"prompt": REAL_PERSON, "video": {"id": "video_missing"}}),
    ],
)
def test_remix_edit_and_extend_prompts_are_checked_first(
    api: TestClient, path: str, body: dict[str, Any]
) -> None:
    answer = api.post(path, json=body, headers=A)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "moderation_blocked"


def test_multipart_create_is_checked_too(api: TestClient) -> None:
    answer = api.post("/v1/videos", data={"prompt": REAL_PERSON, **VIDEO}, headers=A)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "moderation_blocked"


def test_azure_jobs_answer_a_responsible_ai_violation(api: TestClient) -> None:
    answer = api.post(
        "/openai/v1/video/generations/jobs?api-version=preview",
        json={"model": "sora", "prompt": REAL_PERSON, "width": 480, "height": 480},
        headers=AZURE,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "moderation_blocked" and error["param"] == "prompt"
    assert error["inner_error"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["inner_error"]["error_details"] == {"custom_blocklists": {"filtered": True}}
    assert error["inner_error"]["categories"] == ["real-person/name"]
    assert "Obama" not in error["message"]


@pytest.mark.parametrize("path", ["/openai/v1/videos", "/openai/deployments/sora-2/videos"])
def test_azure_sora_2_paths_add_the_inner_error(api: TestClient, path: str) -> None:
    answer = api.post(path, json={"prompt": "a cartoon of Mickey Mouse", **VIDEO}, headers=AZURE)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "moderation_blocked"
    assert error["inner_error"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["inner_error"]["error_details"] == {"protected_material_text": {"filtered": True}}


def test_policies_are_per_project(api: TestClient) -> None:
    # sora blocks adult content and real people; standard allows adult content but not real
    # people; off checks nothing.
    assert _create(api, ADULT, A).status_code == 400
    assert _create(api, ADULT, B).status_code == 200
    assert _create(api, REAL_PERSON, B).status_code == 400
    assert _create(api, REAL_PERSON, C).status_code == 200
    jobs_b = api.get("/v1/videos", headers=B).json()["data"]
    assert [job["prompt"] for job in jobs_b] == [ADULT]


def test_the_default_policy_and_custom_policies_come_from_settings(
    make_client: Callable[..., TestClient],
) -> None:
    api = make_client(policy="kids", policies={"kids": {"block": ["copyright"]}})
    assert _create(api, "Mickey Mouse waving", A).status_code == 400
    assert _create(api, REAL_PERSON, A).status_code == 200  # kids blocks only copyright
    assert _create(api, REAL_PERSON, B).status_code == 400  # b keeps standard


def test_a_character_name_is_checked(api: TestClient) -> None:
    answer = api.post(
        "/v1/videos/characters",
        data={"name": "Mickey Mouse"},
        files={"video": ("clip.mp4", b"not checked first", "video/mp4")},
        headers=A,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "moderation_blocked" and error["param"] == "name"


def test_counters_come_from_the_audit_log(api: TestClient) -> None:
    _create(api, REAL_PERSON)
    _create(api, REAL_PERSON)
    _create(api, "Mickey Mouse waving")
    assert api.get("/metrics").status_code == 401  # protected like the API
    text = api.get("/metrics", headers=A).text
    assert "# TYPE reelbox_moderation_events_total counter" in text
    counts = {
        (s.labels["checkpoint"], s.labels["policy"], s.labels["outcome"], s.labels["category"]): (
            s.value
        )
        for family in text_string_to_metric_families(text)
        if family.name == "reelbox_moderation_events"
        for s in family.samples
    }
    assert counts[("request", "sora", "blocked", "real-person/name")] == 2
    assert counts[("request", "sora", "blocked", "copyright/character")] == 1


# -- the external classifier -----------------------------------------------------------------


@pytest.fixture
def stub() -> Iterator[ModerationStub]:
    with running_moderation_stub() as running:
        yield running


def test_the_classifier_blocks_what_the_lists_miss(
    make_client: Callable[..., TestClient], stub: ModerationStub, tmp_path: Path
) -> None:
    stub.flag_text["marmalade"] = "violence"
    api = make_client(classifier={"url": stub.url, "model": "guard"})
    answer = _create(api, "a marmalade sandwich")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].endswith("appears to contain violence.")
    assert _create(api, "a cheese sandwich").status_code == 200
    first, second = stub.wait_for_requests(2)
    assert first.json() == {"model": "guard", "input": "a marmalade sandwich"}
    assert second.json() == {"model": "guard", "input": "a cheese sandwich"}
    (event,) = _log(tmp_path).events()
    assert event.sources == ("classifier",) and event.rules == ("classifier:violence",)


def test_the_lists_answer_without_asking_the_classifier(
    make_client: Callable[..., TestClient], stub: ModerationStub
) -> None:
    api = make_client(classifier={"url": stub.url})
    assert _create(api, REAL_PERSON).status_code == 400
    assert stub.requests == []


def test_standard_ignores_classifier_categories_it_allows(
    make_client: Callable[..., TestClient], stub: ModerationStub
) -> None:
    stub.flag_text["sandwich"] = "sexual"
    api = make_client(classifier={"url": stub.url})
    assert _create(api, "a sandwich", A).status_code == 400
    assert _create(api, "a sandwich", B).status_code == 200


def test_a_slow_classifier_fails_open_and_is_audited(
    make_client: Callable[..., TestClient], stub: ModerationStub, tmp_path: Path
) -> None:
    stub.delay = 5
    api = make_client(classifier={"url": stub.url, "timeout_seconds": 0.3})
    answer = _create(api, "a cheese sandwich")
    assert answer.status_code == 200
    (event,) = _log(tmp_path).events()
    assert event.outcome == "unchecked" and event.categories == ()


def test_a_slow_classifier_fails_closed_with_503(
    make_client: Callable[..., TestClient], stub: ModerationStub, tmp_path: Path
) -> None:
    stub.delay = 5
    api = make_client(classifier={"url": stub.url, "timeout_seconds": 0.3, "on_error": "block"})
    answer = _create(api, "a cheese sandwich")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    error = answer.json()["error"]
    assert error["code"] == "moderation_unavailable" and error["type"] == "server_error"
    assert api.get("/v1/videos", headers=A).json()["data"] == []
    (event,) = _log(tmp_path).events()
    assert event.outcome == "blocked" and event.categories == ("moderation/unavailable",)


def test_policy_off_never_asks_the_classifier(
    make_client: Callable[..., TestClient], stub: ModerationStub
) -> None:
    api = make_client(classifier={"url": stub.url})
    assert _create(api, "a cheese sandwich", C).status_code == 200
    assert stub.requests == []


def test_a_long_prompt_is_checked_off_the_event_loop_too(api: TestClient) -> None:
    padding = "a quiet meadow with a river and some trees. " * 700  # ~31,500 characters
    assert _create(api, padding + REAL_PERSON).status_code == 400
    assert _create(api, padding + "a fox").status_code == 200
