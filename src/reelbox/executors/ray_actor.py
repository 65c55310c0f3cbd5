"""`JobActor`: one resident engine of one profile, as a Ray actor on whatever node Ray chose.

An actor is the Ray twin of a local worker process (worker.py): it builds its own database
connection, blob store (the cluster's object store) and engine, warms the engine in its
constructor (so `ready()` resolves only once the weights are loaded, and a job's clock never
includes warm-up), then runs the jobs the leader's scheduler hands it, one at a time, through
the same `runner.run_job` as the local workers: progress, lease, results and failures go
straight to PostgreSQL and the object store, fenced by attempt. Cancellation reaches it through
the database (the runner's heartbeat sees the job leave `in_progress` and stops the engine at
its next step), so a `DELETE` on any replica stops a job on any node.

The actor is threaded (`max_concurrency` 2): `current()` answers while `run()` works, which is
how a newly elected leader learns which actors are still busy with its predecessor's jobs.

A multi-GPU profile (`gpus_per_job` = N) gets actors that own N GPUs (a placement group of one
bundle, ray_executor.py). Such an actor is rank 0 of a job group (executors/ranks.py): it
spawns ranks 1..N-1 as child processes running the local workers' follower loop
(`worker.worker_main` with a `Seat`), and runs each job as a local rank 0 does. A rank that dies
or a group that goes out of step ends the actor's process (the followers die with it); Ray
restarts the actor, which builds the group afresh, and the executor re-queues the job.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import socket
import tempfile
import threading
import time
import uuid
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from reelbox.blobs.factory import open_blob_store
from reelbox.engines.base import Engine
from reelbox.engines.registry import build_engine
from reelbox.executors.placement import WorkerPlan
from reelbox.executors.ranks import EXIT_GROUP_LOST, GroupAddress, RankGroup
from reelbox.executors.runner import run_job
from reelbox.executors.worker import Seat, WorkerConfig, _run_in_group, _warm_engines, worker_main
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode, JobStatus
from reelbox.moderation.moderator import Moderator
from reelbox.observability.logs import configure_worker, use_job
from reelbox.store.database import connect
from reelbox.store.store import Store

log = logging.getLogger(__name__)


class JobActor:
    def __init__(self, config: WorkerConfig, profile: str, *, ranks: int = 1) -> None:
        configure_worker(config.logging, text_format="%(asctime)s actor %(message)s")
        work_dir = Path(tempfile.mkdtemp(prefix=f"reelbox-{profile}-"))
        # The replica's blob_dir means nothing on this node: stage and cache here instead.
        self.config = config = dataclasses.replace(config, blob_dir=work_dir)
        self.profile = profile
        self.group: RankGroup | None = None
        self._ranks: list[BaseProcess] = []
        profiles = {profile: config.profiles[profile]}
        if ranks > 1:
            profiles = self._start_group(ranks)  # before the engine loads: it joins the group
        self.store = Store(
            connect(config.database_url, pool_size=2),
            retention_seconds=config.run.retention_seconds,
        )
        self.blobs = open_blob_store(
            url=config.blob_url, local_dir=work_dir, options=config.blob_options
        )
        self.moderator = Moderator(config.moderation) if config.moderation is not None else None
        self.tracing = None
        if config.otel_endpoint is not None:
            from reelbox.observability.tracing import Tracing

            self.tracing = Tracing.start(
                service_name=config.otel_service_name, endpoint=config.otel_endpoint
            )
        self.engines: dict[str, Engine]
        self.engines, self._warm_seconds = _warm_engines(profiles)
        # Tells a restart (a new process under the same name) from the actor that answered
        # before: the executor counts restarts and warm-ups by it.
        self.incarnation = uuid.uuid4().hex
        self._current: str | None = None
        self._lock = threading.Lock()

    def _start_group(self, ranks: int) -> dict[str, tuple[str, dict[str, Any]]]:
        """Spawn ranks 1..N-1 and join the group as rank 0; this rank's profile options."""
        engine, options = self.config.profiles[self.profile]
        plan = rank_plan(self.profile, ranks, options)
        os.environ.update(plan.environment())
        port = _free_port()
        context = multiprocessing.get_context("spawn")
        for rank in range(1, ranks):
            seat = rank_seat(plan, self.profile, engine, options, rank=rank, port=port)
            process = context.Process(
                target=worker_main,
                args=(None, self.config, os.getpid(), seat),
                name=f"reelbox-actor-rank{rank}",
                daemon=True,
            )
            process.start()
            self._ranks.append(process)
        threading.Thread(target=self._watch_ranks, name="ranks", daemon=True).start()
        seat = rank_seat(plan, self.profile, engine, options, rank=0, port=port)
        assert seat.group is not None
        self.group = RankGroup.join(seat.group)
        log.info("profile %s: rank 0 of %d on %s", self.profile, ranks, ", ".join(plan.devices))
        return seat.profiles

    def _watch_ranks(self) -> None:
        """A follower that died leaves the group unusable: end this process, so Ray restarts
        the actor and it builds a new group (its running job, if any, is re-queued)."""
        while True:
            time.sleep(0.5)
            dead = [p for p in self._ranks if not p.is_alive()]
            if dead:
                log.error("rank process %s ended; restarting the job group", dead[0].name)
                logging.shutdown()
                os._exit(EXIT_GROUP_LOST)

    def ready(self) -> dict[str, Any]:
        """Resolves once the constructor (the warm-up) is done: the profile's name, this
        process's incarnation and the seconds each profile took to build and warm."""
        return {
            "profile": self.profile,
            "incarnation": self.incarnation,
            "warm_seconds": dict(self._warm_seconds),
        }

    def current(self) -> str | None:
        """The job this actor is running, if any."""
        return self._current

    def status(self) -> tuple[str, str | None]:
        """This process's incarnation and the job it is running, if any (a restart shows as
        a new incarnation)."""
        return self.incarnation, self._current

    def ranks(self) -> dict[int, bool]:
        """The follower ranks' process ids and whether each is alive (a multi-GPU actor)."""
        return {p.pid or 0: p.is_alive() for p in self._ranks}

    def run(self, job_id: str, attempt: int) -> str:
        """Run one claimed job to its end (recorded in the database); returns its id."""
        with self._lock:
            self._current = job_id
            try:
                self._run(job_id, attempt)
            finally:
                self._current = None
                use_job(None)
        return job_id

    # Copied from worker.worker_main's loop body (the same checks, for one job).
    def _run(self, job_id: str, attempt: int) -> None:
        job = self.store.get_job(job_id)
        use_job(job)  # on this job's log lines
        if job is None or job.attempt != attempt or job.status is not JobStatus.IN_PROGRESS:
            return
        if self.group is not None:
            self._run_in_group(self.group, job)
            return
        try:
            engine = self.engines.get(job.profile)
            if engine is None:
                name, options = self.config.profiles[job.profile]
                engine = self.engines[job.profile] = build_engine(name, options)
        except Exception as exc:
            log.exception("cannot build engine for profile %s", job.profile)
            self.store.fail(
                job.id,
                attempt=attempt,
                code=FailureCode.ENGINE_ERROR.value,
                message=f"The engine for {job.profile!r} could not start: {exc}",
            )
            return
        run_job(
            job,
            store=self.store,
            blobs=self.blobs,
            engine=engine,
            settings=self.config.run,
            moderator=self.moderator,
            tracing=self.tracing,
        )

    def _run_in_group(self, group: RankGroup, job: Job) -> None:
        try:
            in_step, _ = _run_in_group(
                group,
                job,
                store=self.store,
                blobs=self.blobs,
                engines=self.engines,
                config=self.config,
                moderator=self.moderator,
                tracing=self.tracing,
            )
        except Exception:  # the job could not even be handed to the other ranks
            log.exception("job %s: the job group failed", job.id)
            in_step = False
        if not in_step:
            # The job is settled (or re-queued by the executor); the group must be rebuilt.
            logging.shutdown()
            os._exit(EXIT_GROUP_LOST)


