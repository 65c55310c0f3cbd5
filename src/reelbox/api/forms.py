"""Reading request bodies: JSON or multipart, into one dict of fields.

Multipart parsing is Starlette's (python-multipart); this module adds the caps, turns malformed
bodies into 400s, and folds bracketed keys (`input_reference[image_url]`, `video[id]`,
`characters[0][id]`) into nested values as the Node SDK sends them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from reelbox.errors import InvalidRequest, PayloadTooLarge

_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")


@dataclass(frozen=True)
class Upload:
    """A file part, read into memory (bounded by the upload cap)."""

    filename: str
    content_type: str
    data: bytes


async def read_fields(
    request: Request, *, max_bytes: int, multipart_only: bool = False
) -> dict[str, Any]:
    """The request's fields; files become `Upload`s. Raises 400/413 errors for bad bodies."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _multipart(request, max_bytes=max_bytes)
    if multipart_only:
        raise InvalidRequest(
            "This endpoint expects a multipart/form-data body.", param=None, code="invalid_type"
        )
    body = await _read_limited(request, max_bytes=max_bytes)
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidRequest(
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                "payload, but what was sent was not valid JSON.)",
                code="invalid_json",
            ) from exc
        if not isinstance(data, dict):
            raise InvalidRequest("The request body must be a JSON object.", code="invalid_type")
        return data
    if content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise InvalidRequest("The form body is not valid UTF-8.", code="invalid_body") from exc
        return _fold(pairs)
    raise InvalidRequest(
        f"Unsupported content type '{content_type}': send application/json or multipart/form-data.",
        code="invalid_type",
    )


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the {max_bytes // (1024 * 1024)} MB limit.",
        code="request_too_large",
    )


async def _read_limited(request: Request, *, max_bytes: int) -> bytes:
    chunks = bytearray()
    try:
        async for chunk in request.stream():
            chunks += chunk
            if len(chunks) > max_bytes:
                raise _too_large(max_bytes)
    except ClientDisconnect as exc:
        raise InvalidRequest("The client disconnected before the body was read.") from exc
    return bytes(chunks)


async def _multipart(request: Request, *, max_bytes: int) -> dict[str, Any]:
    try:
        form = await request.form(max_files=8, max_fields=64, max_part_size=max_bytes)
    except MultiPartException as exc:
        raise InvalidRequest(
            f"Malformed multipart body: {exc.message}", code="invalid_body"
        ) from exc
    except ClientDisconnect as exc:
        raise InvalidRequest("The client disconnected before the body was read.") from exc
    flat: list[tuple[str, Any]] = []
    total = 0
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if value.size is not None and value.size > max_bytes:
                    raise _too_large(max_bytes)
                data = await value.read(max_bytes + 1)
                total += len(data)
                if len(data) > max_bytes or total > max_bytes:
                    raise _too_large(max_bytes)
                flat.append(
                    (
                        key,
                        Upload(
                            filename=value.filename or "",
                            content_type=value.content_type or "application/octet-stream",
                            data=data,
                        ),
                    )
                )
            else:
                flat.append((key, value))
    finally:
        await form.close()
    return _fold(flat)


def _fold(items: Any) -> dict[str, Any]:
    """`a[b]=1` → {"a": {"b": "1"}}; `a[0][id]=x` → {"a": [{"id": "x"}]}; repeats → lists."""
    result: dict[str, Any] = {}
    pairs = items.items() if isinstance(items, dict) else items
    for key, value in pairs:
        match = _BRACKETS.match(key)
        if match is None:
            if key in result:
                existing = result[key]
                result[key] = (
                    [*existing, value] if isinstance(existing, list) else [existing, value]
                )
            else:
                result[key] = value
            continue
        head = match.group(1)
        path = re.findall(r"\[([^\[\]]*)\]", match.group(2))
        _assign(result, head, path, value)
    folded: dict[str, Any] = _listify(result)
    return folded


def _assign(target: dict[str, Any], head: str, path: list[str], value: Any) -> None:
    node = target.setdefault(head, {})
    if not isinstance(node, dict):
        raise InvalidRequest(f"Conflicting values for '{head}'.", param=head, code="invalid_value")
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part == "":
            # `characters[][id]`: every empty index starts a new element when its key repeats.
            index = str(len(node))
            if not last:
                following = path[i + 1]
                if str(len(node) - 1) in node and following not in node[str(len(node) - 1)]:
                    index = str(len(node) - 1)
            part = index
        if last:
            node[part] = value
        else:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InvalidRequest(
                    f"Conflicting values for '{head}'.", param=head, code="invalid_value"
                )
            node = child


def _listify(value: Any) -> Any:
    """Dicts whose keys are all 0..n-1 become lists."""
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        keys = list(converted)
        if (
            keys
            and all(k.isdigit() for k in keys)
            and sorted(map(int, keys)) == list(range(len(keys)))
        ):
            return [converted[str(i)] for i in range(len(keys))]
        return converted
    return value
