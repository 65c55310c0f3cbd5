"""Typed request bodies, one pydantic model per endpoint and dialect.

`forms.read_fields` turns JSON, multipart and urlencoded bodies alike into one dict; `parse`
fills a model from it. Each model's `before` validator runs the contract's checks in the
contract's order with the OpenAI API's own wording (SORA_API.md A2, A6, B, D1, D2, D7, D8;
`validation` holds the shared ones), so the typed fields that come out are already normalised;
checks that need a resolved model (size, seconds, capabilities) follow in the handler. The models'
JSON schemas describe the bodies in `/openapi.json` (`request_body`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from reelbox.api import validation as v
from reelbox.api.azure_inputs import integer
from reelbox.api.forms import BodyLimits, load_json
from reelbox.api.multipart import Upload
from reelbox.errors import InvalidRequest
from reelbox.store.outbox import EVENT_TYPES

NAME_MAX = 80
ENDPOINT_NAME_MAX = 256


def _upload(value: object) -> Upload:
    if not isinstance(value, Upload):
        raise ValueError("expected a file part")
    return value


def _anything(value: object) -> object:
    return value


FILE_SCHEMA = {"type": "string", "format": "binary"}
UploadField = Annotated[Upload, PlainValidator(_upload), WithJsonSchema(FILE_SCHEMA)]
ImageInput = Annotated[
    Any,
    PlainValidator(_anything),
    WithJsonSchema(
        {
            "description": "A file part, or an object with exactly one of `image_url` (a data: "
            "URL, or an https URL when the server fetches them) or `file_id`.",
            "anyOf": [
                FILE_SCHEMA,
                {
                    "type": "object",
                    "properties": {"image_url": {"type": "string"}, "file_id": {"type": "string"}},
                    "additionalProperties": False,
                },
            ],
        }
    ),
]
VideoInput = Annotated[
    Any,
    PlainValidator(_anything),
    WithJsonSchema(
        {
            "description": 'A finished video as {"id": "video_..."}, or an uploaded file part.',
            "anyOf": [
                FILE_SCHEMA,
                {
                    "type": "object",
                    "properties": {"id": {"type": "string"}},
                    "required": ["id"],
                    "additionalProperties": False,
                },
            ],
        }
    ),
]
Seed = Annotated[int | None, Field(default=None, ge=0, le=2**31 - 1)]
# Judged against the resolved model after moderation (`validation.seconds`): kept as sent.
Seconds = Annotated[
    Any,
    PlainValidator(_anything),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]{1,6}(\\.[0-9]{1,6})?$"},
                {"type": "number"},
            ],
            "description": "Clip length in seconds: '4', '8' or '12' for Sora models "
            "(extensions: '4' to '20').",
        }
    ),
]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _fields(data: object) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_type")
    return dict(data)


def _seed(fields: dict[str, Any]) -> None:
    fields["seed"] = v.seed(fields)


class CharacterId(RequestModel):
    id: str


class VideoCreate(RequestModel):
    """`POST /v1/videos` (A4.1)."""

    prompt: str = Field(min_length=1, max_length=v.PROMPT_MAX)
    model: str | None = None
    seconds: Seconds = None
    size: str | None = Field(default=None, description="Like '1280x720' (width x height).")
    input_reference: ImageInput = None
    characters: list[CharacterId] | None = Field(default=None, max_length=2)
    input_reference_fit: Literal["crop", "pad", "stretch"] | None = None
    seed: Seed

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        v.prompt(fields)
        v.string_field(fields, "model")
        v.string_field(fields, "size")
        fit = fields.get("input_reference_fit")
        if fit is not None and fit not in ("crop", "pad", "stretch"):
            raise InvalidRequest(
                f"Invalid value: '{fit}'. Supported values are: 'crop', 'pad', and 'stretch'.",
                param="input_reference_fit",
                code="invalid_value",
            )
        _seed(fields)
        _characters(fields.get("characters"))
        return fields


def _characters(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise v.invalid_type("characters", "an array", value)
    if len(value) > 2:
        raise InvalidRequest(
            "Invalid 'characters': at most 2 characters can appear in one video.",
            param="characters",
            code="invalid_value",
        )
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"id"} or not isinstance(item["id"], str):
            raise InvalidRequest(
                f'Invalid \'characters[{i}]\': expected an object like {{"id": "char_..."}}.',
                param=f"characters[{i}]",
                code="invalid_value",
            )


class VideoRemix(RequestModel):
    """`POST /v1/videos/{video_id}/remix` (A4.6)."""

    prompt: str = Field(min_length=1, max_length=v.PROMPT_MAX)
    seed: Seed

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        v.prompt(fields)
        _seed(fields)
        return fields


def _video_ref(fields: dict[str, Any]) -> None:
    value = fields.get("video")
    if value is None:
        raise v.missing("video")
    if isinstance(value, dict):
        if set(value) != {"id"}:
            raise InvalidRequest(
                'Invalid \'video\': expected an object like {"id": "video_..."}.',
                param="video",
                code="invalid_value",
            )
        if not isinstance(value["id"], str) or not value["id"]:
            raise v.invalid_type("video.id", "a string", value["id"])
    elif not isinstance(value, Upload):
        raise v.invalid_type("video", "an object or a file", value)


class VideoEdit(RequestModel):
    """`POST /v1/videos/edits` (A4.7)."""

    prompt: str = Field(min_length=1, max_length=v.PROMPT_MAX)
    video: VideoInput
    model: str | None = None
    seed: Seed

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        v.prompt(fields)
        _video_ref(fields)
        v.string_field(fields, "model")
        _seed(fields)
        return fields


class VideoExtend(RequestModel):
    """`POST /v1/videos/extensions` (A4.8)."""

    prompt: str = Field(min_length=1, max_length=v.PROMPT_MAX)
    seconds: Seconds = None
    video: VideoInput
    seed: Seed

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        v.prompt(fields)
        _video_ref(fields)
        _seed(fields)
        return fields


class CharacterCreate(RequestModel):
    """`POST /v1/videos/characters` (A4.9), multipart only."""

    name: str = Field(min_length=1, max_length=NAME_MAX)
    video: UploadField

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        name = v.string_field(fields, "name", required=True)
        assert name is not None
        if not 1 <= len(name.strip()) <= NAME_MAX:
            raise InvalidRequest(
                f"Invalid 'name': expected 1 to {NAME_MAX} characters.",
                param="name",
                code="invalid_value",
            )
        fields["name"] = name.strip()
        video = fields.get("video")
        if video is None:
            raise v.missing("video")
        if not isinstance(video, Upload):
            raise v.invalid_type("video", "a file", video)
        return fields


EventType = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]


def _endpoint_fields(fields: dict[str, Any], *, required: bool) -> dict[str, Any]:
    name = v.string_field(fields, "name", required=required)
    if name is not None:
        if not 1 <= len(name.strip()) <= ENDPOINT_NAME_MAX:
            raise InvalidRequest(
                f"Invalid 'name': expected 1 to {ENDPOINT_NAME_MAX} characters.",
                param="name",
                code="invalid_value",
            )
        fields["name"] = name.strip()
    fields["event_types"] = _event_types(fields.get("event_types"), required=required)
    url = v.string_field(fields, "url", required=required)
    if url is not None:
        fields["url"] = webhook_url_shape(url.strip())
    return fields


def event_type(value: object, *, param: str) -> str:
    if not isinstance(value, str):
        raise v.invalid_type(param, "a string", value)
    if value not in EVENT_TYPES:
        raise v.invalid_value(param, value, EVENT_TYPES, detail="Reelbox sends only video events.")
    return value


def _event_types(value: object, *, required: bool) -> list[str] | None:
    if value is None:
        if required:
            raise v.missing("event_types")
        return None
    if not isinstance(value, list):
        raise v.invalid_type("event_types", "an array", value)
    if not value:
        raise InvalidRequest(
            "Invalid 'event_types': expected at least one event type.",
            param="event_types",
            code="invalid_value",
        )
    chosen = [event_type(item, param=f"event_types[{i}]") for i, item in enumerate(value)]
    return list(dict.fromkeys(chosen))


def webhook_url_shape(url: str) -> str:
    """A URL that parses, with a host name of non-empty labels (the destination rules of
    `reelbox.webhooks` judge the rest); 400 `invalid_url` otherwise."""
    malformed = InvalidRequest(
        "Invalid 'url': the URL is malformed.", param="url", code="invalid_url"
    )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # "Invalid IPv6 URL" and the like
        raise malformed from None
    if host and not host.startswith("[") and ":" not in host:
        labels = host.removesuffix(".").split(".")
        if len(host) > 253 or any(not 1 <= len(label) <= 63 for label in labels):
            raise malformed
        try:
            host.encode("idna")
        except UnicodeError:
            raise malformed from None
    return url


class WebhookEndpointCreate(RequestModel):
    """`POST /v1/webhook_endpoints` (A8)."""

    name: str = Field(min_length=1, max_length=ENDPOINT_NAME_MAX)
    url: str = Field(description="An https URL that receives the events.")
    event_types: list[EventType] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        return _endpoint_fields(fields, required=True)


class WebhookEndpointUpdate(RequestModel):
    """`POST /v1/webhook_endpoints/{id}` (A8): any of the fields."""

    name: str | None = Field(default=None, min_length=1, max_length=ENDPOINT_NAME_MAX)
    url: str | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object) -> dict[str, Any]:
        fields = _fields(data)
        v.reject_unknown(fields, cls.model_fields)
        return _endpoint_fields(fields, required=False)


# Checked item by item, with Azure's wording, where the images are decoded (`azure_inputs`).
InpaintItems = Annotated[
    list[dict[str, Any]] | None,
    PlainValidator(_anything),
    WithJsonSchema(
        {
            "description": "In multipart bodies, a JSON string holding the array.",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "frame_index": {"type": "integer", "minimum": 0},
                    "type": {"type": "string", "enum": ["image", "video"]},
                    "file_name": {"type": "string"},
                    "crop_bounds": {
                        "type": "object",
                        "properties": {
                            name: {"type": "number", "minimum": 0, "maximum": 1}
                            for name in (
                                "left_fraction",
                                "top_fraction",
                                "right_fraction",
                                "bottom_fraction",
                            )
                        },
                        "additionalProperties": False,
                    },
                },
                "required": ["type", "file_name"],
                "additionalProperties": False,
            },
        }
    ),
]
AzureInt = Annotated[
    int,
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]{1,10}$"}]}
    ),
]
AZURE_JSON_FIELDS = ("model", "prompt", "width", "height", "n_seconds", "n_variants", "seed")


class AzureJobCreate(RequestModel):
    """`POST /openai/v1/video/generations/jobs` (Azure Sora 1, B and D7): JSON, or multipart
    with `files` and `inpaint_items` (a JSON string). Integers may come as decimal strings."""

    model: str | None = None
    prompt: str = Field(min_length=1, max_length=v.PROMPT_MAX)
    width: AzureInt
    height: AzureInt
    n_seconds: AzureInt = 5
    n_variants: AzureInt = 1
    seed: Seed
    files: list[UploadField] = Field(default_factory=list)
    inpaint_items: InpaintItems = None

    @model_validator(mode="before")
    @classmethod
    def _contract(cls, data: object, info: ValidationInfo) -> dict[str, Any]:
        fields = _fields(data)
        multipart = bool(info.context and info.context.get("multipart"))
        v.reject_unknown(fields, cls.model_fields if multipart else AZURE_JSON_FIELDS)
        v.prompt(fields)
        v.string_field(fields, "model")
        for name in ("width", "height"):
            fields[name] = integer(fields, name)
        fields["n_seconds"] = integer(fields, "n_seconds", default=5)
        fields["n_variants"] = integer(fields, "n_variants", default=1)
        _seed(fields)
        files = fields.get("files")
        uploads = files if isinstance(files, list) else [files] if files is not None else []
        for upload in uploads:
            if not isinstance(upload, Upload):
                raise v.invalid_type("files", "a file", upload)
        fields["files"] = uploads
        raw = fields.get("inpaint_items")
        if isinstance(raw, str):
            fields["inpaint_items"] = inpaint_items_json(raw, limits=BodyLimits(max_bytes=0))
        return fields


def inpaint_items_json(raw: str, *, limits: BodyLimits) -> Any:
    """`inpaint_items` as multipart sends it: a JSON string, under the body's JSON limits."""
    try:
        return load_json(raw, limits=limits, param="inpaint_items")
    except ValueError as exc:
        raise InvalidRequest(
            "inpaint_items must be a JSON string holding an array of items.",
            param="inpaint_items",
            code="invalid_value",
        ) from exc


