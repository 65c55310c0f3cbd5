"""Field-level validation with the OpenAI API's own error messages (SORA_API.md A2, A6, D1, D2).

Each function checks one field of a request's fields dict and returns the normalised value, or
raises `InvalidRequest` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SECONDS, SORA_SIZES, Catalog, ResolvedModel
from reelbox.errors import InvalidRequest, UnknownModel
from reelbox.jobs.spec import Mode

PROMPT_MAX = 32000
SIZE_RE = re.compile(r"^([0-9]{1,5})x([0-9]{1,5})$")
# Plain ASCII digits only: `int()` takes "1_0", " 1" and "٣", `isdigit()` takes "²".
DIGITS_RE = re.compile(r"[0-9]{1,18}")
SECONDS_RE = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")
ALL_SORA_SIZES = tuple(f"{w}x{h}" for w, h in SORA_PRO_SIZES)


def quoted_list(values: Iterable[object], conjunction: str = "and") -> str:
    """`'a', 'b', and 'c'` as the OpenAI API words its lists."""
    items = [f"'{v}'" for v in values]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return ", ".join(items[:-1]) + f", {conjunction} {items[-1]}"


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    return "a file"


def invalid_type(param: str, expected: str, value: object) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{param}': expected {expected}, but got {type_name(value)} instead.",
        param=param,
        code="invalid_type",
    )


def invalid_value(
    param: str, value: object, supported: Sequence[object] | None = None, detail: str | None = None
) -> InvalidRequest:
    message = f"Invalid value: '{value}'."
    if supported is not None:
        message += f" Supported values are: {quoted_list(supported)}."
    if detail:
        message += f" {detail}"
    return InvalidRequest(message, param=param, code="invalid_value")


def missing(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def ascii_int(text: str, *, max_digits: int = 10) -> int | None:
    """The value of a plain ASCII decimal string of at most `max_digits` digits, else None."""
    if len(text) > max_digits or DIGITS_RE.fullmatch(text) is None:
        return None
    return int(text)


def query_int(
    text: str, *, param: str, low: int, high: int, message: str
) -> int:
    """A query parameter's integer in [low, high], or 400 with the route's own wording."""
    number = ascii_int(text, max_digits=len(str(high)) + 2)
    if number is None or not low <= number <= high:
        raise InvalidRequest(message, param=param, code="invalid_value")
    return number


def reject_unknown(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    known = set(allowed)
    for name in fields:
        if name not in known:
            raise InvalidRequest(
                f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )


def string_field(fields: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid_type(name, "a string", value)
    return value


def prompt(fields: Mapping[str, Any]) -> str:
    value = string_field(fields, "prompt", required=True)
    assert value is not None
    if not value.strip():
        raise InvalidRequest(
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param="prompt",
            code="string_below_min_length",
        )
    if len(value) > PROMPT_MAX:
        raise InvalidRequest(
            f"Invalid 'prompt': string too long. Expected a string with maximum length "
            f"{PROMPT_MAX}, but got a string with length {len(value)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return value


def model(fields: Mapping[str, Any], catalog: Catalog, *, default: str) -> ResolvedModel:
    name = string_field(fields, "model") or default
    resolved = catalog.resolve(name)
    if resolved is None:
        raise UnknownModel(
            name,
            f"Invalid value: '{name}'. Supported values are: {quoted_list(catalog.names())}.",
        )
    return resolved


def size(value: object, resolved: ResolvedModel, *, default: str = "720x1280") -> tuple[int, int]:
    if value is None:
        value = default
    if not isinstance(value, str):
        raise invalid_type("size", "a string", value)
    caps = resolved.capabilities
    if resolved.sora:
        if value not in ALL_SORA_SIZES:
            raise invalid_value("size", value, ALL_SORA_SIZES)
        allowed = SORA_PRO_SIZES if resolved.pro else SORA_SIZES
        w, h = (int(p) for p in value.split("x"))
        if (w, h) not in allowed:
            raise InvalidRequest(
                f"Invalid value: '{value}'. Model '{resolved.name}' supports "
                f"{quoted_list(f'{a}x{b}' for a, b in allowed)}.",
                param="size",
                code="invalid_value",
            )
        # The profile behind the alias must be able to make it too.
        if (caps.sizes is not None and (w, h) not in caps.sizes) or w * h > caps.max_pixels:
            raise InvalidRequest(
                f"Invalid value: '{value}'. Model '{resolved.name}' is served by profile "
                f"'{resolved.profile}', which cannot make that size.",
                param="size",
                code="invalid_value",
            )
        return w, h
    match = SIZE_RE.match(value)
    if caps.sizes is not None:
        names = [f"{w}x{h}" for w, h in caps.sizes]
        if value not in names:
            raise invalid_value("size", value, names)
        w, h = (int(p) for p in value.split("x"))
        return w, h
    if match is None:
        raise invalid_value("size", value, detail="Sizes look like '1280x720' (width x height).")
    w, h = int(match.group(1)), int(match.group(2))
    if w < 64 or h < 64 or w % 2 or h % 2 or w * h > caps.max_pixels:
        raise invalid_value(
            "size",
            value,
            detail=f"Width and height must be even, at least 64, and at most {caps.max_pixels} "
            "pixels in all.",
        )
    return w, h


def seconds(
    value: object,
    resolved: ResolvedModel,
    *,
    default: str | None = "4",
    choices: Sequence[str] | None = None,
    param: str = "seconds",
) -> tuple[str, float]:
    """The clip length: the wire string and its value in seconds."""
    if value is None:
        if default is None:
            raise missing(param)
        value = default
    caps = resolved.capabilities
    allowed: Sequence[str] | None = choices
    if allowed is None and resolved.sora:
        allowed = SORA_SECONDS
    if allowed is None and caps.seconds is not None:
        allowed = [_fmt(s) for s in caps.seconds]
    if allowed is not None:
        if not isinstance(value, str):
            raise InvalidRequest(
                f"Invalid type for '{param}': expected one of {quoted_list(allowed, 'or')}, "
                f"but got {type_name(value)} instead.",
                param=param,
                code="invalid_type",
            )
        if value not in allowed:
            raise invalid_value(param, value, allowed)
        number = float(value)
        served = (
            number in caps.seconds
            if caps.seconds is not None
            else caps.min_seconds <= number <= caps.max_seconds
        )
        if not served:
            raise InvalidRequest(
                f"Invalid value: '{value}'. Model '{resolved.name}' is served by profile "
                f"'{resolved.profile}', which cannot make videos of that length.",
                param=param,
                code="invalid_value",
            )
        return value, number
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid_type(param, "a string", value)
    if isinstance(value, str) and SECONDS_RE.fullmatch(value) is None:
        raise invalid_value(param, value, detail="Expected a number of seconds.")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise invalid_value(param, value, detail="Expected a number of seconds.")
    if not caps.min_seconds <= number <= caps.max_seconds:
        raise invalid_value(
            param,
            value,
            detail=f"Model '{resolved.name}' makes videos of {_fmt(caps.min_seconds)} to "
            f"{_fmt(caps.max_seconds)} seconds.",
        )
    return _fmt(number), number


def mode_supported(resolved: ResolvedModel, mode: Mode, *, param: str | None = None) -> None:
    if mode not in resolved.capabilities.modes:
        raise InvalidRequest(
            f"Model '{resolved.name}' does not support {mode.value} generation.",
            param=param or "model",
            code="unsupported_mode",
        )


def seed(fields: Mapping[str, Any]) -> int | None:
    """The Reelbox extension field `seed` (integer, or its decimal string in multipart)."""
    value = fields.get("seed")
    if value is None:
        return None
    if isinstance(value, str) and (number := ascii_int(value)) is not None:
        value = number
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise InvalidRequest(
            "Invalid 'seed': expected an integer from 0 to 2147483647.",
            param="seed",
            code="invalid_value",
        )
    return value


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
