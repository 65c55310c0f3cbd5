"""Runs one claimed job inside a worker process and records how it ended.

This is the only place that catches broad exceptions around an engine: whatever goes wrong, the
job is recorded as failed with a reason, and whatever the failed or cancelled attempt had stored
is deleted. A heartbeat thread extends the job's lease, writes the latest progress and notices
cancellation, so engines that block for a long step still hold their lease, and a `DELETE` stops
the engine at its next step.

A run that could not write (the disk is full or read-only: `reelbox.errors.storage_fault`) is
the server's fault, not the job's: it is requeued without spending an attempt. When even that
cannot be written (the database shares the full disk), `run_job` answers `STORAGE_FAULT` and
the executor settles the job once the database takes writes again.

Messages recorded for clients never contain server paths, blob keys or exception text: those go
to the log, under the job's id.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable
from contextvars import copy_context
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reelbox.blobs import keys
from reelbox.blobs.base import BlobNotFound, BlobStore
from reelbox.engines.base import CancelCheck, Engine, EngineError, GenerationCancelled
from reelbox.errors import storage_fault
from reelbox.executors.pipeline import Output, produce
from reelbox.executors.review import JobReview
from reelbox.jobs.ids import new_generation_id
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.jobs.timings import JobTimings
from reelbox.moderation.moderator import Moderator
from reelbox.moderation.policy import Policy
from reelbox.moderation.verdict import Checkpoint, ModerationBlocked, Verdict
from reelbox.store.moderation_log import ModerationLog, event_of
from reelbox.store.rows import NewGeneration
from reelbox.store.store import LeaseState, Store

if TYPE_CHECKING:
    from reelbox.observability.tracing import Tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    lease_seconds: float
    retention_seconds: float
    heartbeat_seconds: float = 0.5


STORAGE_REASON = "storage_unavailable"


class RunOutcome(enum.Enum):
    """How a run ended, for the worker's report to its executor."""

    SETTLED = "settled"  # recorded (completed, failed, blocked, or stopped by another owner)
    REQUEUED = "requeued"  # storage failed; put back without spending an attempt
    STORAGE_FAULT = "storage_fault"  # storage failed and the requeue could not be written


class _Heartbeat(threading.Thread):
    """Writes progress and extends the lease from a thread of its own."""

    def __init__(self, store: Store, job: Job, settings: RunSettings) -> None:
        super().__init__(name=f"heartbeat-{job.id}", daemon=True)
        self.store = store
        self.job = job
        self.settings = settings
        self.progress = 0
        self.state = LeaseState.HELD
        self._stop_event = threading.Event()
        self._context = copy_context()

    def run(self) -> None:
        self._context.run(self._beat_until_stopped)  # the starter's log fields (its job's)

    def _beat_until_stopped(self) -> None:
        while not self._stop_event.wait(self.settings.heartbeat_seconds):
            self.beat()

    def beat(self) -> None:
        try:
            self.state = self.store.report_progress(
                self.job.id,
                attempt=self.job.attempt,
                progress=self.progress,
                lease_seconds=self.settings.lease_seconds,
            )
        except Exception:  # a transient database error must not kill the job
            log.exception("heartbeat for %s failed", self.job.id)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_job(
    job: Job,
    *,
    store: Store,
    blobs: BlobStore,
    engine: Engine,
    settings: RunSettings,
    moderator: Moderator | None = None,
    cancel_gate: Callable[[CancelCheck], CancelCheck] | None = None,
    tracing: Tracing | None = None,
) -> RunOutcome:
    """Generate `job` (already claimed for `job.attempt`) and record completion or failure.

    `cancel_gate` wraps the cancel check (a multi-GPU job makes every rank agree on it). Where
    the time went is recorded with completion (`/metrics`) and, with `tracing`, as spans.
    """
    started = time.time()
    timings = JobTimings()
    error: str | None = "the run did not end"
    try:
        outcome, error = _run(job, store, blobs, engine, settings, moderator, cancel_gate, timings)
    finally:
        if tracing is not None:
            try:
                tracing.record_job(
                    job_id=job.id,
                    profile=job.profile,
                    attempt=job.attempt,
                    trace_context=job.trace_context,
                    timings=timings,
                    started=started,
                    ended=time.time(),
                    error=error,
                )
            except Exception:  # a tracing fault must never change a job's outcome
                log.exception("job %s: its spans could not be recorded", job.id)
    return outcome


