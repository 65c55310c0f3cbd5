"""The Ray executor's start-up checks: a profile whose replicas fit on no node is refused, and
its pools follow the profiles' settings; which named actors and groups a leader removes; and,
with `ray.get`/`ray.wait` over refs that are already answered (no Ray runtime), how restarts and
warm-ups are told apart by each actor process's incarnation (tests/cluster/test_ray_pools.py
does it on a real Ray)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reelbox.executors.ray_executor import (
    RayExecutor,
    RayProfile,
    _Actor,
    check_resources,
    parse_name,
    ray_profiles,
)
from reelbox.executors.runner import RunSettings
from reelbox.executors.worker import WorkerConfig
from reelbox.settings import RayProfileSettings, Settings
from reelbox.startup import preflight
from reelbox.store.database import connect
from reelbox.store.store import Store
from support.watch import Watched

NODES = [
    {"Alive": True, "Resources": {"CPU": 8.0, "GPU": 1.0, "a100": 1.0}},
    {"Alive": True, "Resources": {"CPU": 4.0}},
    {"Alive": False, "Resources": {"CPU": 64.0, "GPU": 8.0}},  # dead nodes do not count
]


def test_profiles_that_fit_some_node_pass() -> None:
    check_resources(
        {
            "wan": RayProfile(num_gpus=1, num_cpus=4, resources={"a100": 1}),
            "cpu": RayProfile(num_cpus=4),
            "half": RayProfile(num_gpus=0.5, num_cpus=0),
        },
        NODES,
    )


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (RayProfile(num_gpus=2), "ray_profiles.big: no Ray node has CPU=1, GPU=2"),
        (RayProfile(num_cpus=16), "ray_profiles.big: no Ray node has CPU=16"),
        (RayProfile(num_gpus=1, resources={"h100": 1}), "no Ray node has CPU=1, GPU=1, h100=1"),
    ],
)
def test_a_profile_asking_for_more_than_any_node_has_is_refused(
    profile: RayProfile, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        check_resources({"big": profile}, NODES)


def test_a_multi_gpu_profile_needs_its_gpus_on_one_node() -> None:
    pair = {"Alive": True, "Resources": {"CPU": 4.0, "GPU": 2.0}}
    check_resources({"wan": RayProfile(gpus_per_job=2, num_cpus=4)}, [*NODES, pair])
    # Two nodes with one GPU each are not two GPUs for one job: its ranks share a machine.
    one_each = [*NODES, {"Alive": True, "Resources": {"CPU": 8.0, "GPU": 1.0}}]
    with pytest.raises(ValueError) as refused:
        check_resources({"wan": RayProfile(gpus_per_job=2)}, one_each)
    assert str(refused.value) == (
        "profile 'wan': gpus_per_job = 2 but no Ray node has that many GPUs "
        "(the most on one node: 1); a job's ranks share one machine"
    )


def test_a_replica_of_a_multi_gpu_profile_reserves_gpus_per_job() -> None:
    assert RayProfile(gpus_per_job=4, num_cpus=8).demand() == {"GPU": 4.0, "CPU": 8}
    assert RayProfile(num_gpus=0.5, num_cpus=0).demand() == {"GPU": 0.5}


def _settings(tmp_path: Path, **profile: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        executor="ray",
        database_url="postgresql://postgres@127.0.0.1:5432/reelbox",
        blob_url="s3://bucket/media",
        profiles={"pair": {"engine": "fake", **profile}, "cpu": {"engine": "procedural"}},
        default_model="cpu",
        aliases={},
        deployments={},
        ray_profiles={"cpu": {"replicas": 0}},
    )


def test_pools_take_gpus_per_job_from_the_profile_and_leave_out_replicas_0(
    tmp_path: Path,
) -> None:
    pools = ray_profiles(_settings(tmp_path, gpus_per_job=2, options={"parallel": {"ulysses": 2}}))
    # A profile without a section (the embedded one) gets one actor with one CPU.
    assert pools == {"pair": RayProfile(gpus_per_job=2), "reelbox-procedural": RayProfile()}


@pytest.mark.parametrize(
    ("profile", "pool", "message"),
    [
        ({}, {}, "profile 'pair': gpus_per_job = 2 needs parallel = { ulysses = 2 }"),
        (
            {},
            {"num_gpus": 1},
            "ray_profiles.pair.num_gpus = 1 but the profile's gpus_per_job is 2",
        ),
    ],
)
def test_a_multi_gpu_pool_that_cannot_work_is_refused_before_start(
    tmp_path: Path, profile: dict[str, object], pool: dict[str, object], message: str
) -> None:
    settings = _settings(tmp_path, gpus_per_job=2, **profile)
    settings.ray_profiles["pair"] = RayProfileSettings(**pool)  # type: ignore[arg-type]
    assert preflight(settings) is not None and message in str(preflight(settings))


def _executor(
    tmp_path: Path, profiles: dict[str, RayProfile], *, watch: Watched | None = None
) -> RayExecutor:
    """An executor over `profiles` that is never started (no Ray runtime)."""
    return RayExecutor(
        address="auto",
        namespace="reelbox",
        config=WorkerConfig(
            database_url="sqlite://",
            blob_dir=tmp_path,
            profiles={},
            run=RunSettings(lease_seconds=30, retention_seconds=60),
        ),
        profiles=profiles,
        store=Store(connect("sqlite://")),
        job_timeout=60,
        watch=watch,
    )


def test_pool_members_are_named_by_profile_and_index() -> None:
    assert parse_name("reelbox-wan-0") == ("wan", 0)
    assert parse_name("reelbox-reelbox-procedural-12") == ("reelbox-procedural", 12)
    assert parse_name("reelbox-wan-2-1") == ("wan-2", 1)  # a profile whose name ends in digits
    for other in ("reelbox-wan", "reelbox--0", "reelbox-wan-x", "serve-wan-0", "wan-0"):
        assert parse_name(other) is None


def test_a_leader_removes_members_of_profiles_gone_or_past_their_replicas(tmp_path: Path) -> None:
    executor = _executor(tmp_path, {"wan": RayProfile(replicas=2), "wan-2": RayProfile(replicas=1)})
    assert executor.unwanted("reelbox-wan-0") is None
    assert executor.unwanted("reelbox-wan-1") is None
    assert executor.unwanted("reelbox-wan-2") == "ray_profiles.wan.replicas is 2"
    assert executor.unwanted("reelbox-wan-2-0") is None  # the first actor of profile 'wan-2'
    assert executor.unwanted("reelbox-wan-2-1") == "ray_profiles.wan-2.replicas is 1"
    assert executor.unwanted("reelbox-ltx-0") == "profile 'ltx' is not on Ray any more"
    assert executor.unwanted("someone-else-0") is None  # not a pool member: never touched


class _Ref:
    """An object ref whose value is already there (what `ray.get` returns, or raises)."""

    def __init__(self, value: object) -> None:
        self.value = value


class _Method:
    def __init__(self, answer: Callable[[], object]) -> None:
        self.answer = answer

    def remote(self) -> _Ref:
        return _Ref(self.answer())


class _Handle:
    """A `JobActor` handle answering at once; `incarnation=None`: one of an earlier Reelbox,
    whose `ready()` returned the profile's name and which has no `status()`."""

    def __init__(self, incarnation: str | None) -> None:
        self.incarnation = incarnation
        self.job: str | None = None
        self.current = _Method(lambda: self.job)
        if incarnation is not None:
            self.status = _Method(lambda: (self.incarnation, self.job))
        self.ready = _Method(self._ready)

    def _ready(self) -> object:
        if self.incarnation is None:
            return "fake"
        return {"profile": "fake", "incarnation": self.incarnation, "warm_seconds": {"fake": 2.5}}


