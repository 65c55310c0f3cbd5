"""Leader election through a PostgreSQL advisory lock: one leader, takeover when it goes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelbox.blobs.local import LocalBlobStore
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.scheduler.leader import Leadership
from reelbox.scheduler.scheduler import Scheduler, SchedulerSettings
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store

pytestmark = pytest.mark.postgres


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_leader_at_a_time_and_takeover_on_release(postgres_url: str) -> None:
    clock = Ticks()
    a, b = (Leadership(postgres_url, check_seconds=1, clock=clock) for _ in range(2))
    try:
        assert a.holds()
        assert not b.holds()
        clock.now += 0.5
        a.release()
        assert not b.holds()  # checked less than a second ago: the answer is remembered
        clock.now += 1
        assert b.holds() and b.is_leader
        clock.now += 1
        assert not a.holds()
    finally:
        a.release()
        b.release()


def test_a_leader_whose_session_dies_steps_down_and_another_takes_over(
    postgres_url: str,
) -> None:
    a, b = (Leadership(postgres_url, check_seconds=0.05) for _ in range(2))
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        assert a.holds()
        assert not b.holds()
        with admin.connect() as conn:  # the leader's connection is cut (its machine died)
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'reelbox-leader' AND pid IN "
                    "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
                )
            ).scalar_one()
        assert killed == 1
        deadline = time.monotonic() + 5
        while not b.holds():
            assert time.monotonic() < deadline, "no takeover"
            time.sleep(0.05)
        time.sleep(0.06)
        assert not a.holds()  # it noticed, and cannot take the lock back
        time.sleep(0.06)
        assert not a.holds()
    finally:
        a.release()
        b.release()
        admin.dispose()


def test_an_unreachable_database_means_no_lead() -> None:
    lead = Leadership("postgresql+psycopg://nobody@127.0.0.1:1/none", check_seconds=0)
    assert not lead.holds()


class _Slots:
    """An executor with free slots that runs nothing."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def start(self) -> None: ...

    def free_slots(self) -> int:
        return 10 - len(self.jobs)

    def submit(self, job: Job) -> None:
        self.jobs.append(job)

    def poll(self) -> None: ...

    def running(self) -> set[str]:
        return {j.id for j in self.jobs}

    def shutdown(self) -> None: ...


def test_only_the_leaders_scheduler_dispatches(postgres_url: str, tmp_path: Path) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    store = Store(engine)
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="x", width=64, height=64, seconds=1.0, seed=1, profile="p"
    )

    def create(job_id: str) -> None:
        new = NewJob(id=job_id, project="a", dialect="openai", model="m", spec=spec, seconds="1")
        store.create_job(new, queue_cap=10)

    settings = SchedulerSettings(
        per_project_limit=5,
        lease_seconds=30,
        interval=1,
        sweep_interval=60,
        recover_all_on_start=False,
    )
    replicas = [
        Scheduler(
            store=store,
            blobs=LocalBlobStore(tmp_path / str(i)),
            executor=_Slots(),
            settings=settings,
            leadership=Leadership(postgres_url, check_seconds=0),
        )
        for i in range(2)
    ]
    try:
        create("video_1")
        for replica in replicas:
            replica.tick()
        dispatched = [[j.id for j in r.executor.jobs] for r in replicas]  # type: ignore[attr-defined]
        assert dispatched == [["video_1"], []]
        assert replicas[0].leadership is not None and replicas[0].leadership.is_leader
        replicas[0].leadership.release()  # the leader shuts down
        create("video_2")
        replicas[1].tick()
        assert [j.id for j in replicas[1].executor.jobs] == ["video_2"]  # type: ignore[attr-defined]
    finally:
        for replica in replicas:
            assert replica.leadership is not None
            replica.leadership.release()
        engine.dispose()


class _Pools(_Slots):
    """An executor whose pools belong to the dispatcher (as Ray's): told when it leads."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[str] = []

    def lead(self) -> None:
        self.told.append("lead")

    def step_down(self) -> None:
        self.told.append("step_down")


def test_the_executor_is_told_when_its_replica_starts_and_stops_dispatching(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    settings = SchedulerSettings(
        per_project_limit=5,
        lease_seconds=30,
        interval=1,
        sweep_interval=60,
        recover_all_on_start=False,
    )
    a, b = (
        Scheduler(
            store=Store(engine),
            blobs=LocalBlobStore(tmp_path / str(i)),
            executor=_Pools(),
            settings=settings,
            leadership=Leadership(postgres_url, check_seconds=0),
        )
        for i in range(2)
    )
    try:
        a.tick()
        b.tick()
        a.tick()  # still leading: told once
        assert (a.executor.told, b.executor.told) == (["lead"], [])  # type: ignore[attr-defined]
        assert a.leadership is not None and b.leadership is not None
        a.leadership.release()  # the leader's session ends; b takes over on its next tick
        b.tick()
        a.tick()  # a finds it no longer holds the lock
        assert (a.executor.told, b.executor.told) == (  # type: ignore[attr-defined]
            ["lead", "step_down"],
            ["lead"],
        )
    finally:
        for replica in (a, b):
            assert replica.leadership is not None
            replica.leadership.release()
        engine.dispose()