def _run(
    job: Job,
    store: Store,
    blobs: BlobStore,
    engine: Engine,
    settings: RunSettings,
    moderator: Moderator | None,
    cancel_gate: Callable[[CancelCheck], CancelCheck] | None,
    timings: JobTimings,
) -> tuple[RunOutcome, str | None]:
    """The run itself: how it ended, and what went wrong (None: completed)."""
    review = None
    if moderator is not None:

        def audit_unchecked(verdict: Verdict) -> None:
            row = event_of(verdict, project=job.project, dialect=job.dialect, job_id=job.id)
            ModerationLog(store.engine).record(row)

        policy = job_policy(moderator, job)
        review = JobReview(moderator, policy=policy, on_unchecked=audit_unchecked)
    heartbeat = _Heartbeat(store, job, settings)
    heartbeat.start()

    def on_progress(fraction: float) -> None:
        # 100 is written only with completion, in the same transaction.
        heartbeat.progress = max(heartbeat.progress, min(99, int(fraction * 100)))

    def lease_lost() -> bool:
        return heartbeat.state is not LeaseState.HELD

    should_cancel = cancel_gate(lease_lost) if cancel_gate is not None else lease_lost

    attempt_media = keys.attempt_media(job.id, job.attempt)
    try:
        try:
            times = store.run_times(job.id)
            if times is not None:
                timings.add("queue", start=times[0], end=times[1])
            outputs = produce(
                job.spec,
                engine=engine,
                blobs=blobs,
                key_prefix=lambda index: keys.generation_media(job.id, job.attempt, index),
                on_progress=on_progress,
                should_cancel=should_cancel,
                review=review,
                timings=timings,
            )
        finally:
            heartbeat.stop()
        settled = _settle(
            job, store=store, blobs=blobs, outputs=outputs, settings=settings, timings=timings
        )
        return settled, None
    except ModerationBlocked as exc:
        verdict = exc.verdict
        blocked = _guarded(job, store, blobs, lambda: _block(store, blobs, job, verdict))
        return blocked, "moderation_blocked"
    except GenerationCancelled:
        log.info("job %s stopped: %s", job.id, heartbeat.state.value)
        blobs.delete_prefix(attempt_media)  # a cancelled or taken-over attempt keeps nothing
        return RunOutcome.SETTLED, f"stopped: {heartbeat.state.value}"
    except Exception as exc:
        fault = storage_fault(exc)
        if fault is not None:
            log.warning("job %s could not write its results: %s", job.id, exc)
            return _requeue_unspent(job, store, blobs), STORAGE_REASON
        code, message = failure_of(exc)
        if code is FailureCode.INTERNAL_ERROR:
            log.error("job %s failed", job.id, exc_info=exc)
        else:
            log.info("job %s failed: %s", job.id, exc)
        failed = _guarded(job, store, blobs, lambda: _fail(store, blobs, job, code, message))
        return failed, code.value


def _settle(
    job: Job,
    *,
    store: Store,
    blobs: BlobStore,
    outputs: list[Output],
    settings: RunSettings,
    timings: JobTimings,
) -> RunOutcome:
    generations = [
        NewGeneration(
            id=new_generation_id(),
            index=o.index,
            seed=o.seed,
            video_key=o.video_key,
            thumbnail_key=o.thumbnail_key,
            thumbnail_jpeg_key=o.thumbnail_jpeg_key,
            spritesheet_key=o.spritesheet_key,
            width=o.width,
            height=o.height,
            fps=o.fps,
            frame_count=o.frame_count,
            duration=o.duration,
            has_audio=o.has_audio,
            sprite_columns=o.sprite_columns,
            sprite_rows=o.sprite_rows,
            sprite_frame_width=o.sprite_frame_width,
            sprite_frame_height=o.sprite_frame_height,
        )
        for o in outputs
    ]
    recorded = store.complete(
        job.id,
        attempt=job.attempt,
        outputs=generations,
        plan=outputs[0].plan if outputs else None,
        retention_seconds=settings.retention_seconds,
        timings=timings,
    )
    if not recorded:
        # Cancelled or taken over while finishing: the files belong to no visible job.
        blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))
    else:
        log.info("job %s completed (attempt %d)", job.id, job.attempt)
    return RunOutcome.SETTLED


