"""Placement: which worker runs which profiles on which devices.

Without `gpus` in the settings there is no placement: `workers` processes each load every
profile, as always. With `gpus = "all"` or a list of devices, every profile that asks for
devices (`gpus_per_job`, or a diffusers profile on an accelerator) gets replicas of its own,
each owning `gpus_per_job` devices that no other worker touches; the other profiles (the
embedded engine, CPU diffusers profiles) share `workers` CPU workers.

Packing is first fit in the order profiles are configured: profiles with a fixed `replicas`
first, then profiles that "fill" take one replica each in turn while devices remain. A profile
that cannot get even one replica, or fewer than it asked for, is refused at start with its name.

Devices are named `cuda:N` on GPU hosts. `cpu:N` names a pseudo-device on the CPU: placement,
process groups and everything else behave as on GPUs, only the tensors stay on the CPU. It is
how placement and multi-rank jobs are tested on machines without an accelerator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FILL = "fill"
PARALLEL_DEGREES = ("ulysses", "ring")


class PlacementError(ValueError):
    """A placement that cannot fit; the message names the profile and what to change."""


@dataclass(frozen=True, kw_only=True)
class ProfileDemand:
    """What one profile asks of the devices."""

    name: str
    gpus_per_job: int  # 0: a CPU profile, run by the shared CPU workers
    replicas: int | None  # None: fill what is free


@dataclass(frozen=True, kw_only=True)
class WorkerPlan:
    """One worker (a process, or a group of `len(devices)` ranks for a multi-GPU job)."""

    profiles: frozenset[str] | None  # None: every profile not placed on devices
    devices: tuple[str, ...] = ()

    @property
    def world_size(self) -> int:
        return max(1, len(self.devices))

    @property
    def on_cpu(self) -> bool:
        return all(d.startswith("cpu") for d in self.devices)

    def label(self) -> str:
        names = "every CPU profile" if self.profiles is None else ", ".join(sorted(self.profiles))
        where = ", ".join(self.devices) if self.devices else "cpu"
        return f"{names} on {where}"

    def rank_device(self, rank: int) -> str:
        """The device a rank's engine uses, as seen inside its process."""
        if not self.devices or self.on_cpu:
            return "cpu"
        return f"cuda:{rank}"  # CUDA_VISIBLE_DEVICES renumbers the owned devices from 0

    def environment(self) -> dict[str, str]:
        """Set in the worker before torch is imported: the devices it may see."""
        if not self.devices or self.on_cpu:
            return {"REELBOX_DEVICES": ",".join(self.devices)}
        indices = ",".join(d.split(":", 1)[1] for d in self.devices)
        return {"CUDA_VISIBLE_DEVICES": indices, "REELBOX_DEVICES": ",".join(self.devices)}


@dataclass(frozen=True, kw_only=True)
class Placement:
    workers: tuple[WorkerPlan, ...]
    placed: frozenset[str]  # profiles that run only on their own devices

    def describe(self) -> list[str]:
        return [f"worker {i}: {w.label()}" for i, w in enumerate(self.workers)]

    def of_profile(self, name: str) -> list[WorkerPlan]:
        return [w for w in self.workers if w.profiles is not None and name in w.profiles]


def detect_gpus() -> list[str]:
    """The CUDA devices of this machine (`gpus = "all"`), without importing torch if possible."""
    nvidia = "/proc/driver/nvidia/gpus"
    if os.path.isdir(nvidia):
        return [f"cuda:{i}" for i in range(len(os.listdir(nvidia)))]
    try:
        import torch
    except ImportError:
        return []
    return [f"cuda:{i}" for i in range(torch.cuda.device_count())]


def resolve_devices(gpus: str | Sequence[str] | None) -> list[str]:
    if gpus is None:
        return []
    if isinstance(gpus, str):
        if gpus != "all":
            raise PlacementError(f"gpus must be 'all' or a list of devices, not {gpus!r}")
        return detect_gpus()
    return list(gpus)


def demand_of(
    name: str,
    engine: str,
    options: Mapping[str, Any],
    *,
    gpus_per_job: int | None,
    replicas: int | str | None,
    devices_configured: bool,
) -> ProfileDemand:
    """A profile's demand: explicit `gpus_per_job`, or one device for an accelerator profile."""
    if gpus_per_job is None:
        device = str(options.get("device", "cuda" if engine == "diffusers" else "cpu"))
        on_accelerator = engine == "diffusers" and not device.startswith("cpu")
        gpus_per_job = 1 if devices_configured and on_accelerator else 0
    if gpus_per_job == 0:
        return ProfileDemand(name=name, gpus_per_job=0, replicas=None)
    count = replicas if isinstance(replicas, int) else None  # None or "fill"
    return ProfileDemand(name=name, gpus_per_job=gpus_per_job, replicas=count)


