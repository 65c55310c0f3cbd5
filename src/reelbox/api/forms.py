"""Reading request bodies: JSON, multipart or urlencoded, into one dict of fields, with limits.

The one parser every body-taking route uses. The body is read as it streams and counted (a
declared Content-Length and a chunked body alike: 413 as soon as it passes the cap), then parsed
(in a worker thread when it is large, so the event loop never parses megabytes) under caps on
the number of fields and files, the nesting depth of bracketed keys and of JSON, and the range of
numbers. Every string, key and value is refused if it holds a NUL or a lone surrogate: such text
cannot be stored (PostgreSQL refuses NUL) and is never meaningful. Bracketed keys
(`input_reference[image_url]`, `video[id]`, `characters[0][id]`) fold into nested values as the
Node SDK sends them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from starlette.requests import ClientDisconnect, Request

from reelbox.api.multipart import Upload, parse_multipart
from reelbox.errors import InvalidRequest, PayloadTooLarge

__all__ = ["BodyLimits", "Upload", "parse_body", "read_fields", "refuse_bad_text"]

_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# Bodies above this size are parsed in a worker thread; smaller ones parse faster than the hop.
THREAD_THRESHOLD = 64 * 1024
MAX_SAFE_INTEGER = 2**53 - 1  # larger JSON integers are refused (no field takes one)


@dataclass(frozen=True, kw_only=True)
class BodyLimits:
    """What one request body may hold (docs/architecture.md, "Request bodies")."""

    max_bytes: int
    max_fields: int = 256  # urlencoded pairs, multipart text parts, JSON values in all
    max_files: int = 8
    max_key_depth: int = 8  # brackets in one form key: `a[b][c]` is 2
    max_json_depth: int = 32


def invalid_json() -> InvalidRequest:
    return InvalidRequest(
        "We could not parse the JSON body of your request. (HINT: This likely means "
        "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
        "payload, but what was sent was not valid JSON.)",
        code="invalid_json",
    )


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than the {max_bytes // (1024 * 1024)} MB limit.",
        code="request_too_large",
    )


def refuse_bad_text(value: str, *, param: str | None) -> str:
    """400 for a NUL character or a lone surrogate; the text otherwise."""
    if _BAD_TEXT.search(value) is not None:
        raise InvalidRequest(
            f"Invalid '{param}': text must not contain NUL characters or unpaired surrogates."
            if param
            else "The request must not contain NUL characters or unpaired surrogates.",
            param=param,
            code="invalid_value",
        )
    return value


async def read_fields(
    request: Request,
    *,
    max_bytes: int,
    multipart_only: bool = False,
    limits: BodyLimits | None = None,
) -> dict[str, Any]:
    """The request's fields; files become `Upload`s. Raises 400/413 errors for bad bodies."""
    limits = limits or BodyLimits(max_bytes=max_bytes)
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 18 or int(declared) > limits.max_bytes)
    ):
        raise too_large(limits.max_bytes)
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if multipart_only and kind != "multipart/form-data":
        raise InvalidRequest(
            "This endpoint expects a multipart/form-data body.", param=None, code="invalid_type"
        )
    if not _supported(kind):
        raise InvalidRequest(
            f"Unsupported content type '{refuse_bad_text(kind, param=None)}': send "
            "application/json or multipart/form-data.",
            code="invalid_type",
        )
    body = await read_limited(request, max_bytes=limits.max_bytes)
    if len(body) > THREAD_THRESHOLD:
        return await to_thread.run_sync(lambda: parse_body(body, content_type, limits=limits))
    return parse_body(body, content_type, limits=limits)


def _supported(kind: str) -> bool:
    return kind in (
        "application/json",
        "",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ) or kind.endswith("+json")


async def read_limited(request: Request, *, max_bytes: int) -> bytes:
    """The body as it streams, refused (413) as soon as it passes `max_bytes`."""
    chunks = bytearray()
    try:
        async for chunk in request.stream():
            chunks += chunk
            if len(chunks) > max_bytes:
                raise too_large(max_bytes)
    except ClientDisconnect as exc:
        raise InvalidRequest("The client disconnected before the body was read.") from exc
    return bytes(chunks)


