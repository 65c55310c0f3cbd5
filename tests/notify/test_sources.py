"""Notification sources on real databases: LISTEN/NOTIFY on PostgreSQL (sent in the status
change's transaction), one poller for every watched job on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.notify.hub import EventHub
from reelbox.notify.postgres import PostgresListener, conninfo
from reelbox.notify.source import start_notifications
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import LeaseState, Store


def _new(job_id: str) -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="x", width=64, height=64, seconds=1.0, seed=1, profile="p"
    )
    return NewJob(id=job_id, project="a", dialect="openai", model="m", spec=spec, seconds="1")


async def _collect(hub: EventHub, action: Callable[[], object], *, settle: float) -> list[str]:
    seen: list[str] = []
    hub.on_change(lambda kind, job: seen.append(f"{kind}:{job}"))
    await asyncio.to_thread(action)
    await asyncio.sleep(settle)
    return seen


def test_conninfo_drops_the_sqlalchemy_driver() -> None:
    url = "postgresql+psycopg://postgres:pw@127.0.0.1:5432/db"
    assert conninfo(url) == "postgresql://postgres:pw@127.0.0.1:5432/db"


@pytest.mark.postgres
def test_postgres_notifies_every_listener_of_committed_changes_only(postgres_url: str) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    store = Store(engine)

    async def scenario() -> None:
        hubs = [EventHub(), EventHub()]  # two "replicas"
        sources = [await start_notifications(engine, hub, poll_interval=1) for hub in hubs]
        assert all(isinstance(s, PostgresListener) for s in sources)
        other: list[str] = []
        hubs[1].on_change(lambda kind, job: other.append(f"{kind}:{job}"))

        def lifecycle() -> None:
            store.create_job(_new("video_1"), queue_cap=10)
            job = store.claim_next(owner="o", lease_seconds=30, per_project_limit=5)
            assert job is not None
            for progress in (10, 10, 10, 40):  # repeated progress is announced once
                state = store.report_progress(
                    "video_1", attempt=1, progress=progress, lease_seconds=30
                )
                assert state is LeaseState.HELD
            assert not store.fail("video_1", attempt=7, code="x", message="fenced out")
            store.cancel("video_1", project="a")

        seen = await _collect(hubs[0], lifecycle, settle=0.5)
        expected = [
            "status:video_1",  # created
            "status:video_1",  # claimed
            "progress:video_1",
            "progress:video_1",
            # cancelled and deleted in one transaction: PostgreSQL folds equal notifications
            "status:video_1",
        ]
        assert seen == expected
        assert other == expected
        for source in sources:
            await source.stop()

    try:
        asyncio.run(scenario())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_rolled_back_change_is_never_announced(postgres_url: str) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    store = Store(engine)
    store.create_job(_new("video_1"), queue_cap=10)

    async def scenario() -> None:
        hub = EventHub()
        source = await start_notifications(engine, hub, poll_interval=1)

        def doomed() -> None:
            with pytest.raises(RuntimeError), store._writer.begin() as conn:
                store._notify(conn, "status", "video_1")
                raise RuntimeError("rolled back")

        assert await _collect(hub, doomed, settle=0.3) == []
        await source.stop()

    try:
        asyncio.run(scenario())
    finally:
        engine.dispose()


def test_sqlite_polls_once_for_all_watched_jobs(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    store = Store(engine)
    for job_id in ("video_1", "video_2"):
        store.create_job(_new(job_id), queue_cap=10)

    async def scenario() -> None:
        hub = EventHub()
        source = await start_notifications(engine, hub, poll_interval=0.05)
        with hub.watch("video_1") as one, hub.watch("video_2") as two:
            assert await one.wait(1) and await two.wait(1)  # first sight: a re-read
            assert not await one.wait(0.2)  # nothing changed: no wake-ups
            await asyncio.to_thread(
                store.claim_next, owner="o", lease_seconds=30, per_project_limit=5
            )
            assert await one.wait(1)
            assert not await two.wait(0.2)
            await asyncio.to_thread(
                store.report_progress, "video_1", attempt=1, progress=50, lease_seconds=30
            )
            assert await one.wait(1)
            await asyncio.to_thread(store.cancel, "video_2", project="a")
            assert await two.wait(1)
        await source.stop()

    try:
        asyncio.run(scenario())
    finally:
        engine.dispose()
