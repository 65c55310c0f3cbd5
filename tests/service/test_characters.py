"""Creating characters through the service: a clip that fails to store leaves no files."""

from __future__ import annotations

import errno
from functools import partial
from pathlib import Path

import anyio
import numpy as np
import pytest

from reelbox.api.limits import RateLimiter
from reelbox.blobs.local import LocalBlobStore
from reelbox.media.decode import probe_video
from reelbox.media.encode import write_mp4
from reelbox.moderation.moderator import Moderator
from reelbox.service.characters import create_character
from reelbox.service.gate import Gate
from reelbox.service.videos import VideoService
from reelbox.settings import Settings
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.quotas import Quotas
from reelbox.store.store import Store


class FullDisk(LocalBlobStore):
    """A blob store whose disk fills up after the first file (a real OSError boundary)."""

    def put_bytes(self, key: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def _clip(path: Path) -> bytes:
    frame = np.zeros((64, 64, 3), dtype=np.uint8)
    frame[16:48, 16:48] = (200, 40, 40)
    write_mp4(path, iter([frame] * 8), width=64, height=64, fps=8, frame_count=8, audio=None)
    return path.read_bytes()


def _service(store: Store, tmp_path: Path, blobs: LocalBlobStore) -> VideoService:
    settings = Settings(data_dir=tmp_path / "data")
    gate = Gate(
        limiter=RateLimiter(0),
        moderator=Moderator(settings.moderation),
        moderation_log=ModerationLog(store.engine),
    )
    return VideoService(
        settings=settings,
        store=store,
        blobs=blobs,
        gate=gate,
        wake_scheduler=lambda: None,
        quotas=Quotas(store.engine),
    )


def _create(service: VideoService, clip: bytes) -> object:
    inspect = partial(probe_video, max_seconds=20, max_pixels=4096 * 4096)

    async def run() -> object:
        return await create_character(
            service, project="a", name="Ball", clip=clip, inspect=inspect, dialect="openai"
        )

    return anyio.run(run)


def test_a_character_is_stored_with_its_clip_and_cutout(store: Store, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    character = _create(_service(store, tmp_path, blobs), _clip(tmp_path / "c.mp4"))
    found = store.get_character(character.id, project="a")  # type: ignore[attr-defined]
    assert found is not None
    assert blobs.exists(found.clip_key) and blobs.exists(found.image_key)


def test_a_failed_store_leaves_no_character_files(store: Store, tmp_path: Path) -> None:
    blobs = FullDisk(tmp_path / "blobs")
    with pytest.raises(OSError):
        _create(_service(store, tmp_path, blobs), _clip(tmp_path / "c.mp4"))
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
