"""Every diffusers family served for real: settings file → API → worker process → engine → MP4.

One `reelbox serve` (one worker) holds a tiny profile of each family (serving.PROFILES), declared
the way the docs show; every mode each family serves goes through the HTTP API with the official
`openai` SDK (httpx for characters and the Azure inpainting jobs), and the checks are on the
MP4s users download: size, frame count, sound, progress, cancellation and create-time refusals.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types import Video

from engines.diffusers.serving import (
    PROFILES,
    SLOW,
    check,
    config,
    events,
    finished,
    mp4,
)
from support.media import png_bytes, probe_mp4
from support.server import LiveServer, wait_for

pytest.importorskip("torch")
pytest.importorskip("diffusers")

Made = Callable[[str, str], Video]
LANDSCAPE, PORTRAIT = (64, 32), (32, 64)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, tiny_weights: Callable[[str], Path]
) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("diffusers") / "data", config=config(tiny_weights))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.url}/v1", api_key="anything", max_retries=0) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as session:
        yield session


@pytest.fixture(scope="module")
def made(client: OpenAI) -> Made:
    """`made(profile, "text" | "image")`: a finished 1 s video of the profile, made once.

    Text videos are landscape; image videos are portrait, from a reference image.
    """
    videos: dict[tuple[str, str], Video] = {}

    def get(profile: str, kind: str) -> Video:
        if (profile, kind) not in videos:
            if kind == "text":
                video = client.videos.create(
                    model=profile, prompt="a red car in the city", size="64x32", seconds="1"
                )
            else:
                reference = ("reference.png", png_bytes(32, 64, (220, 40, 40)), "image/png")
                video = client.videos.create(
                    model=profile,
                    prompt="a red bird runs",
                    size="32x64",
                    seconds="1",
                    input_reference=reference,
                )
            videos[profile, kind] = finished(client, video)
        return videos[profile, kind]

    return get


@pytest.fixture(scope="module")
def clip(client: OpenAI) -> bytes:
    """A 1 s, 128x64 MP4 to upload, from the fake engine: the tiny models' noise, scaled up,
    can pass for a face to input moderation's frontal-face check."""
    video = client.videos.create(model="fake", prompt="a clip", size="128x64", seconds="1")
    return client.videos.download_content(finished(client, video).id).read()


def _posted(client: OpenAI, http: httpx.Client, path: str, body: dict[str, object]) -> Video:
    """A JSON request the SDK cannot make; the video it created, as the SDK reads it."""
    answer = http.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return client.videos.retrieve(answer.json()["id"])


def test_models_show_what_each_profile_serves(http: httpx.Client) -> None:
    for name, tiny in PROFILES.items():
        body = http.get(f"/v1/models/{name}").json()
        caps = body["capabilities"]
        assert body["engine"] == "diffusers"
        assert caps["modes"] == list(tiny.modes), name
        assert caps["sizes"][:2] == ["64x32", "32x64"], name
        assert (caps["fps"], caps["audio"]) == (tiny.fps, tiny.audio), name
        assert caps["characters"] == (name == "vace"), name


@pytest.mark.parametrize("name", [n for n, t in PROFILES.items() if "text" in t.modes])
def test_text(client: OpenAI, made: Made, name: str) -> None:
    video = made(name, "text")
    assert (video.model, video.size, video.seconds) == (name, "64x32", "1")
    tiny = PROFILES[name]
    check(mp4(client, video.id), size=LANDSCAPE, frames=tiny.fps, audio=tiny.audio)


@pytest.mark.parametrize("name", [n for n, t in PROFILES.items() if "remix" in t.modes])
def test_remix_and_edit(client: OpenAI, made: Made, clip: bytes, name: str) -> None:
    source, tiny = made(name, "text"), PROFILES[name]
    remix = finished(client, client.videos.remix(source.id, prompt="a blue car at night"))
    assert (remix.remixed_from_video_id, remix.model, remix.size) == (source.id, name, "64x32")
    check(mp4(client, remix.id), size=LANDSCAPE, frames=tiny.fps, audio=tiny.audio)
    # SDK 3.54 edits uploaded files only (its `video` takes no id); 128x64 is made at 64x32.
    upload = ("clip.mp4", clip, "video/mp4")
    edit = finished(
        client, client.videos.edit(prompt="a dog", video=upload, extra_body={"model": name})
    )
    assert (edit.model, edit.size, edit.seconds) == (name, "64x32", "1")
    check(mp4(client, edit.id), size=LANDSCAPE, frames=tiny.fps, audio=tiny.audio)


