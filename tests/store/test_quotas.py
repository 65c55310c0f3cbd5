"""Quotas on real SQLite and PostgreSQL: exact at the boundary, per day, per month, unfinished
jobs at once, per-project rows over the defaults, per-key rows on top of the project's, and
racing creations that cannot overshoot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from reelbox.errors import QuotaExceeded
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.store.quotas import QuotaLimits, Quotas, day_start, month_start
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from support.store import new_generation


def _new(
    job_id: str, *, project: str = "a", seconds: float = 4, key_id: str | None = None
) -> NewJob:
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt="a cat",
        width=64,
        height=64,
        seconds=seconds,
        seed=7,
        profile="p",
    )
    return NewJob(
        id=job_id,
        project=project,
        dialect="openai",
        model="sora-2",
        spec=spec,
        seconds=f"{seconds:g}",
        key_id=key_id,
    )


def _create(  # type: ignore[no-untyped-def]
    store: Store,
    quotas: Quotas,
    job_id: str,
    *,
    project: str = "a",
    seconds: float = 4,
    key_id: str | None = None,
):
    with quotas.hold(project, seconds, key_id=key_id):
        new = _new(job_id, project=project, seconds=seconds, key_id=key_id)
        return store.create_job(new, queue_cap=1000)


def test_periods_are_utc_days_and_months() -> None:
    at = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()
    assert day_start(at) == (
        datetime(2026, 12, 31, tzinfo=UTC).timestamp(),
        datetime(2027, 1, 1, tzinfo=UTC).timestamp(),
    )
    assert month_start(at) == (
        datetime(2026, 12, 1, tzinfo=UTC).timestamp(),
        datetime(2027, 1, 1, tzinfo=UTC).timestamp(),
    )


def test_daily_seconds_are_exact_at_the_boundary(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    quotas = Quotas(store.engine, defaults=QuotaLimits(seconds_per_day=12), clock=clock)
    _create(store, quotas, "v1", seconds=4)
    _create(store, quotas, "v2", seconds=8)  # 12 of 12: exactly at the limit, admitted
    with pytest.raises(QuotaExceeded) as refused:
        _create(store, quotas, "v3", seconds=1)
    error = refused.value
    assert error.code == "quota_exceeded"
    _, next_day = day_start(clock.now)
    assert error.resets_at == next_day and error.retry_after == pytest.approx(next_day - clock.now)
    assert "12 of its 12 video seconds today" in error.message
    assert store.get_job("v3") is None
    # Another project is not affected, and the next UTC day starts afresh.
    _create(store, quotas, "b1", project="b", seconds=12)
    clock.now = next_day
    _create(store, quotas, "v4", seconds=12)


def test_failed_and_cancelled_jobs_give_their_seconds_back(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    quotas = Quotas(store.engine, defaults=QuotaLimits(seconds_per_day=8), clock=clock)
    _create(store, quotas, "v1", seconds=8)
    with pytest.raises(QuotaExceeded):
        _create(store, quotas, "v2", seconds=4)
    job = store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert job is not None
    store.fail("v1", attempt=1, code="engine_error", message="boom")
    _create(store, quotas, "v2", seconds=4)
    store.cancel("v2", project="a")
    _create(store, quotas, "v3", seconds=8)
    assert quotas.status("a").seconds_today == 8


def test_monthly_seconds_and_completed_jobs(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    quotas = Quotas(store.engine, defaults=QuotaLimits(seconds_per_month=16), clock=clock)
    _create(store, quotas, "v1", seconds=12)
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    assert store.complete(
        "v1", attempt=1, outputs=[new_generation()], plan=None, retention_seconds=60
    )
    clock.advance(86400)  # another day of the same month (the clock starts on the 15th)
    _create(store, quotas, "v2", seconds=4)
    with pytest.raises(QuotaExceeded) as refused:
        _create(store, quotas, "v3", seconds=4)
    assert refused.value.resets_at == month_start(clock.now)[1]
    assert "this month" in refused.value.message


def test_unfinished_jobs_cap_and_project_rows(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    quotas = Quotas(store.engine, defaults=QuotaLimits(concurrent_jobs=2), clock=clock)
    _create(store, quotas, "v1")
    _create(store, quotas, "v2")
    with pytest.raises(QuotaExceeded) as refused:
        _create(store, quotas, "v3")
    assert refused.value.resets_at is None and "unfinished" in refused.value.message
    quotas.set("a", concurrent_jobs=3, seconds_per_day=12)  # the project's own row wins
    assert quotas.limits("a") == QuotaLimits(concurrent_jobs=3, seconds_per_day=12)
    assert quotas.limits("b") == QuotaLimits(concurrent_jobs=2)
    _create(store, quotas, "v3")
    with pytest.raises(QuotaExceeded):
        _create(store, quotas, "v4")
    quotas.clear("a")
    assert quotas.limits("a") == QuotaLimits(concurrent_jobs=2)


def test_racing_creations_never_pass_the_limit(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    # Two Quotas objects stand for two replicas: on PostgreSQL only the advisory lock (shared
    # through the database) keeps them from both admitting the last seconds.
    replicas = [
        Quotas(store.engine, defaults=QuotaLimits(seconds_per_day=40), clock=clock)
        for _ in range(2)
    ]
    admitted: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        job_id = f"v{index}"
        try:
            _create(store, replicas[index % 2], job_id, seconds=4)
        except QuotaExceeded:
            with lock:
                refused.append(job_id)
        else:
            with lock:
                admitted.append(job_id)

    if store.engine.dialect.name == "sqlite":
        replicas[1] = replicas[0]  # one server per SQLite file: one process lock
    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 10 and len(refused) == 6
    assert replicas[0].status("a").seconds_today == 40


def test_key_rows_limit_a_key_on_top_of_its_project(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    quotas = Quotas(store.engine, defaults=QuotaLimits(seconds_per_day=20), clock=clock)
    assert quotas.key_limits("key_1").unlimited  # no row: only the project's limits
    quotas.set_key("key_1", seconds_per_day=8, concurrent_jobs=5)
    assert quotas.key_limits("key_1") == QuotaLimits(seconds_per_day=8, concurrent_jobs=5)
    _create(store, quotas, "k1", seconds=4, key_id="key_1")
    _create(store, quotas, "k2", seconds=4, key_id="key_1")  # 8 of the key's 8: admitted
    with pytest.raises(QuotaExceeded) as refused:
        _create(store, quotas, "k3", seconds=1, key_id="key_1")
    _, next_day = day_start(clock.now)
    assert refused.value.resets_at == next_day
    assert refused.value.message.startswith("Quota exceeded: key 'key_1' has used 8 of its 8")
    # Another key (and a key from settings, without an id) of the project goes on, up to the
    # project's 20 seconds, which the key's jobs count towards.
    _create(store, quotas, "o1", seconds=8, key_id="key_2")
    _create(store, quotas, "s1", seconds=4)
    with pytest.raises(QuotaExceeded) as refused:
        _create(store, quotas, "o2", seconds=1, key_id="key_2")
    assert "project 'a' has used 20 of its 20" in refused.value.message
    status = quotas.key_status("key_1")
    assert (status.seconds_today, status.unfinished_jobs) == (8, 2)
    assert status.limits == QuotaLimits(seconds_per_day=8, concurrent_jobs=5)
    # A failed job gives the key its seconds back; clearing the row lifts the key's limit.
    store.claim_next(owner="t", lease_seconds=30, per_project_limit=5)
    store.fail("k1", attempt=1, code="engine_error", message="boom")
    assert quotas.key_status("key_1").seconds_today == 4
    quotas.clear_key("key_1")
    assert quotas.key_limits("key_1").unlimited


def test_racing_creations_of_one_key_never_pass_its_limit(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    # The project has no limit at all: only the key's row makes `hold` serialise.
    replicas = [Quotas(store.engine, clock=clock) for _ in range(2)]
    replicas[0].set_key("key_1", concurrent_jobs=3)
    if store.engine.dialect.name == "sqlite":
        replicas[1] = replicas[0]
    outcomes: list[bool] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        try:
            _create(store, replicas[index % 2], f"v{index}", key_id="key_1")
        except QuotaExceeded:
            with lock:
                outcomes.append(False)
        else:
            with lock:
                outcomes.append(True)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 3 and outcomes.count(False) == 5
    assert replicas[0].key_status("key_1").unfinished_jobs == 3
