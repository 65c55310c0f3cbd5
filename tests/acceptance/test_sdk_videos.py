"""The official `openai` SDK against a live server: every videos method, as users call them."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from support.media import image_facts, probe_mp4
from support.server import LiveServer, wait_for


def test_create_and_poll_then_download_every_variant(client: OpenAI) -> None:
    video = client.videos.create_and_poll(
        prompt="A cat on a motorcycle at night", seconds="4", poll_interval_ms=100
    )
    assert video.status == "completed", video.error
    assert video.object == "video" and video.id.startswith("video_")
    assert video.model == "sora-2" and video.size == "720x1280" and video.seconds == "4"
    assert video.progress == 100
    assert video.completed_at is not None and video.expires_at == video.completed_at + 86400
    assert video.prompt == "A cat on a motorcycle at night"
    assert video.remixed_from_video_id is None and video.error is None

    mp4 = client.videos.download_content(video.id).read()
    facts = probe_mp4(mp4)
    assert (facts.video_codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height) == (720, 1280)
    assert facts.frames == 96 and abs(facts.duration - 4.0) <= 1 / 24
    assert facts.audio_codec == "aac" and facts.sample_rate == 48000 and facts.channels == 2
    assert facts.audio_duration is not None and abs(facts.audio_duration - 4.0) < 0.05

    thumbnail = client.videos.download_content(video.id, variant="thumbnail").read()
    assert image_facts(thumbnail) == ("WEBP", 720, 1280)
    sheet = client.videos.with_raw_response.download_content(video.id, variant="spritesheet")
    assert sheet.headers["content-type"] == "image/jpeg"
    columns = int(sheet.headers["x-spritesheet-columns"])
    rows = int(sheet.headers["x-spritesheet-rows"])
    tile_w = int(sheet.headers["x-spritesheet-frame-width"])
    tile_h = int(sheet.headers["x-spritesheet-frame-height"])
    assert image_facts(sheet.content) == ("JPEG", columns * tile_w, rows * tile_h)
    assert columns * rows >= 16


def test_retrieve_shows_every_key_with_explicit_nulls(
    client: OpenAI, shared_server: LiveServer
) -> None:
    video = client.videos.create(
        prompt="a boat on a lake", model="tiny", size="320x180", seconds="1"
    )
    raw = httpx.get(f"{shared_server.url}/v1/videos/{video.id}")
    body = raw.json()
    assert set(body) == {
        "id",
        "object",
        "model",
        "status",
        "progress",
        "created_at",
        "completed_at",
        "expires_at",
        "prompt",
        "size",
        "seconds",
        "remixed_from_video_id",
        "error",
    }
    assert raw.headers["x-request-id"].startswith("req_")
    if body["status"] in ("queued", "in_progress"):
        assert raw.headers["openai-poll-after-ms"] == "100"
        assert body["completed_at"] is None and body["expires_at"] is None
    done = client.videos.poll(video.id, poll_interval_ms=50)
    assert done.status == "completed"
    assert (
        "openai-poll-after-ms" not in httpx.get(f"{shared_server.url}/v1/videos/{video.id}").headers
    )


def test_progress_is_monotonic_while_running(client: OpenAI) -> None:
    video = client.videos.create(prompt="a slow one", model="slow", size="64x64", seconds="3")
    seen = []
    while True:
        current = client.videos.retrieve(video.id)
        seen.append(current.progress)
        if current.status in ("completed", "failed"):
            break
        time.sleep(0.05)
    assert current.status == "completed"
    assert seen == sorted(seen) and seen[-1] == 100
    assert any(0 < p < 100 for p in seen)


def test_list_auto_paginates_over_several_pages(client: OpenAI) -> None:
    made = [
        client.videos.create(prompt=f"paging {i}", model="fake", size="64x64", seconds="1").id
        for i in range(5)
    ]
    listed = [v.id for v in client.videos.list(limit=2, order="asc")]
    assert [i for i in listed if i in made] == made
    page = client.videos.list(limit=2)
    assert page.has_more and len(page.data) == 2
    newest_first = [v.id for v in client.videos.list(limit=3)]
    assert [i for i in newest_first if i in made] == made[::-1]


def test_delete_finished_video_removes_its_content(client: OpenAI) -> None:
    video = client.videos.create_and_poll(
        prompt="x", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.delete(video.id)


def test_delete_cancels_a_running_job(client: OpenAI, shared_server: LiveServer) -> None:
    video = client.videos.create(prompt="long", model="slow", size="64x64", seconds="60")
    wait_for(lambda: client.videos.retrieve(video.id).progress > 0, timeout=30)
    assert client.videos.delete(video.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    # The slot frees up: a new job completes promptly although the cancelled one had 55 s left.
    after = client.videos.create_and_poll(
        prompt="next", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert after.status == "completed"


def test_remix_keeps_size_and_length_and_records_lineage(client: OpenAI) -> None:
    source = client.videos.create_and_poll(
        prompt="a dog running in a park at noon",
        model="tiny",
        size="320x180",
        seconds="2",
        poll_interval_ms=50,
    )
    remix = client.videos.remix(source.id, prompt="the same, at night in the snow")
    assert remix.remixed_from_video_id == source.id
    assert (remix.size, remix.seconds, remix.model) == ("320x180", "2", "tiny")
    done = client.videos.poll(remix.id, poll_interval_ms=50)
    assert done.status == "completed"
    facts = probe_mp4(client.videos.download_content(done.id).read())
    assert (facts.width, facts.height, facts.frames) == (320, 180, 16)


def test_extension_is_the_stitched_total(client: OpenAI) -> None:
    source = client.videos.create_and_poll(
        prompt="a bird flying over the ocean",
        model="tiny",
        size="320x180",
        seconds="2",
        poll_interval_ms=50,
    )
    mp4 = client.videos.download_content(source.id).read()
    extended = client.videos.extend(
        prompt="it keeps flying into the sunset",
        seconds="4",  # type: ignore[arg-type]
        video=("source.mp4", mp4, "video/mp4"),
    )
    # An upload carries no model: the default (sora-2, 24 fps) renders it at the nearest Sora
    # size of the same orientation.
    assert (extended.seconds, extended.size, extended.model) == ("6", "1280x720", "sora-2")
    done = client.videos.poll(extended.id, poll_interval_ms=50)
    assert done.status == "completed", done.error
    facts = probe_mp4(client.videos.download_content(done.id).read())
    assert (facts.width, facts.height) == (1280, 720)
    assert abs(facts.duration - 6.0) <= 1 / 24 and facts.frames == 144
    assert facts.audio_duration is not None and abs(facts.audio_duration - 6.0) < 0.05


def test_edit_by_upload_keeps_timing(client: OpenAI) -> None:
    source = client.videos.create_and_poll(
        prompt="a car on a countryside road",
        model="tiny",
        size="320x180",
        seconds="2",
        poll_interval_ms=50,
    )
    mp4 = client.videos.download_content(source.id).read()
    edited = client.videos.edit(
        prompt="make it night with rain",
        video=("clip.mp4", mp4, "video/mp4"),
        extra_body={"model": "tiny"},  # the guide's `model` field; SDK 3.54 has no parameter
    )
    done = client.videos.poll(edited.id, poll_interval_ms=50)
    assert done.status == "completed", done.error
    assert done.seconds == "2" and done.size == "320x180"
    facts = probe_mp4(client.videos.download_content(done.id).read())
    assert facts.frames == 16


def test_characters_create_get_and_use(client: OpenAI, shared_server: LiveServer) -> None:
    clip = client.videos.create_and_poll(
        prompt="a red ball on a plain background",
        model="tiny",
        size="320x180",
        seconds="1",
        poll_interval_ms=50,
    )
    mp4 = client.videos.download_content(clip.id).read()
    character = client.videos.create_character(name="Mossy", video=("mossy.mp4", mp4, "video/mp4"))
    assert character.id is not None and character.id.startswith("char_")
    assert character.name == "Mossy" and isinstance(character.created_at, int)
    fetched = client.videos.get_character(character.id)
    assert (fetched.id, fetched.name, fetched.created_at) == (
        character.id,
        "Mossy",
        character.created_at,
    )
    # The SDK has no `characters` parameter on create; JSON clients send it as the guide shows.
    response = httpx.post(
        f"{shared_server.url}/v1/videos",
        json={
            "prompt": "Mossy walks on the beach",
            "model": "tiny",
            "size": "320x180",
            "seconds": "1",
            "characters": [{"id": character.id}],
        },
    )
    assert response.status_code == 200, response.text
    done = client.videos.poll(response.json()["id"], poll_interval_ms=50)
    assert done.status == "completed"
    with pytest.raises(openai.NotFoundError):
        client.videos.get_character("char_missing")


def test_models_lists_profiles_and_aliases(client: OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"sora-2", "sora-2-pro", "reelbox-procedural", "tiny"} <= ids
    model = client.models.retrieve("sora-2-pro")
    assert model.owned_by == "reelbox"


@pytest.mark.parametrize(
    ("kwargs", "error", "param", "code", "message"),
    [
        (
            {"size": "1920x1080"},
            openai.BadRequestError,
            "size",
            "invalid_value",
            "Invalid value: '1920x1080'. Supported values are: '720x1280', '1280x720', "
            "'1024x1792', and '1792x1024'.",
        ),
        (
            {"seconds": "15"},
            openai.BadRequestError,
            "seconds",
            "invalid_value",
            "Invalid value: '15'. Supported values are: '4', '8', and '12'.",
        ),
        ({"model": "sora-9"}, openai.BadRequestError, "model", "invalid_value", None),
        ({"size": "1792x1024"}, openai.BadRequestError, "size", "invalid_value", None),
        (
            {"extra_body": {"duration": 4}},
            openai.BadRequestError,
            "duration",
            "unknown_parameter",
            "Unknown parameter: 'duration'.",
        ),
    ],
)
def test_create_errors(
    client: OpenAI,
    kwargs: dict[str, object],
    error: type[Exception],
    param: str,
    code: str,
    message: str | None,
) -> None:
    with pytest.raises(error) as info:
        client.videos.create(prompt="x", **kwargs)  # type: ignore[arg-type]
    assert info.value.param == param  # type: ignore[attr-defined]
    assert info.value.code == code  # type: ignore[attr-defined]
    if message:
        assert info.value.body["message"] == message  # type: ignore[attr-defined]


def test_reference_image_of_the_wrong_size(client: OpenAI) -> None:
    from support.media import png_bytes

    with pytest.raises(openai.BadRequestError) as info:
        client.videos.create(
            prompt="x", input_reference=("ref.png", png_bytes(100, 100), "image/png")
        )
    assert info.value.body["message"] == "Inpaint image must match the requested width and height"  # type: ignore[index]
    assert info.value.param is None and info.value.code is None


def test_image_to_video_starts_on_the_reference(client: OpenAI) -> None:
    from support.media import first_frame, png_bytes

    video = client.videos.create_and_poll(
        prompt="slow zoom",
        model="tiny",
        size="320x180",
        seconds="1",
        input_reference=("ref.png", png_bytes(320, 180, (30, 160, 90)), "image/png"),
        poll_interval_ms=50,
    )
    assert video.status == "completed", video.error
    frame = first_frame(client.videos.download_content(video.id).read())
    # H.264 is lossy: frame 0 matches the flat reference colour to within a few levels.
    assert abs(frame.reshape(-1, 3).mean(axis=0) - (30, 160, 90)).max() < 6


def test_content_before_completion_and_unknown_ids(client: OpenAI) -> None:
    video = client.videos.create(prompt="wait", model="slow", size="64x64", seconds="20")
    with pytest.raises(openai.NotFoundError) as info:
        client.videos.download_content(video.id)
    assert info.value.body["message"] == "Video is not ready yet."  # type: ignore[index]
    client.videos.delete(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("video_does_not_exist")
    with pytest.raises(openai.BadRequestError) as info:
        client.videos.download_content("video_x", variant="mp4")  # type: ignore[arg-type]
    assert info.value.body["message"] == (  # type: ignore[index]
        "Invalid value: 'mp4'. Supported values are: 'video', 'thumbnail', and 'spritesheet'."
    )


def test_failed_job_reports_its_error(client: OpenAI) -> None:
    video = client.videos.create_and_poll(
        prompt="[fail:raise]", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert video.status == "failed"
    assert video.error is not None and video.error.code == "engine_error"
    assert video.completed_at is not None
    with pytest.raises(openai.NotFoundError) as info:
        client.videos.download_content(video.id)
    assert "failed" in info.value.body["message"]  # type: ignore[index]


@pytest.mark.anyio
async def test_async_client(shared_server: LiveServer) -> None:
    client = AsyncOpenAI(base_url=f"{shared_server.url}/v1", api_key="x", max_retries=0)
    video = await client.videos.create_and_poll(
        prompt="async", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert video.status == "completed"
    data = await client.videos.download_content(video.id)
    assert probe_mp4(data.read()).frames == 8
    ids = [v.id async for v in client.videos.list(limit=1)]
    assert video.id in ids
    remix = await client.videos.remix(video.id, prompt="again")
    assert remix.remixed_from_video_id == video.id
    assert (await client.videos.delete(video.id)).deleted
    await client.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
