"""Media inputs at the edge, in-process over HTTP: uploaded videos decoded in full (a truncated
MP4 is a 400 `invalid_video` at upload, never a job that fails in the worker), reference images
checked from their header and fitted with bounded memory, and the decode slots' 503."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reelbox.api.decode_slots import decode_slots
from reelbox.api.inputs import fitted_reference_png, keyframe_png, reference_png
from reelbox.app import create_app
from reelbox.errors import InvalidRequest, Unavailable
from reelbox.media.encode import write_mp4
from reelbox.media.images import decode_png
from reelbox.settings import Settings

FRAMES = 48


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        client = TestClient(
            create_app(
                Settings(data_dir=tmp_path / f"data{len(clients)}", **settings), run_jobs=False
            ),
            base_url="http://localhost",
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Two seconds of 320x240 noise (big enough frames that a cut lands mid-stream)."""
    rng = np.random.default_rng(7)
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    frames = (rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(FRAMES))
    write_mp4(path, frames, width=320, height=240, fps=24, frame_count=FRAMES, audio=None)
    return path.read_bytes()


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (40, 90, 160, 200)[: len(mode)]).save(buffer, format="PNG")
    return buffer.getvalue()


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "fields"),
    [("/v1/videos/edits", {}), ("/v1/videos/extensions", {"seconds": "4"})],
)
def test_a_truncated_mp4_is_refused_at_upload(
    make_client: Callable[..., TestClient], clip: bytes, path: str, fields: dict[str, str]
) -> None:
    api = make_client()
    cut = clip[: len(clip) * 2 // 3]
    response = api.post(
        path,
        data={"prompt": "the same scene at night", **fields},
        files={"video": ("clip.mp4", cut, "video/mp4")},
    )
    assert response.status_code == 400, response.text
    error = _error(response)
    assert error["code"] == "invalid_video" and error["param"] == "video"
    assert "truncated" in error["message"] and f"of its {FRAMES} frames" in error["message"]
    assert "/" not in error["message"]  # no server path
    whole = api.post(
        path,
        data={"prompt": "the same scene at night", **fields},
        files={"video": ("clip.mp4", clip, "video/mp4")},
    )
    assert whole.status_code == 200, whole.text


def test_a_truncated_character_clip_is_refused(
    make_client: Callable[..., TestClient], clip: bytes
) -> None:
    api = make_client()
    response = api.post(
        "/v1/videos/characters",
        data={"name": "Nobody"},
        files={"video": ("clip.mp4", clip[: len(clip) // 2], "video/mp4")},
    )
    assert response.status_code == 400 and _error(response)["code"] == "invalid_video"


def test_a_huge_reference_is_fitted_and_stored_at_the_video_size(
    make_client: Callable[..., TestClient],
) -> None:
    api = make_client()
    response = api.post(
        "/v1/videos",
        data={"prompt": "a lighthouse", "size": "1280x720", "input_reference_fit": "pad"},
        files={"input_reference": ("big.png", _png(4096, 4096, "RGBA"), "image/png")},
    )
    assert response.status_code == 200, response.text


def test_busy_decode_slots_answer_503_with_retry_after(
    make_client: Callable[..., TestClient],
) -> None:
    """Every slot held by other decodes: the upload waits `decode_wait_seconds`, then gets the
    envelope with `server_busy` and Retry-After; a slot freed lets the next one through."""
    api = make_client(max_concurrent_decodes=1, decode_wait_seconds=0.2)
    slots = decode_slots(Settings(max_concurrent_decodes=1, decode_wait_seconds=0.2))
    request = {
        "data": {"prompt": "a lighthouse", "size": "1280x720", "input_reference_fit": "crop"},
        "files": {"input_reference": ("a.png", _png(640, 640), "image/png")},
    }
    with slots.hold():
        busy = api.post("/v1/videos", **request)  # type: ignore[arg-type]
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "2"
    assert _error(busy)["code"] == "server_busy"
    assert api.post("/v1/videos", **request).status_code == 200  # type: ignore[arg-type]


def test_the_async_and_thread_paths_give_the_same_png() -> None:
    settings = Settings(max_concurrent_decodes=1, decode_wait_seconds=0.2)
    data = _png(300, 200, "RGBA")
    threaded = reference_png(data, width=64, height=64, fit="pad", max_pixels=10**7)
    awaited = asyncio.run(
        fitted_reference_png(data, width=64, height=64, fit="pad", settings=settings)
    )
    assert np.array_equal(decode_png(threaded), decode_png(awaited))
    with decode_slots(settings).hold(), pytest.raises(Unavailable):
        asyncio.run(fitted_reference_png(data, width=64, height=64, fit="pad", settings=settings))


def test_keyframe_png_crops_the_region_and_reports_bad_images() -> None:
    settings = Settings()
    picture = np.zeros((100, 200, 3), dtype=np.uint8)
    picture[:, 100:] = 255  # right half white
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    right = keyframe_png(buffer.getvalue(), region=(0.5, 0, 1, 1), width=32, height=32,
                         settings=settings, param="inpaint_items[0]")  # fmt: skip
    assert decode_png(right).min() > 240
    with pytest.raises(InvalidRequest) as caught:
        keyframe_png(b"GIF89a...", region=(0, 0, 1, 1), width=32, height=32, settings=settings,
                     param="inpaint_items[0]")  # fmt: skip
    assert caught.value.code == "invalid_image" and caught.value.param == "inpaint_items[0]"


def test_a_large_data_url_reference_is_decoded(make_client: Callable[..., TestClient]) -> None:
    """Over 256 KB of base64 is decoded in a thread; the answer is the same as for a file part."""
    import base64

    noise = np.random.default_rng(3).integers(0, 255, (400, 400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode()
    assert len(encoded) > 256 * 1024
    api = make_client()
    body = {"prompt": "static", "size": "1280x720", "input_reference_fit": "stretch"}
    url = f"data:image/png;base64,{encoded}"
    response = api.post("/v1/videos", json={**body, "input_reference": {"image_url": url}})
    assert response.status_code == 200, response.text
    small = make_client(max_upload_bytes=64 * 1024)
    refused = small.post("/v1/videos", json={**body, "input_reference": {"image_url": url}})
    assert refused.status_code == 413, refused.text