M = TypeVar("M", bound="RequestModel")


def parse(model: type[M], fields: Mapping[str, Any], *, multipart: bool = False) -> M:
    """Fill `model` from a body's fields; a failure is a 400 in the OpenAI envelope."""
    try:
        return model.model_validate(fields, context={"multipart": multipart})
    except ValidationError as exc:
        raise _first_error(exc) from None


def _first_error(exc: ValidationError) -> InvalidRequest:
    error = exc.errors(include_url=False)[0]
    param = ".".join(str(p) for p in error["loc"]) or None
    kind = error["type"]
    if kind == "missing" and param:
        return v.missing(param)
    if kind == "extra_forbidden" and param:
        return InvalidRequest(
            f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter"
        )
    return InvalidRequest(
        f"Invalid '{param or 'body'}': {error['msg']}.", param=param, code="invalid_value"
    )


def request_body(
    model: type[RequestModel], *, json: bool = True, form: bool = True
) -> dict[str, Any]:
    """`openapi_extra` for a route whose handler reads the body itself: the model's schema,
    self-contained (no `$ref`), under each content type the route takes."""
    schema = _inline(model.model_json_schema())
    content: dict[str, Any] = {}
    if json:
        content["application/json"] = {"schema": schema}
    if form:
        content["multipart/form-data"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = copy.deepcopy(defs[ref.removeprefix("#/$defs/")])
                rest = {k: val for k, val in node.items() if k != "$ref"}
                return resolve({**target, **rest})
            return {k: resolve(val) for k, val in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
