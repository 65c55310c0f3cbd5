"""One service for the videos of both dialects: create, find, cancel and delete, sources for
rework, and the characters a video may use.

The dialect is part of every lookup: an OpenAI path never sees, cancels or deletes an Azure job
and the other way round. Every store and blob call runs in a worker thread (a pooled connection
may have to wait; a file write may be slow), never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

from anyio import to_thread

from reelbox.blobs.base import BlobStore
from reelbox.blobs.keys import delete_job_media
from reelbox.errors import InvalidRequest, NotFound, RateLimited
from reelbox.jobs.models import Generation, Job
from reelbox.jobs.spec import CharacterRef
from reelbox.jobs.status import JobStatus
from reelbox.observability.logs import use_job
from reelbox.service.gate import Gate
from reelbox.settings import Settings
from reelbox.store.quotas import Quotas
from reelbox.store.rows import NewJob
from reelbox.store.store import QueueFull, Store

T = TypeVar("T")
Dialect = Literal["openai", "azure"]

# The wire status an OpenAI client sees for each job status (SORA_API.md A3).
WIRE_STATUS = {
    JobStatus.QUEUED: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def video_not_found(video_id: str) -> NotFound:
    return NotFound(f"Video with id '{video_id}' not found.", param="video_id", code="not_found")


@dataclass
class NewWork:
    """A job about to be created, with the input blobs it needs stored first."""

    new: NewJob
    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)  # staged files, moved in

    def discard(self) -> None:
        """Remove staged files of work that will not be created."""
        discard_files(self.files)


def discard_files(files: Sequence[tuple[str, Path]]) -> None:
    for _, path in files:
        path.unlink(missing_ok=True)


@dataclass(frozen=True, kw_only=True)
class VideoService:
    settings: Settings
    store: Store
    blobs: BlobStore
    gate: Gate
    wake_scheduler: Callable[[], None]
    quotas: Quotas  # video-seconds and concurrent jobs per project (store/quotas.py)
    # The W3C trace context of the request now, stored with a new job (None: tracing is off).
    trace_context: Callable[[], dict[str, str] | None] = lambda: None

    async def run(self, call: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """A blocking call (store, blobs, media) in a worker thread."""
        return await to_thread.run_sync(partial(call, *args, **kwargs))

    # Lookups: the dialect is part of every one.

    async def find(self, job_id: str, *, project: str, dialect: Dialect) -> Job | None:
        job = await self.run(self.store.get_job, job_id, project=project)
        if job is None or job.dialect != dialect:
            return None
        use_job(job)  # on this request's log lines, its access line included
        return job

    async def generations(self, job_id: str) -> list[Generation]:
        return await self.run(self.store.generations, job_id)

    async def generation(
        self, generation_id: str, *, project: str, dialect: Dialect
    ) -> tuple[Job, Generation] | None:
        found = await self.run(self.store.get_generation, generation_id, project=project)
        return found if found is not None and found[0].dialect == dialect else None

    async def finished_source(self, video_id: str, *, project: str, param: str) -> tuple[Job, str]:
        """A completed OpenAI video of this project and the blob key of its MP4."""
        job = await self.find(video_id, project=project, dialect="openai")
        if job is None:
            raise video_not_found(video_id)
        if job.status is not JobStatus.COMPLETED:
            raise InvalidRequest(
                f"Video '{video_id}' is {WIRE_STATUS[job.status]}; only completed videos can "
                "be used as a source.",
                param=param,
                code="invalid_value",
            )
        if job.assets_expired:
            raise NotFound(
                f"Video '{video_id}' has expired and can no longer be used as a source.",
                code="video_expired",
            )
        generations = await self.generations(job.id)
        return job, generations[0].video_key

    # Changes.

    async def create(self, work: NewWork) -> Job:
        """Store the inputs, then the job (under the queue cap), then wake the scheduler.

        The project's moderation policy is recorded on the job: the worker checks under it.
        """
        policy = self.gate.policy_name(work.new.project)
        new = replace(
            work.new,
            extra={**(work.new.extra or {}), "moderation_policy": policy},
            trace_context=self.trace_context(),
        )

        def create() -> Job:
            try:
                for key, data in work.blobs:
                    self.blobs.put_bytes(key, data)
                for key, path in work.files:
                    self.blobs.put_file(key, path)
                seconds = new.spec.seconds * new.spec.variants
                with self.quotas.hold(new.project, seconds, key_id=new.key_id):
                    return self.store.create_job(
                        new, queue_cap=self.settings.max_queued_per_project
                    )
            except QueueFull:
                delete_job_media(self.blobs, new.id)
                raise RateLimited(
                    "Too many running tasks", retry_after=10, type="video_generation_user_error"
                ) from None
            except BaseException:
                delete_job_media(self.blobs, new.id)
                raise
            finally:
                work.discard()

        job = await self.run(create)
        use_job(job)  # on this request's log lines, its access line included
        self.wake_scheduler()
        return job

    async def delete(self, job_id: str, *, project: str, dialect: Dialect) -> Job | None:
        """Cancel (if unfinished) and delete a job of this dialect; a finished job's media goes
        at once. Returns the job as it was, or None when this project and dialect have none."""

        def delete() -> Job | None:
            found = self.store.get_job(job_id, project=project)
            if found is None or found.dialect != dialect:
                return None
            job = self.store.cancel(job_id, project=project)
            if job is not None and job.status.terminal:
                delete_job_media(self.blobs, job.id)
                self.store.mark_assets_expired(job.id)
            return job

        job = await self.run(delete)
        if job is not None:
            use_job(job)
            self.wake_scheduler()
        return job

    async def stage(self, data: bytes, *, suffix: str = ".upload") -> Path:
        """Write an upload to a fresh staging file (on the blob store's filesystem)."""
        staged = self.blobs.staging_path(suffix)
        await self.run(staged.write_bytes, data)
        return staged

    # Characters.

    async def character_refs(self, ids: Sequence[str], *, project: str) -> tuple[CharacterRef, ...]:
        """The characters a new video names, all of this project (400 naming a missing one)."""

        def read() -> tuple[CharacterRef, ...]:
            refs = []
            for i, character_id in enumerate(ids):
                found = self.store.get_character(character_id, project=project)
                if found is None:
                    raise InvalidRequest(
                        f"Character with id '{character_id}' not found.",
                        param=f"characters[{i}].id",
                        code="invalid_value",
                    )
                refs.append(CharacterRef(id=found.id, name=found.name, image_key=found.image_key))
            return tuple(refs)

        return await self.run(read) if ids else ()
