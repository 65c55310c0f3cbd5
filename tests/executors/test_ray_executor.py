"""The Ray executor's start-up check: a profile whose actors fit on no node is refused."""

from __future__ import annotations

import pytest

from reelbox.executors.ray_executor import RayProfile, check_resources

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
