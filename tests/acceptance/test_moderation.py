"""Moderation end to end: live servers, the official SDK and Azure-style clients.

Prompts are refused at create time; inputs (photographs with faces, shipped by scikit-image) and
outputs (judged by a local classifier stub) fail the job afterwards, in each dialect's shape,
with nothing of the blocked media kept and every block in the audit log.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from openai import OpenAI
from PIL import Image, ImageOps
from skimage import data as photos

from reelbox.media.encode import write_mp4
from reelbox.moderation.verdict import BLOCKED_MESSAGE
from support.moderation_stub import ModerationStub, running_moderation_stub
from support.server import LiveServer, server_config

KEYS = {"REELBOX_API_KEYS": "key-a=a,key-b=b,key-c=c"}
MODERATION = '\n[moderation]\nprojects = { b = "standard", c = "off" }\n'
SMALL = {"model": "tiny", "size": "720x1280", "seconds": "1"}


def _photo(picture: np.ndarray, width: int, height: int) -> bytes:
    """A photograph fitted (cropped around its centre) to exactly width x height, as PNG."""
    image = ImageOps.fit(Image.fromarray(picture).convert("RGB"), (width, height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


FACE = _photo(photos.astronaut(), 720, 1280)
NO_FACE = _photo(photos.coffee(), 720, 1280)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("moderation") / "data",
        config=server_config() + MODERATION,
        env=KEYS,
    )
    live.start()
    yield live
    live.stop()


@pytest.fixture
def client_for(server: LiveServer) -> Iterator[Callable[[str], OpenAI]]:
    made: list[OpenAI] = []

    def make(key: str) -> OpenAI:
        client = OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# No REELBOX_* settings reach the CLI; PYTHONPATH does (a worktree's own code, not the venv's).
_BARE_ENV = {"PATH": "/usr/bin:/bin"} | (
    {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
)


def _audit(server: LiveServer, *args: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "reelbox", "moderation", "log", "--json",
         "--data-dir", str(server.data_dir), *args],
        capture_output=True, text=True, check=True, env=_BARE_ENV,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_a_blocked_prompt_raises_bad_request_in_the_sdk(
    client_for: Callable[[str], OpenAI], server: LiveServer
) -> None:
    client = client_for("key-a")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="Barack Obama giving a speech", **SMALL)  # type: ignore[arg-type]
    assert caught.value.code == "moderation_blocked"
    assert caught.value.param == "prompt"
    assert "Obama" not in str(caught.value)
    events = _audit(server, "--project", "a", "--checkpoint", "request")
    assert any(e["categories"] == ["real-person/name"] for e in events)


def test_a_face_in_the_input_image_fails_the_job(
    client_for: Callable[[str], OpenAI], server: LiveServer
) -> None:
    client = client_for("key-a")
    video = client.videos.create(
        prompt="the person smiles and waves",
        input_reference=("astronaut.png", FACE, "image/png"),
        **SMALL,  # type: ignore[arg-type]
    )
    assert video.status in ("queued", "in_progress")  # accepted, then checked after decoding
    done = client.videos.poll(video.id, poll_interval_ms=50)
    assert done.status == "failed"
    assert done.error is not None and done.error.code == "moderation_blocked"
    assert done.error.message.startswith(BLOCKED_MESSAGE)
    assert "a human face in an input" in done.error.message
    # The blocked upload is gone and nothing was generated.
    assert not (server.data_dir / "blobs" / "uploads" / video.id).exists()
    assert not (server.data_dir / "blobs" / "videos" / video.id).exists()
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)
    (event,) = [e for e in _audit(server, "--checkpoint", "input") if e["job_id"] == video.id]
    assert event["subject"] == "reference_image" and event["categories"] == ["real-person/face"]
    assert event["sources"] == ["faces"] and event["project"] == "a"


def test_a_photo_without_faces_is_animated(client_for: Callable[[str], OpenAI]) -> None:
    client = client_for("key-a")
    video = client.videos.create(
        prompt="steam rises from the cup",
        input_reference=("coffee.png", NO_FACE, "image/png"),
        **SMALL,  # type: ignore[arg-type]
    )
    assert client.videos.poll(video.id, poll_interval_ms=50).status == "completed"


def test_policy_off_lets_a_face_through(client_for: Callable[[str], OpenAI]) -> None:
    client = client_for("key-c")
    video = client.videos.create(
        prompt="the person smiles",
        input_reference=("astronaut.png", FACE, "image/png"),
        **SMALL,  # type: ignore[arg-type]
    )
    assert client.videos.poll(video.id, poll_interval_ms=50).status == "completed"


def _face_clip(path: Path) -> bytes:
    frame = np.asarray(Image.open(io.BytesIO(_photo(photos.astronaut(), 320, 320))))
    write_mp4(path, iter([frame] * 8), width=320, height=320, fps=8, frame_count=8, audio=None)
    return path.read_bytes()


def test_a_character_clip_with_a_face_is_refused_and_not_kept(
    client_for: Callable[[str], OpenAI], server: LiveServer, tmp_path: Path
) -> None:
    client = client_for("key-a")
    clip = _face_clip(tmp_path / "face.mp4")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="Eileen", video=("face.mp4", clip, "video/mp4"))
    assert caught.value.code == "moderation_blocked" and caught.value.param == "video"
    characters = server.data_dir / "blobs" / "characters"
    assert not characters.exists() or not any(characters.iterdir())
    staging = server.data_dir / "blobs" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


# -- Azure -------------------------------------------------------------------------------------


@pytest.fixture
def azure(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{server.url}/openai/v1",
        headers={"api-key": "key-a"},
        params={"api-version": "preview"},
        timeout=60,
    ) as client:
        yield client


def _poll_azure(azure: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job: dict[str, Any] = azure.get(f"/video/generations/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_azure_prompt_refusal_and_input_moderation(azure: httpx.Client) -> None:
    refused = azure.post(
        "/video/generations/jobs",
        json={"model": "sora", "prompt": "Pikachu in a forest", "width": 480, "height": 480},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["inner_error"]["code"] == "ResponsibleAIPolicyViolation"

    items = [{"frame_index": 0, "type": "image", "file_name": "face.png",
              "crop_bounds": {"left_fraction": 0, "top_fraction": 0,
                              "right_fraction": 1, "bottom_fraction": 1}}]
    created = azure.post(
        "/video/generations/jobs",
        data={"model": "sora", "prompt": "a portrait comes alive", "width": "480",
              "height": "480", "n_seconds": "1", "inpaint_items": json.dumps(items)},
        files=[("files", ("face.png", _photo(photos.astronaut(), 480, 480), "image/png"))],
    )
    assert created.status_code == 200, created.text
    job = _poll_azure(azure, created.json()["id"])
    assert job["status"] == "failed" and job["failure_reason"] == "input_moderation"
    assert job["generations"] == []


# -- outputs, judged by an external classifier -------------------------------------------------


@pytest.fixture(scope="module")
def stub() -> Iterator[ModerationStub]:
    with running_moderation_stub() as running:
        yield running


@pytest.fixture(scope="module")
def classified_server(
    tmp_path_factory: pytest.TempPathFactory, stub: ModerationStub
) -> Iterator[LiveServer]:
    config = (
        server_config()
        + MODERATION
        + f'\n[moderation.classifier]\nurl = "{stub.url}"\nimages = true\ntimeout_seconds = 5\n'
    )
    live = LiveServer(tmp_path_factory.mktemp("classified") / "data", config=config, env=KEYS)
    live.start()
    yield live
    live.stop()


def test_a_flagged_output_fails_the_job_and_nothing_is_kept(
    classified_server: LiveServer, stub: ModerationStub
) -> None:
    stub.flag_images = "sexual"
    with OpenAI(base_url=f"{classified_server.url}/v1", api_key="key-a", max_retries=0) as a:
        video = a.videos.create(prompt="a red ball bouncing", **SMALL)  # type: ignore[arg-type]
        done = a.videos.poll(video.id, poll_interval_ms=50)
    assert done.status == "failed" and done.error is not None
    assert done.error.code == "moderation_blocked"
    assert done.error.message.endswith("The generated video appears to contain sexual content.")
    assert not (classified_server.data_dir / "blobs" / "videos" / video.id).exists()
    output_checks = [r for r in stub.requests if r.image_urls]
    assert output_checks and len(output_checks[-1].image_urls) == 4  # output_frames
    assert output_checks[-1].image_urls[0].startswith("data:image/jpeg;base64,")

    # The standard policy allows sexual content between adults: the same output completes.
    with OpenAI(base_url=f"{classified_server.url}/v1", api_key="key-b", max_retries=0) as b:
        video = b.videos.create(prompt="a red ball bouncing", **SMALL)  # type: ignore[arg-type]
        assert b.videos.poll(video.id, poll_interval_ms=50).status == "completed"


def test_azure_output_moderation_is_the_failure_reason(
    classified_server: LiveServer, stub: ModerationStub
) -> None:
    stub.flag_images = "violence/graphic"
    with httpx.Client(
        base_url=f"{classified_server.url}/openai/v1",
        headers={"api-key": "key-a"},
        params={"api-version": "preview"},
        timeout=60,
    ) as azure:
        created = azure.post(
            "/video/generations/jobs",
            json={"model": "sora", "prompt": "a red ball", "width": 480, "height": 480,
                  "n_seconds": 1, "n_variants": 2},
        )
        assert created.status_code == 200, created.text
        job = _poll_azure(azure, created.json()["id"])
    assert job["status"] == "failed" and job["failure_reason"] == "output_moderation"
    assert not (classified_server.data_dir / "blobs" / "videos" / job["id"]).exists()
