"""Worker warm-up and the job clock: real worker processes, the fake engine with a slow load.

A worker takes jobs only once its engines are warm, so a job's time limit never includes the
warm-up (at start or after a worker is replaced); a profile with `warm = false` loads on its
first job instead, which that job pays for. The executor tells its `WorkerWatch` (`/metrics`)
each warm-up, measured in the worker, and each replacement with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelbox.engines.base import GenerationInputs
from reelbox.engines.fake import FakeEngine
from reelbox.executors.local import LocalExecutor
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from support.watch import Watched

WARM_UP = 2.0  # seconds the slow fake engine takes to "load its weights"
TIMEOUT = 1.5  # the job time limit: shorter than the warm-up, longer than any job here

Profiles = dict[str, tuple[str, dict[str, object]]]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store on the real clock (the worker processes share the file)."""
    engine = connect(f"sqlite:///{tmp_path / 'reelbox.db'}")
    migrate(engine)
    yield Store(engine)
    engine.dispose()



class Pool:
    """One LocalExecutor driven the way the scheduler drives it, recording when jobs start."""

    def __init__(self, store: Store, tmp_path: Path, profiles: Profiles, timeout: float) -> None:
        self.store = store
        self.watch = Watched()
        self.executor = LocalExecutor(
            config=WorkerConfig(
                database_url=f"sqlite:///{tmp_path / 'reelbox.db'}",
                blob_dir=tmp_path / "blobs",
                profiles={
                    name: (engine, dict(options)) for name, (engine, options) in profiles.items()
                },
                run=RunSettings(lease_seconds=30, retention_seconds=3600, heartbeat_seconds=0.05),
            ),
            slots=1,
            store=store,
            job_timeout=timeout,
            watch=self.watch,
        )
        self.began = time.monotonic()
        self.sent: dict[str, float] = {}  # job id → seconds after start when it was sent
        self.ended: dict[str, float] = {}  # job id → seconds after start when seen finished
        self.executor.start()

    def create(self, job_id: str, *, profile: str, prompt: str = "a red car") -> None:
        spec = GenerationSpec(
            mode=Mode.TEXT,
            prompt=prompt,
            width=32,
            height=32,
            seconds=1.0,
            seed=1,
            profile=profile,
            fps=8,
        )
        new = NewJob(
            id=job_id, project="p", dialect="openai", model=profile, spec=spec, seconds="1"
        )
        self.store.create_job(new, queue_cap=10)

    def tick(self) -> None:
        """What the scheduler does on each tick: poll, then fill free slots."""
        self.executor.poll()
        while self.executor.free_slots() > 0:
            job = self.store.claim_next(owner="test", lease_seconds=30, per_project_limit=1)
            if job is None:
                break
            self.sent[job.id] = time.monotonic() - self.began
            self.executor.submit(job)

    def finish(self, job_id: str, *, within: float = 30.0) -> Job:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.tick()
            job = self.store.get_job(job_id)
            assert job is not None
            if job.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
                self.ended[job_id] = time.monotonic() - self.began
                return job
            time.sleep(0.02)
        raise AssertionError(f"{job_id} did not finish in {within} s")

    def stop(self) -> None:
        self.executor.shutdown()


@pytest.fixture
def pools(store: Store, tmp_path: Path) -> Iterator[list[Pool]]:
    made: list[Pool] = []
    yield made
    for pool in made:
        pool.stop()


def _pool(
    pools: list[Pool], store: Store, tmp_path: Path, profiles: Profiles, timeout: float = TIMEOUT
) -> Pool:
    pool = Pool(store, tmp_path, profiles, timeout)
    pools.append(pool)
    return pool


