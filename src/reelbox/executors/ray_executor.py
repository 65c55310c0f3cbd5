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

Actors are named and detached, so they outlive the replica that created them. Only the
dispatching leader touches the pools: `start()` connects and checks resources, and the
scheduler calls `lead()` when its replica becomes the leader, which finds the existing actors
by name (asking each what it is running before handing it anything), creates the missing ones
and removes what the settings no longer ask for (`reelbox-<profile>-<n>` actors and placement
groups of a profile that is gone or has fewer `replicas` now), but never an actor still running
a job: that one is removed once its job ends. `step_down()` (leadership lost) keeps only the
actors whose runs this replica must still settle, and recreates nothing. A run whose actor dies
is re-queued (or failed after `max_attempts`) at once; a run whose submitter died is recovered
when its lease runs out.

The executor tells its `WorkerWatch` (`/metrics`) what the local executor tells it: each
actor's warm-up, measured in the actor, and each restart (`timeout` when it killed an overdue
actor, else `crashed`), seen as a new incarnation answering `ready()`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from reelbox.executors.base import WorkerWatch
from reelbox.executors.placement import check_parallel
from reelbox.executors.worker import WorkerConfig
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.settings import Settings
from reelbox.store.store import Store

log = logging.getLogger(__name__)

VERIFY_SECONDS = 1.0
PREFIX = "reelbox-"  # actors and placement groups are named reelbox-<profile>-<index>


def actor_name(profile: str, index: int) -> str:
    return f"{PREFIX}{profile}-{index}"


