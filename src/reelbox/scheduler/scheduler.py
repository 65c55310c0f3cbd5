"""The scheduler: claims queued jobs into free executor slots, recovers lost runs, expires media.

It runs on a thread of its own in the API process (store calls are blocking), wakes on a timer
or when a job is created, and never runs engines itself. While the blob store or the database
reports a storage problem (full, read-only) it starts nothing: jobs wait queued and start once
space returns. Its sweeps remove expired and deleted jobs' media, blobs no row owns (after a
grace period) and staged files of dead writers.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from reelbox.blobs.base import BlobStore
from reelbox.blobs.keys import delete_job_media
from reelbox.blobs.orphans import sweep_orphans
from reelbox.executors.base import Executor
from reelbox.observability.logs import job_context
from reelbox.scheduler.leader import Leadership
from reelbox.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SchedulerSettings:
    per_project_limit: int
    lease_seconds: float
    interval: float
    sweep_interval: float
    # SQLite means one server: every run left in progress by a previous process is lost.
    recover_all_on_start: bool
    # Blobs no row owns are removed once untouched this long (an upload is written just
    # before its job's row, so a younger one may be in flight).
    orphan_grace_seconds: float = 3600.0
    # The orphan sweep lists every blob (a bucket listing with an object store): hourly.
    orphan_interval: float = 3600.0


class Scheduler:
    def __init__(
        self,
        *,
        store: Store,
        blobs: BlobStore,
        executor: Executor,
        settings: SchedulerSettings,
        leadership: Leadership | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.executor = executor
        self.settings = settings
        # With API replicas only the elected one dispatches, recovers and sweeps (leader.py).
        self.leadership = leadership
        self.owner = f"node-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = 0.0
        self._last_recovery = 0.0
        self._last_orphan_sweep = float("-inf")
        self.storage_paused: str | None = None  # why dispatch is paused, if it is
        self._storage_faults_seen = 0
        self._leading = False  # dispatching now (the executor was told `lead()`)

    def start(self) -> None:
        self.recover(everything=self.settings.recover_all_on_start)
        self.executor.start()
        self._thread = threading.Thread(target=self._run, name="reelbox-scheduler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now (called after a job is created or cancelled)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.executor.shutdown()
        if self.leadership is not None:
            self.leadership.release()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # the loop must survive a database hiccup
                log.exception("scheduler tick failed")
            self._wake.wait(self.settings.interval)
            self._wake.clear()

    def tick(self) -> None:
        self.executor.poll()
        if self.leadership is not None and not self.leadership.holds():
            self._set_leading(False)
            return
        self._set_leading(True)
        self.dispatch()
        now = time.monotonic()
        if now - self._last_recovery >= self.settings.lease_seconds / 2:
            self._last_recovery = now
            self.recover(everything=False)
        if now - self._last_sweep >= self.settings.sweep_interval:
            self._last_sweep = now
            self.sweep()
        if now - self._last_orphan_sweep >= self.settings.orphan_interval:
            self._last_orphan_sweep = now
            self.sweep_orphans()

    def _set_leading(self, leading: bool) -> None:
        """Tell an executor that keeps state for the dispatcher only (Ray's actor pools) when
        this scheduler starts or stops dispatching: `lead()` and `step_down()`, if it has them."""
        if leading == self._leading:
            return
        hook = getattr(self.executor, "lead" if leading else "step_down", None)
        if callable(hook):
            hook()  # if it fails (Ray unreachable), the next tick tries again
        self._leading = leading

    def dispatch(self) -> int:
        """Claim jobs into free slots; returns how many started (none while storage fails)."""
        started = 0
        faults = getattr(self.executor, "storage_faults", 0)
        if faults != self._storage_faults_seen:
            # A run just failed to write: look at the disks now, not at a cached answer, so
            # the job it put back does not start again on a disk that is still full.
            self._storage_faults_seen = faults
            for owner in (self.blobs, self.store):
                forget = getattr(owner, "forget_probe", None)
                if callable(forget):
                    forget()
        problem = self.storage_problem()
        if problem != self.storage_paused:
            if problem:
                log.warning("not starting jobs: %s", problem)
            else:
                log.info("storage writable again: starting jobs")
            self.storage_paused = problem
        if problem:
            return 0
        # An executor with pools per profile (Ray) names the profiles it can start now.
        free_profiles = getattr(self.executor, "free_profiles", None)
        while self.executor.free_slots() > 0:
            # With a placement, only jobs of profiles that have an idle worker are claimed.
            free_filter = getattr(self.executor, "free_filter", None)
            only = free_filter() if callable(free_filter) else None
            if only is not None and not only.others and not only.profiles:
                break
            job = self.store.claim_next(
                owner=self.owner,
                lease_seconds=self.settings.lease_seconds,
                per_project_limit=self.settings.per_project_limit,
                profiles=(
                    free_profiles()
                    if callable(free_profiles)
                    else only.profiles
                    if only is not None
                    else None
                ),
                other_than=only.placed if only is not None and only.others else None,
            )
            if job is None:
                break
            self.executor.submit(job)
            started += 1
        return started

    def recover(self, *, everything: bool) -> int:
        """Re-queue (or fail) runs whose worker is gone: all of them, or expired leases only."""
        mine = self.executor.running()
        recovered = 0
        for job in self.store.running_jobs(expired_only=not everything):
            if job.id in mine:
                continue
            reason = "the server stopped" if everything else "the job's worker stopped responding"
            if self.store.requeue_or_fail(job.id, attempt=job.attempt, reason=reason):
                recovered += 1
                with job_context(job):
                    log.info("recovered job %s (%s)", job.id, reason)
        return recovered

    def storage_problem(self) -> str | None:
        """Why results could not be written now (blobs or database), or None."""
        return self.blobs.storage_problem() or self.store.storage_problem()

    def sweep(self) -> int:
        """Delete the media of expired and deleted jobs (and staged files of writers that are
        gone); returns how many jobs were swept."""
        swept = 0
        for job in [*self.store.due_for_expiry(), *self.store.deleted_with_assets()]:
            delete_job_media(self.blobs, job.id)
            self.store.mark_assets_expired(job.id)
            swept += 1
        staged = self.blobs.clean_staging()
        if staged:
            log.info("removed %d staged files of writers that are gone", staged)
        return swept

    def sweep_orphans(self, *, now: float | None = None) -> int:
        """Delete blobs no row owns (blobs/orphans.py: lost attempts, uploads without a job,
        deleted characters) once untouched for the grace period; returns how many prefixes
        were removed. The same sweep for the local folder and an object store."""

        def kept(job_ids: list[str], character_ids: list[str]) -> set[str]:
            return self.store.kept_blob_prefixes(job_ids=job_ids, character_ids=character_ids)

        return sweep_orphans(
            self.blobs, kept=kept, grace=self.settings.orphan_grace_seconds, now=now
        )