@pytest.fixture
def answered_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ray.get` and `ray.wait` over `_Ref`s (no Ray runtime)."""
    import ray

    def get(ref: _Ref, **_: object) -> object:
        if isinstance(ref.value, BaseException):
            raise ref.value
        return ref.value

    monkeypatch.setattr(ray, "get", get)
    monkeypatch.setattr(ray, "wait", lambda refs, **_: (list(refs), []))


def _pool(tmp_path: Path, handle: _Handle, *, existed: bool) -> tuple[RayExecutor, Watched]:
    watch = Watched()
    executor = _executor(tmp_path, {"fake": RayProfile()}, watch=watch)
    executor._leading = True
    executor._actors.append(
        _Actor(
            name="reelbox-fake-0",
            profile="fake",
            handle=handle,
            ready_ref=handle.ready.remote(),
            existed=existed,
        )
    )
    return executor, watch


def test_a_restart_between_polls_is_seen_as_a_new_incarnation(
    tmp_path: Path, answered_at_once: None
) -> None:
    handle = _Handle("first")
    executor, watch = _pool(tmp_path, handle, existed=False)
    executor.poll()  # ready: the warm-up of an actor this replica created
    assert (watch.warmed, watch.restarts) == ([("fake", 2.5)], [])
    assert executor.free_slots() == 1
    handle.incarnation = "second"  # Ray restarted it (a crash) while nobody was asking
    executor._actors[0].verified = float("-inf")  # due for its next check
    executor.poll()  # the check sees another process: it must warm up before a job
    assert executor.free_slots() == 0
    executor.poll()
    assert watch.restarts == ["crashed"] and watch.warmed == [("fake", 2.5)] * 2
    assert executor.free_slots() == 1


def test_an_actor_found_warm_counts_no_warm_up(tmp_path: Path, answered_at_once: None) -> None:
    executor, watch = _pool(tmp_path, _Handle("first"), existed=True)
    executor.poll()
    assert executor.free_slots() == 1 and watch.warmed == [] and watch.restarts == []


def test_an_actor_of_an_earlier_version_is_still_verified_and_used(
    tmp_path: Path, answered_at_once: None
) -> None:
    handle = _Handle(None)  # its ready() says "fake"; it has no status()
    executor, watch = _pool(tmp_path, handle, existed=True)
    executor.poll()
    assert executor.free_slots() == 1
    handle.job = "video_1"  # a previous leader's job
    executor._actors[0].verified = float("-inf")
    executor.poll()
    assert executor.free_slots() == 0  # busy: asked with current()
    assert watch.warmed == [] and watch.restarts == []
