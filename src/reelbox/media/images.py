"""Validating uploaded images and fitting them to a video's frame."""

from __future__ import annotations

import contextlib
import io
import struct
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from reelbox.media.frames import Frame

_ACCEPTED = "JPEG, PNG or WebP"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WIDE_GREY_MODES = ("I;16", "I;16L", "I;16B", "I")

# Pillow's plugin for each accepted format, chosen by the file's own signature.
_DECODERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WebP": WebPImagePlugin.WebPImageFile,
}

# Formats people commonly upload by mistake, named so the rejection says what was sent.
_OTHER_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}

# Everything Pillow raises for malformed data, while reading the header or the pixels.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    Image.DecompressionBombError,
)


class ImageRejected(ValueError):
    """An uploaded image cannot be used; the message says why in words fit to show the user."""


class ImageSizeMismatch(ValueError):
    """An image decoded fine but its size differs from the size that was asked for."""


def load_image(data: bytes, *, max_pixels: int) -> Frame:
    """Decode an uploaded JPEG, PNG or WebP image to an upright RGB uint8 array.

    The format is recognised from the bytes, not a file name or content type. The pixel count
    is checked from the header before any pixel is decoded, so a small file claiming a huge
    size (a decompression bomb) costs nothing. EXIF orientation is applied and transparency is
    composited onto black. Raises ImageRejected, with a message for the user, for other
    formats, corrupt or truncated files, and images over `max_pixels` (or over Pillow's own
    `Image.MAX_IMAGE_PIXELS`, if that is lower).
    """
    image = _open(data, max_pixels=max_pixels)
    return _flatten(image)


def load_rgba(data: bytes) -> npt.NDArray[np.uint8]:
    """Decode a JPEG, PNG or WebP image (a character cut-out) to an upright (h, w, 4) RGBA array.

    The same checks as `load_image` apply, with Pillow's `Image.MAX_IMAGE_PIXELS` as the limit.
    """
    image = _open(data, max_pixels=None)
    if image.mode in _WIDE_GREY_MODES:
        rgb = _flatten(image)
        opaque = np.full((*rgb.shape[:2], 1), 255, dtype=np.uint8)
        return np.concatenate([rgb, opaque], axis=2)
    return np.array(image.convert("RGBA"), dtype=np.uint8)


def fit_image(
    image: Frame, *, width: int, height: int, fit: Literal["crop", "pad", "stretch"] | None
) -> Frame:
    """Return `image` at exactly width x height.

    `fit=None` accepts only an image of that exact size (raising ImageSizeMismatch otherwise);
    "crop" scales to cover the frame and cuts the overflow evenly from both sides; "pad" scales
    to fit inside and fills the rest with black; "stretch" scales each axis independently. All
    scaling is Lanczos.
    """
    _check_rgb(image)
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    have_height, have_width = image.shape[:2]
    if (have_width, have_height) == (width, height):
        return image.copy()
    if fit is None:
        raise ImageSizeMismatch(
            f"the image is {have_width}x{have_height} but the video is {width}x{height}"
        )
    picture = Image.fromarray(image)
    size = (width, height)
    lanczos = Image.Resampling.LANCZOS
    if fit == "crop":
        fitted = ImageOps.fit(picture, size, method=lanczos)
    elif fit == "pad":
        fitted = ImageOps.pad(picture, size, method=lanczos, color=(0, 0, 0))
    elif fit == "stretch":
        fitted = picture.resize(size, lanczos)
    else:
        raise ValueError(f"unknown fit {fit!r}; expected 'crop', 'pad', 'stretch' or None")
    return np.array(fitted, dtype=np.uint8)


