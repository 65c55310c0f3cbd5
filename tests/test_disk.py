"""`FolderProbe`: a real write and the free space, cached."""

from __future__ import annotations

from pathlib import Path

from reelbox.disk import FolderProbe
from support.disk import fill


def test_a_writable_folder_has_no_problem_and_is_left_clean(tmp_path: Path) -> None:
    probe = FolderProbe(tmp_path / "made", label="blobs")
    assert probe.problem() is None
    assert list((tmp_path / "made").iterdir()) == []


def test_results_are_cached_until_forgotten(small_disk: Path) -> None:
    probe = FolderProbe(small_disk, label="blobs", cache_seconds=3600)
    assert probe.problem() is None
    filler = fill(small_disk)
    assert probe.problem() is None  # cached
    probe.forget()
    assert probe.problem() == "blobs is full"
    filler.unlink()
    assert probe.problem() == "blobs is full"
    probe.forget()
    assert probe.problem() is None


def test_too_little_free_space_is_a_problem(small_disk: Path) -> None:
    probe = FolderProbe(small_disk, label="blobs", min_free_bytes=1 << 30)
    problem = probe.problem()
    assert (
        problem is not None and problem.startswith("blobs has ") and str(small_disk) not in problem
    )