def rank_plan(profile: str, ranks: int, options: dict[str, Any]) -> WorkerPlan:
    """The devices of a multi-GPU actor: the GPUs Ray gave it, or CPU pseudo-devices for a
    profile on the CPU (`device = "cpu"`: gloo ranks, how tests run on fake GPUs)."""
    if str(options.get("device", "cuda")).startswith("cpu"):
        devices = tuple(f"cpu:{i}" for i in range(ranks))
    else:
        import ray

        devices = tuple(f"cuda:{int(i)}" for i in ray.get_gpu_ids())
        if len(devices) != ranks:
            raise RuntimeError(f"profile {profile!r}: Ray gave {len(devices)} GPUs, not {ranks}")
    return WorkerPlan(profiles=frozenset({profile}), devices=devices)


# Copied from local.LocalExecutor._seat (for the one profile the actor serves).
def rank_seat(
    plan: WorkerPlan, profile: str, engine: str, options: dict[str, Any], *, rank: int, port: int
) -> Seat:
    options = dict(options)
    if engine == "diffusers":
        options["device"] = plan.rank_device(rank)
    backend = "gloo" if plan.on_cpu else "nccl"
    group = GroupAddress(rank=rank, world_size=plan.world_size, port=port, backend=backend)
    return Seat(plan=plan, profiles={profile: (engine, options)}, group=group)


def _free_port() -> int:
    """A TCP port for the group's rendezvous on this node's loopback (its ranks share it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
