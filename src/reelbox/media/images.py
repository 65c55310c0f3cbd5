"""Validating uploaded images and fitting them to a video's frame."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import math
import struct
from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from reelbox.media.frames import Frame

_ACCEPTED = "JPEG, PNG or WebP"
MAX_SIDE = 16384  # no side longer than this, whatever the pixel cap allows
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WIDE_GREY_MODES = ("I;16", "I;16L", "I;16B", "I")
_ORIENTATION = 0x0112  # the EXIF tag
_QUARTER_TURNS = (5, 6, 7, 8)  # orientations that swap width and height
_TRIM_PIXELS = 1920 * 1080  # decodes from this size up give their memory back afterwards

Fit = Literal["crop", "pad", "stretch"]

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


def fit_image(image: Frame, *, width: int, height: int, fit: Fit | None) -> Frame:
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


def load_fitted(
    data: bytes,
    *,
    width: int,
    height: int,
    fit: Fit | None,
    max_pixels: int,
    region: tuple[float, float, float, float] | None = None,
) -> Frame:
    """Decode an uploaded image straight to an RGB uint8 array of exactly width x height.

    The same result as `fit_image(load_image(data, …), …)` (with `region`, as
    `fit_image(crop_fractions(…), fit="crop")`), with bounded memory: the size is checked from
    the header before any pixel is decoded, a JPEG is decoded reduced (DCT scaling) to no less
    than the size the fit needs, and the fit resizes the decoded picture directly, so at most
    one full-size copy (two for transparent images) exists besides the decoder's own buffer,
    and none of it outlives the call. `region` is (left, top, right, bottom) as fractions, as
    in `crop_fractions`; it needs `fit="crop"`. Raises ImageRejected and ImageSizeMismatch as
    `load_image` and `fit_image` do.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    if region is not None:
        _check_region(*region)
        if fit != "crop":
            raise ValueError("a region is fitted with fit='crop'")
    image, kind = _header(data, max_pixels=max_pixels)
    large = image.width * image.height >= _TRIM_PIXELS
    try:
        if fit is not None and kind == "JPEG":
            _draft(image, width=width, height=height, fit=fit, region=region)
        _decode(image, kind)
        picture = _resizable(image)
        if picture is not image:
            image.close()  # only one full-size copy from here on
        if region is not None and region != (0.0, 0.0, 1.0, 1.0):
            # Cut first, so that the scaling never samples pixels outside the region.
            cut = picture.crop(_region_box(picture.size, region))
            if picture is not image:
                picture.close()
            picture = cut
        box = (0.0, 0.0, float(picture.width), float(picture.height))
        if fit is None:
            if picture.size != (width, height):
                raise ImageSizeMismatch(
                    f"the image is {picture.width}x{picture.height} but the video is "
                    f"{width}x{height}"
                )
            fitted = picture
        else:
            fitted = _fit(picture, width=width, height=height, fit=fit, box=box)
        pixels = _pixels(fitted)
        for intermediate in {id(fitted): fitted, id(picture): picture}.values():
            if intermediate is not image:
                intermediate.close()
        return pixels
    finally:
        image.close()
        if large:
            release_memory()