def parse_body(body: bytes, content_type: str, *, limits: BodyLimits) -> dict[str, Any]:
    """Parse a whole body by its content type (synchronous: large bodies run it in a thread)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        items = parse_multipart(
            body, content_type, max_fields=limits.max_fields, max_files=limits.max_files
        )
        total = sum(len(v.data) for _, v in items if isinstance(v, Upload))
        if total > limits.max_bytes:
            raise too_large(limits.max_bytes)
        return fold(items, limits=limits)
    if kind == "application/x-www-form-urlencoded":
        # Count before parsing: a body of millions of `&` is refused without building them.
        if body.count(b"&") + 1 > limits.max_fields:
            raise too_many_fields(limits.max_fields)
        try:
            text = body.decode()
        except UnicodeDecodeError as exc:
            raise InvalidRequest("The form body is not valid UTF-8.", code="invalid_body") from exc
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("The form body is not valid UTF-8.", code="invalid_body") from exc
        return fold(pairs, limits=limits)
    if not body.strip():
        return {}
    data = load_json(body, limits=limits)
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_type")
    return data


def too_many_fields(limit: int) -> InvalidRequest:
    return InvalidRequest(
        f"The request has too many fields: at most {limit} are accepted.",
        code="too_many_fields",
    )


def _no_constant(name: str) -> None:
    raise ValueError(name)


def load_json(text: bytes | str, *, limits: BodyLimits, param: str | None = None) -> Any:
    """JSON under the depth, count, number and text rules; 400 `invalid_json` otherwise."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise too_deep(limits.max_json_depth, param=param) from None
    except (ValueError, UnicodeDecodeError):
        if param is not None:
            raise
        raise invalid_json() from None
    check_tree(data, limits=limits, param=param)
    return data


def too_deep(depth: int, *, param: str | None) -> InvalidRequest:
    return InvalidRequest(
        f"The request is nested too deeply: at most {depth} levels are accepted.",
        param=param,
        code="nesting_too_deep",
    )


def check_tree(data: Any, *, limits: BodyLimits, param: str | None = None) -> None:
    """Walk a parsed value without recursion: depth, value count, integer range, text."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_fields * 16:
            raise too_many_fields(limits.max_fields * 16)
        if isinstance(node, dict):
            if depth > limits.max_json_depth:
                raise too_deep(limits.max_json_depth, param=param)
            for key, value in node.items():
                refuse_bad_text(key, param=param)
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            if depth > limits.max_json_depth:
                raise too_deep(limits.max_json_depth, param=param)
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str):
            refuse_bad_text(node, param=param)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_SAFE_INTEGER:
            raise InvalidRequest(
                f"Invalid integer: {str(node)[:24]}… is out of range.",
                param=param,
                code="invalid_value",
            )


def fold(items: Any, *, limits: BodyLimits | None = None) -> dict[str, Any]:
    """`a[b]=1` → {"a": {"b": "1"}}; `a[0][id]=x` → {"a": [{"id": "x"}]}; repeats → lists."""
    limits = limits or BodyLimits(max_bytes=0)
    result: dict[str, Any] = {}
    pairs = items.items() if isinstance(items, dict) else items
    for count, (key, value) in enumerate(pairs, start=1):
        if count > limits.max_fields + limits.max_files:
            raise too_many_fields(limits.max_fields)
        refuse_bad_text(key, param=None)
        if isinstance(value, str):
            refuse_bad_text(value, param=key.split("[", 1)[0] or None)
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
        if match.group(2).count("[") > limits.max_key_depth:
            raise InvalidRequest(
                f"Invalid '{head}': bracketed keys may be nested at most "
                f"{limits.max_key_depth} levels deep.",
                param=head,
                code="nesting_too_deep",
            )
        path = re.findall(r"\[([^\[\]]*)\]", match.group(2))
        _assign(result, head, path, value)
    folded: dict[str, Any] = _listify(result)
    return folded


# The name the tests of the folding rules know it by.
_fold = fold


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
    """Dicts whose keys are all 0..n-1 become lists (depth is capped by the key depth)."""
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        keys = list(converted)
        if (
            keys
            and all(k.isascii() and k.isdigit() and len(k) < 6 for k in keys)
            and sorted(map(int, keys)) == list(range(len(keys)))
        ):
            return [converted[str(i)] for i in range(len(keys))]
        return converted
    return value