@pytest.mark.parametrize("name", [n for n, t in PROFILES.items() if "image" in t.modes])
def test_image_then_extend(client: OpenAI, http: httpx.Client, made: Made, name: str) -> None:
    video, tiny = made(name, "image"), PROFILES[name]
    check(mp4(client, video.id), size=PORTRAIT, frames=tiny.fps, audio=tiny.audio)
    # An extension of a finished video by id is JSON only (SDK 3.54 uploads files; an upload
    # would be extended by the default model, not by this profile).
    body = {"prompt": "the bird flies", "seconds": "1", "video": {"id": video.id}}
    extended = finished(client, _posted(client, http, "/v1/videos/extensions", body))
    assert (extended.model, extended.size, extended.seconds) == (name, "32x64", "2")
    check(mp4(client, extended.id), size=PORTRAIT, frames=2 * tiny.fps, audio=tiny.audio)


def test_vace_places_a_character(client: OpenAI, http: httpx.Client, clip: bytes) -> None:
    created = http.post(
        "/v1/videos/characters",
        data={"name": "Gus"},
        files={"video": ("gus.mp4", clip, "video/mp4")},
    )
    assert created.status_code == 200, created.text
    body = {
        "model": "vace",
        "prompt": "a cat in the city",
        "size": "64x32",
        "seconds": "1",
        "characters": [{"id": created.json()["id"]}],
    }
    video = finished(client, _posted(client, http, "/v1/videos", body))
    check(mp4(client, video.id), size=LANDSCAPE, frames=16, audio=False)


@pytest.mark.parametrize("name", [n for n, t in PROFILES.items() if "inpaint" in t.modes])
def test_azure_inpainting_with_a_keyframe_and_a_video(
    http: httpx.Client, clip: bytes, name: str
) -> None:
    items = [
        {"frame_index": 0, "type": "image", "file_name": "first.png"},
        {"frame_index": 8, "type": "video", "file_name": "clip.mp4"},
    ]
    answer = http.post(
        "/openai/v1/video/generations/jobs",
        params={"api-version": "preview"},
        data={
            "model": name,
            "prompt": "a red car",
            "width": "480",
            "height": "480",
            "n_seconds": "1",
            "inpaint_items": json.dumps(items),
        },
        files=[
            ("files", ("first.png", png_bytes(480, 480, (220, 40, 40)), "image/png")),
            ("files", ("clip.mp4", clip, "video/mp4")),
        ],
    )
    assert answer.status_code == 200, answer.text

    def done() -> dict[str, object] | None:
        job = http.get(
            f"/openai/v1/video/generations/jobs/{answer.json()['id']}",
            params={"api-version": "preview"},
        ).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    job = wait_for(done, timeout=120, interval=0.05)
    assert job["status"] == "succeeded", job
    generation = job["generations"][0]["id"]
    video = http.get(
        f"/openai/v1/video/generations/{generation}/content/video",
        params={"api-version": "preview"},
    )
    # Azure Sora 1 videos are silent, LTX-2's included.
    check(probe_mp4(video.content), size=(480, 480), frames=PROFILES[name].fps, audio=False)


