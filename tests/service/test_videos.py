"""The video service on real SQLite and PostgreSQL: the dialect is part of every lookup, the
queue cap and the rate limit answer 429 and leave nothing stored."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from reelbox.api.limits import RateLimiter
from reelbox.blobs.local import LocalBlobStore
from reelbox.errors import RateLimited
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.moderation.moderator import Moderator
from reelbox.service.gate import Gate
from reelbox.service.videos import NewWork, VideoService
from reelbox.settings import Settings
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.quotas import Quotas
from reelbox.store.rows import NewJob
from reelbox.store.store import Store


def _new(job_id: str, *, dialect: str, project: str = "a") -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="a cat", width=64, height=64, seconds=1.0, seed=7, profile="p"
    )
    return NewJob(
        id=job_id, project=project, dialect=dialect, model="sora-2", spec=spec, seconds="1"
    )


def _service(store: Store, tmp_path: Path, **settings: object) -> tuple[VideoService, list[int]]:
    config = Settings(data_dir=tmp_path / "data", **settings)  # type: ignore[arg-type]
    wakes: list[int] = []
    gate = Gate(
        limiter=RateLimiter(config.requests_per_minute),
        moderator=Moderator(config.moderation),
        moderation_log=ModerationLog(store.engine),
    )
    service = VideoService(
        settings=config,
        store=store,
        blobs=LocalBlobStore(tmp_path / "blobs"),
        gate=gate,
        wake_scheduler=lambda: wakes.append(1),
        quotas=Quotas(store.engine),
    )
    return service, wakes


def test_delete_and_find_never_cross_dialects(store: Store, tmp_path: Path) -> None:
    service, wakes = _service(store, tmp_path)

    async def scenario() -> None:
        await service.create(NewWork(new=_new("task_1", dialect="azure")))
        await service.create(NewWork(new=_new("video_1", dialect="openai")))
        assert await service.find("task_1", project="a", dialect="openai") is None
        assert await service.find("video_1", project="a", dialect="azure") is None
        assert await service.delete("task_1", project="a", dialect="openai") is None
        assert await service.delete("video_1", project="a", dialect="azure") is None
        assert await service.find("task_1", project="a", dialect="azure") is not None
        assert await service.find("video_1", project="a", dialect="openai") is not None
        assert await service.delete("task_1", project="b", dialect="azure") is None
        deleted = await service.delete("task_1", project="a", dialect="azure")
        assert deleted is not None and deleted.id == "task_1"
        assert await service.find("task_1", project="a", dialect="azure") is None

    anyio.run(scenario)
    assert store.get_job("video_1", project="a") is not None
    assert len(wakes) == 3  # two creates, one real delete


def test_the_queue_cap_answers_429_and_removes_the_inputs(store: Store, tmp_path: Path) -> None:
    service, _ = _service(store, tmp_path, max_queued_per_project=1)
    staged = tmp_path / "staged.mp4"

    async def scenario() -> None:
        await service.create(NewWork(new=_new("video_1", dialect="openai")))
        staged.write_bytes(b"clip")
        work = NewWork(
            new=_new("video_2", dialect="openai"),
            blobs=[("uploads/video_2/input.png", b"png")],
            files=[("uploads/video_2/source.mp4", staged)],
        )
        with pytest.raises(RateLimited):
            await service.create(work)

    anyio.run(scenario)
    assert store.get_job("video_2", project="a") is None
    assert not staged.exists()
    assert not service.blobs.exists("uploads/video_2/input.png")


def test_the_gate_admits_up_to_the_rate_then_refuses(store: Store, tmp_path: Path) -> None:
    service, _ = _service(store, tmp_path, requests_per_minute=2)

    async def scenario() -> None:
        await service.gate.admit("a")
        await service.gate.admit("a")
        with pytest.raises(RateLimited):
            await service.gate.admit("a")
        await service.gate.admit("b")  # per project

    anyio.run(scenario)
