"""The store on real SQLite and PostgreSQL: transitions, fencing, fairness, paging, expiry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import MAX_UNSPENT_REQUEUES, LeaseState, QueueFull, Store
from reelbox.store.tables import job_events, jobs, metadata
from support.store import new_generation


def _spec(**overrides: object) -> GenerationSpec:
    values: dict[str, object] = dict(
        mode=Mode.TEXT, prompt="a cat", width=64, height=64, seconds=1.0, seed=7, profile="p"
    )
    values.update(overrides)
    return GenerationSpec(**values)  # type: ignore[arg-type]


def _new(job_id: str, project: str = "a", **kw: object) -> NewJob:
    return NewJob(
        id=job_id,
        project=project,
        dialect="openai",
        model="sora-2",
        spec=_spec(),
        seconds="1",
        **kw,  # type: ignore[arg-type]
    )


def _claim(store: Store, limit: int = 2) -> object:
    return store.claim_next(owner="test", lease_seconds=30, per_project_limit=limit)


def test_migrations_match_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_spec_round_trips_through_the_database(store: Store) -> None:
    created = store.create_job(_new("video_1"), queue_cap=10)
    loaded = store.get_job("video_1")
    assert loaded is not None
    assert loaded.spec == created.spec == _spec()
    assert loaded.status is JobStatus.QUEUED and loaded.progress == 0


def test_lifecycle_records_an_event_per_status_change(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    store.create_job(_new("video_1"), queue_cap=10)
    job = _claim(store)
    assert job is not None and job.attempt == 1  # type: ignore[attr-defined]
    assert (
        store.report_progress("video_1", attempt=1, progress=40, lease_seconds=30)
        is LeaseState.HELD
    )
    assert (
        store.report_progress("video_1", attempt=1, progress=10, lease_seconds=30)
        is LeaseState.HELD
    )
    assert store.get_job("video_1").progress == 40  # type: ignore[union-attr]  # never backwards
    clock.advance(5)
    assert store.complete(
        "video_1", attempt=1, outputs=[new_generation()], plan={"k": 1}, retention_seconds=100
    )
    done = store.get_job("video_1")
    assert done is not None
    assert done.status is JobStatus.COMPLETED and done.progress == 100
    assert done.expires_at == done.completed_at + 100  # type: ignore[operator]
    assert [g.id for g in store.generations("video_1")] == ["gen_1"]
    kinds = [(e.type, e.from_status, e.to_status) for e in store.events("video_1")]
    assert kinds == [
        ("job.created", None, "queued"),
        ("job.started", "queued", "in_progress"),
        ("job.completed", "in_progress", "completed"),
    ]


def test_a_finished_job_cannot_change_again(store: Store) -> None:
    store.create_job(_new("video_1"), queue_cap=10)
    _claim(store)
    assert store.fail("video_1", attempt=1, code="engine_error", message="boom")
    assert not store.complete(
        "video_1", attempt=1, outputs=[new_generation()], plan=None, retention_seconds=1
    )
    assert not store.fail("video_1", attempt=1, code="engine_error", message="again")
    job = store.get_job("video_1")
    assert job is not None and job.error_message == "boom"
    assert store.generations("video_1") == []


def test_a_stale_attempt_is_fenced_out(store: Store) -> None:
    store.create_job(_new("video_1", max_attempts=3), queue_cap=10)
    _claim(store)
    assert store.requeue_or_fail("video_1", attempt=1, reason="worker died") is JobStatus.QUEUED
    second = _claim(store)
    assert second.attempt == 2  # type: ignore[attr-defined]
    # The first worker comes back to life: every write it tries is refused.
    assert (
        store.report_progress("video_1", attempt=1, progress=90, lease_seconds=30)
        is LeaseState.LOST
    )
    assert not store.complete(
        "video_1", attempt=1, outputs=[new_generation()], plan=None, retention_seconds=1
    )
    assert store.complete(
        "video_1", attempt=2, outputs=[new_generation()], plan=None, retention_seconds=1
    )


def test_attempts_run_out(store: Store) -> None:
    store.create_job(_new("video_1", max_attempts=2), queue_cap=10)
    _claim(store)
    assert store.requeue_or_fail("video_1", attempt=1, reason="lost") is JobStatus.QUEUED
    _claim(store)
    assert store.requeue_or_fail("video_1", attempt=2, reason="lost") is JobStatus.FAILED
    job = store.get_job("video_1")
    assert job is not None and job.error_code == "internal_error"
    assert "after 2 attempts" in (job.error_message or "")


def test_cancel_stops_a_running_job_and_hides_it(store: Store) -> None:
    store.create_job(_new("video_1"), queue_cap=10)
    _claim(store)
    before = store.cancel("video_1", project="a")
    assert before is not None and before.status is JobStatus.IN_PROGRESS
    assert store.lease_state("video_1", attempt=1) is LeaseState.CANCELLED
    assert (
        store.report_progress("video_1", attempt=1, progress=50, lease_seconds=30)
        is LeaseState.CANCELLED
    )
    assert store.get_job("video_1") is None
    assert store.cancel("video_1", project="a") is None


def test_projects_are_isolated(store: Store) -> None:
    store.create_job(_new("video_1", project="a"), queue_cap=10)
    assert store.get_job("video_1", project="b") is None
    assert store.cancel("video_1", project="b") is None
    assert store.list_jobs(project="b", dialect="openai", limit=10).items == []
    assert store.get_job("video_1", project="a") is not None


def test_queue_cap(store: Store) -> None:
    store.create_job(_new("video_1"), queue_cap=2)
    store.create_job(_new("video_2"), queue_cap=2)
    with pytest.raises(QueueFull):
        store.create_job(_new("video_3"), queue_cap=2)
    store.create_job(_new("video_4", project="b"), queue_cap=2)  # other projects unaffected


def test_claims_respect_the_per_project_limit_and_are_fair(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        store.create_job(_new(f"video_a{i}", project="a"), queue_cap=10)
        clock.advance(1)
    store.create_job(_new("video_b0", project="b"), queue_cap=10)
    claimed = [_claim(store, limit=2) for _ in range(4)]
    ids = [c.id if c is not None else None for c in claimed]  # type: ignore[attr-defined]
    # a0 first (oldest); then b0, whose project has nothing running; then a1; a2 must wait.
    assert ids == ["video_a0", "video_b0", "video_a1", None]


def test_list_pages_in_both_orders(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        store.create_job(_new(f"video_{i}"), queue_cap=10)
        clock.advance(1)
    page = store.list_jobs(project="a", dialect="openai", limit=2, order="asc")
    assert [j.id for j in page.items] == ["video_0", "video_1"] and page.has_more
    page = store.list_jobs(project="a", dialect="openai", limit=2, order="asc", after="video_1")
    assert [j.id for j in page.items] == ["video_2", "video_3"] and page.has_more
    page = store.list_jobs(project="a", dialect="openai", limit=2, order="asc", after="video_3")
    assert [j.id for j in page.items] == ["video_4"] and not page.has_more
    page = store.list_jobs(project="a", dialect="openai", limit=3, order="desc")
    assert [j.id for j in page.items] == ["video_4", "video_3", "video_2"]
    page = store.list_jobs(project="a", dialect="openai", limit=3, order="desc", after="video_2")
    assert [j.id for j in page.items] == ["video_1", "video_0"] and not page.has_more
    page = store.list_jobs(project="a", dialect="openai", limit=3, order="desc", before="video_1")
    assert [j.id for j in page.items] == ["video_4", "video_3", "video_2"]
    page = store.list_jobs(project="a", dialect="openai", limit=2, order="desc", before="video_1")
    assert [j.id for j in page.items] == ["video_3", "video_2"] and page.has_more


def test_expiry_selects_completed_jobs_past_their_time(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    store.create_job(_new("video_1"), queue_cap=10)
    _claim(store)
    store.complete(
        "video_1", attempt=1, outputs=[new_generation()], plan=None, retention_seconds=60
    )
    assert store.due_for_expiry() == []
    clock.advance(61)
    assert [j.id for j in store.due_for_expiry()] == ["video_1"]
    store.mark_assets_expired("video_1")
    assert store.due_for_expiry() == []
    job = store.get_job("video_1")
    assert job is not None and job.assets_expired


def test_expired_leases_are_found(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    store.create_job(_new("video_1"), queue_cap=10)
    _claim(store)
    assert store.running_jobs(expired_only=True) == []
    clock.advance(31)
    assert [j.id for j in store.running_jobs(expired_only=True)] == ["video_1"]


def test_concurrent_claims_never_share_a_job(store: Store) -> None:
    for i in range(20):
        store.create_job(_new(f"video_{i:02d}", project=f"p{i % 4}"), queue_cap=100)
    claimed: list[str] = []
    lock = threading.Lock()

    def claimer() -> None:
        while True:
            job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=100)
            if job is None:
                return
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == [f"video_{i:02d}" for i in range(20)]
    with store.engine.connect() as conn:
        started = (
            conn.execute(select(job_events.c.job_id).where(job_events.c.type == "job.started"))
            .scalars()
            .all()
        )
    assert len(started) == 20


# -- lifecycle: every terminal job expires ---------------------------------------------------


def test_failed_and_cancelled_jobs_expire_too(database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    engine = connect(database_url)
    migrate(engine)
    store = Store(engine, clock=clock, retention_seconds=600)
    try:
        store.create_job(_new("video_f"), queue_cap=10)
        store.create_job(_new("video_c"), queue_cap=10)
        store.create_job(_new("video_l", max_attempts=1), queue_cap=10)
        store.fail("video_f", attempt=None, code="engine_error", message="no")
        store.cancel("video_c", project="a")
        lost = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
        assert lost is not None and lost.id == "video_l"
        store.requeue_or_fail("video_l", attempt=1, reason="the worker died")
        with engine.connect() as conn:  # a cancelled job is deleted too: read its row
            rows = conn.execute(select(jobs.c.id, jobs.c.status, jobs.c.expires_at)).all()
        assert sorted(rows) == [
            ("video_c", "cancelled", clock.now + 600),
            ("video_f", "failed", clock.now + 600),
            ("video_l", "failed", clock.now + 600),
        ]
        assert store.due_for_expiry() == []
        clock.advance(601)
        assert sorted(j.id for j in store.due_for_expiry()) == ["video_c", "video_f", "video_l"]
    finally:
        engine.dispose()


def test_requeue_unspent_keeps_the_attempt_budget(store: Store) -> None:
    store.create_job(_new("video_1", max_attempts=1), queue_cap=10)
    job = _claim(store)
    assert store.requeue_unspent("video_1", attempt=1, reason="storage_unavailable")
    assert not store.requeue_unspent("video_1", attempt=1, reason="again")  # fenced: not running
    again = store.claim_next(owner="t", lease_seconds=30, per_project_limit=2)
    assert job is not None and again is not None and again.attempt == 2
    # A lost run now still has its one real attempt: it is retried once more, not failed.
    assert store.requeue_or_fail("video_1", attempt=2, reason="died") is JobStatus.FAILED
    done = store.get_job("video_1")
    assert done is not None and done.max_attempts == 2


def test_kept_blob_prefixes_are_what_rows_still_own(store: Store) -> None:
    store.create_job(_new("video_run"), queue_cap=10)
    store.create_job(_new("video_done"), queue_cap=10)
    store.create_job(_new("video_gone"), queue_cap=10)
    store.create_job(_new("video_q"), queue_cap=10)
    for _ in range(3):
        _claim(store, limit=5)
    # Created in the same second, claimed by id: video_done, video_gone, video_q run.
    store.complete(
        "video_done",
        attempt=1,
        outputs=[replace(new_generation(), video_key="videos/video_done/1/0/video.mp4")],
        plan=None,
        retention_seconds=60,
    )
    store.fail("video_gone", attempt=1, code="engine_error", message="x")
    store.mark_assets_expired("video_gone")
    kept = store.kept_blob_prefixes(
        job_ids=["video_run", "video_done", "video_gone", "video_q", "video_none"],
        character_ids=["char_none"],
    )
    assert kept == {
        "uploads/video_run",  # queued: its uploads, no attempt yet
        "uploads/video_q",
        "videos/video_q/1",  # running now
        "uploads/video_done",
        "videos/video_done/1",  # its generations' attempt
    }


# -- several servers on one PostgreSQL database --------------------------------------------


def _race(workers: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.postgres
def test_two_servers_racing_creates_never_pass_the_queue_cap(postgres_url: str) -> None:
    """Two stores with their own connection pools (two servers) on one database."""
    engines = [connect(postgres_url, pool_size=4) for _ in range(2)]
    migrate(engines[0])
    stores = [Store(e) for e in engines]
    accepted: list[str] = []
    refused = 0
    lock = threading.Lock()

    def create(i: int) -> None:
        nonlocal refused
        for n in range(10):
            job_id = f"video_{i}_{n}"
            try:
                stores[i % 2].create_job(_new(job_id, project="race"), queue_cap=7)
            except QueueFull:
                with lock:
                    refused += 1
            else:
                with lock:
                    accepted.append(job_id)

    try:
        _race(8, create)
        assert len(accepted) == 7 and refused == 73
        assert stores[0].count_jobs(project="race", status=JobStatus.QUEUED) == 7
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.postgres
def test_two_servers_claiming_never_pass_the_running_limit(postgres_url: str) -> None:
    engines = [connect(postgres_url, pool_size=4) for _ in range(2)]
    migrate(engines[0])
    stores = [Store(e) for e in engines]
    for n in range(30):
        stores[0].create_job(_new(f"video_{n:02d}", project="race"), queue_cap=100)
    claimed: list[str] = []
    lock = threading.Lock()

    def claim(i: int) -> None:
        while (
            job := stores[i % 2].claim_next(owner=f"s{i}", lease_seconds=30, per_project_limit=3)
        ) is not None:
            with lock:
                claimed.append(job.id)

    try:
        for _round in range(3):
            _race(8, claim)
            assert len(claimed) == 3
            assert stores[1].count_jobs(project="race", status=JobStatus.IN_PROGRESS) == 3
            for job_id in claimed:  # the three finish; three more may start
                stores[0].fail(job_id, attempt=1, code="engine_error", message="done")
            claimed.clear()
    finally:
        for e in engines:
            e.dispose()


def test_unspent_requeues_are_bounded(store: Store) -> None:
    """A fault of one job alone (an unreadable input, say) must not loop for free forever."""
    store.create_job(_new("video_1", max_attempts=1), queue_cap=10)
    for attempt in range(1, MAX_UNSPENT_REQUEUES + 1):
        job = _claim(store)
        assert job is not None and job.attempt == attempt  # type: ignore[attr-defined]
        assert store.requeue_unspent("video_1", attempt=attempt, reason="storage_unavailable")
    last = _claim(store)
    assert last is not None
    assert not store.requeue_unspent("video_1", attempt=MAX_UNSPENT_REQUEUES + 1, reason="x")
    # The caller then spends the attempt: the one real attempt is used up.
    assert store.requeue_or_fail("video_1", attempt=MAX_UNSPENT_REQUEUES + 1, reason="x") is (
        JobStatus.FAILED
    )