def test_cancel_mid_denoise_through_delete(client: OpenAI, server: LiveServer) -> None:
    video = client.videos.create(model=SLOW, prompt="a red car", size="64x32", seconds="4")
    seen: list[tuple[float, int]] = []
    with httpx.stream("GET", f"{server.url}/v1/videos/{video.id}/events", timeout=60) as stream:
        messages = events(stream.iter_lines())
        for message in messages:
            progress = int(message.data["progress"])  # type: ignore[call-overload]
            seen.append((message.at, progress))
            if len({p for _, p in seen if 0 < p < 100}) >= 2:
                break
        deleted_at = time.monotonic()
        assert client.videos.delete(video.id).deleted
        last = [m.name for m in messages][-1]
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and 0 < progress[-1] < 100, progress
    assert last == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    # The worker stops between denoising steps: the next job is done long before the cancelled
    # one's remaining steps would have been (estimated from its own pace).
    moving = [s for s in seen if s[1] > 0]
    (first_at, first), (then_at, then) = moving[0], moving[-1]
    remaining = (then_at - first_at) / (then - first) * (100 - then)
    after = finished(
        client,
        client.videos.create(model="wan-t2v", prompt="a cat", size="64x32", seconds="1"),
    )
    assert after.status == "completed"
    assert time.monotonic() - deleted_at < remaining / 2, (remaining, seen)


def test_a_sora_alias_pointing_at_a_profile(client: OpenAI) -> None:
    video = finished(client, client.videos.create(prompt="a cat", size="720x1280", seconds="4"))
    assert (video.model, video.size) == ("sora-2", "720x1280")
    check(mp4(client, video.id), size=(720, 1280), frames=64, audio=False)


@pytest.mark.parametrize(
    ("model", "fields", "param", "message"),
    [
        ("wan-t2v", {"size": "100x100"}, "size", "Invalid value: '100x100'. Supported values"),
        ("hunyuan-t2v", {"seconds": "6"}, "seconds", "makes videos of 1 to 5 seconds"),
        ("wan22-t2v", {"input_reference": "image"}, "input_reference", "image generation"),
        ("ltx", {"characters": [{"id": "char_1"}]}, "characters", "cannot place characters"),
    ],
)
def test_requests_a_profile_cannot_serve_are_refused_at_create_time(
    http: httpx.Client, model: str, fields: dict[str, object], param: str, message: str
) -> None:
    if fields.get("input_reference") == "image":
        png = base64.b64encode(png_bytes(64, 32)).decode()
        fields = {"input_reference": {"image_url": f"data:image/png;base64,{png}"}}
    body = {"model": model, "prompt": "a dog", "size": "64x32", **fields}
    answer = http.post("/v1/videos", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and message in error["message"], error


def test_reworks_a_family_cannot_make_are_refused(
    client: OpenAI, http: httpx.Client, made: Made
) -> None:
    with pytest.raises(openai.BadRequestError, match="does not support remix generation"):
        client.videos.remix(made("wan-i2v", "image").id, prompt="again")
    extension = {"prompt": "on", "seconds": "1", "video": {"id": made("wan-t2v", "text").id}}
    answer = http.post("/v1/videos/extensions", json=extension)
    assert answer.status_code == 400 and "does not support extend" in answer.text, answer.text
    edit = {"prompt": "a dog", "model": "wan22-t2v", "video": {"id": made("wan-t2v", "text").id}}
    answer = http.post("/v1/videos/edits", json=edit)
    assert answer.status_code == 400 and "does not support edit" in answer.text, answer.text
    inpaint = http.post(
        "/openai/v1/video/generations/jobs",
        params={"api-version": "preview"},
        data={
            "model": "wan-t2v",
            "prompt": "a red car",
            "width": "480",
            "height": "480",
            "n_seconds": "1",
            "inpaint_items": json.dumps(
                [{"frame_index": 5, "type": "image", "file_name": "a.png"}]
            ),
        },
        files=[("files", ("a.png", png_bytes(480, 480), "image/png"))],
    )
    assert inpaint.status_code == 400, inpaint.text
    error = inpaint.json()["error"]
    assert error["param"] == "inpaint_items" and "inpaint" in error["message"], error


def test_missing_weights_stop_the_server_at_start(
    tmp_path: Path, tiny_weights: Callable[[str], Path]
) -> None:
    def nowhere(family: str) -> Path:
        return tmp_path / "nowhere" if family == "ltx-video" else tiny_weights(family)

    live = LiveServer(tmp_path / "data", config=config(nowhere))
    with pytest.raises(RuntimeError, match=r"profiles.ltx: no weights folder at"):
        live.start()
    live.stop()
