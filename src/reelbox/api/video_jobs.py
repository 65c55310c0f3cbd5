"""What every OpenAI video route shares: the Video object, model resolution, lookups."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from reelbox.api import validation as v
from reelbox.api.deployments import resolve_deployment
from reelbox.api.deps import Services
from reelbox.engines.catalog import ResolvedModel
from reelbox.jobs.models import Job
from reelbox.jobs.status import JobStatus
from reelbox.observability import logs as log_context
from reelbox.service.videos import WIRE_STATUS, video_not_found
from reelbox.store.video_reads import VideoRow

__all__ = [
    "WIRE_STATUS",
    "get_video",
    "random_seed",
    "resolve_model",
    "retrieve_row",
    "source_model",
    "video_json",
    "video_list_response",
    "video_not_found",
    "video_response",
]


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


def video_response(job: Job | VideoRow, services: Services) -> Response:
    headers = {}
    if not job.status.terminal:
        headers["openai-poll-after-ms"] = str(services.settings.poll_after_ms)
    if isinstance(job, VideoRow):
        return Response(video_text(job), media_type="application/json", headers=headers)
    return JSONResponse(video_json(job), headers=headers)


def video_list_response(rows: Sequence[VideoRow], *, has_more: bool) -> Response:
    """The list object (A4) around `rows`: the same bytes as `JSONResponse` of its dict."""
    first, last = (_text(rows[0].id), _text(rows[-1].id)) if rows else ("null", "null")
    body = (
        f'{{"object":"list","data":[{",".join(video_text(row) for row in rows)}],'
        f'"first_id":{first},"last_id":{last},"has_more":{"true" if has_more else "false"}}}'
    )
    return Response(body, media_type="application/json")


@lru_cache(maxsize=4096)
def video_text(row: VideoRow) -> str:
    """A row's Video object as JSON text, encoded as `JSONResponse` encodes; cached by the row's
    whole content, since a polled video mostly reads the same (a finished one never changes),
    and encoding it cost more than the rest of a list request (docs/benchmarks.md)."""
    return _text(video_json(row))


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def resolve_model(
    request: Request, model: str | None, services: Services, *, default: str
) -> ResolvedModel:
    """`model` as the OpenAI API reads it, or as a deployment name on the Azure paths (B7)."""
    if request.url.path.startswith("/openai/"):
        name = request.path_params.get("deployment") or model or default
        return resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return v.model({"model": model}, services.catalog, default=default)


def source_model(services: Services, name: str) -> ResolvedModel | None:
    """The model a source video was made with: a catalogue name or an Azure deployment."""
    resolved = services.catalog.resolve(name)
    if resolved is None and name in services.settings.deployments:
        resolved = resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return resolved


def random_seed(chosen: int | None) -> int:
    return random.randrange(2**31) if chosen is None else chosen


async def retrieve_row(services: Services, video_id: str, project: str) -> VideoRow:
    """The polling hot path: only the Video's columns (store/video_reads.py).

    On SQLite the lean reader runs on the event loop: it has its own read-only connections
    (never the SQLAlchemy pool, so it cannot wait for one) and WAL reads do not wait on writers.
    On PostgreSQL it awaits its own small async pool, also on the loop.
    """
    row = await services.videos.fetch(video_id, project=project)
    if row is None or row.dialect != "openai":
        raise video_not_found(video_id)
    log_context.job_id.set(row.id)  # on this request's log lines (the lean row has no profile)
    return row


async def get_video(services: Services, video_id: str, project: str) -> Job:
    """The whole OpenAI job (downloads, the event stream), read in the threadpool."""
    job = await services.service.find(video_id, project=project, dialect="openai")
    if job is None:
        raise video_not_found(video_id)
    return job
