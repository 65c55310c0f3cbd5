"""The Ray executor's pools on a real local Ray (one node, this process its driver), SQLite
shared with the actors, the fake engine.

A leader started with fewer `replicas` than the previous one removes the actors and placement
groups the settings no longer ask for, but only once the actor runs nothing; the actors it keeps
are the same warm processes. Warm-ups and restarts reach the executor's `WorkerWatch` as the
local executor's do (`/metrics`): `timeout` when it killed an overdue actor, `crashed` when Ray
restarted one that died.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelbox.executors.ray_executor import RayExecutor, RayProfile
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.store.database import connect, migrate
from reelbox.store.rows import NewJob
from reelbox.store.store import Store
from support.watch import Watched

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NAMESPACE = "reelbox-pools"
WARM_UP = 0.3  # the fake engine's "weights" load, measured inside the actor
FAKE = {"fps": 8, "frame_delay": 0.1, "warm_up_delay": WARM_UP}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    import ray

    ray.init(
        address="local",  # a new cluster of our own, never one already running here
        num_cpus=2,
        namespace=NAMESPACE,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = connect(f"sqlite:///{tmp_path / 'reelbox.db'}")
    migrate(engine)
    yield Store(engine)
    engine.dispose()



def _leader(store: Store, tmp_path: Path, *, replicas: int, watch: Watched) -> RayExecutor:
    """A replica's executor, started and told it leads (what the scheduler does)."""
    executor = RayExecutor(
        address="auto",
        namespace=NAMESPACE,
        config=WorkerConfig(
            database_url=f"sqlite:///{tmp_path / 'reelbox.db'}",
            blob_dir=tmp_path / "blobs",
            profiles={"fake": ("fake", dict(FAKE))},
            run=RunSettings(lease_seconds=30, retention_seconds=3600, heartbeat_seconds=0.05),
        ),
        profiles={"fake": RayProfile(replicas=replicas, num_cpus=0, spread=False)},
        store=store,
        job_timeout=60,
        watch=watch,
    )
    executor.start()
    executor.lead()
    return executor


def _create(store: Store, job_id: str, prompt: str = "a kite") -> None:
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt=prompt, width=32, height=32, seconds=1.0, seed=1, profile="fake"
    )
    new = NewJob(id=job_id, project="p", dialect="openai", model="fake", spec=spec, seconds="1")
    store.create_job(new, queue_cap=10)


def _dispatch(executor: RayExecutor, store: Store, *, owner: str) -> list[Job]:
    started = []
    while executor.free_slots() > 0:
        job = store.claim_next(owner=owner, lease_seconds=30, per_project_limit=10)
        if job is None:
            break
        executor.submit(job)
        started.append(job)
    return started


