"""Local worker processes: one job at a time per process, a fixed number of slots.

The parent (the API server's scheduler thread) hands claimed jobs to idle workers over pipes and
watches them: a worker that dies has its job re-queued (or failed once attempts run out) and is
replaced; a job that runs past the time limit has its worker killed and fails with `timeout`.

A worker takes jobs only once it has said it is ready (its engines loaded their weights), so
the time a worker spends warming up (at start, or after it was replaced) is never counted
against a job: jobs wait in the queue meanwhile, and a job's clock starts when it is sent.

A worker that could not record how a run ended because storage failed (`storage_fault`) leaves
the job to the parent, which requeues it without spending an attempt as soon as the database
takes writes again; until then the job counts as running here, so lease recovery leaves it be.
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

from reelbox.errors import storage_fault
from reelbox.executors.runner import STORAGE_REASON, RunOutcome
from reelbox.executors.worker import WorkerConfig, worker_main
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    spawned: float
    ready: bool = False  # the worker said ("ready",): its engines are warm
    job: Job | None = None
    started: float = 0.0  # when `job` was sent: its clock for the time limit
    slow_warning: bool = False

    @property
    def idle(self) -> bool:
        return self.ready and self.job is None and self.process.is_alive()


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
        self._unsettled: dict[str, Job] = {}  # storage faults still to be requeued

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
        return _Slot(process=process, conn=parent, spawned=time.monotonic())

    def start(self) -> None:
        self._slots = [self._spawn() for _ in range(self._size)]

    def free_slots(self) -> int:
        """Workers that are warm and idle (a warming worker is not a free slot yet)."""
        return sum(1 for s in self._slots if s.idle)

    def running(self) -> set[str]:
        return {s.job.id for s in self._slots if s.job is not None} | set(self._unsettled)

    def submit(self, job: Job) -> None:
        slot = next(s for s in self._slots if s.idle)
        slot.job = job
        slot.started = time.monotonic()
        slot.conn.send(("run", job.id, job.attempt))

    def poll(self) -> None:
        self._settle_storage_faults()
        for i, slot in enumerate(self._slots):
            try:
                while slot.conn.poll():
                    self._received(slot, slot.conn.recv())
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
            else:
                self._warn_if_slow(slot)

    def _received(self, slot: _Slot, message: tuple[str, ...]) -> None:
        if message[0] == "ready":
            slot.ready = True
            log.info("worker %s ready in %.1f s", slot.process.pid, time.monotonic() - slot.spawned)
        elif message[0] == "done" and slot.job is not None and message[1] == slot.job.id:
            if len(message) > 2 and message[2] == RunOutcome.STORAGE_FAULT.value:
                self._unsettled[slot.job.id] = slot.job
            slot.job = None

    def _settle_storage_faults(self) -> None:
        for job_id, job in list(self._unsettled.items()):
            try:
                if not self.store.requeue_unspent(
                    job_id, attempt=job.attempt, reason=STORAGE_REASON
                ):
                    self.store.requeue_or_fail(job_id, attempt=job.attempt, reason=STORAGE_REASON)
            except Exception as exc:
                if storage_fault(exc) is None:
                    raise
                return  # still failing: try again at the next poll
            del self._unsettled[job_id]

    def _warn_if_slow(self, slot: _Slot) -> None:
        """A worker still warming after a job's time limit is worth a line in the log."""
        if slot.ready or slot.slow_warning:
            return
        if time.monotonic() - slot.spawned > self.job_timeout:
            slot.slow_warning = True
            log.warning(
                "worker %s is still loading its engines after %.0f s; jobs wait for it",
                slot.process.pid,
                self.job_timeout,
            )

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
