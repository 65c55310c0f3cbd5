"""Inputs of an Azure Sora 1 job: integers sent as strings, and `inpaint_items` with the
`files` they name (SORA_API.md Part B, D7), decoded and checked at the edge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reelbox.api import validation as v
from reelbox.api.forms import Upload
from reelbox.api.inputs import keyframe_png
from reelbox.errors import InvalidRequest
from reelbox.settings import Settings

MAX_IMAGES = 2


def integer(fields: dict[str, Any], name: str, *, default: int | None = None) -> int:
    """Integers, or their decimal strings: real clients send `"height": "720"` (D7)."""
    value = fields.get(name)
    if value is None:
        if default is None:
            raise v.missing(name)
        return default
    if isinstance(value, str) and (number := v.ascii_int(value.strip())) is not None:
        return number
    if isinstance(value, str | bool) or not isinstance(value, int):
        raise InvalidRequest(
            f"Invalid type for '{name}': expected an integer, but got {v.type_name(value)} "
            "instead.",
            param=name,
            code="invalid_type",
        )
    return value


@dataclass
class InpaintMedia:
    """Decoded inpaint inputs ready to store."""

    keyframes: list[tuple[int, bytes]]  # (frame_index, PNG at the output size)
    video: tuple[int, Upload] | None  # (frame_index, the upload)
    echo: list[dict[str, Any]]


def _inpaint_items(raw: object) -> list[dict[str, Any]]:
    """The items, already parsed from their JSON string (under the body's depth limit)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise InvalidRequest(
            "inpaint_items must be an array of objects.",
            param="inpaint_items",
            code="invalid_value",
        )
    return raw


def _crop(item: dict[str, Any], index: int) -> dict[str, float]:
    bounds = item.get("crop_bounds") or {}
    param = f"inpaint_items[{index}].crop_bounds"
    if not isinstance(bounds, dict):
        raise InvalidRequest("crop_bounds must be an object.", param=param, code="invalid_type")
    known = {"left_fraction": 0.0, "top_fraction": 0.0, "right_fraction": 1.0,
             "bottom_fraction": 1.0}  # fmt: skip
    unknown = set(bounds) - set(known)
    if unknown:
        raise InvalidRequest(
            f"Unknown crop_bounds field: '{sorted(unknown)[0]}'.",
            param=param,
            code="unknown_parameter",
        )
    values = {}
    for key, default in known.items():
        value = bounds.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidRequest(
                f"{key} must be a number between 0 and 1.",
                param=f"{param}.{key}",
                code="invalid_value",
            )
        values[key] = float(value)
    if values["left_fraction"] >= values["right_fraction"] or (
        values["top_fraction"] >= values["bottom_fraction"]
    ):
        raise InvalidRequest(
            "crop_bounds must leave an area: left < right and top < bottom.",
            param=param,
            code="invalid_value",
        )
    return values


def inpaint_media(
    uploads: Sequence[Upload],
    raw_items: object,
    *,
    width: int,
    height: int,
    frame_count: int,
    settings: Settings,
) -> InpaintMedia:
    """Check the items against the files and decode, crop and fit the images: CPU work, so
    call it in a worker thread (each image holds one of the process's decode slots)."""
    items = _inpaint_items(raw_items)
    if uploads and not items:
        raise InvalidRequest(
            "inpaint_items is required when files are attached.",
            param="inpaint_items",
            code="missing_required_parameter",
        )
    by_name = {u.filename: u for u in uploads}
    keyframes: list[tuple[int, bytes]] = []
    video: tuple[int, Upload] | None = None
    echo: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        param = f"inpaint_items[{index}]"
        unknown = set(item) - {"frame_index", "type", "file_name", "crop_bounds"}
        if unknown:
            raise InvalidRequest(
                f"Unknown parameter: '{param}.{sorted(unknown)[0]}'.",
                param=param,
                code="unknown_parameter",
            )
        frame_index = integer(item, "frame_index", default=0)
        if not 0 <= frame_index < frame_count:
            raise InvalidRequest(
                f"{param}.frame_index must be between 0 and {frame_count - 1} for a "
                f"{frame_count}-frame video.",
                param=f"{param}.frame_index",
                code="invalid_value",
            )
        kind = item.get("type")
        if kind not in ("image", "video"):
            raise InvalidRequest(
                f"{param}.type must be 'image' or 'video'.",
                param=f"{param}.type",
                code="invalid_value",
            )
        name = item.get("file_name")
        if not isinstance(name, str) or name not in by_name:
            raise InvalidRequest(
                f"{param}.file_name must match the filename of an attached 'files' part.",
                param=f"{param}.file_name",
                code="invalid_value",
            )
        crop = _crop(item, index)
        upload = by_name[name]
        if kind == "image":
            if len(keyframes) == MAX_IMAGES:
                raise InvalidRequest(
                    f"At most {MAX_IMAGES} images can be used in one job.",
                    param=param,
                    code="invalid_value",
                )
            region = (
                crop["left_fraction"],
                crop["top_fraction"],
                crop["right_fraction"],
                crop["bottom_fraction"],
            )
            png = keyframe_png(
                upload.data,
                region=region,
                width=width,
                height=height,
                settings=settings,
                param=f"{param}.file_name",
            )
            keyframes.append((frame_index, png))
        else:
            if video is not None:
                raise InvalidRequest(
                    "At most one video can be used in one job.",
                    param=param,
                    code="invalid_value",
                )
            video = (frame_index, upload)
        echo.append({"frame_index": frame_index, "type": kind, "file_name": name,
                     "crop_bounds": crop})  # fmt: skip
    if len({k[0] for k in keyframes}) != len(keyframes):
        raise InvalidRequest(
            "Two images cannot share a frame_index.",
            param="inpaint_items",
            code="invalid_value",
        )
    return InpaintMedia(keyframes=sorted(keyframes, key=lambda k: k[0]), video=video, echo=echo)
