"""Media inputs of a request: reference images and uploaded videos, checked by content.

Reference images arrive as a file part, a `data:` URL, or (only when configured) an `https://`
URL fetched with an allow-list, a size cap, a timeout and no redirects. They are checked against
the pixel cap from their header, decoded (reduced where the format allows) straight to the
requested size and stored as PNG. Uploaded videos are decoded in full. Every decode holds one of
the process's decode slots (`decode_slots.py`), so a burst of huge uploads waits or answers 503
instead of growing the process.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool

from reelbox.api.decode_slots import decode_slots
from reelbox.api.forms import Upload
from reelbox.api.validation import invalid_type
from reelbox.errors import InvalidRequest, PayloadTooLarge
from reelbox.media.decode import VideoProbe, VideoRejected, verify_video
from reelbox.media.images import ImageRejected, ImageSizeMismatch, encode_png, load_fitted
from reelbox.settings import Settings

Fit = Literal["crop", "pad", "stretch"]
_LOOP_BASE64_BYTES = 256 * 1024  # larger data URLs are decoded in a thread
_DATA_URL = re.compile(r"^data:([\w/+.-]*)(;[\w=.-]+)*;base64,(.*)$", re.DOTALL)


def fit_mode(fields: dict[str, Any]) -> Fit | None:
    value = fields.get("input_reference_fit")
    if value is None:
        return None
    if value not in ("crop", "pad", "stretch"):
        raise InvalidRequest(
            f"Invalid value: '{value}'. Supported values are: 'crop', 'pad', and 'stretch'.",
            param="input_reference_fit",
            code="invalid_value",
        )
    return value  # type: ignore[no-any-return]


async def image_bytes(
    value: object, *, settings: Settings, param: str = "input_reference"
) -> bytes:
    """The raw bytes of an image given as a file part or an `{image_url | file_id}` object."""
    if isinstance(value, Upload):
        return value.data
    if isinstance(value, dict):
        keys = set(value)
        if keys - {"image_url", "file_id"} or len(keys) != 1:
            raise InvalidRequest(
                f"Invalid '{param}': provide exactly one of 'image_url' or 'file_id'.",
                param=param,
                code="invalid_value",
            )
        if "file_id" in value:
            raise InvalidRequest(
                "File ids are not supported by this server: upload the image as a file part "
                "or send it as an image_url data URL.",
                param=f"{param}.file_id",
                code="unsupported_value",
            )
        url = value["image_url"]
        if not isinstance(url, str):
            raise invalid_type(f"{param}.image_url", "a string", url)
        return await _fetch_image_url(url, settings=settings, param=f"{param}.image_url")
    raise invalid_type(param, "a file", value)


async def _fetch_image_url(url: str, *, settings: Settings, param: str) -> bytes:
    match = _DATA_URL.match(url)
    if match:
        encoded = match.group(3)
        if len(encoded) > 2 * settings.max_upload_bytes:  # base64 is 4/3, plus line breaks
            raise PayloadTooLarge("The image is larger than the upload limit.", param=param)
        try:
            # ~2 ms per MB: large ones go to a thread, off the event loop.
            data = (
                await run_in_threadpool(base64.b64decode, encoded, validate=False)
                if len(encoded) > _LOOP_BASE64_BYTES
                else base64.b64decode(encoded, validate=False)
            )
        except (binascii.Error, ValueError) as exc:
            raise InvalidRequest(
                "The image data URL is not valid base64.", param=param, code="invalid_value"
            ) from exc
        if len(data) > settings.max_upload_bytes:
            raise PayloadTooLarge("The image is larger than the upload limit.", param=param)
        return data
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise InvalidRequest(
            "image_url must be a data: URL or an https:// URL.", param=param, code="invalid_value"
        )
    host = (parts.hostname or "").lower()
    if not settings.fetch_image_urls or host not in {h.lower() for h in settings.image_url_hosts}:
        raise InvalidRequest(
            f"This server does not fetch images from '{host}': send the image as a data URL "
            "or a file part.",
            param=param,
            code="unsupported_value",
        )
    try:
        async with (
            httpx.AsyncClient(timeout=10, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise InvalidRequest(
                    f"Fetching the image failed with HTTP {response.status_code}.",
                    param=param,
                    code="invalid_value",
                )
            received = bytearray()
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > settings.max_upload_bytes:
                    raise PayloadTooLarge("The image is larger than the upload limit.")
            return bytes(received)
    except httpx.HTTPError as exc:
        raise InvalidRequest(
            f"Fetching the image failed: {type(exc).__name__}.", param=param, code="invalid_value"
        ) from exc


def reference_png(
    data: bytes,
    *,
    width: int,
    height: int,
    fit: Fit | None,
    max_pixels: int,
    param: str = "input_reference",
    settings: Settings | None = None,
) -> bytes:
    """Decode, check and fit a reference image; returns it as PNG at exactly width x height.

    Call it in a thread: it waits for one of the process's decode slots (`decode_slots`,
    sized by `settings`, the defaults without) and answers 503 when none frees in time.
    `fitted_reference_png` is the same for the event loop.
    """
    with decode_slots(settings).hold():
        return _reference_png(
            data, width=width, height=height, fit=fit, max_pixels=max_pixels, param=param
        )


async def fitted_reference_png(
    data: bytes,
    *,
    width: int,
    height: int,
    fit: Fit | None,
    settings: Settings,
    param: str = "input_reference",
) -> bytes:
    """`reference_png` for async handlers: waits for a decode slot on the event loop (holding no
    thread), then decodes in a worker thread."""
    async with decode_slots(settings).ahold():
        return await run_in_threadpool(
            _reference_png,
            data,
            width=width,
            height=height,
            fit=fit,
            max_pixels=settings.max_image_pixels,
            param=param,
        )


def keyframe_png(
    data: bytes,
    *,
    region: tuple[float, float, float, float],
    width: int,
    height: int,
    settings: Settings,
    param: str,
) -> bytes:
    """An Azure inpaint image: the `region` (left, top, right, bottom fractions, as in
    `crop_bounds`) cropped and fitted to width x height, as PNG. Call it in a thread; it holds a
    decode slot like `reference_png`."""
    with decode_slots(settings).hold():
        try:
            fitted = load_fitted(
                data,
                width=width,
                height=height,
                fit="crop",
                max_pixels=settings.max_image_pixels,
                region=region,
            )
        except ImageRejected as exc:
            raise InvalidRequest(str(exc), param=param, code="invalid_image") from exc
        return encode_png(fitted)


def check_video(path: Path, *, settings: Settings, param: str = "video") -> VideoProbe:
    """Check an uploaded video by decoding all of it; a file that is not a short, complete
    MP4/MOV/WebM answers 400 `invalid_video`. Call it in a thread: it holds a decode slot."""
    with decode_slots(settings).hold():
        try:
            return verify_video(
                path,
                max_seconds=settings.max_input_video_seconds,
                max_pixels=settings.max_image_pixels,
            )
        except VideoRejected as exc:
            raise InvalidRequest(str(exc), param=param, code="invalid_video") from exc


def _reference_png(
    data: bytes, *, width: int, height: int, fit: Fit | None, max_pixels: int, param: str
) -> bytes:
    try:
        fitted = load_fitted(data, width=width, height=height, fit=fit, max_pixels=max_pixels)
    except ImageSizeMismatch as exc:
        raise InvalidRequest(
            "Inpaint image must match the requested width and height", param=None, code=None
        ) from exc
    except ImageRejected as exc:
        raise InvalidRequest(str(exc), param=param, code="invalid_image") from exc
    return encode_png(fitted)
