"""A diffusers profile served for real: settings file → API → worker process → engine → MP4.

The profile is declared the way the docs show (engine options beside `engine`), the Sora name
`sora-2` points at it, and the worker warms the tiny checkpoint up when it starts.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from support.media import png_bytes, probe_mp4
from support.server import LiveServer, server_config, wait_for

pytest.importorskip("torch")
pytest.importorskip("diffusers")


def _config(weights: Path) -> str:
    return server_config(workers=1) + (
        f"""
[profiles.wan-tiny]
engine = "diffusers"
description = "Wan 2.1 T2V, tiny random weights"
family = "wan2.1-t2v"
path = "{weights}"
device = "cpu"
dtype = "float32"
resolutions = ["64x32", "32x64"]
steps = 2

[aliases]
sora-2 = "wan-tiny"
"""
    )


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, tiny_weights: Callable[[str], Path]
) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("diffusers") / "data", config=_config(tiny_weights("wan2.1-t2v"))
    )
    live.start()
    yield live
    live.stop()


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/v1", timeout=30) as client:
        yield client


def _finished(http: httpx.Client, video_id: str) -> dict[str, object]:
    def done() -> dict[str, object] | None:
        body = http.get(f"/videos/{video_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    result: dict[str, object] = wait_for(done, timeout=120, interval=0.1)
    return result


def test_models_show_the_profile_capabilities(http: httpx.Client) -> None:
    body = http.get("/models/wan-tiny").json()
    assert body["engine"] == "diffusers"
    caps = body["capabilities"]
    assert caps["modes"] == ["edit", "remix", "text"]
    assert caps["sizes"][:2] == ["64x32", "32x64"] and "1280x720" in caps["sizes"]
    assert (caps["min_seconds"], caps["max_seconds"], caps["fps"]) == (1, 5, 16)
    assert (caps["audio"], caps["characters"]) == (False, False)


def test_a_video_from_the_profile(http: httpx.Client, tmp_path: Path) -> None:
    created = http.post(
        "/videos",
        json={"model": "wan-tiny", "prompt": "a red car", "size": "64x32", "seconds": "2"},
    )
    assert created.status_code == 200, created.text
    finished = _finished(http, created.json()["id"])
    assert finished["status"] == "completed", finished
    video = http.get(f"/videos/{finished['id']}/content")
    facts = probe_mp4(video.content)
    assert (facts.width, facts.height, facts.frames, facts.fps) == (64, 32, 32, 16.0)
    assert facts.audio_codec is None


def test_a_sora_alias_pointing_at_the_profile(http: httpx.Client) -> None:
    created = http.post(
        "/videos",
        json={"model": "sora-2", "prompt": "a cat", "size": "720x1280", "seconds": "4"},
    )
    assert created.status_code == 200, created.text
    finished = _finished(http, created.json()["id"])
    assert finished["status"] == "completed", finished
    facts = probe_mp4(http.get(f"/videos/{finished['id']}/content").content)
    assert (facts.width, facts.height, facts.frames) == (720, 1280, 64)


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({"size": "100x100"}, "size", "Invalid value: '100x100'. Supported values are: '64x32'"),
        ({"seconds": "6"}, "seconds", "makes videos of 1 to 5 seconds"),
        (
            {"input_reference": {"image_url": "data:image/png;base64," + "A" * 8}},
            "input_reference",
            "does not support image generation",
        ),
        ({"characters": [{"id": "char_1"}]}, "characters", "cannot place characters"),
    ],
)
def test_requests_the_profile_cannot_serve_are_refused_at_create_time(
    http: httpx.Client, fields: dict[str, object], param: str, message: str
) -> None:
    if "input_reference" in fields:
        png = base64.b64encode(png_bytes(64, 32)).decode()
        fields = {"input_reference": {"image_url": f"data:image/png;base64,{png}"}}
    response = http.post("/videos", json={"model": "wan-tiny", "prompt": "a dog", **fields})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]


def test_missing_weights_stop_the_server_at_start(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "data", config=_config(tmp_path / "nowhere"))
    with pytest.raises(RuntimeError, match=r"profile 'wan-tiny': no weights folder at"):
        live.start()
    live.stop()
