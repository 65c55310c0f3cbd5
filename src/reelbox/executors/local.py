"""Local worker processes: one job at a time per process, a fixed number of slots.

The parent (the API server's scheduler thread) hands claimed jobs to idle workers over pipes and
watches them: a worker that dies has its job re-queued (or failed once attempts run out) and is
replaced; a job that runs past the time limit has its worker killed and fails with `timeout`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from reelbox.executors.worker import WorkerConfig, worker_main
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    job: Job | None = None
    started: float = 0.0


class LocalExecutor:
    def __init__(
        self, *, config: WorkerConfig, slots: int, store: Store, job_timeout: float
    ) -> None:
        self.config = config
        self.store = store
        self.job_timeout = job_timeout
        self._size = slots
        self._slots: list[_Slot] = []
        self._context = multiprocessing.get_context("spawn")

    def _spawn(self) -> _Slot:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(child, self.config, os.getpid()),
            name="reelbox-worker",
            daemon=True,
        )
        process.start()
        child.close()
        return _Slot(process=process, conn=parent)

    def start(self) -> None:
        self._slots = [self._spawn() for _ in range(self._size)]

    def free_slots(self) -> int:
        return sum(1 for s in self._slots if s.job is None and s.process.is_alive())

    def running(self) -> set[str]:
        return {s.job.id for s in self._slots if s.job is not None}

    def submit(self, job: Job) -> None:
        slot = next(s for s in self._slots if s.job is None and s.process.is_alive())
        slot.job = job
        slot.started = time.monotonic()
        slot.conn.send(("run", job.id, job.attempt))

    def poll(self) -> None:
        for i, slot in enumerate(self._slots):
            try:
                while slot.conn.poll():
                    slot.conn.recv()
                    slot.job = None
            except (EOFError, OSError):
                pass
            job = slot.job
            if not slot.process.is_alive():
                slot.process.join()
                if job is not None:
                    reason = f"the worker process died (exit code {slot.process.exitcode})"
                    log.warning("job %s: %s", job.id, reason)
                    self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=reason)
                self._replace(i)
            elif job is not None and time.monotonic() - slot.started > self.job_timeout:
                log.warning("job %s exceeded %.0f s; killing its worker", job.id, self.job_timeout)
                slot.process.kill()
                slot.process.join()
                self.store.fail(
                    job.id,
                    attempt=job.attempt,
                    code=FailureCode.TIMEOUT.value,
                    message=f"The job did not finish within {self.job_timeout:g} seconds.",
                )
                self._replace(i)

    def _replace(self, index: int) -> None:
        self._slots[index].conn.close()
        self._slots[index] = self._spawn()

    def shutdown(self) -> None:
        for slot in self._slots:
            with contextlib.suppress(OSError):
                slot.conn.send(("stop",))
        deadline = time.monotonic() + 5
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self._slots = []
