"""Local worker processes: one job at a time per process, a fixed number of slots.

The parent (the API server's scheduler thread) hands claimed jobs to idle workers over pipes and
watches them: a worker that dies has its job re-queued (or failed once attempts run out) and is
replaced; a job that runs past the time limit has its worker killed and fails with `timeout`.

The time limit covers the job as its user sees it, from when it is sent to a worker until its
files are stored: with pipelined output (executors/stages.py) a job whose video is still being
stored when the next job starts keeps its clock. A job that overruns while storing (an object
store that stopped answering, say) cannot be stopped inside the worker, so the worker is killed:
the job fails with `timeout`, and the job then in the engine, which did nothing wrong, is put
back in the queue without spending an attempt.

A worker takes jobs only once it has said it is ready (its engines loaded their weights), so
the time a worker spends warming up (at start, or after it was replaced) is never counted
against a job: jobs wait in the queue meanwhile, and a job's clock starts when it is sent.

With a placement (`executors.placement`), each slot serves only its profiles on its own devices,
and a slot for a multi-GPU profile is a group of processes, one per device (`executors.ranks`):
if any of them dies, the whole group is replaced and its job re-queued.

A worker that could not record how a run ended because storage failed (`storage_fault`) leaves
the job to the parent, which requeues it without spending an attempt as soon as the database
takes writes again; until then the job counts as running here, so lease recovery leaves it be.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from reelbox.errors import storage_fault
from reelbox.executors.base import WorkerWatch
from reelbox.executors.placement import Placement, WorkerPlan
from reelbox.executors.ranks import GroupAddress
from reelbox.executors.runner import STORAGE_REASON, RunOutcome
from reelbox.executors.worker import Seat, WorkerConfig, worker_main
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.observability.logs import use_job
from reelbox.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ProfileFilter:
    """Which queued jobs free slots can take: these profiles, or (`others`) any not placed."""

    profiles: frozenset[str]
    others: bool
    placed: frozenset[str]


@dataclass
class _Slot:
    processes: list[BaseProcess]  # rank 0 first; one process unless a multi-GPU group
    conn: Connection
    spawned: float
    plan: WorkerPlan | None = None
    ready: bool = False  # the worker said ("ready", report): its engines are warm
    report: dict[str, object] | None = None  # what the worker says it loaded and sees
    job: Job | None = None
    started: float = 0.0  # when `job` was sent: its clock for the time limit
    storing: dict[str, Job] = field(default_factory=dict)  # pipelined jobs still being stored
    sent: dict[str, float] = field(default_factory=dict)  # when each storing job was sent
    slow_warning: bool = False

    @property
    def process(self) -> BaseProcess:
        return self.processes[0]

    @property
    def alive(self) -> bool:
        return all(p.is_alive() for p in self.processes)

    @property
    def idle(self) -> bool:
        return self.ready and self.job is None and self.alive

    def serves(self, profile: str, placed: frozenset[str]) -> bool:
        if self.plan is None or self.plan.profiles is None:
            return profile not in placed
        return profile in self.plan.profiles

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join()


class LocalExecutor:
    def __init__(
        self,
        *,
        config: WorkerConfig,
        slots: int,
        store: Store,
        job_timeout: float,
        placement: Placement | None = None,
        watch: WorkerWatch | None = None,
    ) -> None:
        self.config = config
        self.watch = watch
        self.store = store
        self.job_timeout = job_timeout
        self.placement = placement
        self._plans: list[WorkerPlan | None] = (
            list(placement.workers) if placement is not None else [None] * slots
        )
        self._placed = placement.placed if placement is not None else frozenset()
        self._slots: list[_Slot] = []
        self._context = multiprocessing.get_context("spawn")
        self._unsettled: dict[str, Job] = {}  # storage faults still to be requeued
        self.storage_faults = 0  # runs that ended on a storage fault, so far

    def _seat(self, plan: WorkerPlan, *, rank: int, port: int) -> Seat:
        profiles = {
            name: (engine, dict(options))
            for name, (engine, options) in self.config.profiles.items()
            if (name in plan.profiles if plan.profiles is not None else name not in self._placed)
        }
        for engine, options in profiles.values():
            if engine == "diffusers" and plan.devices:
                options["device"] = plan.rank_device(rank)
        group = None
        if plan.world_size > 1:
            backend = "gloo" if plan.on_cpu else "nccl"
            group = GroupAddress(rank=rank, world_size=plan.world_size, port=port, backend=backend)
        return Seat(plan=plan, profiles=profiles, group=group)

    def _spawn(self, plan: WorkerPlan | None) -> _Slot:
        parent, child = self._context.Pipe()
        port = _free_port() if plan is not None and plan.world_size > 1 else 0
        processes: list[BaseProcess] = []
        for rank in range(plan.world_size if plan is not None else 1):
            seat = self._seat(plan, rank=rank, port=port) if plan is not None else None
            process = self._context.Process(
                target=worker_main,
                args=(child if rank == 0 else None, self.config, os.getpid(), seat),
                name="reelbox-worker" if rank == 0 else f"reelbox-worker-rank{rank}",
                daemon=True,
            )
            process.start()
            processes.append(process)
        child.close()
        return _Slot(processes=processes, conn=parent, spawned=time.monotonic(), plan=plan)

    def start(self) -> None:
        self._slots = [self._spawn(plan) for plan in self._plans]

    def free_slots(self) -> int:
        """Workers that are warm and idle (a warming worker is not a free slot yet)."""
        return sum(1 for s in self._slots if s.idle)

    def free_filter(self) -> ProfileFilter | None:
        """Which jobs the idle slots can take; None without a placement (any job)."""
        if self.placement is None:
            return None
        idle = [s for s in self._slots if s.idle]
        profiles: set[str] = set()
        others = False
        for slot in idle:
            if slot.plan is None or slot.plan.profiles is None:
                others = True
            else:
                profiles |= slot.plan.profiles
        return ProfileFilter(profiles=frozenset(profiles), others=others, placed=self._placed)

    def workers(self) -> list[dict[str, object]]:
        """Each slot's plan and what its worker reported from inside (None while warming)."""
        return [
            {
                "plan": slot.plan.label() if slot.plan is not None else "every profile",
                "pids": [p.pid for p in slot.processes],
                "ready": slot.ready,
                "report": slot.report,
            }
            for slot in self._slots
        ]

    def placement_of(self) -> dict[str, list[dict[str, object]]]:
        """Per profile, the workers placed for it and what each reported loading (an extension
        of `GET /v1/models`); empty without a placement."""
        if self.placement is None:
            return {}
        shown: dict[str, list[dict[str, object]]] = {}
        for name in self.config.profiles:
            shown[name] = [
                {
                    "devices": list(slot.plan.devices) if slot.plan is not None else [],
                    "ranks": slot.plan.world_size if slot.plan is not None else 1,
                    "pids": [process.pid for process in slot.processes],
                    "ready": slot.ready,
                    "loaded": (slot.report or {}).get("profiles"),
                }
                for slot in self._slots
                if slot.serves(name, self._placed)
            ]
        return shown

    def running(self) -> set[str]:
        return {s.job.id for s in self._slots if s.job is not None} | set(self._unsettled)

    def submit(self, job: Job) -> None:
        slot = next(s for s in self._slots if s.idle and s.serves(job.profile, self._placed))
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
            use_job(job)  # on the lines about this slot's job
            if not slot.alive:
                dead = next(p for p in slot.processes if not p.is_alive())
                slot.kill()  # a group is replaced whole: its other ranks cannot go on alone
                if job is not None:
                    reason = f"the worker process died (exit code {dead.exitcode})"
                    log.warning("job %s: %s", job.id, reason)
                    self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=reason)
                for lost in slot.storing.values():
                    reason = f"the worker process died while storing (exit code {dead.exitcode})"
                    self.store.requeue_or_fail(lost.id, attempt=lost.attempt, reason=reason)
                self._restarted("exited" if dead.exitcode == 0 else "crashed")
                self._replace(i)
            elif self._overdue(slot):
                self._kill_overdue(slot)
                self._restarted("timeout")
                self._replace(i)
            else:
                self._warn_if_slow(slot)
        use_job(None)

    def _received(self, slot: _Slot, message: tuple[str, ...]) -> None:
        if message[0] == "ready":
            slot.ready = True
            slot.report = message[1] if len(message) > 1 else None  # type: ignore[assignment]
            log.info("worker %s ready in %.1f s", slot.process.pid, time.monotonic() - slot.spawned)
            warmed = (slot.report or {}).get("warm_seconds")
            if self.watch is not None and isinstance(warmed, dict):
                for profile, seconds in warmed.items():
                    self.watch.worker_warmed(str(profile), float(seconds))
        elif message[0] == "done" and slot.job is not None and message[1] == slot.job.id:
            if len(message) > 2 and message[2] in _STORAGE_OUTCOMES:
                self.storage_faults += 1  # the scheduler re-probes storage before dispatching
            if len(message) > 2 and message[2] == RunOutcome.STORAGE_FAULT.value:
                self._unsettled[slot.job.id] = slot.job
            elif len(message) > 2 and message[2] == "storing":
                slot.storing[slot.job.id] = slot.job  # its outcome comes as ("stored", …)
                slot.sent[slot.job.id] = slot.started  # its clock keeps running
            slot.job = None
        elif message[0] == "stored":
            if message[2] in _STORAGE_OUTCOMES:
                self.storage_faults += 1
            job = slot.storing.pop(message[1], None)
            slot.sent.pop(message[1], None)
            if job is not None and message[2] == RunOutcome.STORAGE_FAULT.value:
                self._unsettled[job.id] = job

    def _restarted(self, reason: str) -> None:
        if self.watch is not None:
            self.watch.worker_restarted(reason)

    def _overdue(self, slot: _Slot) -> list[Job]:
        """The slot's jobs past the time limit: in the engine, or still being stored."""
        now = time.monotonic()
        late = [j for j in slot.storing.values() if now - slot.sent[j.id] > self.job_timeout]
        if slot.job is not None and now - slot.started > self.job_timeout:
            late.append(slot.job)
        return late

    def _kill_overdue(self, slot: _Slot) -> None:
        """Kill a worker with a job past its time limit: fail that job, requeue the others."""
        overdue = self._overdue(slot)
        log.warning(
            "job %s exceeded %.0f s; killing its worker",
            ", ".join(j.id for j in overdue),
            self.job_timeout,
        )
        slot.kill()
        for job in overdue:
            message = f"The job did not finish within {self.job_timeout:g} seconds."
            if job is not slot.job:
                message += " Its video was made but could not be stored in time."
            self.store.fail(
                job.id, attempt=job.attempt, code=FailureCode.TIMEOUT.value, message=message
            )
        others = [j for j in [*slot.storing.values(), slot.job] if j and j not in overdue]
        for job in others:  # their worker was killed for another job's sake
            reason = "its worker was replaced: another job in it ran past the time limit"
            if not self.store.requeue_unspent(job.id, attempt=job.attempt, reason=reason):
                self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=reason)
        slot.job = None
        slot.storing.clear()
        slot.sent.clear()

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
        self._slots[index] = self._spawn(self._plans[index])

    def shutdown(self) -> None:
        for slot in self._slots:
            with contextlib.suppress(OSError):
                slot.conn.send(("stop",))
        deadline = time.monotonic() + 5
        for slot in self._slots:
            for process in slot.processes:
                process.join(max(0.0, deadline - time.monotonic()))
            slot.kill()
            slot.conn.close()
        self._slots = []


_STORAGE_OUTCOMES = frozenset({RunOutcome.REQUEUED.value, RunOutcome.STORAGE_FAULT.value})


def _free_port() -> int:
    """A TCP port for a job group's rendezvous on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
