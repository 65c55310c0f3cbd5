"""Downloads from an object store through the live API: Range, HEAD, ETag and the signed-URL
redirect give the same bytes and answers as the local store's FileResponse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from reelbox.api.object_downloads import parse_range
from reelbox.blobs.object_store import ObjectBlobStore
from support.s3 import Bucket
from support.server import LiveServer, server_config, wait_for

RANGES = ["bytes=0-0", "bytes=100-1099", "bytes=-500", "bytes=1000-", "bytes=0-999999999"]


def _server(path: Path, config: str) -> Iterator[LiveServer]:
    server = LiveServer(path, config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _server(tmp_path / "local", server_config())


@pytest.fixture(scope="module")
def s3_server(
    tmp_path_factory: pytest.TempPathFactory, module_bucket: Bucket
) -> Iterator[LiveServer]:
    """Shared by the module's tests: each looks only at its own video's objects, or waits for
    every object to be gone."""
    yield from _server(
        tmp_path_factory.mktemp("s3") / "data",
        module_bucket.toml() + server_config(retention_seconds=20, sweep_interval_seconds=0.5),
    )


@pytest.fixture
def redirect_server(tmp_path: Path, bucket: Bucket) -> Iterator[LiveServer]:
    yield from _server(tmp_path / "redirect", bucket.toml(redirect=True) + server_config())


def _completed(server: LiveServer) -> str:
    with OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0) as client:
        video = client.videos.create(model="fake", prompt="a red kite over a beach", size="320x180")
        done = client.videos.poll(video.id, poll_interval_ms=100)
        assert done.status == "completed", done.error
        return video.id


def _get(server: LiveServer, video_id: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/videos/{video_id}/content", headers=headers, timeout=30)


def test_ranges_heads_and_etags_answer_as_the_local_store_does(
    local_server: LiveServer,
    s3_server: LiveServer,
    module_bucket: Bucket,
    tmp_path: Path,
) -> None:
    bucket = module_bucket
    local_id, s3_id = _completed(local_server), _completed(s3_server)
    local_full, s3_full = _get(local_server, local_id), _get(s3_server, s3_id)
    assert s3_full.status_code == 200 and s3_full.headers["content-type"] == "video/mp4"
    assert s3_full.content[4:8] == b"ftyp"
    assert s3_full.headers["accept-ranges"] == local_full.headers["accept-ranges"] == "bytes"
    assert int(s3_full.headers["content-length"]) == len(s3_full.content)

    # The bytes served are the object's bytes.
    store = ObjectBlobStore(bucket.url, work_dir=tmp_path / "reader", options=bucket.options)
    objects = [i.key for i in store.keys("videos") if i.key.endswith("/video.mp4")]
    assert len(objects) == 1 and store.get_bytes(objects[0]) == s3_full.content

    for spec in RANGES:
        local, remote = _get(local_server, local_id, range=spec), _get(s3_server, s3_id, range=spec)
        assert remote.status_code == local.status_code == 206, spec
        size = len(s3_full.content)
        wanted = parse_range(spec, size)
        assert wanted is not None
        assert remote.content == s3_full.content[wanted[0] : wanted[1]], spec
        assert remote.headers["content-range"] == f"bytes {wanted[0]}-{wanted[1] - 1}/{size}"
        local_wanted = parse_range(spec, len(local_full.content))
        assert local_wanted is not None
        assert local.content == local_full.content[local_wanted[0] : local_wanted[1]]

    beyond = f"bytes={len(s3_full.content) + 10}-"
    assert _get(s3_server, s3_id, range=beyond).status_code == 416
    beyond = f"bytes={len(local_full.content) + 10}-"
    assert _get(local_server, local_id, range=beyond).status_code == 416

    head = httpx.head(f"{s3_server.url}/v1/videos/{s3_id}/content")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(s3_full.content))
    etag = s3_full.headers["etag"]
    assert head.headers["etag"] == etag and "last-modified" in head.headers
    assert _get(s3_server, s3_id, **{"if-none-match": etag}).status_code == 304
    stale = _get(s3_server, s3_id, range="bytes=0-9", **{"if-range": '"stale"'})
    assert stale.status_code == 200 and stale.content == s3_full.content  # If-Range mismatch

    for variant, media_type in (("thumbnail", "image/webp"), ("spritesheet", "image/jpeg")):
        r = httpx.get(f"{s3_server.url}/v1/videos/{s3_id}/content?variant={variant}")
        assert r.status_code == 200 and r.headers["content-type"] == media_type
    sheet = httpx.get(f"{s3_server.url}/v1/videos/{s3_id}/content?variant=spritesheet")
    assert "x-spritesheet-columns" in sheet.headers

    # Expiry removes the objects and the download answers as the local store does.
    wait_for(lambda: not list(store.keys("videos")), timeout=60, interval=0.5)
    gone = _get(s3_server, s3_id)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "video_expired"


def test_delete_removes_the_objects(
    s3_server: LiveServer, module_bucket: Bucket, tmp_path: Path
) -> None:
    bucket = module_bucket
    video_id = _completed(s3_server)
    store = ObjectBlobStore(bucket.url, work_dir=tmp_path / "reader", options=bucket.options)
    assert len(list(store.keys(f"videos/{video_id}"))) >= 3  # video, thumbnails, sheet
    assert httpx.delete(f"{s3_server.url}/v1/videos/{video_id}").status_code == 200
    assert list(store.keys(f"videos/{video_id}")) == []


def test_redirects_go_to_a_signed_url_with_the_same_bytes(
    redirect_server: LiveServer,
    bucket: Bucket,
    tmp_path: Path,
) -> None:
    video_id = _completed(redirect_server)
    answer = _get(redirect_server, video_id)
    assert answer.status_code == 302 and answer.content == b""
    location = answer.headers["location"]
    assert location.startswith(f"{bucket.endpoint}/{bucket.name}/media/videos/{video_id}/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    store = ObjectBlobStore(bucket.url, work_dir=tmp_path / "reader", options=bucket.options)
    key = next(i.key for i in store.keys(f"videos/{video_id}") if i.key.endswith("video.mp4"))
    # The SDK follows the redirect (its credentials are not sent to the bucket host).
    with OpenAI(base_url=f"{redirect_server.url}/v1", api_key="x", max_retries=0) as client:
        assert client.videos.download_content(video_id).read() == store.get_bytes(key)
    followed = httpx.get(location, headers={"range": "bytes=10-19"})
    assert followed.status_code == 206 and followed.content == store.get_bytes(key)[10:20]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", (0, 1)),
        ("bytes=5-", (5, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-1000", (0, 100)),
        ("bytes=90-1000", (90, 100)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=7-3", None),
        ("bytes=x-3", None),
    ],
)
def test_parse_range(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(ValueError):
        parse_range(header, 100)