def parse_name(name: str) -> tuple[str, int] | None:
    """(profile, index) of a pool member's name; None for any other name."""
    if not name.startswith(PREFIX):
        return None
    profile, _, index = name.removeprefix(PREFIX).rpartition("-")
    if not profile or not index.isdigit():
        return None
    return profile, int(index)


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
    # Warm-ups and restarts (WorkerWatch): the incarnation that last answered `ready()`, and
    # whether the actor existed before this replica took it (its warm-up was someone else's).
    incarnation: str | None = None
    existed: bool = False
    timed_out: bool = False  # killed by us for an overdue job: its restart is a `timeout`

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
        watch: WorkerWatch | None = None,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.config = config
        self.profiles = profiles
        self.store = store
        self.job_timeout = job_timeout
        self.watch = watch
        self._actors: list[_Actor] = []
        self._leading = False
        # Actors the settings no longer ask for that were running a job when found: removed
        # once idle (name -> handle).
        self._retiring: dict[str, Any] = {}
        self._retiring_checked = float("-inf")

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

    def lead(self) -> None:
        """This replica's scheduler now dispatches: remove the actors and placement groups the
        settings no longer ask for (idle ones at once, busy ones once their job ends), then
        take every configured actor, finding it by name or creating it."""
        from ray.util import list_named_actors

        self._leading = True
        named = {
            entry["name"]
            for entry in list_named_actors(all_namespaces=True)
            if isinstance(entry, dict) and entry.get("namespace") == self.namespace
        }
        self._retire(named)
        held = {a.name for a in self._actors}
        for profile, placement in self.profiles.items():
            for index in range(placement.replicas):
                name = actor_name(profile, index)
                if name not in held:
                    actor = self._create(profile, placement, index, existed=name in named)
                    self._actors.append(actor)

    def step_down(self) -> None:
        """Another replica dispatches now: keep only the actors running a job this replica
        handed out (their runs are settled here), and leave the pools to the leader."""
        self._leading = False
        self._actors = [a for a in self._actors if a.job is not None]
        self._retiring = {}  # the leader retires them

    def unwanted(self, name: str) -> str | None:
        """Why the settings no longer ask for the pool member `name`, or None (wanted, or not
        a pool member's name)."""
        parsed = parse_name(name)
        if parsed is None:
            return None
        profile, index = parsed
        placement = self.profiles.get(profile)
        if placement is None:
            return f"profile {profile!r} is not on Ray any more"
        if index >= placement.replicas:
            return f"ray_profiles.{profile}.replicas is {placement.replicas}"
        return None

    def _retire(self, named: set[str]) -> None:
        """Mark the unwanted actors for removal and remove the unwanted placement groups that
        hold no actor of ours any more."""
        import ray
        from ray.util import placement_group_table

        for name in sorted(named):
            reason = self.unwanted(name)
            if reason is None or name in self._retiring:
                continue
            try:
                self._retiring[name] = ray.get_actor(name, namespace=self.namespace)
            except ValueError:  # gone since it was listed
                continue
            log.info("actor %s is no longer wanted (%s): removing it once idle", name, reason)
        self._remove_retiring()
        groups = {
            g["name"] for g in placement_group_table().values() if g.get("state") != "REMOVED"
        }
        for name in sorted(groups - set(self._retiring)):
            reason = self.unwanted(name)
            if reason is not None:
                self._remove_group(name, reason)

    def _remove_retiring(self) -> None:
        """Remove each retiring actor that says it runs nothing (or is dead or restarting),
        and its placement group; one still running a job is asked again later."""
        import ray

        self._retiring_checked = time.monotonic()
        if not self._retiring:
            return
        refs = {name: handle.current.remote() for name, handle in self._retiring.items()}
        finished, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=VERIFY_SECONDS)
        for name, ref in refs.items():
            if ref not in finished:
                continue  # still warming (or slow to answer): it may be busy, ask again later
            try:
                busy = ray.get(ref)
            except ray.exceptions.RayError:  # dead or restarting: it runs nothing
                busy = None
            if busy is not None:
                log.debug("actor %s still runs job %s: kept until it ends", name, busy)
                continue
            ray.kill(self._retiring.pop(name), no_restart=True)
            reason = self.unwanted(name) or "no longer wanted"
            log.warning("removed actor %s (%s)", name, reason)
            self._remove_group(name, reason)

    def _remove_group(self, name: str, reason: str) -> None:
        """Remove the placement group `name` of this namespace (the driver's), if it exists."""
        from ray.util import get_placement_group, remove_placement_group

        try:
            group = get_placement_group(name)
        except ValueError:  # none by that name in this namespace
            return
        remove_placement_group(group)
        log.warning("removed placement group %s (%s)", name, reason)

    def _create(
        self, profile: str, placement: RayProfile, index: int, *, existed: bool = False
    ) -> _Actor:
        import ray

        from reelbox.executors.ray_actor import JobActor

        name = actor_name(profile, index)
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
        return _Actor(
            name=name,
            profile=profile,
            handle=handle,
            ready_ref=handle.ready.remote(),
            existed=existed,
        )

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
        if not self._leading:  # settled runs leave their actors to the leader
            self._actors = [a for a in self._actors if a.job is not None]
        self._verify()
        if self._retiring and time.monotonic() - self._retiring_checked >= VERIFY_SECONDS:
            self._remove_retiring()

    def _became_ready(self, index: int, actor: _Actor) -> None:
        import ray

        try:
            report: Any = ray.get(actor.ready_ref)  # type: ignore[arg-type]
        except ray.exceptions.ActorUnavailableError:
            actor.ready_ref = actor.handle.ready.remote()  # restarting: ask again
            return
        except ray.exceptions.RayActorError as exc:
            if not self._leading:  # the leader recreates it (or removed it on purpose)
                actor.ready_ref = None
                return
            # Restarts are used up (or the constructor failed): a fresh actor under the name.
            log.warning("actor %s is gone (%s); creating it again", actor.name, exc)
            self._restarted("timeout" if actor.timed_out else "crashed")
            parsed = parse_name(actor.name)
            assert parsed is not None
            self._actors[index] = self._create(
                actor.profile, self.profiles[actor.profile], parsed[1]
            )
            return
        incarnation = report.get("incarnation") if isinstance(report, dict) else None
        if actor.timed_out and incarnation is not None and incarnation == actor.incarnation:
            # The process we killed answered before the kill reached it: wait for its restart.
            actor.ready_ref = actor.handle.ready.remote()
            return
        log.info("actor %s ready", actor.name)
        actor.ready_ref = None
        actor.verified = float("-inf")
        if incarnation is not None:  # else an actor of an earlier Reelbox: nothing to count
            self._count_warm_up(actor, str(incarnation), report)

    def _count_warm_up(self, actor: _Actor, incarnation: str, report: dict[str, Any]) -> None:
        """Tell the watch of a warm-up this replica saw: an actor it created, or a restart
        (a new incarnation under the name), with the seconds the actor measured."""
        if actor.incarnation is None:
            counted = not actor.existed  # found warm: its warm-up was another leader's
        else:
            counted = incarnation != actor.incarnation
            if counted:
                self._restarted("timeout" if actor.timed_out else "crashed")
                actor.timed_out = False
        actor.incarnation = incarnation
        if counted and self.watch is not None:
            for profile, seconds in dict(report.get("warm_seconds", {})).items():
                self.watch.worker_warmed(str(profile), float(seconds))

    def _restarted(self, reason: str) -> None:
        if self.watch is not None:
            self.watch.worker_restarted(reason)

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
        actor.timed_out = True
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
        # An actor started by an earlier Reelbox (no incarnation: rolling the replicas leaves
        # the actors running) has no `status()`; `current()` says what it runs.
        refs = [
            a.handle.status.remote() if a.incarnation is not None else a.handle.current.remote()
            for a in unchecked
        ]
        finished, _ = ray.wait(refs, num_returns=len(refs), timeout=1)
        for actor, ref in zip(unchecked, refs, strict=True):
            if ref not in finished:
                continue
            try:
                answer = ray.get(ref)
            except ray.exceptions.RayError:  # died or restarting: wait until it is warm again
                actor.ready_ref = actor.handle.ready.remote()
                continue
            incarnation, busy = answer if actor.incarnation is not None else (None, answer)
            if incarnation is not None and incarnation != actor.incarnation:
                # Restarted by Ray since it last answered: `ready()` counts it, then verify.
                actor.ready_ref = actor.handle.ready.remote()
                continue
            actor.verified = now if busy is None else float("-inf")

    def shutdown(self) -> None:
        """Leave the actors running (detached): the next leader uses them. Disconnect."""
        import ray

        self._actors = []
        self._retiring = {}
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
