from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reelbox.blobs import BlobNotFound, LocalBlobStore
from reelbox.blobs.local import process_started_before
from reelbox.errors import storage_fault
from support.disk import fill


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


def _staged_by_child(blobs_root: Path, *, wait: bool) -> tuple[subprocess.Popen[str], Path]:
    """A real other process stages a file in the store (and stays alive if `wait`)."""
    code = (
        "import sys, pathlib; from reelbox.blobs import LocalBlobStore; "
        f"p = LocalBlobStore(pathlib.Path({str(blobs_root)!r})).staging_path('.mp4'); "
        "p.write_bytes(b'partial'); print(p, flush=True); "
        + ("sys.stdin.read()" if wait else "")
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def test_clean_staging_removes_files_of_dead_writers_at_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    dead, dead_file = _staged_by_child(tmp_path, wait=False)
    dead.communicate("")
    alive, alive_file = _staged_by_child(tmp_path, wait=True)
    mine = blobs.staging_path(".jpg")
    mine.write_bytes(b"-")
    try:
        assert dead_file.exists() and alive_file.exists()
        # Fresh files, no age involved: the dead writer's goes, the live ones stay.
        assert blobs.clean_staging() == 1
        assert not dead_file.exists() and alive_file.exists() and mine.exists()
    finally:
        alive.communicate("")
    assert blobs.clean_staging() == 1  # now that writer is gone too
    assert not alive_file.exists() and mine.exists()


def test_clean_staging_judges_foreign_files_by_age(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    old = tmp_path / ".staging" / "otherhost-123-abc.mp4"
    new = tmp_path / ".staging" / "unnamed.tmp"
    old.write_bytes(b"-")
    new.write_bytes(b"-")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert blobs.clean_staging(older_than=3600) == 1
    assert not old.exists() and new.exists()


def test_a_reused_pid_is_not_taken_for_the_writer() -> None:
    parent = os.getppid()
    assert process_started_before(parent, time.time())
    # A file written before that process started cannot be its own: the pid was reused.
    assert not process_started_before(parent, time.time() - 10 * 365 * 86400)


def test_a_removed_staging_folder_is_created_again(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    shutil.rmtree(tmp_path / ".staging")
    blobs.put_bytes("uploads/video_1/input.png", b"png")
    assert blobs.get_bytes("uploads/video_1/input.png") == b"png"
    assert blobs.storage_problem() is None


def test_iter_blobs_lists_every_file_under_a_prefix(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    for key in ("videos/v1/1/0/video.mp4", "videos/v1/2/0/video.mp4", "uploads/v1/input.png"):
        blobs.put_bytes(key, b"--")
    found = sorted(b.key for b in blobs.iter_blobs("videos"))
    assert found == ["videos/v1/1/0/video.mp4", "videos/v1/2/0/video.mp4"]
    assert list(blobs.iter_blobs("characters")) == []


def test_a_read_only_store_is_a_storage_problem_and_a_clean_os_error(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    (tmp_path / ".staging").chmod(0o500)
    try:
        if os.access(tmp_path / ".staging", os.W_OK):  # root ignores modes: mount read-only
            subprocess.run(["mount", "--bind", str(tmp_path), str(tmp_path)], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", str(tmp_path)], check=True)
        problem = blobs.storage_problem()
        assert problem is not None and str(tmp_path) not in problem
        with pytest.raises(OSError) as caught:
            blobs.put_bytes("uploads/v/input.png", b"png")
        fault = storage_fault(caught.value)
        assert fault is not None and not fault.full
    finally:
        subprocess.run(["umount", str(tmp_path)], check=False, capture_output=True)
        (tmp_path / ".staging").chmod(0o700)
    blobs.forget_probe()
    assert blobs.storage_problem() is None


def test_a_full_disk_is_a_storage_problem_until_space_returns(small_disk: Path) -> None:
    blobs = LocalBlobStore(small_disk / "blobs")
    assert blobs.storage_problem() is None
    filler = fill(small_disk)
    blobs.forget_probe()
    assert blobs.storage_problem() == "blob storage is full"
    with pytest.raises(OSError) as caught:
        blobs.put_bytes("uploads/v/input.png", b"x" * 100_000)
    fault = storage_fault(caught.value)
    assert fault is not None and fault.full
    assert list((small_disk / "blobs" / ".staging").iterdir()) == []  # nothing half-written
    filler.unlink()
    blobs.forget_probe()
    assert blobs.storage_problem() is None
    blobs.put_bytes("uploads/v/input.png", b"x" * 100_000)


def test_min_free_bytes_reports_a_problem_before_the_disk_is_full(small_disk: Path) -> None:
    blobs = LocalBlobStore(small_disk, min_free_bytes=64 * 1024 * 1024)
    problem = blobs.storage_problem()
    assert problem is not None and "bytes free" in problem