def place(
    demands: Sequence[ProfileDemand], *, devices: Sequence[str], cpu_workers: int
) -> Placement | None:
    """Pack the profiles' replicas onto `devices`; None when nothing asks for devices."""
    wanting = [d for d in demands if d.gpus_per_job > 0]
    if not wanting:
        return None
    if not devices:
        names = ", ".join(d.name for d in wanting)
        raise PlacementError(
            f"profile(s) {names} ask for GPUs (gpus_per_job) but no devices are configured or "
            "found: set gpus = \"all\" or gpus = [\"cuda:0\", ...]"
        )
    if len(set(devices)) != len(devices):
        raise PlacementError("gpus lists a device twice")
    free = list(devices)
    workers: list[WorkerPlan] = []

    def take(demand: ProfileDemand) -> bool:
        if len(free) < demand.gpus_per_job:
            return False
        owned = tuple(free[: demand.gpus_per_job])
        del free[: demand.gpus_per_job]
        workers.append(WorkerPlan(profiles=frozenset({demand.name}), devices=owned))
        return True

    for demand in (d for d in wanting if d.replicas is not None):
        for made in range(demand.replicas or 0):
            if not take(demand):
                raise PlacementError(
                    f"profile {demand.name!r} asks for {demand.replicas} replica(s) of "
                    f"{demand.gpus_per_job} GPU(s) but only {made} fit on the "
                    f"{len(devices)} device(s) left to it: lower replicas or gpus_per_job, "
                    "or add devices"
                )
    fillers = [d for d in wanting if d.replicas is None]
    counts = dict.fromkeys((d.name for d in fillers), 0)
    progress = True
    while fillers and progress:
        progress = False
        for demand in fillers:
            if take(demand):
                counts[demand.name] += 1
                progress = True
    starved = [name for name, n in counts.items() if n == 0]
    if starved:
        raise PlacementError(
            f"profile(s) {', '.join(starved)} got no devices: {len(devices)} device(s) are all "
            "taken; give the other profiles fewer replicas or add devices"
        )
    cpu = [WorkerPlan(profiles=None) for _ in range(cpu_workers)]
    return Placement(
        workers=(*workers, *cpu), placed=frozenset(d.name for d in wanting)
    )


def check_parallel(name: str, parallel: Mapping[str, Any] | None, gpus_per_job: int) -> None:
    """`parallel = {ulysses = N, ring = M}`: the degrees multiply to `gpus_per_job`."""
    if not parallel:
        if gpus_per_job > 1:
            raise PlacementError(
                f"profile {name!r}: gpus_per_job = {gpus_per_job} needs parallel = "
                f"{{ ulysses = {gpus_per_job} }} (or ring, or a product of both)"
            )
        return
    unknown = sorted(set(parallel) - set(PARALLEL_DEGREES))
    if unknown:
        extra = " (CFG parallelism is not offered by diffusers' enable_parallelism)" if (
            "cfg" in unknown
        ) else ""
        raise PlacementError(
            f"profile {name!r}: unknown parallel degree(s) {', '.join(unknown)}; "
            f"known: {', '.join(PARALLEL_DEGREES)}{extra}"
        )
    product = 1
    for key, value in parallel.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise PlacementError(f"profile {name!r}: parallel.{key} must be a positive integer")
        product *= value
    if product != gpus_per_job:
        raise PlacementError(
            f"profile {name!r}: the parallel degrees multiply to {product} but gpus_per_job "
            f"is {gpus_per_job}"
        )


def plan_workers(
    profiles: Mapping[str, Any], *, gpus: str | Sequence[str] | None, cpu_workers: int
) -> Placement | None:
    """The placement for settings' `profiles` (ProfileSettings) and `gpus`; None: no placement.

    Raises PlacementError naming the profile when the placement cannot fit.
    """
    devices = resolve_devices(gpus)
    demands = []
    for name, profile in profiles.items():
        demand = demand_of(
            name,
            profile.engine,
            profile.options,
            gpus_per_job=profile.gpus_per_job,
            replicas=profile.replicas,
            devices_configured=gpus is not None,
        )
        if demand.gpus_per_job:
            check_parallel(name, profile.options.get("parallel"), demand.gpus_per_job)
        elif profile.options.get("parallel"):
            raise PlacementError(f"profile {name!r}: parallel needs gpus_per_job and gpus")
        demands.append(demand)
    if gpus is not None and not devices:
        raise PlacementError('gpus = "all" but this machine has no CUDA devices')
    return place(demands, devices=devices, cpu_workers=cpu_workers)
