"""The main loop of a local worker process.

A worker is spawned (never forked: engines may hold threads and GPU contexts), builds its own
database connection, blob store and engines, then runs the jobs its parent sends it one at a
time. It dies with its parent, so a killed server never leaves orphans writing to jobs that the
next server start re-queues.

Messages: the parent sends `("run", job_id, attempt)` and `("stop",)`; the worker sends
`("ready", report)` once its engines are warm (the report says which profiles it loaded and which
devices it sees, read inside the worker), then `("done", job_id, outcome)` after each job
(`outcome` a `runner.RunOutcome` value: `storage_fault` asks the parent to requeue the job
without spending an attempt once the database takes writes again). A job whose video is still
being stored when the engine is free (pipelined output, executors/stages.py) is reported
`("done", job_id, "storing")` at once and `("stored", job_id, outcome)` when it ends. Engines with a
`warm_up()` load their weights before `ready` unless their `warm_at_start` is false (a profile's
`warm = false`), in which case the first job of that profile loads them.

A placed worker has a `Seat`: its profiles and devices (set in the environment before torch is
imported) and, for a multi-GPU job, its rank in a process group (`executors.ranks`). Only rank 0
has a connection to the parent; the other ranks follow it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelbox.blobs.base import BlobStore
from reelbox.blobs.factory import open_blob_store
from reelbox.engines.base import Engine
from reelbox.engines.registry import build_engine
from reelbox.executors.placement import WorkerPlan
from reelbox.executors.ranks import (
    BYE,
    END_TIMEOUT,
    Ending,
    GroupAddress,
    LeaderEngine,
    OutOfStep,
    RankGroup,
    follow,
)
from reelbox.executors.runner import RunOutcome, RunSettings, run_job, scrub
from reelbox.executors.stages import Stages, pipelines_output
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode, JobStatus
from reelbox.moderation.moderator import Moderator
from reelbox.observability.logs import LogSettings, configure_worker, use_job
from reelbox.settings import ModerationSettings
from reelbox.store.database import connect
from reelbox.store.store import Store

if TYPE_CHECKING:
    from reelbox.observability.tracing import Tracing

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """Everything a worker process needs, picklable."""

    database_url: str
    blob_dir: Path
    profiles: dict[str, tuple[str, dict[str, Any]]]  # profile -> (engine, options)
    run: RunSettings
    memory_mb: int = 0
    moderation: ModerationSettings | None = None
    environment: dict[str, str] = field(default_factory=dict)
    # Engines that compute frames first free the worker for the next job while storing.
    pipelined: bool = True
    blob_url: str | None = None  # an object store (cluster mode); None: blob_dir
    blob_options: dict[str, Any] = field(default_factory=dict)
    otel_endpoint: str | None = None  # export the jobs' spans there (observability/tracing.py)
    otel_service_name: str = "reelbox"
    logging: LogSettings = field(default_factory=LogSettings)


@dataclass(frozen=True, kw_only=True)
class Seat:
    """One placed worker process: what it runs, where, and its rank in a job group."""

    plan: WorkerPlan
    profiles: dict[str, tuple[str, dict[str, Any]]]  # the profiles this worker loads
    group: GroupAddress | None = None

    @property
    def rank(self) -> int:
        return self.group.rank if self.group is not None else 0


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _warm_engines(
    profiles: dict[str, tuple[str, dict[str, Any]]],
) -> tuple[dict[str, Engine], dict[str, float]]:
    """Each profile's engine, warmed up now (weights loaded once, not on a first job), and the
    seconds each profile took to build and warm."""
    engines: dict[str, Engine] = {}
    seconds: dict[str, float] = {}
    for profile, (name, options) in profiles.items():
        started = time.monotonic()
        try:
            built = build_engine(name, options)
            warm_up = getattr(built, "warm_up", None)
            if callable(warm_up) and getattr(built, "warm_at_start", True):
                warm_up()
                log.info("profile %s warm in %.1f s", profile, time.monotonic() - started)
        except Exception:
            log.exception("the engine for profile %s did not warm up; its jobs retry", profile)
        else:
            engines[profile] = built
            seconds[profile] = time.monotonic() - started
    return engines, seconds


def _report(engines: dict[str, Engine], warm_seconds: dict[str, float]) -> dict[str, Any]:
    """What this worker really loaded and sees, for the parent (and the tests) to check."""
    return {
        "pid": os.getpid(),
        "profiles": sorted(engines),
        "warm_seconds": warm_seconds,
        "devices": os.environ.get("REELBOX_DEVICES", ""),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def worker_main(
    conn: Connection | None, config: WorkerConfig, parent_pid: int, seat: Seat | None = None
) -> None:
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    os.environ.update(config.environment)
    if seat is not None:
        os.environ.update(seat.plan.environment())  # before anything imports torch
    configure_worker(config.logging, text_format="%(asctime)s worker %(process)d %(message)s")
    if config.memory_mb:
        _limit_memory(config.memory_mb)
    blobs = open_blob_store(
        url=config.blob_url, local_dir=config.blob_dir, options=config.blob_options
    )
    profiles = seat.profiles if seat is not None else config.profiles
    group = RankGroup.join(seat.group) if seat is not None and seat.group is not None else None
    engines, warm_seconds = _warm_engines(profiles)
    if group is not None and not group.leader:
        engine = next(iter(engines.values()), None)
        if engine is not None and follow(group, engine=engine, blobs=blobs):
            group.close()
        return  # out of step or without an engine: the parent rebuilds the group
    assert conn is not None
    store = Store(
        connect(config.database_url, pool_size=2), retention_seconds=config.run.retention_seconds
    )
    moderator = Moderator(config.moderation) if config.moderation is not None else None
    tracing: Tracing | None = None
    if config.otel_endpoint is not None:
        from reelbox.observability.tracing import Tracing

        tracing = Tracing.start(
            service_name=config.otel_service_name, endpoint=config.otel_endpoint
        )
    stages = Stages()
    lock = threading.Lock()
    storing: set[str] = set()  # jobs reported "done" while their video is still being stored
    ended: dict[str, str] = {}  # pipelined jobs that ended before their "done" went out

    def send(message: tuple[object, ...]) -> None:
        with lock:  # the storing thread reports too
            conn.send(message)

    send(("ready", _report(engines, warm_seconds)))  # jobs (and their clocks) start from now

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            stages.join()
            if tracing is not None:
                tracing.shutdown()  # export the spans still buffered
            if group is not None:
                _goodbye(group)
            return
        _, job_id, attempt = message
        outcome = RunOutcome.SETTLED
        job = store.get_job(job_id)
        use_job(job)  # on this job's lines, its storing thread's included
        if job is not None and job.attempt == attempt and job.status is JobStatus.IN_PROGRESS:
            if group is not None:
                in_step, outcome = _run_in_group(
                    group,
                    job,
                    store=store,
                    blobs=blobs,
                    engines=engines,
                    config=config,
                    moderator=moderator,
                    tracing=tracing,
                )
                send(("done", job_id, outcome.value))
                if not in_step:
                    return  # the parent sees rank 0 end and replaces every rank
                continue
            try:
                engine = engines.get(job.profile)
                if engine is None:
                    name, options = profiles[job.profile]
                    engine = engines[job.profile] = build_engine(name, options)
            except Exception as exc:
                log.exception("cannot build engine for profile %s", job.profile)
                store.fail(
                    job.id,
                    attempt=attempt,
                    code=FailureCode.ENGINE_ERROR.value,
                    message=scrub(f"The engine for {job.profile!r} could not start: {exc}"),
                )
            else:

                def run(engine: Engine, job: Job = job) -> RunOutcome:
                    return run_job(
                        job,
                        store=store,
                        blobs=blobs,
                        engine=engine,
                        settings=config.run,
                        moderator=moderator,
                        tracing=tracing,
                    )

                if config.pipelined and pipelines_output(engine):
                    # "done" goes out once the engine is free; storing goes on beside the next,
                    # and its outcome follows as ("stored", job_id, outcome) — or rides on
                    # "done" itself when the job ended before the engine was free.
                    def stored(engine: Engine, job_id: str = job_id) -> None:
                        value = run(engine).value
                        with lock:
                            if job_id in storing:
                                storing.discard(job_id)
                                conn.send(("stored", job_id, value))
                            else:
                                ended[job_id] = value

                    stages.run(job.id, calls=job.spec.variants, engine=engine, run=stored)
                    with lock:
                        if job_id in ended:
                            conn.send(("done", job_id, ended.pop(job_id)))
                        else:
                            storing.add(job_id)
                            conn.send(("done", job_id, "storing"))
                    continue
                outcome = run(engine)
        send(("done", job_id, outcome.value))


def _run_in_group(
    group: RankGroup,
    job: Job,
    *,
    store: Store,
    blobs: BlobStore,
    engines: dict[str, Engine],
    config: WorkerConfig,
    moderator: Moderator | None,
    tracing: Tracing | None = None,
) -> tuple[bool, RunOutcome]:
    """Rank 0's part of a multi-GPU job: whether the ranks are still in step, and how it ended."""
    engine = engines.get(job.profile)
    if engine is None:
        store.fail(
            job.id,
            attempt=job.attempt,
            code=FailureCode.ENGINE_ERROR.value,
            message=f"The engine for {job.profile!r} could not start.",
        )
        return True, RunOutcome.SETTLED
    group.share(job)
    leader = LeaderEngine(engine, group)
    outcome = run_job(
        job,
        store=store,
        blobs=blobs,
        engine=leader,
        settings=config.run,
        moderator=moderator,
        cancel_gate=group.cancel_check,
        tracing=tracing,
    )
    # The END exchange, unless rank 0 already ran it to probe the group when its engine failed.
    ending = leader.ending or group.end(timeout=END_TIMEOUT)
    if ending is not Ending.IN_STEP:
        # A rank failed where rank 0 did not (or the reverse), or is gone: start afresh.
        log.warning("job %s ended with its ranks %s; rebuilding the group", job.id, ending.value)
    return ending is Ending.IN_STEP, outcome


def _goodbye(group: RankGroup) -> None:
    try:
        group.share(None)
        group.message(BYE)
    except (OutOfStep, RuntimeError):
        pass
    group.close()