def crop_fractions(image: Frame, *, left: float, top: float, right: float, bottom: float) -> Frame:
    """Cut out the region between the given edges, each a fraction of the width or height.

    Edges are positions measured from the top-left corner, as in Azure's `crop_bounds`:
    (0, 0, 1, 1) keeps everything and (0.25, 0, 0.75, 1) keeps the middle half of the width.
    The result is at least one pixel in each direction.
    """
    _check_rgb(image)
    if not (0.0 <= left < right <= 1.0 and 0.0 <= top < bottom <= 1.0):
        raise ValueError(
            "crop bounds must satisfy 0 <= left < right <= 1 and 0 <= top < bottom <= 1, got "
            f"left={left}, top={top}, right={right}, bottom={bottom}"
        )
    height, width = image.shape[:2]
    x0, x1 = _span(left, right, width)
    y0, y1 = _span(top, bottom, height)
    return image[y0:y1, x0:x1].copy()


def encode_png(image: Frame) -> bytes:
    """Encode an RGB uint8 array as PNG bytes."""
    _check_rgb(image)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(data: bytes) -> Frame:
    """Decode PNG bytes (as written by `encode_png`) to an RGB uint8 array."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("the data is not a PNG image")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.load()
            return _flatten(image)
    except _DECODE_ERRORS as error:
        raise ValueError("the PNG data is damaged") from error


def _open(data: bytes, *, max_pixels: int | None) -> Image.Image:
    """Identify, size-check and fully decode an uploaded image, upright."""
    kind = _identify(data)
    try:
        # The plugin class parses only the header here; Image.open would also run Pillow's
        # decompression-bomb check, whose warning cannot be silenced without touching the
        # process-wide warning filters.
        image = _DECODERS[kind](io.BytesIO(data))
    except _DECODE_ERRORS as error:
        raise ImageRejected(f"the {kind} image is damaged and cannot be read") from error
    width, height = image.size
    limit = _pixel_limit(max_pixels)
    if limit is not None and width * height > limit:
        raise ImageRejected(
            f"the image is {width}x{height} ({width * height} pixels); the limit is {limit} pixels"
        )
    try:
        image.load()
    except _DECODE_ERRORS as error:
        raise ImageRejected(f"the {kind} image is damaged or truncated") from error
    # Broken EXIF must not cost the user an image whose pixels decoded fine.
    with contextlib.suppress(*_DECODE_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _identify(data: bytes) -> str:
    if not data:
        raise ImageRejected("the image file is empty")
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    other = next((name for magic, name in _OTHER_SIGNATURES if data.startswith(magic)), None)
    if other is None and data[4:8] == b"ftyp":
        other = _HEIF_BRANDS.get(data[8:12])
    if other is not None:
        raise ImageRejected(f"{other} images are not supported; upload a {_ACCEPTED} image")
    raise ImageRejected(f"the file is not a {_ACCEPTED} image")


def _pixel_limit(max_pixels: int | None) -> int | None:
    # Image.MAX_IMAGE_PIXELS is the process-wide ceiling an operator may have lowered; read it,
    # never write it, since other threads may be decoding at the same time.
    ceiling = Image.MAX_IMAGE_PIXELS
    if max_pixels is None:
        return ceiling
    return max_pixels if ceiling is None else min(max_pixels, ceiling)


def _flatten(image: Image.Image) -> Frame:
    """RGB uint8 pixels, with any transparency composited onto black."""
    if image.mode in _WIDE_GREY_MODES:
        # 16-bit greyscale: Pillow's RGB conversion clips at 255 instead of scaling.
        wide = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        grey = (wide >> 8).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if image.has_transparency_data:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.uint16)
        alpha = rgba[:, :, 3:]
        return ((rgba[:, :, :3] * alpha + 127) // 255).astype(np.uint8)
    return np.array(image.convert("RGB"), dtype=np.uint8)


def _span(start: float, end: float, size: int) -> tuple[int, int]:
    first = min(round(start * size), size - 1)
    last = max(round(end * size), first + 1)
    return first, min(last, size)


def _check_rgb(image: Frame) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"expected an RGB uint8 array of shape (h, w, 3), got {image.dtype} {image.shape}"
        )
