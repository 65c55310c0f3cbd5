from __future__ import annotations

from pathlib import Path

import pytest

from reelbox.blobs import BlobNotFound, LocalBlobStore


def test_put_get_stat_delete(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    info = blobs.put_bytes("videos/a/video.mp4", b"abc")
    assert (info.key, info.size) == ("videos/a/video.mp4", 3)
    assert blobs.get_bytes("videos/a/video.mp4") == b"abc"
    assert blobs.exists("videos/a/video.mp4")
    assert blobs.local_path("videos/a/video.mp4").read_bytes() == b"abc"
    blobs.delete("videos/a/video.mp4")
    blobs.delete("videos/a/video.mp4")  # deleting twice is fine
    with pytest.raises(BlobNotFound):
        blobs.get_bytes("videos/a/video.mp4")
    with pytest.raises(BlobNotFound):
        blobs.stat("videos/a/video.mp4")


def test_put_file_moves_a_staged_file_into_place(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    staged = blobs.staging_path(".mp4")
    staged.write_bytes(b"x" * 10)
    blobs.put_file("k/v.mp4", staged)
    assert not staged.exists()
    assert blobs.stat("k/v.mp4").size == 10


def test_put_file_copies_a_foreign_file(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "store")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"keep me")
    blobs.put_file("k/x.bin", outside)
    assert outside.read_bytes() == b"keep me"
    assert blobs.get_bytes("k/x.bin") == b"keep me"


def test_delete_prefix(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    for name in ("a/1", "a/2", "a/b/3", "c/4"):
        blobs.put_bytes(name, b"-")
    assert blobs.delete_prefix("a") == 3
    assert not blobs.exists("a/1") and blobs.exists("c/4")
    assert blobs.delete_prefix("nothing") == 0


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../../x", "", ".staging/x", "a//b"])
def test_keys_cannot_escape_the_store(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        LocalBlobStore(tmp_path).put_bytes(key, b"-")


def test_clean_staging_removes_only_old_files(tmp_path: Path) -> None:
    import os
    import time

    blobs = LocalBlobStore(tmp_path)
    old, new = blobs.staging_path(), blobs.staging_path()
    old.write_bytes(b"-")
    new.write_bytes(b"-")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert blobs.clean_staging(older_than=3600) == 1
    assert not old.exists() and new.exists()
