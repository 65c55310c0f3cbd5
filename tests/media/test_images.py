"""Uploaded images: recognised by content, size-checked before decoding, fitted exactly."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from reelbox.media.images import (
    ImageRejected,
    ImageSizeMismatch,
    crop_fractions,
    decode_png,
    encode_png,
    fit_image,
    load_image,
    load_rgba,
)

LIMIT = 4096 * 4096


def _save(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: easy to tell which way an image was turned."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(pixels)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose header claims width x height 1-bit pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)  # a few rows' worth; the rest is never read
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("format", "options"), [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {"lossless": True})]
)
def test_accepted_formats_decode_to_rgb(format: str, options: dict[str, object]) -> None:
    data = _save(_halves(40, 30), format, **options)
    image = load_image(data, max_pixels=LIMIT)
    assert image.shape == (30, 40, 3)
    assert image.dtype == np.uint8
    assert np.abs(image[15, 5].astype(int) - (255, 0, 0)).max() < 8
    assert np.abs(image[15, 35].astype(int) - (0, 0, 255)).max() < 8


def test_transparency_is_composited_on_black() -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[..., :3] = (200, 100, 50)
    rgba[:, :5, 3] = 255  # left half opaque
    rgba[:, 5:, 3] = 0  # right half transparent
    rgba[0, 0, 3] = 128
    image = load_image(_save(Image.fromarray(rgba), "PNG"), max_pixels=LIMIT)
    assert tuple(image[5, 2]) == (200, 100, 50)
    assert tuple(image[5, 7]) == (0, 0, 0)
    assert tuple(image[0, 0]) == (100, 50, 25)


def test_palette_transparency_is_composited_on_black() -> None:
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 250, 250, 250])
    data = _save(palette, "PNG", transparency=1)
    assert load_image(data, max_pixels=LIMIT).max() == 0


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = Image.fromarray(np.full((4, 4), 0x8000, dtype=np.uint16))
    assert grey.mode.startswith("I;16")
    image = load_image(_save(grey, "PNG"), max_pixels=LIMIT)
    assert tuple(image[0, 0]) == (128, 128, 128)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to view
    data = _save(_halves(40, 20), "JPEG", quality=95, exif=exif)
    image = load_image(data, max_pixels=LIMIT)
    assert image.shape == (40, 20, 3)
    # The left (red) half ends up on top.
    assert image[5, 10, 0] > 200 and image[5, 10, 2] < 50
    assert image[35, 10, 2] > 200 and image[35, 10, 0] < 50


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    data = _bomb_png(30000, 30000)
    assert len(data) < 200
    started = time.perf_counter()
    # filterwarnings=error also proves Pillow's DecompressionBombWarning never fires.
    with pytest.raises(ImageRejected, match=r"30000x30000 \(900000000 pixels\)"):
        load_image(data, max_pixels=LIMIT)
    assert time.perf_counter() - started < 0.5


def test_the_pixel_limit_is_exact() -> None:
    data = _save(Image.new("RGB", (50, 40)), "PNG")
    assert load_image(data, max_pixels=2000).shape == (40, 50, 3)
    with pytest.raises(ImageRejected, match="the limit is 1999 pixels"):
        load_image(data, max_pixels=1999)


def test_pillows_own_limit_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    data = _save(Image.new("RGB", (50, 40)), "PNG")
    with pytest.raises(ImageRejected, match="the limit is 1000 pixels"):
        load_image(data, max_pixels=LIMIT)
    with pytest.raises(ImageRejected, match="the limit is 1000 pixels"):
        load_rgba(data)


def test_a_text_file_named_png_is_refused() -> None:
    with pytest.raises(ImageRejected, match="not a JPEG, PNG or WebP image"):
        load_image(b"hello, I am definitely a picture\n", max_pixels=LIMIT)


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(ImageRejected, match="empty"):
        load_image(b"", max_pixels=LIMIT)


@pytest.mark.parametrize(("format", "name"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_formats_are_refused_by_name(format: str, name: str) -> None:
    data = _save(Image.new("RGB", (8, 8)), format)
    with pytest.raises(ImageRejected, match=f"{name} images are not supported"):
        load_image(data, max_pixels=LIMIT)


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP"])
def test_truncated_images_are_refused(format: str) -> None:
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    data = _save(Image.fromarray(noise), format)
    with pytest.raises(ImageRejected, match="damaged"):
        load_image(data[: len(data) // 2], max_pixels=LIMIT)


def test_a_png_with_a_broken_crc_is_refused() -> None:
    data = bytearray(_save(Image.new("RGB", (8, 8), (1, 2, 3)), "PNG"))
    data[30] ^= 0xFF  # inside the IHDR chunk, so its checksum no longer matches
    with pytest.raises(ImageRejected):
        load_image(bytes(data), max_pixels=LIMIT)


@pytest.mark.parametrize("fit", ["crop", "pad", "stretch"])
@pytest.mark.parametrize(("width", "height"), [(64, 36), (36, 64), (50, 50)])
def test_fit_modes_give_exactly_the_requested_size(fit: str, width: int, height: int) -> None:
    image = np.asarray(_halves(40, 30))
    fitted = fit_image(image, width=width, height=height, fit=fit)  # type: ignore[arg-type]
    assert fitted.shape == (height, width, 3)
    assert fitted.dtype == np.uint8


def test_pad_letterboxes_with_black_and_crop_keeps_the_centre() -> None:
    image = np.full((30, 40, 3), 200, dtype=np.uint8)
    padded = fit_image(image, width=80, height=80, fit="pad")
    assert padded[0].max() == 0 and padded[-1].max() == 0  # bars above and below
    assert padded[40, 40].min() > 190
    marked = image.copy()
    marked[:, :5] = 0  # a dark band at the left edge gets cut off by a square crop
    cropped = fit_image(marked, width=30, height=30, fit="crop")
    assert cropped.min() > 150


def test_fit_none_needs_an_exact_match() -> None:
    image = np.zeros((30, 40, 3), dtype=np.uint8)
    same = fit_image(image, width=40, height=30, fit=None)
    assert np.array_equal(same, image)
    with pytest.raises(ImageSizeMismatch, match="40x30 but the video is 30x40"):
        fit_image(image, width=30, height=40, fit=None)


def test_crop_fractions() -> None:
    image = np.arange(10 * 20 * 3, dtype=np.uint32).reshape(10, 20, 3).astype(np.uint8)
    assert crop_fractions(image, left=0, top=0, right=1, bottom=1).shape == (10, 20, 3)
    middle = crop_fractions(image, left=0.25, top=0.2, right=0.75, bottom=0.8)
    assert np.array_equal(middle, image[2:8, 5:15])
    assert crop_fractions(image, left=0.5, top=0.5, right=0.51, bottom=0.51).shape == (1, 1, 3)
    with pytest.raises(ValueError, match="crop bounds"):
        crop_fractions(image, left=0.6, top=0, right=0.4, bottom=1)
    with pytest.raises(ValueError, match="crop bounds"):
        crop_fractions(image, left=0, top=0, right=1.2, bottom=1)


def test_png_round_trip() -> None:
    image = np.random.default_rng(2).integers(0, 255, (12, 16, 3), dtype=np.uint8)
    data = encode_png(image)
    assert data.startswith(b"\x89PNG")
    assert np.array_equal(decode_png(data), image)
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a....")


def test_load_rgba_keeps_alpha() -> None:
    rgba = np.zeros((6, 8, 4), dtype=np.uint8)
    rgba[..., 1] = 255
    rgba[:, :4, 3] = 255
    out = load_rgba(_save(Image.fromarray(rgba), "PNG"))
    assert out.shape == (6, 8, 4)
    assert np.array_equal(out, rgba)
    opaque = load_rgba(_save(Image.new("RGB", (3, 2), (9, 8, 7)), "JPEG", quality=100))
    assert opaque.shape == (2, 3, 4)
    assert (opaque[..., 3] == 255).all()


def test_rejections_are_value_errors() -> None:
    assert issubclass(ImageRejected, ValueError)
    assert issubclass(ImageSizeMismatch, ValueError)
