"""ObjectBlobStore against a real S3 server on loopback (moto) and a file:// store."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from reelbox.blobs.base import BlobNotFound
from reelbox.blobs.factory import open_blob_store
from reelbox.blobs.local import LocalBlobStore
from reelbox.blobs.object_store import PART_SIZE, ObjectBlobStore, check_url
from reelbox.blobs.orphans import sweep_orphans
from support.s3 import Bucket


@pytest.fixture
def blobs(bucket: Bucket, tmp_path: Path) -> ObjectBlobStore:
    return ObjectBlobStore(bucket.url, work_dir=tmp_path / "work", options=bucket.options)


def _collect(blobs: ObjectBlobStore, key: str, start: int, end: int) -> bytes:
    async def read() -> bytes:
        return b"".join([c async for c in blobs.open_range(key, start=start, end=end)])

    return asyncio.run(read())


def test_put_file_moves_a_staged_file_into_the_bucket(blobs: ObjectBlobStore) -> None:
    staged = blobs.staging_path(".mp4")
    staged.write_bytes(b"frames" * 1000)
    info = blobs.put_file("videos/j1/1/0/video.mp4", staged)
    assert info.size == 6000
    assert not staged.exists()  # staged files are consumed, as a rename would
    assert blobs.get_bytes("videos/j1/1/0/video.mp4") == b"frames" * 1000
    assert blobs.stat("videos/j1/1/0/video.mp4").size == 6000
    assert blobs.exists("videos/j1/1/0/video.mp4")
    assert not blobs.exists("videos/j1/1/0/other.mp4")


def test_a_large_file_goes_up_in_parts_and_reads_back_by_range(
    blobs: ObjectBlobStore, tmp_path: Path
) -> None:
    data = os.urandom(2 * PART_SIZE + 12345)
    source = tmp_path / "big.mp4"  # outside staging: the caller keeps it
    source.write_bytes(data)
    blobs.put_file("videos/j2/1/0/video.mp4", source)
    assert source.exists()
    info = blobs.head("videos/j2/1/0/video.mp4")
    assert info.size == len(data)
    assert info.etag.startswith('"') and info.etag.endswith('-3"')  # three parts
    start, end = PART_SIZE - 10, PART_SIZE + 10
    assert _collect(blobs, info.key, start, end) == data[start:end]
    assert _collect(blobs, info.key, 0, len(data)) == data


def test_missing_objects_are_blob_not_found(blobs: ObjectBlobStore) -> None:
    with pytest.raises(BlobNotFound):
        blobs.get_bytes("videos/none/1/0/video.mp4")
    with pytest.raises(BlobNotFound):
        blobs.stat("videos/none/1/0/video.mp4")
    with pytest.raises(BlobNotFound):
        blobs.local_path("videos/none/1/0/video.mp4")
    blobs.delete("videos/none/1/0/video.mp4")  # not an error


def test_invalid_keys_are_refused(blobs: ObjectBlobStore) -> None:
    for key in ("../x", "videos//x", "videos/./x", ""):
        with pytest.raises(ValueError, match="invalid blob key"):
            blobs.put_bytes(key, b"x")


def test_local_path_downloads_once_into_the_cache(blobs: ObjectBlobStore) -> None:
    blobs.put_bytes("uploads/j3/source.mp4", b"source video")
    path = blobs.local_path("uploads/j3/source.mp4")
    assert path.read_bytes() == b"source video"
    assert blobs.local_path("uploads/j3/source.mp4") == path
    blobs.put_bytes("uploads/j3/source.mp4", b"replaced")  # a new ETag: a new cached copy
    assert blobs.local_path("uploads/j3/source.mp4").read_bytes() == b"replaced"


def test_delete_prefix_removes_every_object_below_it(blobs: ObjectBlobStore) -> None:
    for i in range(5):
        blobs.put_bytes(f"videos/j4/1/{i}/video.mp4", b"v")
    blobs.put_bytes("videos/j40/1/0/video.mp4", b"other job")
    assert blobs.delete_prefix("videos/j4") == 5
    assert [i.key for i in blobs.keys("videos")] == ["videos/j40/1/0/video.mp4"]


def test_signed_urls_fetch_the_object_without_credentials(blobs: ObjectBlobStore) -> None:
    blobs.put_bytes("videos/j5/1/0/video.mp4", b"0123456789")
    url = asyncio.run(blobs.signed_url("videos/j5/1/0/video.mp4", expires_in=60))
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    response = httpx.get(url, headers={"range": "bytes=2-4"})
    assert response.status_code == 206
    assert response.content == b"234"


def test_the_orphan_sweep_lists_the_bucket_and_removes_what_no_row_keeps(
    blobs: ObjectBlobStore,
) -> None:
    blobs.put_bytes("videos/alive/2/0/video.mp4", b"current attempt")
    blobs.put_bytes("videos/alive/1/0/video.mp4", b"a lost earlier attempt")
    blobs.put_bytes("uploads/alive/input.png", b"input")
    blobs.put_bytes("videos/gone/1/0/video.mp4", b"no row")
    blobs.put_bytes("uploads/gone/input.png", b"no row")
    asked: list[tuple[list[str], list[str]]] = []

    def kept(job_ids: list[str], character_ids: list[str]) -> set[str]:
        asked.append((job_ids, character_ids))
        return {"videos/alive/2", "uploads/alive"}  # what the rows own (store tests check it)

    # Young objects are left alone: an upload may be racing its job's insert.
    assert sweep_orphans(blobs, kept=kept, grace=3600) == 0
    assert asked == []
    removed = sweep_orphans(blobs, kept=kept, grace=3600, now=time.time() + 7200)
    assert removed == 3
    assert asked == [(["alive", "gone"], [])]
    left = sorted(i.key for r in ("videos", "uploads") for i in blobs.keys(r))
    assert left == ["uploads/alive/input.png", "videos/alive/2/0/video.mp4"]


def test_clean_staging_removes_old_local_files(blobs: ObjectBlobStore) -> None:
    staged = blobs.staging_path(".tmp")
    staged.write_bytes(b"left by a dead writer")
    os.utime(staged, (time.time() - 7200, time.time() - 7200))
    fresh = blobs.staging_path(".tmp")
    fresh.write_bytes(b"in use")
    assert blobs.clean_staging(older_than=3600) == 1
    assert fresh.exists() and not staged.exists()


def test_file_urls_work_without_a_server(tmp_path: Path) -> None:
    store = open_blob_store(url=f"file://{tmp_path / 'bucket'}", local_dir=tmp_path / "work")
    assert isinstance(store, ObjectBlobStore)
    store.put_bytes("characters/c1/cutout.png", b"png")
    assert (tmp_path / "bucket" / "characters" / "c1" / "cutout.png").read_bytes() == b"png"
    assert not store.can_sign
    with pytest.raises(ValueError, match="cannot sign"):
        asyncio.run(store.signed_url("characters/c1/cutout.png", expires_in=60))


def test_the_default_is_the_local_store(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(url=None, local_dir=tmp_path), LocalBlobStore)


def test_unknown_schemes_are_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="blob_url 'ftp://x' must start with s3://"):
        check_url("ftp://x")


def test_a_missing_bucket_is_refused_naming_the_setting(bucket: Bucket, tmp_path: Path) -> None:
    url = f"s3://{bucket.name}-missing/media"
    store = ObjectBlobStore(url, work_dir=tmp_path, options=bucket.options)
    with pytest.raises(ValueError, match=f"blob_url '{url}' cannot be reached"):
        store.check()
    ObjectBlobStore(bucket.url, work_dir=tmp_path, options=bucket.options).check()
