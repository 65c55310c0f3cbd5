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
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from reelbox.blobs.factory import open_blob_store
from reelbox.engines.base import Engine
from reelbox.engines.registry import build_engine
from reelbox.executors.runner import run_job
from reelbox.executors.worker import WorkerConfig, _warm_engines
from reelbox.jobs.status import FailureCode, JobStatus
from reelbox.moderation.moderator import Moderator
from reelbox.observability.logs import configure_worker, use_job
from reelbox.store.database import connect
from reelbox.store.store import Store

log = logging.getLogger(__name__)


class JobActor:
    def __init__(self, config: WorkerConfig, profile: str) -> None:
        configure_worker(config.logging, text_format="%(asctime)s actor %(message)s")
        self.config = config
        self.profile = profile
        self.store = Store(
            connect(config.database_url, pool_size=2),
            retention_seconds=config.run.retention_seconds,
        )
        work_dir = Path(tempfile.mkdtemp(prefix=f"reelbox-{profile}-"))
        self.blobs = open_blob_store(
            url=config.blob_url, local_dir=work_dir, options=config.blob_options
        )
        self.moderator = Moderator(config.moderation) if config.moderation is not None else None
        self.engines: dict[str, Engine] = _warm_engines({profile: config.profiles[profile]})
        self._current: str | None = None
        self._lock = threading.Lock()

    def ready(self) -> str:
        """Resolves once the constructor (the warm-up) is done; the profile's name."""
        return self.profile

    def current(self) -> str | None:
        """The job this actor is running, if any."""
        return self._current

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
        )
