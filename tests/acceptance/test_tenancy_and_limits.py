"""API keys and projects, queue caps, rate limits and expiry, against live servers."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from support.server import LiveServer, server_config, wait_for


def test_projects_never_see_each_other(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(env={"REELBOX_API_KEYS": "key-a=alpha,key-b=beta"})
    alpha, beta = sdk(server, "key-a"), sdk(server, "key-b")
    video = alpha.videos.create_and_poll(
        prompt="mine", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert video.status == "completed"
    for call in (
        lambda: beta.videos.retrieve(video.id),
        lambda: beta.videos.download_content(video.id),
        lambda: beta.videos.delete(video.id),
        lambda: beta.videos.remix(video.id, prompt="steal"),
    ):
        with pytest.raises(openai.NotFoundError):
            call()
    assert video.id not in [v.id for v in beta.videos.list()]
    assert video.id in [v.id for v in alpha.videos.list()]
    mp4 = alpha.videos.download_content(video.id).read()
    character = alpha.videos.create_character(name="A", video=("a.mp4", mp4, "video/mp4"))
    assert character.id is not None
    with pytest.raises(openai.NotFoundError):
        beta.videos.get_character(character.id)
    # The api-key header works like a bearer token (Azure clients send it).
    response = httpx.get(f"{server.url}/v1/videos/{video.id}", headers={"api-key": "key-a"})
    assert response.status_code == 200


def test_missing_or_wrong_key_is_401(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(env={"REELBOX_API_KEYS": "key-a=alpha"})
    with pytest.raises(openai.AuthenticationError):
        sdk(server, "wrong").videos.list()
    response = httpx.get(f"{server.url}/v1/videos")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You didn't provide an API key")
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_hashed_keys_are_accepted(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    digest = hashlib.sha256(b"secret-key").hexdigest()
    server: LiveServer = make_server(env={"REELBOX_API_KEYS": f"sha256:{digest}=alpha"})
    assert sdk(server, "secret-key").videos.list().data == []


def test_open_mode_refuses_public_addresses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to listen" in result.stdout + result.stderr


def test_queue_cap_answers_429_with_retry_after(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    config = server_config(max_queued_per_project=2, max_running_per_project=1)
    server: LiveServer = make_server(config=config)
    client = sdk(server, "x")
    made = [client.videos.create(prompt="p", model="slow", size="64x64", seconds="20")]
    wait_for(lambda: client.videos.retrieve(made[0].id).status == "in_progress", timeout=30)
    made += [
        client.videos.create(prompt="p", model="slow", size="64x64", seconds="20") for _ in range(2)
    ]
    with pytest.raises(openai.RateLimitError) as info:
        client.videos.create(prompt="p", model="slow", size="64x64", seconds="20")
    error = info.value
    assert error.body["message"] == "Too many running tasks"  # type: ignore[index]
    assert error.body["type"] == "video_generation_user_error"  # type: ignore[index]
    assert int(error.response.headers["retry-after"]) >= 1
    assert int(error.response.headers["retry-after-ms"]) >= 1000
    # Only one runs at a time for this project: the limit holds.
    statuses = [client.videos.retrieve(v.id).status for v in made]
    assert statuses.count("in_progress") == 1
    for video in made:
        client.videos.delete(video.id)


def test_requests_per_minute_limit(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    server: LiveServer = make_server(config=server_config(requests_per_minute=2))
    client = sdk(server, "x")
    for _ in range(2):
        client.videos.create(prompt="p", model="fake", size="64x64", seconds="1")
    with pytest.raises(openai.RateLimitError) as info:
        client.videos.create(prompt="p", model="fake", size="64x64", seconds="1")
    assert 1 <= int(info.value.response.headers["retry-after"]) <= 60


def test_expired_content_answers_video_expired(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    config = server_config(retention_seconds=1, sweep_interval_seconds=0.2)
    server: LiveServer = make_server(config=config)
    client = sdk(server, "x")
    video = client.videos.create_and_poll(
        prompt="short-lived", model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )
    assert video.expires_at == video.completed_at + 1  # type: ignore[operator]
    time.sleep(1.5)

    def expired() -> bool:
        try:
            client.videos.download_content(video.id)
        except openai.NotFoundError as exc:
            return exc.code == "video_expired"
        return False

    wait_for(expired, timeout=10)
    assert not list((server.data_dir / "blobs" / "videos").rglob("*.mp4"))
    assert client.videos.retrieve(video.id).status == "completed"
