"""The Ray executor's start-up checks: a profile whose replicas fit on no node is refused, and
its pools follow the profiles' settings; which named actors and groups a leader removes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelbox.executors.ray_executor import (
    RayExecutor,
    RayProfile,
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


def test_pool_members_are_named_by_profile_and_index() -> None:
    assert parse_name("reelbox-wan-0") == ("wan", 0)
    assert parse_name("reelbox-reelbox-procedural-12") == ("reelbox-procedural", 12)
    assert parse_name("reelbox-wan-2-1") == ("wan-2", 1)  # a profile whose name ends in digits
    for other in ("reelbox-wan", "reelbox--0", "reelbox-wan-x", "serve-wan-0", "wan-0"):
        assert parse_name(other) is None


def test_a_leader_removes_members_of_profiles_gone_or_past_their_replicas(tmp_path: Path) -> None:
    executor = RayExecutor(
        address="auto",
        namespace="reelbox",
        config=WorkerConfig(
            database_url="sqlite://",
            blob_dir=tmp_path,
            profiles={},
            run=RunSettings(lease_seconds=30, retention_seconds=60),
        ),
        profiles={"wan": RayProfile(replicas=2), "wan-2": RayProfile(replicas=1)},
        store=Store(connect("sqlite://")),
        job_timeout=60,
    )
    assert executor.unwanted("reelbox-wan-0") is None
    assert executor.unwanted("reelbox-wan-1") is None
    assert executor.unwanted("reelbox-wan-2") == "ray_profiles.wan.replicas is 2"
    assert executor.unwanted("reelbox-wan-2-0") is None  # the first actor of profile 'wan-2'
    assert executor.unwanted("reelbox-wan-2-1") == "ray_profiles.wan-2.replicas is 1"
    assert executor.unwanted("reelbox-ltx-0") == "profile 'ltx' is not on Ray any more"
    assert executor.unwanted("someone-else-0") is None  # not a pool member: never touched
