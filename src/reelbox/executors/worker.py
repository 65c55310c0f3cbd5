"""The main loop of a local worker process.

A worker is spawned (never forked: engines may hold threads and GPU contexts), builds its own
database connection, blob store and engines, then runs the jobs its parent sends it one at a
time. It dies with its parent, so a killed server never leaves orphans writing to jobs that the
next server start re-queues.

Messages: the parent sends `("run", job_id, attempt)` and `("stop",)`; the worker sends
`("ready",)` once its engines are warm, then `("done", job_id)` after each job. Engines with a
`warm_up()` load their weights before `ready` unless their `warm_at_start` is false (a profile's
`warm = false`), in which case the first job of that profile loads them.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from reelbox.blobs.factory import open_blob_store
from reelbox.engines.base import Engine
from reelbox.engines.registry import build_engine
from reelbox.executors.runner import RunSettings, run_job
from reelbox.jobs.status import FailureCode, JobStatus
from reelbox.moderation.moderator import Moderator
from reelbox.settings import ModerationSettings
from reelbox.store.database import connect
from reelbox.store.store import Store

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
    blob_url: str | None = None  # an object store (cluster mode); None: blob_dir
    blob_options: dict[str, Any] = field(default_factory=dict)


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


def _warm_engines(profiles: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Engine]:
    """Each profile's engine, warmed up now (weights loaded once, not on a first job)."""
    engines: dict[str, Engine] = {}
    for profile, (name, options) in profiles.items():
        try:
            built = build_engine(name, options)
            warm_up = getattr(built, "warm_up", None)
            if callable(warm_up) and getattr(built, "warm_at_start", True):
                started = time.monotonic()
                warm_up()
                log.info("profile %s warm in %.1f s", profile, time.monotonic() - started)
        except Exception:
            log.exception("the engine for profile %s did not warm up; its jobs retry", profile)
        else:
            engines[profile] = built
    return engines


def worker_main(conn: Connection, config: WorkerConfig, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    os.environ.update(config.environment)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(message)s")
    if config.memory_mb:
        _limit_memory(config.memory_mb)
    store = Store(connect(config.database_url, pool_size=2))
    blobs = open_blob_store(
        url=config.blob_url, local_dir=config.blob_dir, options=config.blob_options
    )
    moderator = Moderator(config.moderation) if config.moderation is not None else None
    engines = _warm_engines(config.profiles)
    conn.send(("ready",))  # the parent sends jobs (and starts their clocks) only from now on

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, job_id, attempt = message
        job = store.get_job(job_id)
        if job is not None and job.attempt == attempt and job.status is JobStatus.IN_PROGRESS:
            try:
                engine = engines.get(job.profile)
                if engine is None:
                    name, options = config.profiles[job.profile]
                    engine = engines[job.profile] = build_engine(name, options)
            except Exception as exc:
                log.exception("cannot build engine for profile %s", job.profile)
                store.fail(
                    job.id,
                    attempt=attempt,
                    code=FailureCode.ENGINE_ERROR.value,
                    message=f"The engine for {job.profile!r} could not start: {exc}",
                )
            else:
                run_job(
                    job,
                    store=store,
                    blobs=blobs,
                    engine=engine,
                    settings=config.run,
                    moderator=moderator,
                )
        conn.send(("done", job_id))
