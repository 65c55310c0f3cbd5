"""Packing profiles' replicas onto devices, and refusing what cannot fit (by profile name)."""

from __future__ import annotations

import pytest

from reelbox.executors.placement import (
    PlacementError,
    ProfileDemand,
    WorkerPlan,
    check_parallel,
    place,
    plan_workers,
)
from reelbox.settings import Settings

EIGHT = [f"cuda:{i}" for i in range(8)]


def demand(name: str, gpus: int, replicas: int | None) -> ProfileDemand:
    return ProfileDemand(name=name, gpus_per_job=gpus, replicas=replicas)


def test_no_profile_asks_for_devices_means_no_placement() -> None:
    assert place([demand("embedded", 0, None)], devices=EIGHT, cpu_workers=2) is None


def test_fixed_replicas_pack_first_then_fill_takes_the_rest() -> None:
    placement = place(
        [demand("a14b", 4, 1), demand("ti2v-5b", 1, None), demand("embedded", 0, None)],
        devices=EIGHT,
        cpu_workers=2,
    )
    assert placement is not None
    assert placement.workers[0] == WorkerPlan(
        profiles=frozenset({"a14b"}), devices=("cuda:0", "cuda:1", "cuda:2", "cuda:3")
    )
    assert [w.devices for w in placement.of_profile("ti2v-5b")] == [
        ("cuda:4",),
        ("cuda:5",),
        ("cuda:6",),
        ("cuda:7",),
    ]
    cpu = [w for w in placement.workers if w.profiles is None]
    assert len(cpu) == 2 and all(w.devices == () for w in cpu)
    assert placement.placed == {"a14b", "ti2v-5b"}


def test_the_issue_fleet_two_a14b_groups_beside_no_room() -> None:
    with pytest.raises(PlacementError, match="ti2v-5b got no devices"):
        place([demand("a14b", 4, 2), demand("ti2v-5b", 1, None)], devices=EIGHT, cpu_workers=1)


def test_too_many_replicas_names_the_profile() -> None:
    with pytest.raises(PlacementError, match="profile 'big' asks for 3 replica"):
        place([demand("big", 4, 3)], devices=EIGHT, cpu_workers=1)


def test_fill_profiles_share_devices_in_turn() -> None:
    placement = place(
        [demand("x", 1, None), demand("y", 2, None)], devices=EIGHT[:5], cpu_workers=0
    )
    assert placement is not None
    assert [w.devices for w in placement.of_profile("x")] == [("cuda:0",), ("cuda:3",), ("cuda:4",)]
    assert [w.devices for w in placement.of_profile("y")] == [("cuda:1", "cuda:2")]


def test_devices_are_renumbered_inside_the_worker() -> None:
    plan = WorkerPlan(profiles=frozenset({"p"}), devices=("cuda:5", "cuda:6"))
    assert plan.environment()["CUDA_VISIBLE_DEVICES"] == "5,6"
    assert [plan.rank_device(r) for r in range(2)] == ["cuda:0", "cuda:1"]
    cpu = WorkerPlan(profiles=frozenset({"p"}), devices=("cpu:0", "cpu:1"))
    assert "CUDA_VISIBLE_DEVICES" not in cpu.environment()
    assert cpu.rank_device(1) == "cpu" and cpu.on_cpu


def test_parallel_degrees_must_multiply_to_the_gpus() -> None:
    check_parallel("p", {"ulysses": 2, "ring": 2}, 4)
    with pytest.raises(PlacementError, match="multiply to 2 but gpus_per_job is 4"):
        check_parallel("p", {"ulysses": 2}, 4)
    with pytest.raises(PlacementError, match="needs parallel"):
        check_parallel("p", None, 2)
    with pytest.raises(PlacementError, match="CFG parallelism"):
        check_parallel("p", {"cfg": 2}, 2)


def _settings(**profiles: dict[str, object]) -> Settings:
    return Settings(profiles=profiles)  # type: ignore[arg-type]


def test_settings_without_gpus_place_nothing() -> None:
    settings = _settings(wan={"engine": "diffusers", "family": "wan2.1-t2v", "path": "/w"})
    assert plan_workers(settings.profiles, gpus=None, cpu_workers=2) is None


def test_settings_with_gpus_place_accelerator_profiles_one_device_each() -> None:
    settings = _settings(
        wan={"engine": "diffusers", "family": "wan2.1-t2v", "path": "/w"},
        wan_cpu={"engine": "diffusers", "family": "wan2.1-t2v", "path": "/w", "device": "cpu"},
    )
    placement = plan_workers(settings.profiles, gpus=["cuda:0", "cuda:1"], cpu_workers=1)
    assert placement is not None
    assert [w.devices for w in placement.of_profile("wan")] == [("cuda:0",), ("cuda:1",)]
    assert placement.of_profile("wan_cpu") == []  # a CPU profile stays on the CPU workers


def test_a_multi_gpu_profile_needs_its_parallel_table() -> None:
    settings = _settings(
        big={"engine": "diffusers", "family": "wan2.1-t2v", "path": "/w", "gpus_per_job": 2}
    )
    with pytest.raises(PlacementError, match="profile 'big': gpus_per_job = 2 needs parallel"):
        plan_workers(settings.profiles, gpus=["cuda:0", "cuda:1"], cpu_workers=1)


def test_gpus_per_job_without_devices_is_refused() -> None:
    settings = _settings(big={"engine": "fake", "gpus_per_job": 1})
    with pytest.raises(PlacementError, match="big ask for GPUs"):
        plan_workers(settings.profiles, gpus=None, cpu_workers=1)


def test_bad_device_names_are_refused_by_settings() -> None:
    with pytest.raises(ValueError, match="'gpu0' is not a device"):
        Settings(gpus=["gpu0"])
