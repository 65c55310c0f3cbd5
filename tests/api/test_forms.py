from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from reelbox.api.forms import (
    BodyLimits,
    _fold,
    load_json,
    parse_body,
    read_limited,
    refuse_bad_text,
)
from reelbox.app import create_app
from reelbox.errors import InvalidRequest, PayloadTooLarge
from reelbox.settings import Settings


def test_plain_fields_pass_through() -> None:
    assert _fold([("prompt", "a cat"), ("seconds", "8")]) == {"prompt": "a cat", "seconds": "8"}


def test_bracketed_keys_become_objects() -> None:
    folded = _fold([("prompt", "x"), ("input_reference[image_url]", "data:…"), ("video[id]", "v")])
    assert folded == {
        "prompt": "x",
        "input_reference": {"image_url": "data:…"},
        "video": {"id": "v"},
    }


def test_indexed_and_empty_brackets_become_lists() -> None:
    assert _fold([("characters[0][id]", "a"), ("characters[1][id]", "b")]) == {
        "characters": [{"id": "a"}, {"id": "b"}]
    }
    assert _fold([("characters[][id]", "a"), ("characters[][id]", "b")]) == {
        "characters": [{"id": "a"}, {"id": "b"}]
    }


def test_repeated_plain_keys_become_lists() -> None:
    assert _fold([("files", "a"), ("files", "b")]) == {"files": ["a", "b"]}


def test_conflicting_shapes_are_rejected() -> None:
    with pytest.raises(InvalidRequest):
        _fold([("video", "x"), ("video[id]", "y")])


# The parser's own limits (issue 12): counted while streaming, capped before parsing.

LIMITS = BodyLimits(max_bytes=1 << 20)


def test_a_chunked_body_over_the_cap_is_413_and_not_read_to_the_end(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", max_upload_bytes=256 * 1024)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        answer = api.post(
            "/v1/videos",
            content=iter([b"x" * 16384] * 64),  # no Content-Length: sent chunked
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"


def test_the_body_stops_being_read_once_over_the_cap() -> None:
    received = []

    async def receive() -> dict[str, object]:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 16384, "more_body": len(received) < 64}

    scope = {"type": "http", "method": "POST", "headers": [], "path": "/", "query_string": b""}

    async def read() -> None:
        await read_limited(Request(scope, receive), max_bytes=100_000)

    with pytest.raises(PayloadTooLarge):
        anyio.run(read)
    assert len(received) == 7  # 7 x 16 KiB is the first read over 100,000 bytes


def test_a_declared_length_over_the_cap_is_413_before_reading(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", max_upload_bytes=2048)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        answer = api.post("/v1/videos", json={"prompt": "x" * 4096})
    assert answer.status_code == 413


def test_urlencoded_fields_are_counted_before_parsing() -> None:
    body = b"a=1&" * 300
    with pytest.raises(InvalidRequest) as caught:
        parse_body(body, "application/x-www-form-urlencoded", limits=LIMITS)
    assert caught.value.code == "too_many_fields"
    fields = parse_body(b"a=1&b=2", "application/x-www-form-urlencoded", limits=LIMITS)
    assert fields == {"a": "1", "b": "2"}


def test_urlencoded_bytes_that_are_not_utf8_are_400() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_body(b"prompt=%ff", "application/x-www-form-urlencoded", limits=LIMITS)
    assert caught.value.code == "invalid_body"


def test_bracket_depth_is_capped() -> None:
    assert _fold([("a" + "[b]" * 8, "1")])["a"]
    with pytest.raises(InvalidRequest) as caught:
        _fold([("a" + "[b]" * 9, "1")])
    assert caught.value.code == "nesting_too_deep"


def test_unicode_digit_keys_do_not_become_list_indexes() -> None:
    assert _fold([("a[²]", "1")]) == {"a": {"²": "1"}}


def test_json_depth_is_capped_without_recursion_errors() -> None:
    assert load_json("[" * 32 + "]" * 32, limits=LIMITS) is not None
    for text in ("[" * 33 + "]" * 33, "[" * 200_000 + "]" * 200_000, '{"a":' * 3000 + "1"):
        with pytest.raises(InvalidRequest) as caught:
            load_json(text, limits=LIMITS)
        assert caught.value.code in ("nesting_too_deep", "invalid_json")


def test_json_numbers_out_of_range_and_constants_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        load_json('{"a": ' + "9" * 400 + "}", limits=LIMITS)
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(InvalidRequest) as caught:
            load_json('{"a": ' + constant + "}", limits=LIMITS)
        assert caught.value.code == "invalid_json"
    assert load_json('{"a": 9007199254740991}', limits=LIMITS) == {"a": 2**53 - 1}


def test_nul_and_lone_surrogates_are_refused_anywhere() -> None:
    for text in ("a\x00b", "\ud800", "x\udfff"):
        with pytest.raises(InvalidRequest):
            refuse_bad_text(text, param="prompt")
        with pytest.raises(InvalidRequest):
            load_json(json.dumps({"k": [text]}), limits=LIMITS)
        with pytest.raises(InvalidRequest):
            load_json(json.dumps({text: 1}), limits=LIMITS)
    assert refuse_bad_text("café 😀", param="prompt") == "café 😀"


def test_multipart_parts_and_files_are_counted() -> None:
    def body(parts: int, *, files: bool) -> bytes:
        out = b""
        for i in range(parts):
            name = f'name="f{i}"' + (f'; filename="{i}.bin"' if files else "")
            out += b"--x\r\nContent-Disposition: form-data; " + name.encode() + b"\r\n\r\nv\r\n"
        return out + b"--x--\r\n"

    kind = "multipart/form-data; boundary=x"
    assert len(parse_body(body(8, files=True), kind, limits=LIMITS)) == 8
    with pytest.raises(InvalidRequest):
        parse_body(body(9, files=True), kind, limits=LIMITS)
    with pytest.raises(InvalidRequest):
        parse_body(body(257, files=False), kind, limits=LIMITS)
    with pytest.raises(InvalidRequest) as caught:
        parse_body(b"garbage", kind, limits=LIMITS)
    assert caught.value.code == "invalid_body"
