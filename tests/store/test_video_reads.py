"""The lean Video read on real SQLite and PostgreSQL: the same Video as the whole job, always
the latest committed state, the same visibility rules."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text

from reelbox.api.video_jobs import video_json
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from reelbox.store.video_reads import VideoReader
from support.store import new_generation


def _create(store: Store, job_id: str, project: str = "a") -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="a cat", width=64, height=48, seconds=1.0, seed=7, profile="p"
    )
    store.create_job(
        NewJob(
            id=job_id,
            project=project,
            dialect="openai",
            model="sora-2",
            spec=spec,
            seconds="4",
            remixed_from_video_id="video_src",
        ),
        queue_cap=10,
    )


def _same_video(store: Store, reader: VideoReader, job_id: str) -> None:
    job = store.get_job(job_id)
    row = reader.get(job_id, project="a")
    assert job is not None and row is not None
    assert video_json(row) == video_json(job)


def test_the_lean_read_shows_the_same_video_at_every_stage(store: Store) -> None:
    reader = VideoReader(store.engine)
    try:
        _create(store, "video_1")
        _same_video(store, reader, "video_1")
        job = store.claim_next(owner="w", lease_seconds=30, per_project_limit=2)
        assert job is not None
        store.report_progress("video_1", attempt=job.attempt, progress=40, lease_seconds=30)
        _same_video(store, reader, "video_1")
        assert store.complete(
            "video_1",
            attempt=job.attempt,
            outputs=[new_generation()],
            plan=None,
            retention_seconds=60,
        )
        _same_video(store, reader, "video_1")
        row = reader.get("video_1", project="a")
        assert row is not None and row.progress == 100 and row.expires_at is not None

        _create(store, "video_2")
        store.fail("video_2", attempt=None, code="engine_error", message="it broke")
        _same_video(store, reader, "video_2")
    finally:
        reader.close()


def test_other_projects_and_deleted_jobs_are_invisible(store: Store) -> None:
    reader = VideoReader(store.engine)
    try:
        _create(store, "video_1")
        assert reader.get("video_1", project="b") is None
        assert reader.get("video_missing", project="a") is None
        store.cancel("video_1", project="a")
        assert reader.get("video_1", project="a") is None
    finally:
        reader.close()


def test_each_thread_reads_with_its_own_connection(store: Store) -> None:
    reader = VideoReader(store.engine)
    _create(store, "video_1")
    seen: list[object] = []

    def read() -> None:
        seen.append(reader.get("video_1", project="a"))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader.close()
    assert len(seen) == 4 and all(row is not None for row in seen)


def test_a_lean_page_matches_the_page_of_jobs(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    reader = VideoReader(store.engine)
    for i in range(5):
        _create(store, f"video_{i}")
        if i % 2:  # pairs created in the same second: ties broken by id
            clock.advance(1)
    _create(store, "video_other", project="b")
    for order in ("desc", "asc"):
        for after in (None, "video_1", "video_2", "video_missing"):
            jobs = store.list_jobs(project="a", dialect="openai", limit=2, order=order, after=after)
            rows, has_more = store.list_videos(
                project="a", dialect="openai", limit=2, order=order, after=after
            )
            assert [video_json(r) for r in rows] == [video_json(j) for j in jobs.items]
            assert has_more == jobs.has_more
            lean = reader.page(project="a", dialect="openai", limit=2, order=order, after=after)
            if store.local:  # the plain-sqlite3 page agrees with the SQLAlchemy one
                assert lean == (rows, has_more)
            else:
                assert lean is None
    rows, has_more = store.list_videos(project="a", dialect="openai", limit=2, after=None)
    assert [r.id for r in rows] == ["video_4", "video_3"] and has_more
    reader.close()


async def _fetched(reader: VideoReader, job_id: str, project: str = "a") -> object:
    return await reader.fetch(job_id, project=project)


def test_the_awaited_reads_agree_with_the_store_on_both_databases(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    """`fetch`/`fetch_page` are what the API awaits: SQLite's own connections, PostgreSQL's
    async pool. Same Video, same pages (cursor, order, has_more), same visibility."""
    for i in range(5):
        _create(store, f"video_{i}")
        if i % 2:
            clock.advance(1)
    _create(store, "video_other", project="b")
    store.cancel("video_3", project="a")

    async def check() -> None:
        reader = VideoReader(store.engine)
        await reader.open()
        try:
            for job_id in ("video_0", "video_4"):
                job = store.get_job(job_id)
                row = await reader.fetch(job_id, project="a")
                assert job is not None and row is not None
                assert video_json(row) == video_json(job)
            assert await reader.fetch("video_other", project="a") is None
            assert await reader.fetch("video_3", project="a") is None  # deleted
            for order in ("desc", "asc"):
                for after in (None, "video_1", "video_2", "video_missing"):
                    want = store.list_videos(
                        project="a", dialect="openai", limit=2, order=order, after=after
                    )
                    got = await reader.fetch_page(
                        project="a", dialect="openai", limit=2, order=order, after=after
                    )
                    assert got == want
        finally:
            await reader.aclose()

    asyncio.run(check())


@pytest.mark.postgres
def test_a_dropped_postgres_connection_is_replaced_without_an_error(postgres_url: str) -> None:
    """A server restart or failover closes the pool's connections: the next read takes a
    fresh one instead of failing the poll."""
    store = Store(connect(postgres_url))
    migrate(store.engine)
    _create(store, "video_1")

    async def check() -> None:
        reader = VideoReader(store.engine)
        await reader.open()
        try:
            assert await reader.fetch("video_1", project="a") is not None
            with store.engine.connect() as conn:  # end every other session on this database
                ended = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM"
                        " pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid()) AS t"
                    )
                ).scalar_one()
            assert ended >= 1  # the reader's pooled connection was among them
            for _ in range(3):
                assert await reader.fetch("video_1", project="a") is not None
        finally:
            await reader.aclose()

    try:
        asyncio.run(check())
    finally:
        store.engine.dispose()


def test_concurrent_reads_get_their_own_answers_in_shared_round_trips(store: Store) -> None:
    """Under load PostgreSQL's retrieves go in batches and identical pages share one read
    (store/coalescing.py): each caller still gets exactly its own video, and only its
    project's."""
    for i in range(12):
        _create(store, f"video_{i}", project="a" if i % 3 else "b")
    store.cancel("video_4", project="a")  # deleted: visible to nobody

    async def check() -> None:
        reader = VideoReader(store.engine)
        await reader.open()
        queries = 0
        if not store.local:
            query = reader._query

            async def counted(sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
                nonlocal queries
                queries += 1
                return await query(sql, params)

            reader._query = counted  # type: ignore[method-assign]
        try:
            asks = [(f"video_{i}", project) for i in range(13) for project in ("a", "b")] * 2
            rows = await asyncio.gather(*(reader.fetch(v, project=p) for v, p in asks))
            for (video_id, project), row in zip(asks, rows, strict=True):
                job = store.get_job(video_id)
                visible = job is not None and job.project == project and video_id != "video_4"
                assert (row is not None) == visible, (video_id, project)
                if row is not None:
                    assert video_json(row) == video_json(job)  # type: ignore[arg-type]
            pages = await asyncio.gather(
                *(reader.fetch_page(project="a", dialect="openai", limit=3, order="desc",
                                    after=None) for _ in range(10)),
                reader.fetch_page(project="b", dialect="openai", limit=3, order="asc", after=None),
            )  # fmt: skip
            want_a = store.list_videos(
                project="a", dialect="openai", limit=3, order="desc", after=None
            )
            want_b = store.list_videos(
                project="b", dialect="openai", limit=3, order="asc", after=None
            )
            assert pages == [want_a] * 10 + [want_b]
            if not store.local:  # 52 retrieves and 11 pages in far fewer round trips
                assert queries <= 6, queries
        finally:
            await reader.aclose()

    asyncio.run(check())


def test_times_are_whole_seconds_on_every_read_path(database_url: str) -> None:
    """`jobs` stores times as floats; the Video object shows integers (A3) whichever path read
    it: the lean reads, the awaited (PostgreSQL: pooled and coalesced) reads and the store's."""
    from conftest import Clock

    engine = connect(database_url)
    migrate(engine)
    store = Store(engine, clock=Clock(start=1_800_000_000.75))
    try:
        _create(store, "video_1")
        assert store.fail("video_1", attempt=None, code="internal_error", message="x")

        def whole(row: object) -> None:
            video = video_json(row)  # type: ignore[arg-type]
            for name in ("created_at", "completed_at", "expires_at", "progress"):
                assert type(video[name]) is int, (name, video[name])
            assert video["created_at"] == 1_800_000_000

        async def check() -> None:
            reader = VideoReader(engine)
            await reader.open()
            try:
                whole(reader.get("video_1", project="a"))
                whole(await reader.fetch("video_1", project="a"))
                page = await reader.fetch_page(
                    project="a", dialect="openai", limit=5, order="desc", after=None
                )
                assert page is not None
                whole(page[0][0])
            finally:
                await reader.aclose()

        asyncio.run(check())
        rows, _ = store.list_videos(
            project="a", dialect="openai", limit=5, order="desc", after=None
        )
        whole(rows[0])
    finally:
        engine.dispose()
