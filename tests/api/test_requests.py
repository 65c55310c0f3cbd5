"""The typed request models: contract wording and order, normalised values, schemas."""

from __future__ import annotations

import pytest
from pydantic import Field

from reelbox.api.multipart import Upload
from reelbox.api.requests import (
    AzureJobCreate,
    CharacterCreate,
    RequestModel,
    VideoCreate,
    VideoEdit,
    WebhookEndpointUpdate,
    parse,
    request_body,
)
from reelbox.errors import InvalidRequest

CLIP = Upload("clip.mp4", "video/mp4", b"...")


def _refusal(model: type[RequestModel], fields: dict[str, object], **kw: bool) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse(model, fields, **kw)
    return caught.value


def test_unknown_parameters_are_named_first() -> None:
    error = _refusal(VideoCreate, {"bogus": 1})
    assert (error.message, error.param, error.code) == (
        "Unknown parameter: 'bogus'.", "bogus", "unknown_parameter"
    )  # fmt: skip


def test_missing_and_mistyped_fields_use_the_contract_wording() -> None:
    assert _refusal(VideoCreate, {}).message == "Missing required parameter: 'prompt'."
    error = _refusal(VideoCreate, {"prompt": "x", "size": 720})
    assert error.message == (
        "Invalid type for 'size': expected a string, but got an integer instead."
    )
    error = _refusal(VideoEdit, {"prompt": "x", "video": {"id": "v", "x": 1}})
    assert error.param == "video"


def test_values_come_out_normalised() -> None:
    body = parse(VideoCreate, {"prompt": "x", "seed": "42", "characters": [{"id": "char_1"}]})
    assert body.seed == 42
    assert body.characters is not None and body.characters[0].id == "char_1"
    character = parse(CharacterCreate, {"name": "  Ann ", "video": CLIP}, multipart=True)
    assert character.name == "Ann" and character.video is CLIP


def test_seed_takes_only_plain_ascii_digits() -> None:
    for seed in ("²", "1_0", "-1", "99999999999", True, 2**31):
        assert _refusal(VideoCreate, {"prompt": "x", "seed": seed}).param == "seed"


def test_azure_jobs_take_integer_strings_and_multipart_fields() -> None:
    fields = {"prompt": "x", "width": "480", "height": 480, "n_seconds": "5"}
    body = parse(AzureJobCreate, fields)
    assert (body.width, body.height, body.n_seconds, body.n_variants) == (480, 480, 5, 1)
    error = _refusal(AzureJobCreate, {**fields, "inpaint_items": "[]"})
    assert error.code == "unknown_parameter"  # JSON bodies carry no inpaint items
    items = '[{"type": "image", "file_name": "a.png"}]'
    upload = Upload("a.png", "image/png", b"png")
    body = parse(
        AzureJobCreate, {**fields, "inpaint_items": items, "files": upload}, multipart=True
    )
    assert body.inpaint_items == [{"type": "image", "file_name": "a.png"}]
    assert body.files == [upload]
    error = _refusal(AzureJobCreate, {**fields, "inpaint_items": "[{"}, multipart=True)
    assert error.param == "inpaint_items"


def test_webhook_updates_take_any_subset() -> None:
    assert parse(WebhookEndpointUpdate, {}).url is None
    body = parse(WebhookEndpointUpdate, {"name": " hook ", "event_types": ["video.completed"]})
    assert body.name == "hook" and body.event_types == ["video.completed"]


def test_other_pydantic_refusals_map_to_the_envelope() -> None:
    class Small(RequestModel):
        count: int = Field(le=3)

    error = _refusal(Small, {"count": 4})
    assert error.param == "count" and error.code == "invalid_value"
    assert _refusal(Small, {}).message == "Missing required parameter: 'count'."
    assert _refusal(Small, {"count": 1, "x": 2}).code == "unknown_parameter"


def test_request_bodies_are_self_contained_schemas() -> None:
    extra = request_body(VideoCreate)
    content = extra["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert "$defs" not in content["application/json"]["schema"]
    characters = content["application/json"]["schema"]["properties"]["characters"]
    assert characters["anyOf"][0]["items"]["properties"]["id"]["type"] == "string"
