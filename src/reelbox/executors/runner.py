"""Runs one claimed job inside a worker process and records how it ended.

This is the only place that catches broad exceptions around an engine: whatever goes wrong, the
job is recorded as failed with a reason. A heartbeat thread extends the job's lease, writes the
latest progress and notices cancellation, so engines that block for a long step still hold
their lease, and a `DELETE` stops the engine at its next step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from reelbox.blobs import keys
from reelbox.blobs.base import BlobNotFound, BlobStore
from reelbox.engines.base import CancelCheck, Engine, EngineError, GenerationCancelled
from reelbox.executors.pipeline import produce
from reelbox.executors.review import JobReview
from reelbox.jobs.ids import new_generation_id
from reelbox.jobs.models import Job
from reelbox.jobs.status import FailureCode
from reelbox.moderation.moderator import Moderator
from reelbox.moderation.policy import Policy
from reelbox.moderation.verdict import Checkpoint, ModerationBlocked, Verdict
from reelbox.store.moderation_log import ModerationLog, event_of
from reelbox.store.rows import NewGeneration
from reelbox.store.store import LeaseState, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    lease_seconds: float
    retention_seconds: float
    heartbeat_seconds: float = 0.5


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

    def run(self) -> None:
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
) -> None:
    """Generate `job` (already claimed for `job.attempt`) and record completion or failure.

    `cancel_gate` wraps the cancel check (a multi-GPU job makes every rank agree on it).
    """
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

    try:
        outputs = produce(
            job.spec,
            engine=engine,
            blobs=blobs,
            key_prefix=lambda index: keys.generation_media(job.id, job.attempt, index),
            on_progress=on_progress,
            should_cancel=should_cancel,
            review=review,
        )
    except ModerationBlocked as exc:
        heartbeat.stop()
        _block(store, blobs, job, exc.verdict)
        return
    except GenerationCancelled:
        heartbeat.stop()
        log.info("job %s stopped: %s", job.id, heartbeat.state.value)
        return
    except (EngineError, MemoryError) as exc:
        heartbeat.stop()
        _fail(
            store, job, FailureCode.ENGINE_ERROR, f"The engine failed: {exc or type(exc).__name__}"
        )
        return
    except BlobNotFound as exc:
        heartbeat.stop()
        _fail(store, job, FailureCode.ENGINE_ERROR, f"An input is no longer available: {exc}")
        return
    except Exception as exc:
        heartbeat.stop()
        log.exception("job %s failed", job.id)
        _fail(
            store,
            job,
            FailureCode.INTERNAL_ERROR,
            f"Generation failed: {type(exc).__name__}: {exc}",
        )
        return
    heartbeat.stop()

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
    )
    if not recorded:
        # Cancelled or taken over while finishing: the files belong to no visible job.
        blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))


def job_policy(moderator: Moderator, job: Job) -> Policy:
    """The policy recorded when the job was created, else the project's current one."""
    name = job.extra.get("moderation_policy")
    if isinstance(name, str) and name in moderator.policies:
        return moderator.policy(name)
    return moderator.policy_for(job.project)


def _block(store: Store, blobs: BlobStore, job: Job, verdict: Verdict) -> None:
    # No blocked media is kept: nothing of this attempt, and no blocked upload.
    blobs.delete_prefix(keys.attempt_media(job.id, job.attempt))
    if verdict.checkpoint is Checkpoint.INPUT:
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


def _fail(store: Store, job: Job, code: FailureCode, message: str) -> None:
    if not store.fail(job.id, attempt=job.attempt, code=code.value, message=message):
        log.info("job %s could not be marked failed (no longer ours)", job.id)
