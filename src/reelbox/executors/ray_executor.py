"""`RayExecutor`: jobs placed by Ray on a cluster of GPU machines.

Each profile is a pool of `JobActor`s (ray_actor.py) with the resources its settings ask for
(`replicas`, `num_gpus`, `num_cpus`, custom `resources`, `runtime_env`, `max_restarts`). Ray
decides where each actor lives and restarts one whose process or node died; Reelbox decides
what runs: fairness and per-project limits stay in PostgreSQL, and the scheduler claims a job
only for a profile that has an idle, warm actor (`free_profiles`), so nothing waits in Ray's
own queues.

```
leader's scheduler ── claim (profile with a free actor) ──► actor.run(job, attempt) ──► DB, bucket
         ▲                                                     │ (on the node Ray chose)
         └──────── poll: finished / actor died (re-queue) / overdue (kill, fail) ◄──┘
```

A profile with `gpus_per_job` = N > 1 gets, per replica, a placement group of one N-GPU bundle
(`STRICT_PACK`, detached, named like the actor) and an actor in it that runs each job on N
ranks (ray_actor.py); `check_resources` refuses, naming the profile, one that no node can hold.

Actors are named and detached, so they outlive the replica that created them: a replica
elected leader later finds the same actors (by name) and asks each what it is running before
handing it anything. A run whose actor dies is re-queued (or failed after `max_attempts`) at
once; a run whose submitter died is recovered when its lease runs out.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from reelbox.executors.placement import check_parallel
from reelbox.executors.worker import WorkerConfig
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.settings import Settings
from reelbox.store.store import Store

log = logging.getLogger(__name__)

VERIFY_SECONDS = 1.0


@dataclass(frozen=True, kw_only=True)
class RayProfile:
    """How one profile's actors are placed (settings' `[ray_profiles.NAME]`)."""

    replicas: int = 1
    num_gpus: float = 0
    num_cpus: float = 1
    resources: dict[str, float] = field(default_factory=dict)
    runtime_env: dict[str, Any] = field(default_factory=dict)
    max_restarts: int = 3
    spread: bool = True  # place the pool's actors on different nodes where Ray can
    # A multi-GPU job (`profiles.NAME.gpus_per_job` > 1): each replica is a placement group
    # of one bundle with that many GPUs, so its ranks share one machine.
    gpus_per_job: int = 1

    @property
    def multi_gpu(self) -> bool:
        return self.gpus_per_job > 1

    def demand(self) -> dict[str, float]:
        """What one replica reserves on one node (zero amounts left out)."""
        gpus = float(self.gpus_per_job) if self.multi_gpu else self.num_gpus
        wanted = {"GPU": gpus, "CPU": self.num_cpus, **self.resources}
        return {k: v for k, v in wanted.items() if v}


@dataclass
class _Actor:
    name: str
    profile: str
    handle: Any
    ready_ref: Any | None  # pending until the actor is warm (again)
    verified: float = float("-inf")  # when it last said it runs nothing
    job: Job | None = None
    run_ref: Any | None = None
    started: float = 0.0

    @property
    def idle(self) -> bool:
        # An actor this replica gave nothing may still run a previous leader's job: it counts
        # as free only if it said so within the last VERIFY_SECONDS.
        fresh = time.monotonic() - self.verified < 2 * VERIFY_SECONDS
        return self.ready_ref is None and self.job is None and fresh


class RayExecutor:
    def __init__(
        self,
        *,
        address: str,
        namespace: str,
        config: WorkerConfig,
        profiles: dict[str, RayProfile],
        store: Store,
        job_timeout: float,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.config = config
        self.profiles = profiles
        self.store = store
        self.job_timeout = job_timeout
        self._actors: list[_Actor] = []

    # -- start-up ---------------------------------------------------------------------------------

    def start(self) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(
                address=self.address,
                namespace=self.namespace,
                log_to_driver=False,
                configure_logging=False,
            )
        check_resources(self.profiles, ray.nodes())  # type: ignore[no-untyped-call]
        for profile, placement in self.profiles.items():
            for index in range(placement.replicas):
                self._actors.append(self._create(profile, placement, index))

    def _create(self, profile: str, placement: RayProfile, index: int) -> _Actor:
        import ray

        from reelbox.executors.ray_actor import JobActor

        name = f"reelbox-{profile}-{index}"
        if placement.multi_gpu:
            strategy: Any = self._packed(name, placement)
        elif placement.spread:
            strategy = "SPREAD"
        else:
            strategy = None
        options: dict[str, Any] = {
            "name": name,
            "namespace": self.namespace,
            "lifetime": "detached",
            "get_if_exists": True,
            "max_restarts": placement.max_restarts,
            "max_task_retries": 0,  # a lost run is re-queued by us, with a new attempt
            "max_concurrency": 2,  # `current()` answers while `run()` works
            "num_cpus": placement.num_cpus,
            "num_gpus": placement.gpus_per_job if placement.multi_gpu else placement.num_gpus,
        }
        if strategy is not None:
            options["scheduling_strategy"] = strategy
        if placement.resources:
            options["resources"] = placement.resources
        if placement.runtime_env:
            options["runtime_env"] = placement.runtime_env
        remote: Any = ray.remote(JobActor)  # Ray's stubs do not model actor classes
        handle = remote.options(**options).remote(
            self.config, profile, ranks=placement.gpus_per_job
        )
        return _Actor(name=name, profile=profile, handle=handle, ready_ref=handle.ready.remote())

    def _packed(self, name: str, placement: RayProfile) -> Any:
        """The replica's placement group: one bundle holding all its GPUs (STRICT_PACK).

        One bundle, not one per rank: the actor owns the N GPUs and starts its N-1 follower
        ranks as child processes (ray_actor.py), exactly as a local multi-GPU worker does, so
        the group lives and dies as one process tree and Ray restarts it whole. The group is
        detached and named after the replica: it keeps the GPUs reserved while the actor
        restarts, and a later leader finds it again.
        """
        from ray.util import get_placement_group, placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        try:
            group = get_placement_group(name)
        except ValueError:  # not made yet
            group = placement_group(
                [placement.demand()], strategy="STRICT_PACK", name=name, lifetime="detached"
            )
        return PlacementGroupSchedulingStrategy(
            placement_group=group, placement_group_bundle_index=0
        )

    # -- the Executor protocol --------------------------------------------------------------------

    def free_slots(self) -> int:
        return sum(1 for a in self._actors if a.idle)

    def free_profiles(self) -> set[str]:
        """Profiles with an idle, warm actor: the only jobs worth claiming now."""
        return {a.profile for a in self._actors if a.idle}

    def running(self) -> set[str]:
        return {a.job.id for a in self._actors if a.job is not None}

    def submit(self, job: Job) -> None:
        actor = next(a for a in self._actors if a.idle and a.profile == job.profile)
        actor.job = job
        actor.started = time.monotonic()
        actor.run_ref = actor.handle.run.remote(job.id, job.attempt)

    def poll(self) -> None:
        import ray

        pending = [a.ready_ref for a in self._actors if a.ready_ref is not None]
        pending += [a.run_ref for a in self._actors if a.run_ref is not None]
        done: set[Any] = set()
        if pending:
            finished, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
            done = set(finished)
        for i, actor in enumerate(self._actors):
            if actor.ready_ref is not None and actor.ready_ref in done:
                self._became_ready(i, actor)
            elif actor.run_ref is not None and actor.run_ref in done:
                self._finished(actor)
            elif actor.job is not None and time.monotonic() - actor.started > self.job_timeout:
                self._overdue(actor)
        self._verify()

    def _became_ready(self, index: int, actor: _Actor) -> None:
        import ray

        try:
            ray.get(actor.ready_ref)  # type: ignore[arg-type]
        except ray.exceptions.ActorUnavailableError:
            actor.ready_ref = actor.handle.ready.remote()  # restarting: ask again
            return
        except ray.exceptions.RayActorError as exc:
            # Restarts are used up (or the constructor failed): a fresh actor under the name.
            log.warning("actor %s is gone (%s); creating it again", actor.name, exc)
            index_in_profile = int(actor.name.rsplit("-", 1)[1])
            self._actors[index] = self._create(
                actor.profile, self.profiles[actor.profile], index_in_profile
            )
            return
        log.info("actor %s ready", actor.name)
        actor.ready_ref = None
        actor.verified = float("-inf")

    def _finished(self, actor: _Actor) -> None:
        import ray

        job = actor.job
        assert job is not None
        try:
            ray.get(actor.run_ref)  # type: ignore[arg-type]
        except ray.exceptions.RayActorError as exc:
            # The actor's process or node died: only this job is lost, and it runs again.
            reason = f"the Ray actor running it died ({type(exc).__name__})"
            log.warning("job %s: %s", job.id, reason)
            self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=reason)
            actor.ready_ref = actor.handle.ready.remote()  # resolves once Ray restarted it
        except ray.exceptions.RayError as exc:
            log.warning("job %s: the run failed in Ray: %s", job.id, exc)
            self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=str(exc))
        else:
            actor.verified = time.monotonic()  # it ran ours to the end: idle now
        actor.job = None
        actor.run_ref = None

    def _overdue(self, actor: _Actor) -> None:
        import ray

        job = actor.job
        assert job is not None
        log.warning("job %s exceeded %.0f s; restarting its actor", job.id, self.job_timeout)
        ray.kill(actor.handle, no_restart=False)
        self.store.fail(
            job.id,
            attempt=job.attempt,
            code=FailureCode.TIMEOUT.value,
            message=f"The job did not finish within {self.job_timeout:g} seconds.",
        )
        actor.job = None
        actor.run_ref = None
        actor.ready_ref = actor.handle.ready.remote()

    def _verify(self) -> None:
        """Ask warm actors given nothing by this replica whether they run a job (a previous
        leader's), about once a second."""
        import ray

        now = time.monotonic()
        unchecked = [
            a
            for a in self._actors
            if a.ready_ref is None and a.job is None and now - a.verified >= VERIFY_SECONDS
        ]
        if not unchecked:
            return
        refs = [a.handle.current.remote() for a in unchecked]
        finished, _ = ray.wait(refs, num_returns=len(refs), timeout=1)
        for actor, ref in zip(unchecked, refs, strict=True):
            if ref not in finished:
                continue
            try:
                busy = ray.get(ref)
            except ray.exceptions.RayError:  # died or restarting: wait until it is warm again
                actor.ready_ref = actor.handle.ready.remote()
                continue
            actor.verified = now if busy is None else float("-inf")

    def shutdown(self) -> None:
        """Leave the actors running (detached): the next leader uses them. Disconnect."""
        import ray

        self._actors = []
        if ray.is_initialized():
            ray.shutdown()


def ray_profiles(settings: Settings) -> dict[str, RayProfile]:
    """Each profile's pool on Ray (`[ray_profiles.NAME]`, and `gpus_per_job` of the profile);
    profiles with `replicas = 0` are left out. Raises ValueError naming a bad profile."""
    profiles = {}
    for name, profile in settings.profiles.items():
        pool = settings.ray_profiles.get(name)
        values = pool.model_dump() if pool is not None else {}
        gpus_per_job = profile.gpus_per_job or 1
        if gpus_per_job > 1:
            if values.get("num_gpus", 0) not in (0, gpus_per_job):
                raise ValueError(
                    f"ray_profiles.{name}.num_gpus = {values['num_gpus']:g} but the profile's "
                    f"gpus_per_job is {gpus_per_job}: each replica reserves gpus_per_job GPUs "
                    "(leave num_gpus out)"
                )
            check_parallel(name, profile.options.get("parallel"), gpus_per_job)
        ray_profile = RayProfile(**values, gpus_per_job=gpus_per_job)
        if ray_profile.replicas > 0:
            profiles[name] = ray_profile
    return profiles


def check_resources(profiles: dict[str, RayProfile], nodes: list[dict[str, Any]]) -> None:
    """Refuse a profile whose replica fits on no live node (more GPUs per job, CPUs or custom
    resources than any one node has), naming it."""
    alive = [n.get("Resources", {}) for n in nodes if n.get("Alive")]
    for name, placement in profiles.items():
        wanted = placement.demand()
        if any(all(node.get(k, 0) >= v for k, v in wanted.items()) for node in alive):
            continue
        most = max((node.get("GPU", 0) for node in alive), default=0)
        if placement.multi_gpu and most < placement.gpus_per_job:
            raise ValueError(
                f"profile {name!r}: gpus_per_job = {placement.gpus_per_job} but no Ray node "
                f"has that many GPUs (the most on one node: {most:g}); a job's ranks share "
                "one machine"
            )
        asked = ", ".join(f"{k}={v:g}" for k, v in sorted(wanted.items()))
        raise ValueError(f"ray_profiles.{name}: no Ray node has {asked}")