def _guarded(job: Job, store: Store, blobs: BlobStore, record: Callable[[], None]) -> RunOutcome:
    """Record a failure; if the database cannot be written, requeue as a storage fault."""
    try:
        record()
    except Exception as exc:
        if storage_fault(exc) is None:
            raise
        log.warning("job %s: its failure could not be recorded: %s", job.id, exc)
        return _requeue_unspent(job, store, blobs)
    return RunOutcome.SETTLED


def _requeue_unspent(job: Job, store: Store, blobs: BlobStore) -> RunOutcome:
    # Whatever this attempt stored is worthless, and deleting it frees space.
    blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))
    try:
        if store.requeue_unspent(job.id, attempt=job.attempt, reason=STORAGE_REASON):
            return RunOutcome.REQUEUED
        # Not ours any more, or put back too often: spend an attempt (a no-op if not ours).
        store.requeue_or_fail(job.id, attempt=job.attempt, reason=STORAGE_REASON)
    except Exception as exc:
        if storage_fault(exc) is None:
            raise
        log.warning("job %s: requeue could not be written: %s", job.id, exc)
        return RunOutcome.STORAGE_FAULT
    return RunOutcome.SETTLED


# Whatever looks like a file path or a blob key is replaced in messages shown to clients.
_PATHS = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.@+~-]+){2,}/?|\b(?:videos|uploads|characters)/\S+")


def scrub(message: str) -> str:
    """A message fit for clients: no server paths and no blob keys."""
    return _PATHS.sub("<path>", message)


def failure_of(exc: BaseException) -> tuple[FailureCode, str]:
    """The failure code and client-safe message for an exception that ended a run."""
    if isinstance(exc, EngineError | MemoryError):
        detail = scrub(str(exc)) or type(exc).__name__
        return FailureCode.ENGINE_ERROR, f"The engine failed: {detail}"
    if isinstance(exc, BlobNotFound):
        return FailureCode.ENGINE_ERROR, "An input of this job is no longer available."
    return (
        FailureCode.INTERNAL_ERROR,
        "Generation failed because of an internal error; the server log has the details.",
    )


def job_policy(moderator: Moderator, job: Job) -> Policy:
    """The policy recorded when the job was created, else the project's current one."""
    name = job.extra.get("moderation_policy")
    if isinstance(name, str) and name in moderator.policies:
        return moderator.policy(name)
    return moderator.policy_for(job.project)


def _block(store: Store, blobs: BlobStore, job: Job, verdict: Verdict) -> None:
    # No blocked media is kept: nothing of this attempt, and none of the job's uploads.
    blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))
    blobs.delete_prefix(keys.uploads(job.id))
    stage = "input_moderation" if verdict.checkpoint is Checkpoint.INPUT else "output_moderation"
    if not store.fail_moderated(
        job.id,
        attempt=job.attempt,
        message=verdict.message(),
        stage=stage,
        event=event_of(verdict, project=job.project, dialect=job.dialect, job_id=job.id),
    ):
        log.info("job %s could not be marked blocked (no longer ours)", job.id)


def _fail(store: Store, blobs: BlobStore, job: Job, code: FailureCode, message: str) -> None:
    # A failed attempt keeps nothing (a variant stored before a later one failed, say).
    blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))
    if not store.fail(job.id, attempt=job.attempt, code=code.value, message=message):
        log.info("job %s could not be marked failed (no longer ours)", job.id)
