"""Uploaded images: recognised by content, size-checked before decoding, fitted exactly."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

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
    load_fitted,
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


# -- load_fitted: decode straight to the video's size, with bounded memory ------------------------


def _photo(width: int, height: int) -> Image.Image:
    """A photograph (scikit-image's astronaut) scaled to width x height: real detail to compare."""
    from skimage import data

    return Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.BICUBIC)


def _translucent(width: int, height: int) -> Image.Image:
    picture = _photo(width, height).convert("RGBA")
    ramp = np.tile(np.linspace(0, 255, width).astype(np.uint8), (height, 1))
    picture.putalpha(Image.fromarray(ramp))
    return picture


SOURCES = {
    "rgb png": lambda: _save(_photo(600, 400), "PNG"),
    "rgba png": lambda: _save(_translucent(600, 400), "PNG"),
    "grey png": lambda: _save(_photo(600, 400).convert("L"), "PNG"),
    "palette png": lambda: _save(_photo(600, 400).convert("P"), "PNG"),
    "16-bit grey png": lambda: _save(
        Image.fromarray(np.asarray(_photo(600, 400).convert("L"), dtype=np.uint16) * 257), "PNG"
    ),
    "jpeg": lambda: _save(_photo(1600, 1200), "JPEG", quality=95),
    "webp": lambda: _save(_photo(600, 400), "WEBP", lossless=True),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("fit", ["crop", "pad", "stretch"])
@pytest.mark.parametrize(("width", "height"), [(320, 180), (180, 320)])
def test_load_fitted_matches_decoding_then_fitting(
    source: str, fit: str, width: int, height: int
) -> None:
    """The bounded path gives the picture the two-step path gives: exactly for PNG and WebP
    (the same Lanczos on the same pixels), within JPEG's reduced-decode and 16-bit rounding."""
    data = SOURCES[source]()
    fitted = load_fitted(data, width=width, height=height, fit=fit, max_pixels=LIMIT)  # type: ignore[arg-type]
    reference = fit_image(load_image(data, max_pixels=LIMIT), width=width, height=height, fit=fit)  # type: ignore[arg-type]
    assert fitted.shape == (height, width, 3) and fitted.dtype == np.uint8
    difference = np.abs(fitted.astype(np.int16) - reference.astype(np.int16))
    if source in ("jpeg", "16-bit grey png"):
        assert difference.mean() < 1.5 and difference.max() < 40
    else:
        assert difference.max() <= 1


def test_load_fitted_with_a_region_matches_crop_fractions() -> None:
    data = _save(_photo(600, 400), "PNG")
    region = (0.25, 0.1, 0.9, 0.8)
    fitted = load_fitted(data, width=320, height=180, fit="crop", max_pixels=LIMIT, region=region)
    left, top, right, bottom = region
    cut = crop_fractions(
        load_image(data, max_pixels=LIMIT), left=left, top=top, right=right, bottom=bottom
    )
    reference = fit_image(cut, width=320, height=180, fit="crop")
    difference = np.abs(fitted.astype(np.int16) - reference.astype(np.int16))
    assert difference.max() <= 1
    with pytest.raises(ValueError, match="crop bounds"):
        load_fitted(data, width=8, height=8, fit="crop", max_pixels=LIMIT, region=(0.5, 0, 0.4, 1))
    with pytest.raises(ValueError, match="fit='crop'"):
        load_fitted(data, width=8, height=8, fit="pad", max_pixels=LIMIT, region=(0, 0, 1, 1))


def test_load_fitted_pads_with_black_and_needs_an_exact_size_without_a_fit() -> None:
    data = _save(Image.new("RGB", (40, 30), (200, 200, 200)), "PNG")
    padded = load_fitted(data, width=80, height=80, fit="pad", max_pixels=LIMIT)
    assert padded[0].max() == 0 and padded[-1].max() == 0 and padded[40, 40].min() > 190
    same = load_fitted(data, width=40, height=30, fit=None, max_pixels=LIMIT)
    assert (same == 200).all()
    with pytest.raises(ImageSizeMismatch, match="40x30 but the video is 30x40"):
        load_fitted(data, width=30, height=40, fit=None, max_pixels=LIMIT)


def test_load_fitted_turns_a_reduced_jpeg_upright() -> None:
    """A phone photo stored sideways with an EXIF turn: the reduced decode is asked for the
    stored (turned) size, and the result is upright."""
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to view
    data = _save(_halves(1600, 1200), "JPEG", exif=exif.tobytes(), quality=95)
    upright = load_fitted(data, width=120, height=160, fit="crop", max_pixels=LIMIT)
    assert upright.shape == (160, 120, 3)
    assert upright[10, 60, 0] > 200 and upright[10, 60, 2] < 60  # the red half is on top
    assert upright[150, 60, 2] > 200 and upright[150, 60, 0] < 60


def test_load_fitted_refuses_from_the_header() -> None:
    started = time.perf_counter()
    with pytest.raises(ImageRejected, match="the limit is"):
        load_fitted(_bomb_png(50_000, 50_000), width=64, height=64, fit="pad", max_pixels=LIMIT)
    with pytest.raises(ImageRejected, match="no side may be longer than 16384"):
        load_fitted(_bomb_png(40_000, 2), width=64, height=64, fit="pad", max_pixels=LIMIT)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(ImageRejected, match="damaged or truncated"):
        data = _save(_photo(600, 400), "PNG")
        load_fitted(data[: len(data) // 2], width=64, height=64, fit="pad", max_pixels=LIMIT)


_PEAK = """
import sys
from pathlib import Path
from reelbox.media.images import fit_image, load_fitted, load_image

def high_water_mb():  # VmHWM: this process's peak RSS (ru_maxrss would carry the parent's)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

data = Path(sys.argv[2]).read_bytes()
before = high_water_mb()
if sys.argv[1] == "fitted":
    load_fitted(data, width=1280, height=720, fit="pad", max_pixels=4096 * 4096)
else:
    fit_image(load_image(data, max_pixels=4096 * 4096), width=1280, height=720, fit="pad")
print(high_water_mb() - before)
"""


def _peak_mb(path: Path, how: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, how, str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def test_load_fitted_bounds_the_memory_of_a_worst_case_image(tmp_path: Path) -> None:
    """A 4096x4096 translucent PNG (~80 KB) fitted with pad: the two-step path peaks at
    ~385 MB above the process's baseline, the bounded one at ~128 MB (two RGBA copies while
    premultiplying); a reduced JPEG decode needs ~16 MB. Measured in fresh processes."""
    picture = Image.new("RGBA", (4096, 4096), (40, 90, 160, 255))
    picture.paste((230, 200, 60, 128), (1024, 1024, 3072, 3072))
    png = tmp_path / "big.png"
    picture.save(png)
    jpeg = tmp_path / "big.jpg"
    picture.convert("RGB").save(jpeg, quality=90)
    picture.close()
    assert _peak_mb(png, "fitted") < 200 < _peak_mb(png, "two-step")
    assert _peak_mb(jpeg, "fitted") < 64
