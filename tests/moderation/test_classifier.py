"""The external classifier client against a real OpenAI-compatible stub on loopback: the request
it sends, the verdicts it reads, and how it fails (always within the timeout, never raising)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest
from PIL import Image

from reelbox.moderation.categories import UNCHECKED
from reelbox.moderation.classifier import (
    FLAGGED_WITHOUT_CATEGORY,
    MAX_RESPONSE_BYTES,
    ClassifierConfig,
    ClassifierVerdict,
    ModerationClassifier,
    normalise_category,
)
from support.media import png_bytes
from support.moderation_stub import ModerationStub, running_moderation_stub
from support.server import free_port

FAST_TIMEOUT = 0.3
# A stalled call must come back within the timeout plus this (thread and loop scheduling).
MARGIN = 0.7


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def stub() -> Iterator[ModerationStub]:
    with running_moderation_stub() as stub:
        yield stub


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ask(
    config: ClassifierConfig,
    mode: str = "sync",
    *,
    texts: Sequence[str] = (),
    images: Sequence[bytes] = (),
) -> ClassifierVerdict:
    """One classification through a fresh classifier, on the sync or the async path."""
    classifier = ModerationClassifier(config)
    if mode == "sync":
        try:
            return classifier.classify(texts=texts, images=images)
        finally:
            classifier.close()

    async def main() -> ClassifierVerdict:
        try:
            return await classifier.aclassify(texts=texts, images=images)
        finally:
            await classifier.aclose()

    return asyncio.run(main())


def timed_ask(
    config: ClassifierConfig, mode: str, *, texts: Sequence[str] = ("hello",)
) -> tuple[ClassifierVerdict, float]:
    started = time.monotonic()
    verdict = ask(config, mode, texts=texts)
    return verdict, time.monotonic() - started


# The request


def test_one_text_goes_as_a_string_with_model_and_bearer_token(
    stub: ModerationStub, mode: str
) -> None:
    config = ClassifierConfig(url=stub.url, model="guard-1", api_key="sk-test")
    verdict = ask(config, mode, texts=["a cat on a skateboard"])
    assert verdict == ClassifierVerdict(frozenset(), unavailable=False, detail="not flagged")
    (request,) = stub.requests
    assert request.path == "/v1/moderations"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"input": "a cat on a skateboard", "model": "guard-1"}


def test_without_model_or_key_neither_is_sent(stub: ModerationStub) -> None:
    ask(ClassifierConfig(url=stub.url + "/"), texts=["x"])
    (request,) = stub.requests
    assert request.path == "/v1/moderations"  # a trailing slash on the base URL is fine
    assert "authorization" not in request.headers
    assert request.json() == {"input": "x"}


def test_several_texts_go_as_an_array_and_any_flagged_one_counts(
    stub: ModerationStub, mode: str
) -> None:
    stub.flag_text["GORE"] = "violence/graphic"
    verdict = ask(ClassifierConfig(url=stub.url), mode, texts=["a calm lake", "GORE everywhere"])
    assert verdict.categories == {"violence/graphic"} and not verdict.unavailable
    assert verdict.detail == "flagged: violence/graphic"
    assert stub.requests[0].input == ["a calm lake", "GORE everywhere"]


def test_images_go_as_data_urls_after_the_texts(stub: ModerationStub, mode: str) -> None:
    stub.flag_images = "sexual"
    jpeg, png = jpeg_bytes(), png_bytes(4, 4)
    config = ClassifierConfig(url=stub.url, images=True)
    verdict = ask(config, mode, texts=["a portrait"], images=[jpeg, png])
    assert verdict.categories == {"sexual"}
    (request,) = stub.requests
    assert request.input[0] == {"type": "text", "text": "a portrait"}
    assert [part["type"] for part in request.input] == ["text", "image_url", "image_url"]
    jpeg_url, png_url = request.image_urls
    assert jpeg_url == "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    assert png_url.startswith("data:image/png;base64,")
    assert base64.b64decode(png_url.split(",", 1)[1]) == png


def test_images_alone_go_as_parts(stub: ModerationStub) -> None:
    verdict = ask(ClassifierConfig(url=stub.url, images=True), images=[png_bytes(2, 2)])
    assert verdict.categories == frozenset()
    assert [part["type"] for part in stub.requests[0].input] == ["image_url"]


def test_images_are_left_out_for_a_text_only_classifier(stub: ModerationStub) -> None:
    stub.flag_images = "sexual"
    verdict = ask(ClassifierConfig(url=stub.url), texts=["a portrait"], images=[png_bytes(2, 2)])
    assert verdict.categories == frozenset()
    assert stub.requests[0].input == "a portrait"


def test_nothing_to_classify_sends_nothing(stub: ModerationStub, mode: str) -> None:
    config = ClassifierConfig(url=stub.url)
    for texts, images in (((), ()), ((), (png_bytes(2, 2),))):
        verdict = ask(config, mode, texts=texts, images=images)
        assert verdict == ClassifierVerdict(
            frozenset(), unavailable=False, detail="nothing to send"
        )
    assert stub.requests == []


def test_proxy_settings_in_the_environment_are_ignored(
    stub: ModerationStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert not ask(ClassifierConfig(url=stub.url), texts=["x"]).unavailable
    assert len(stub.requests) == 1


def test_one_classifier_serves_many_calls(stub: ModerationStub) -> None:
    stub.flag_text["BAD"] = "hate"
    classifier = ModerationClassifier(ClassifierConfig(url=stub.url))
    try:
        verdicts = [classifier.classify(texts=[text]) for text in ("ok", "BAD", "ok")]
    finally:
        classifier.close()
    assert [v.categories for v in verdicts] == [frozenset(), {"hate"}, frozenset()]


def test_bad_arguments_are_programming_errors(stub: ModerationStub) -> None:
    classifier = ModerationClassifier(ClassifierConfig(url=stub.url, images=True))
    try:
        with pytest.raises(TypeError, match="not a string"):
            classifier.classify(texts="hello")
        with pytest.raises(ValueError, match="JPEG or PNG"):
            classifier.classify(images=[b"GIF89a..."])
    finally:
        classifier.close()
    assert stub.requests == []


# Reading the answer


def test_scores_flag_only_with_a_threshold(stub: ModerationStub, mode: str) -> None:
    stub.scores["violence"] = 0.6
    config = ClassifierConfig(url=stub.url)
    assert ask(config, mode, texts=["x"]).categories == frozenset()
    lower = replace(config, thresholds={"violence": 0.5, "hate": 0.5})
    assert ask(lower, mode, texts=["x"]).categories == {"violence"}
    at = replace(config, thresholds={"violence": 0.6})
    assert ask(at, mode, texts=["x"]).categories == {"violence"}  # reaching it is enough
    higher = replace(config, thresholds={"violence": 0.7})
    assert ask(higher, mode, texts=["x"]).categories == frozenset()


def test_underscored_category_names_are_normalised(stub: ModerationStub, mode: str) -> None:
    stub.underscores = True
    stub.flag_text = {"HURT": "self-harm/intent", "KID": "sexual/minors"}
    stub.scores["violence/graphic"] = 0.8
    config = ClassifierConfig(url=stub.url, thresholds={"violence/graphic": 0.5})
    verdict = ask(config, mode, texts=["HURT", "KID"])
    assert verdict.categories == {"self-harm/intent", "sexual/minors", "violence/graphic"}
    assert "self_harm_intent" in stub.answer(stub.requests[0].body)["results"][0]["categories"]


def test_normalise_category() -> None:
    assert normalise_category("self_harm") == "self-harm"
    assert normalise_category("self_harm_intent") == "self-harm/intent"
    assert normalise_category("Sexual_Minors") == "sexual/minors"
    assert normalise_category("harassment/threatening") == "harassment/threatening"
    assert normalise_category("real-person/face") == "real-person/face"
    assert normalise_category("weapons_trade") == "weapons-trade"


def test_results_are_pooled_however_many_come_back(stub: ModerationStub) -> None:
    # Two inputs, one result: the answer is whatever that result flags.
    one = {"results": [{"flagged": True, "categories": {"hate": True, "sexual": False}}]}
    stub.raw_body = json.dumps(one).encode()
    assert ask(ClassifierConfig(url=stub.url), texts=["a", "b"]).categories == {"hate"}
    three = {
        "results": [
            {"flagged": False, "categories": {"hate": False}},
            {"flagged": True, "categories": {"hate": True}},
            {"flagged": True, "categories": {"violence": True, "illicit": None}},
        ]
    }
    stub.raw_body = json.dumps(three).encode()
    assert ask(ClassifierConfig(url=stub.url), texts=["a"]).categories == {"hate", "violence"}


def test_flagged_without_a_category_still_blocks(stub: ModerationStub) -> None:
    stub.raw_body = b'{"results": [{"flagged": true, "categories": {"hate": false}}]}'
    assert ask(ClassifierConfig(url=stub.url), texts=["a"]).categories == {FLAGGED_WITHOUT_CATEGORY}


def test_a_true_category_counts_even_if_not_flagged_overall(stub: ModerationStub) -> None:
    stub.raw_body = b'{"results": [{"flagged": false, "categories": {"violence": true}}]}'
    assert ask(ClassifierConfig(url=stub.url), texts=["a"]).categories == {"violence"}


# When the classifier cannot answer


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "no results"),
        (b'{"results": []}', "no results"),
        (b'{"results": [42]}', "a result is not an object"),
        (b'{"results": [{}]}', "a result has neither flagged nor categories"),
        (b'{"results": [{"flagged": "yes"}]}', "flagged is not a boolean"),
        (b'{"results": [{"categories": []}]}', "categories is not an object"),
        (b'{"results": [{"categories": {"hate": 1}}]}', "categories['hate'] is int"),
        (b'{"results": [{"category_scores": {"hate": true}}]}', "category_scores['hate'] is bool"),
    ],
)
def test_a_malformed_body_is_unavailable(stub: ModerationStub, body: bytes, reason: str) -> None:
    stub.raw_body = body
    verdict = ask(ClassifierConfig(url=stub.url), texts=["a"])
    assert verdict == ClassifierVerdict(
        frozenset(), unavailable=True, detail=f"malformed response: {reason}"
    )


def test_malformed_json_is_unavailable_on_both_paths(stub: ModerationStub, mode: str) -> None:
    stub.raw_body = b'{"results": [{"flagged": tru'
    verdict = ask(ClassifierConfig(url=stub.url), mode, texts=["a"])
    assert verdict.unavailable and verdict.detail == "malformed response: not JSON"


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_an_error_status_is_unavailable(stub: ModerationStub, mode: str, status: int) -> None:
    stub.status = status
    verdict = ask(ClassifierConfig(url=stub.url), mode, texts=["a"])
    assert verdict == ClassifierVerdict(frozenset(), unavailable=True, detail=f"HTTP {status}")


def test_a_redirect_is_not_followed(stub: ModerationStub, mode: str) -> None:
    stub.status = 307
    verdict = ask(ClassifierConfig(url=stub.url), mode, texts=["a"])
    assert verdict.unavailable and verdict.detail == "HTTP 307 (redirects are not followed)"
    assert [r.path for r in stub.requests] == ["/v1/moderations"]


def test_a_refused_connection_is_unavailable_at_once(mode: str) -> None:
    config = ClassifierConfig(url=f"http://127.0.0.1:{free_port()}/v1", timeout_seconds=5)
    verdict, took = timed_ask(config, mode)
    assert verdict.unavailable and verdict.categories == frozenset()
    assert verdict.detail.startswith("connection failed")
    assert took < 1.0


def test_a_silent_classifier_times_out_within_the_timeout(stub: ModerationStub, mode: str) -> None:
    stub.delay = 3.0
    stub.flag_text["x"] = "hate"
    config = ClassifierConfig(url=stub.url, timeout_seconds=FAST_TIMEOUT)
    verdict, took = timed_ask(config, mode, texts=["x"])
    assert verdict == ClassifierVerdict(
        frozenset(), unavailable=True, detail=f"timeout after {FAST_TIMEOUT} s"
    )
    assert FAST_TIMEOUT * 0.9 < took < FAST_TIMEOUT + MARGIN
    assert stub.wait_for_requests(1)[0].input == "x"


def test_a_dripping_classifier_times_out_within_the_timeout(
    stub: ModerationStub, mode: str
) -> None:
    stub.drip = 0.02  # each byte well within the read timeout; the body would take ~10 s
    config = ClassifierConfig(url=stub.url, timeout_seconds=FAST_TIMEOUT)
    verdict, took = timed_ask(config, mode)
    assert verdict.unavailable and verdict.detail == f"timeout after {FAST_TIMEOUT} s"
    assert took < FAST_TIMEOUT + MARGIN


def test_a_slow_but_timely_classifier_is_heard(stub: ModerationStub, mode: str) -> None:
    stub.delay = 0.1
    stub.flag_text["x"] = "hate"
    verdict = ask(ClassifierConfig(url=stub.url, timeout_seconds=2.0), mode, texts=["x"])
    assert verdict.categories == {"hate"} and not verdict.unavailable


@pytest.mark.parametrize("content_length", [True, False])
def test_an_oversized_body_is_unavailable(
    stub: ModerationStub, mode: str, content_length: bool
) -> None:
    # Valid JSON, so only the cap can refuse it; without a length it is refused while reading.
    padding = "x" * MAX_RESPONSE_BYTES
    stub.raw_body = json.dumps({"results": [{"flagged": False}], "pad": padding}).encode()
    stub.content_length = content_length
    verdict = ask(ClassifierConfig(url=stub.url), mode, texts=["a"])
    assert verdict.unavailable and verdict.detail == "response over 1024 KiB"
    stub.raw_body = json.dumps({"results": [{"flagged": False}], "pad": padding[:1000]}).encode()
    assert not ask(ClassifierConfig(url=stub.url), mode, texts=["a"]).unavailable


# Policy


def test_fail_closed_blocks_only_when_unavailable() -> None:
    down = ClassifierVerdict(frozenset(), unavailable=True, detail="HTTP 503")
    assert down.blocking_categories(fail_closed=True) == {UNCHECKED}
    assert down.blocking_categories(fail_closed=False) == frozenset()
    up = ClassifierVerdict(frozenset({"hate"}), unavailable=False, detail="flagged: hate")
    assert up.blocking_categories(fail_closed=True) == {"hate"}
    assert up.blocking_categories(fail_closed=False) == {"hate"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "127.0.0.1:9000/v1"}, "must start with http"),
        ({"timeout_seconds": 0}, "timeout must be positive"),
        ({"timeout_seconds": float("nan")}, "timeout must be positive"),
        ({"thresholds": {"self_harm": 0.5}}, "'self_harm' is spelled 'self-harm'"),
        ({"thresholds": {"hate": 1.5}}, r"must be in \[0, 1\]"),
    ],
)
def test_bad_configuration_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClassifierConfig(**{"url": "http://127.0.0.1:9000/v1", **options})  # type: ignore[arg-type]