def release_memory() -> None:
    """Hand freed heap memory back to the system (glibc's `malloc_trim`; nothing elsewhere).

    Pillow allocates big pictures in 16 MB blocks that glibc keeps in its per-thread arenas
    after they are freed; without a trim a server that decoded a few huge uploads in its
    thread pool keeps hundreds of megabytes it no longer uses (docs/benchmarks.md).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


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
    image, kind = _header(data, max_pixels=max_pixels)
    _decode(image, kind)
    return image


def _header(data: bytes, *, max_pixels: int | None) -> tuple[ImageFile.ImageFile, str]:
    """Identify an upload and read its header only; its size is checked before any pixel."""
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
        image.close()
        raise ImageRejected(
            f"the image is {width}x{height} ({width * height} pixels); the limit is {limit} pixels"
        )
    if max(width, height) > MAX_SIDE:
        image.close()
        raise ImageRejected(
            f"the image is {width}x{height}; no side may be longer than {MAX_SIDE} pixels"
        )
    return image, kind


def _decode(image: ImageFile.ImageFile, kind: str) -> None:
    """Decode the pixels (at the draft size, if one was set) and turn the picture upright."""
    try:
        image.load()
    except _DECODE_ERRORS as error:
        image.close()
        raise ImageRejected(f"the {kind} image is damaged or truncated") from error
    # Broken EXIF must not cost the user an image whose pixels decoded fine.
    with contextlib.suppress(*_DECODE_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)


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


def _check_region(left: float, top: float, right: float, bottom: float) -> None:
    if not (0.0 <= left < right <= 1.0 and 0.0 <= top < bottom <= 1.0):
        raise ValueError(
            "crop bounds must satisfy 0 <= left < right <= 1 and 0 <= top < bottom <= 1, got "
            f"left={left}, top={top}, right={right}, bottom={bottom}"
        )


def _upright_size(image: ImageFile.ImageFile) -> tuple[int, int]:
    with contextlib.suppress(*_DECODE_ERRORS):
        if image.getexif().get(_ORIENTATION) in _QUARTER_TURNS:
            return image.height, image.width
    return image.width, image.height


def _draft(
    image: ImageFile.ImageFile,
    *,
    width: int,
    height: int,
    fit: Fit,
    region: tuple[float, float, float, float] | None,
) -> None:
    """Ask the JPEG decoder for the smallest DCT-scaled size that still covers the fit."""
    have_width, have_height = _upright_size(image)
    left, top, right, bottom = region or (0.0, 0.0, 1.0, 1.0)
    live_width, live_height = have_width * (right - left), have_height * (bottom - top)
    if fit == "stretch":
        scale_x, scale_y = width / live_width, height / live_height
    else:
        cover = max if fit == "crop" else min
        scale_x = scale_y = cover(width / live_width, height / live_height)
    # One pixel of slack, so that rounding never leaves the picture below the size needed.
    wanted = (math.ceil(have_width * scale_x) + 1, math.ceil(have_height * scale_y) + 1)
    if (have_width, have_height) != image.size:
        wanted = (wanted[1], wanted[0])  # the file is stored turned; EXIF turns it upright
    if wanted[0] < image.width and wanted[1] < image.height:
        image.draft("RGB", wanted)


def _resizable(image: Image.Image) -> Image.Image:
    """The picture in a mode Lanczos can scale whose result `_pixels` turns into RGB: RGB, L,
    I (16-bit grey, widened) or RGBa (transparency premultiplied, i.e. composited onto black).
    Returns `image` itself when it already is one; otherwise the intermediate is freed."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in _WIDE_GREY_MODES:
        return image if image.mode == "I" else image.convert("I")
    if image.has_transparency_data:
        if image.mode == "RGBA":
            return image.convert("RGBa")
        rgba = image.convert("RGBA")
        try:
            return rgba.convert("RGBa")
        finally:
            rgba.close()
    return image.convert("RGB")


def _region_box(
    size: tuple[int, int], region: tuple[float, float, float, float]
) -> tuple[int, int, int, int]:
    width, height = size
    left, top, right, bottom = region
    x0, x1 = _span(left, right, width)
    y0, y1 = _span(top, bottom, height)
    return x0, y0, x1, y1


def _fit(
    picture: Image.Image,
    *,
    width: int,
    height: int,
    fit: Fit,
    box: tuple[float, float, float, float],
) -> Image.Image:
    """`ImageOps.fit`, `ImageOps.pad` and `resize`, on the region `box` of the picture."""
    size = (width, height)
    lanczos = Image.Resampling.LANCZOS
    x0, y0, x1, y1 = box
    live_width, live_height = x1 - x0, y1 - y0
    if fit == "stretch":
        return picture.resize(size, lanczos, box=box)
    if fit == "crop":
        live_ratio, ratio = live_width / live_height, width / height
        if live_ratio == ratio:
            crop_width, crop_height = live_width, live_height
        elif live_ratio > ratio:
            crop_width, crop_height = ratio * live_height, live_height
        else:
            crop_width, crop_height = live_width, live_width / ratio
        left = x0 + (live_width - crop_width) * 0.5
        top = y0 + (live_height - crop_height) * 0.5
        return picture.resize(size, lanczos, box=(left, top, left + crop_width, top + crop_height))
    if fit == "pad":
        inner = (width, height)
        live_ratio, ratio = live_width / live_height, width / height
        if live_ratio > ratio:
            inner = (width, max(1, round(live_height / live_width * width)))
        elif live_ratio < ratio:
            inner = (max(1, round(live_width / live_height * height)), height)
        resized = picture.resize(inner, lanczos, box=box)
        if inner == size:
            return resized
        canvas = Image.new(resized.mode, size, 0)
        canvas.paste(resized, (round((width - inner[0]) * 0.5), round((height - inner[1]) * 0.5)))
        resized.close()
        return canvas
    raise ValueError(f"unknown fit {fit!r}; expected 'crop', 'pad', 'stretch' or None")


def _pixels(picture: Image.Image) -> Frame:
    """RGB uint8 pixels of a picture in one of `_resizable`'s modes."""
    if picture.mode == "I":
        wide = np.clip(np.asarray(picture, dtype=np.int64), 0, 65535)
        grey = (wide >> 8).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if picture.mode == "RGBa":
        picture = Image.merge("RGB", picture.split()[:3])  # premultiplied: onto black
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    return np.array(picture, dtype=np.uint8)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc
    return trim