def test_jobs_wait_for_a_warming_worker_and_their_clock_starts_when_sent(
    store: Store, tmp_path: Path, pools: list[Pool]
) -> None:
    pool = _pool(pools, store, tmp_path, {"slow": ("fake", {"fps": 8, "warm_up_delay": WARM_UP})})
    pool.create("video_1", profile="slow")
    pool.tick()
    assert pool.executor.free_slots() == 0  # the only worker is still loading
    time.sleep(0.5)
    pool.tick()
    queued = store.get_job("video_1")
    assert queued is not None and queued.status is JobStatus.QUEUED
    done = pool.finish("video_1")
    # The warm-up alone outlasts the time limit: had the clock started at start-up (or the job
    # been sent to the warming worker), the job would have failed with `timeout`.
    assert done.status is JobStatus.COMPLETED, (done.error_code, done.error_message)
    assert pool.sent["video_1"] >= WARM_UP


def test_a_replaced_worker_warms_again_before_it_takes_the_next_job(
    store: Store, tmp_path: Path, pools: list[Pool]
) -> None:
    pool = _pool(pools, store, tmp_path, {"slow": ("fake", {"fps": 8, "warm_up_delay": WARM_UP})})
    pool.create("video_1", profile="slow", prompt="[fail:hang]")
    pool.create("video_2", profile="slow")
    hung = pool.finish("video_1")
    assert (hung.status, hung.error_code) == (JobStatus.FAILED, "timeout")
    replaced_at = time.monotonic() - pool.began
    pool.tick()
    assert pool.executor.free_slots() == 0  # the replacement is loading
    done = pool.finish("video_2")
    assert done.status is JobStatus.COMPLETED, (done.error_code, done.error_message)
    assert pool.sent["video_2"] >= replaced_at + WARM_UP
    assert pool.watch.restarts == ["timeout"]
    assert [p for p, _ in pool.watch.warmed] == ["slow", "slow"]  # at start, and the replacement
    assert all(WARM_UP <= s < WARM_UP + 5 for _, s in pool.watch.warmed)


def test_a_crashed_worker_is_counted_as_a_restart(
    store: Store, tmp_path: Path, pools: list[Pool]
) -> None:
    pool = _pool(pools, store, tmp_path, {"fake": ("fake", {"fps": 8})}, timeout=30.0)
    pool.create("video_1", profile="fake", prompt="[fail:exit]")
    deadline = time.monotonic() + 30
    while not pool.watch.restarts and time.monotonic() < deadline:
        pool.tick()
        time.sleep(0.02)
    assert pool.watch.restarts == ["crashed"]
    requeued = store.get_job("video_1")
    assert requeued is not None and requeued.status is JobStatus.QUEUED


def test_a_profile_with_warm_false_loads_on_its_first_job(
    store: Store, tmp_path: Path, pools: list[Pool]
) -> None:
    lazy = {"fps": 8, "warm_up_delay": WARM_UP, "warm": False}
    pool = _pool(pools, store, tmp_path, {"lazy": ("fake", lazy)}, timeout=30.0)
    pool.create("video_1", profile="lazy")
    first = pool.finish("video_1")
    pool.create("video_2", profile="lazy")
    second = pool.finish("video_2")
    assert first.status is second.status is JobStatus.COMPLETED
    # The worker did not load at start: its first job did, and the second found it loaded.
    assert pool.ended["video_1"] - pool.sent["video_1"] >= WARM_UP
    assert pool.ended["video_2"] - pool.sent["video_2"] < WARM_UP


def test_the_fake_engine_warms_up_once_or_on_its_first_job() -> None:
    eager = FakeEngine({"warm_up_delay": 0.2})
    assert eager.warm_at_start and not eager.warmed
    started = time.monotonic()
    eager.warm_up()
    eager.warm_up()
    assert 0.2 <= time.monotonic() - started < 0.4 and eager.warmed
    lazy = FakeEngine({"warm_up_delay": 0.2, "warm": False})
    assert not lazy.warm_at_start
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="x", width=32, height=32, seconds=1.0, seed=1, profile="f", fps=8
    )
    started = time.monotonic()
    lazy.generate(spec, GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False)
    assert time.monotonic() - started >= 0.2 and lazy.warmed
    with pytest.raises(ValueError, match="warm_up_delay must be >= 0"):
        FakeEngine({"warm_up_delay": -1})
    with pytest.raises(ValueError, match="warm must be true or false"):
        FakeEngine({"warm": "no"})