def _until(condition: Callable[[], object], *executors: RayExecutor, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        for executor in executors:
            executor.poll()
        time.sleep(0.05)


def _status(store: Store, job_id: str) -> JobStatus:
    job = store.get_job(job_id)
    assert job is not None
    return job.status


def _named() -> set[str]:
    from ray.util import list_named_actors

    return {e["name"] for e in list_named_actors(all_namespaces=True)}  # type: ignore[index]


def _groups() -> dict[str, str]:
    from ray.util import placement_group_table

    return {g["name"]: g["state"] for g in placement_group_table().values()}


def _actor_id(name: str) -> str:
    import ray

    handle: Any = ray.get_actor(name, namespace=NAMESPACE)
    return str(handle._actor_id.hex())


def test_lowering_replicas_removes_the_extra_actor_once_idle_and_keeps_the_first_warm(
    local_ray: None, store: Store, tmp_path: Path
) -> None:
    from ray.util import placement_group, remove_placement_group

    first = Watched()
    old = _leader(store, tmp_path, replicas=2, watch=first)
    _until(lambda: old.free_slots() == 2, old)
    assert [p for p, _ in first.warmed] == ["fake", "fake"] and first.restarts == []
    assert all(WARM_UP <= s < WARM_UP + 5 for _, s in first.warmed)  # measured in the actor
    kept_id = _actor_id("reelbox-fake-0")
    # Placement groups as a multi-GPU profile's replicas have (one per actor, named like it),
    # and one left by a profile that is gone.
    wanted = placement_group([{"CPU": 0.01}], name="reelbox-fake-0", lifetime="detached")
    placement_group([{"CPU": 0.01}], name="reelbox-fake-1", lifetime="detached")
    placement_group([{"CPU": 0.01}], name="reelbox-gone-0", lifetime="detached")
    # Both actors busy: a normal job on the first, a hung one on the second.
    _create(store, "video_1")
    _create(store, "video_2", prompt="a kite [fail:hang]")
    assert [j.id for j in _dispatch(old, store, owner="old")] == ["video_1", "video_2"]

    # The old replica loses the lead; the new one, with replicas = 1, takes it.
    old.step_down()
    old.job_timeout = 4.0  # the old replica still watches its runs: it will kill the hung one
    second = Watched()
    new = _leader(store, tmp_path, replicas=1, watch=second)
    assert _groups()["reelbox-gone-0"] == "REMOVED"
    assert _groups()["reelbox-fake-0"] != "REMOVED"
    # The extra actor runs a job the old replica handed it: it is kept while it does.
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        new.poll()
        time.sleep(0.05)
    assert "reelbox-fake-1" in _named()
    assert _groups()["reelbox-fake-1"] != "REMOVED"  # the busy actor's group stays with it
    # The old replica times the hung job out (Ray restarts that actor); the new leader then
    # finds it running nothing and removes it.
    _until(lambda: "reelbox-fake-1" not in _named(), old, new)
    assert _groups()["reelbox-fake-1"] == "REMOVED"
    assert _groups()["reelbox-fake-0"] != "REMOVED"
    assert _status(store, "video_2") is JobStatus.FAILED
    assert _status(store, "video_1") is JobStatus.COMPLETED
    # The first actor is the same warm process: no warm-up counted, and it runs the next job.
    assert _actor_id("reelbox-fake-0") == kept_id
    _create(store, "video_3")
    _until(lambda: new.free_slots() == 1, new)
    assert [j.id for j in _dispatch(new, store, owner="new")] == ["video_3"]
    _until(lambda: _status(store, "video_3") is JobStatus.COMPLETED, new)
    assert second.warmed == [] and second.restarts == []
    assert _actor_id("reelbox-fake-0") == kept_id
    assert {"reelbox-fake-0"} == {n for n in _named() if n.startswith("reelbox-")}
    remove_placement_group(wanted)

    # Restarts reach the watch with their reason, and each restarted actor's warm-up.
    new.job_timeout = 2.0
    _create(store, "video_4", prompt="a kite [fail:hang]")
    _until(lambda: new.free_slots() == 1, new)
    assert [j.id for j in _dispatch(new, store, owner="new")] == ["video_4"]
    _until(lambda: second.restarts == ["timeout"] and len(second.warmed) == 1, new)
    assert _status(store, "video_4") is JobStatus.FAILED
    new.job_timeout = 60.0
    _until(lambda: new.free_slots() == 1, new)
    _create(store, "video_5", prompt="a kite [fail:exit]")
    assert [j.id for j in _dispatch(new, store, owner="new")] == ["video_5"]
    _until(lambda: second.restarts == ["timeout", "crashed"] and len(second.warmed) == 2, new)
    assert _status(store, "video_5") is JobStatus.QUEUED  # re-queued: a new attempt
    assert [p for p, _ in second.warmed] == ["fake", "fake"]
    assert all(WARM_UP <= s < WARM_UP + 5 for _, s in second.warmed)
    assert _actor_id("reelbox-fake-0") == kept_id  # restarted by Ray under the same actor
