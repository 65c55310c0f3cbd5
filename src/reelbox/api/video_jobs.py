"""What every job-creating OpenAI route shares: the Video object, model resolution, submission."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deployments import resolve_deployment
from reelbox.api.deps import Services
from reelbox.blobs.keys import delete_job_media
from reelbox.engines.catalog import ResolvedModel
from reelbox.errors import NotFound, QuotaExceeded, RateLimited
from reelbox.jobs.models import Job
from reelbox.jobs.status import JobStatus
from reelbox.store.rows import NewJob
from reelbox.store.store import QueueFull
from reelbox.store.video_reads import VideoRow

T = TypeVar("T")

WIRE_STATUS = {
    JobStatus.QUEUED: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def video_json(job: Job | VideoRow) -> dict[str, Any]:
    """The Video object: all 13 keys, explicit nulls (A3)."""
    error = None
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        error = {"code": job.error_code or "internal_error", "message": job.error_message or ""}
    return {
        "id": job.id,
        "object": "video",
        "model": job.model,
        "status": WIRE_STATUS[job.status],
        "progress": job.progress,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "expires_at": job.expires_at,
        "prompt": job.prompt,
        "size": job.size,
        "seconds": job.seconds,
        "remixed_from_video_id": job.remixed_from_video_id,
        "error": error,
    }


def video_response(job: Job | VideoRow, services: Services) -> JSONResponse:
    headers = {}
    if not job.status.terminal:
        headers["openai-poll-after-ms"] = str(services.settings.poll_after_ms)
    return JSONResponse(video_json(job), headers=headers)


def resolve_model(
    request: Request, fields: dict[str, Any], services: Services, *, default: str
) -> ResolvedModel:
    """`model` as the OpenAI API reads it, or as a deployment name on the Azure paths (B7)."""
    if request.url.path.startswith("/openai/"):
        name = request.path_params.get("deployment") or v.string_field(fields, "model") or default
        return resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return v.model(fields, services.catalog, default=default)


def source_model(services: Services, name: str) -> ResolvedModel | None:
    """The model a source video was made with: a catalogue name or an Azure deployment."""
    resolved = services.catalog.resolve(name)
    if resolved is None and name in services.settings.deployments:
        resolved = resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return resolved


def video_not_found(video_id: str) -> NotFound:
    return NotFound(f"Video with id '{video_id}' not found.", param="video_id", code="not_found")


def random_seed(fields: dict[str, Any]) -> int:
    chosen = v.seed(fields)
    return random.randrange(2**31) if chosen is None else chosen


@dataclass
class Draft:
    """A job about to be created, with the input blobs it needs stored first."""

    new: NewJob
    blobs: list[tuple[str, bytes]]
    files: list[tuple[str, Any]]


def with_policy(services: Services, new: NewJob) -> NewJob:
    """Record the project's moderation policy: the worker checks the job under it."""
    policy = services.moderator.policy_for(new.project).name
    return replace(new, extra={**(new.extra or {}), "moderation_policy": policy})


async def submit(services: Services, draft: Draft) -> JSONResponse:
    new = with_policy(services, draft.new)

    def create() -> Job:
        for key, data in draft.blobs:
            services.blobs.put_bytes(key, data)
        for key, path in draft.files:
            services.blobs.put_file(key, path)
        try:
            with services.quotas.hold(new.project, new.spec.seconds * new.spec.variants):
                return services.store.create_job(
                    new, queue_cap=services.settings.max_queued_per_project
                )
        except QuotaExceeded:
            delete_job_media(services.blobs, new.id)
            raise
        except QueueFull:
            delete_job_media(services.blobs, new.id)
            raise RateLimited(
                "Too many running tasks", retry_after=10, type="video_generation_user_error"
            ) from None

    job = await run_in_threadpool(create)
    services.wake_scheduler()
    return video_response(job, services)


async def local_read(services: Services, read: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a store read where it is cheapest: on the event loop for SQLite (a local read that
    never waits on writers in WAL mode, cheaper than the threadpool hop around it;
    docs/benchmarks.md), in the threadpool for PostgreSQL (a network round trip)."""
    if services.store.local:
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)


async def retrieve_row(services: Services, video_id: str, project: str) -> VideoRow:
    """The polling hot path: only the Video's columns (store/video_reads.py, ~5 µs on SQLite)."""
    row = await local_read(services, services.videos.get, video_id, project=project)
    if row is None or row.dialect != "openai":
        raise video_not_found(video_id)
    return row


async def get_video(services: Services, video_id: str, project: str) -> Job:
    """The whole job (downloads, the event stream; ~150 µs on SQLite)."""
    job = await local_read(services, services.store.get_job, video_id, project=project)
    if job is None or job.dialect != "openai":
        raise video_not_found(video_id)
    return job


def delete_job(services: Services, job_id: str, *, project: str) -> Job | None:
    """Cancel (if unfinished) and delete a job; a finished job's media goes at once.

    Returns the job as it was, or None when this project has no such job.
    """
    job = services.store.cancel(job_id, project=project)
    if job is not None and job.status.terminal:
        delete_job_media(services.blobs, job.id)
        services.store.mark_assets_expired(job.id)
    return job
