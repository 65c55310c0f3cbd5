"""The Azure OpenAI Sora 1 jobs API: `/openai/v1/video/generations…` (SORA_API.md Part B, D7).

Also served under the older paths `/openai/video/generations…` and
`/openai/deployments/{deployment}/video/generations…`, where the deployment in the path is the
default `model`. Jobs here are their own resource type: they share the store, limits, engines and
tenancy with OpenAI-dialect videos but never appear among them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reelbox.api import validation as v
from reelbox.api.azure_inputs import inpaint_media
from reelbox.api.deployments import resolve_deployment
from reelbox.api.deps import CallerDep, ProjectDep, Services, ServicesDep
from reelbox.api.downloads import file_response
from reelbox.api.forms import read_fields
from reelbox.api.inputs import check_video
from reelbox.api.moderation import dialect_of
from reelbox.api.requests import AzureJobCreate, parse, request_body
from reelbox.blobs import keys
from reelbox.engines.catalog import ResolvedModel
from reelbox.errors import InvalidRequest, NotFound
from reelbox.jobs.ids import new_task_id
from reelbox.jobs.models import Generation, Job
from reelbox.jobs.spec import RENDITION_LOW, GenerationSpec, KeyframeRef, Mode
from reelbox.jobs.status import JobStatus
from reelbox.media.decode import VideoProbe
from reelbox.service.videos import NewWork
from reelbox.settings import Settings
from reelbox.store.rows import NewJob

router = APIRouter()

PREFIXES = (
    "/openai/v1/video/generations",
    "/openai/video/generations",
    "/openai/deployments/{deployment}/video/generations",
)
RESOLUTIONS = (
    (480, 480), (854, 480), (480, 854), (720, 720), (1280, 720), (720, 1280),
    (1080, 1080), (1920, 1080), (1080, 1920),
)  # fmt: skip
MAX_VIDEO_SECONDS = 5.0
STATUSES = ("preprocessing", "queued", "running", "processing", "cancelled", "succeeded", "failed")


def max_variants(width: int, height: int) -> int:
    """1080p: 1; 720p: 2; smaller: 4 (the integration guide's limits, D7)."""
    short = min(width, height)
    if short >= 1080:
        return 1
    if short >= 720 and max(width, height) >= 1280:
        return 2
    return 4


def azure_status(job: Job) -> str:
    """Azure's finer progression, derived from the job's status and progress."""
    if job.status is JobStatus.QUEUED:
        return "queued"
    if job.status is JobStatus.IN_PROGRESS:
        if job.progress < 5:
            return "preprocessing"
        return "running" if job.progress < 90 else "processing"
    return {
        JobStatus.COMPLETED: "succeeded",
        JobStatus.FAILED: "failed",
        JobStatus.CANCELLED: "cancelled",
    }[job.status]


def failure_reason(job: Job) -> str | None:
    if job.status is not JobStatus.FAILED:
        return None
    if job.error_code == "moderation_blocked":
        return str(job.extra.get("moderation_stage", "output_moderation"))
    return "internal_error"


def generation_json(job: Job, generation: Generation) -> dict[str, Any]:
    return {
        "object": "video.generation",
        "id": generation.id,
        "job_id": job.id,
        "created_at": generation.created_at,
        "width": generation.width,
        "height": generation.height,
        "n_seconds": int(job.extra["n_seconds"]),
        "prompt": job.prompt,
    }


def job_json(job: Job, generations: list[Generation]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "video.generation.job",
        "id": job.id,
        "status": azure_status(job),
        "created_at": job.created_at,
        "finished_at": job.completed_at,
        "expires_at": job.expires_at,
        "generations": [generation_json(job, g) for g in generations],
        "prompt": job.prompt,
        "model": job.model,
        "n_variants": job.spec.variants,
        "n_seconds": int(job.extra["n_seconds"]),
        "height": job.height,
        "width": job.width,
        "failure_reason": failure_reason(job),
    }
    if job.extra.get("inpaint_items"):
        body["inpaint_items"] = job.extra["inpaint_items"]
    return body


def _deployment(request: Request, model: str | None, services: Services) -> ResolvedModel:
    name = model or request.path_params.get("deployment")
    if not name:
        raise v.missing("model")
    return resolve_deployment(
        name, deployments=services.settings.deployments, catalog=services.catalog
    )


def _check_shape(resolved: ResolvedModel, body: AzureJobCreate) -> None:
    """Resolution, length and variants as Azure words its refusals (B, D7)."""
    width, height, n_seconds = body.width, body.height, body.n_seconds
    if (width, height) not in RESOLUTIONS:
        supported = ", ".join(f"{w}x{h}" for w, h in RESOLUTIONS)
        raise InvalidRequest(
            f"The resolution {width}x{height} is not supported. Supported resolutions are: "
            f"{supported}.",
            param="width",
            code="invalid_resolution",
            type="video_generation_user_error",
        )
    if not 1 <= n_seconds <= 20:
        raise InvalidRequest(
            f"n_seconds must be between 1 and 20, got {n_seconds}.",
            param="n_seconds",
            code="invalid_value",
            type="video_generation_user_error",
        )
    limit = max_variants(width, height)
    if not 1 <= body.n_variants <= limit:
        raise InvalidRequest(
            f"n_variants must be between 1 and {limit} for {width}x{height}, got "
            f"{body.n_variants}.",
            param="n_variants",
            code="invalid_value",
            type="video_generation_user_error",
        )
    caps = resolved.capabilities
    if (caps.sizes is not None and (width, height) not in caps.sizes) or (
        width * height > caps.max_pixels
    ):
        raise InvalidRequest(
            f"The deployment '{resolved.name}' cannot make {width}x{height} videos.",
            param="width",
            code="invalid_resolution",
            type="video_generation_user_error",
        )
    if (caps.seconds is not None and float(n_seconds) not in caps.seconds) or not (
        caps.min_seconds <= n_seconds <= caps.max_seconds
    ):
        raise InvalidRequest(
            f"The deployment '{resolved.name}' cannot make {n_seconds} s videos.",
            param="n_seconds",
            code="invalid_value",
            type="video_generation_user_error",
        )


def _check_input_video(path: Path, *, settings: Settings) -> VideoProbe:
    probe = check_video(path, settings=settings, param="files")
    if probe.duration > MAX_VIDEO_SECONDS + 0.5 / max(probe.fps, 1):
        raise InvalidRequest(
            f"The video input is {probe.duration:.1f} s long; at most "
            f"{MAX_VIDEO_SECONDS:g} s is allowed.",
            param="files",
            code="invalid_value",
            type="video_generation_user_error",
        )
    return probe


async def create_job(request: Request, services: ServicesDep, caller: CallerDep) -> Response:
    project = caller.project
    settings, service = services.settings, services.service
    await service.gate.admit(project)  # the rate limit first: before parsing and moderation
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    multipart = request.headers.get("content-type", "").startswith("multipart/")
    body = parse(AzureJobCreate, fields, multipart=multipart)
    await service.gate.check_texts([body.prompt], project=project, dialect=dialect_of(request))
    resolved = _deployment(request, body.model, services)
    _check_shape(resolved, body)
    fps = resolved.capabilities.fps
    media = await service.run(
        inpaint_media,
        body.files,
        body.inpaint_items,
        width=body.width,
        height=body.height,
        frame_count=body.n_seconds * fps,
        settings=settings,
    )
    job_id = new_task_id()
    keyframes = tuple(
        KeyframeRef(frame_index=index, image_key=keys.upload(job_id, f"keyframe-{i}.png"))
        for i, (index, _) in enumerate(media.keyframes)
    )
    blobs = [(ref.image_key, png) for ref, (_, png) in zip(keyframes, media.keyframes, strict=True)]
    mode = Mode.TEXT
    input_key = None
    if (
        media.video is not None
        or (keyframes and keyframes[0].frame_index != 0)
        or len(keyframes) > 1
    ):
        mode = Mode.INPAINT
    elif keyframes:
        mode, input_key, keyframes = Mode.IMAGE, keyframes[0].image_key, ()
    v.mode_supported(resolved, mode, param="inpaint_items")
    files: list[tuple[str, Path]] = []
    source_key = None
    if media.video is not None:
        staged = await service.stage(media.video[1].data)
        try:
            probe = await service.run(_check_input_video, staged, settings=settings)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        source_key = keys.upload(job_id, f"source.{probe.container}")
        files.append((source_key, staged))
    spec = GenerationSpec(
        mode=mode,
        prompt=body.prompt,
        width=body.width,
        height=body.height,
        seconds=float(body.n_seconds),
        seed=body.seed if body.seed is not None else random.randrange(2**31),
        profile=resolved.profile,
        fps=fps,
        variants=body.n_variants,
        audio=False,  # Sora 1 makes silent videos
        input_image_key=input_key,
        source_video_key=source_key,
        source_frame_index=media.video[0] if media.video is not None else 0,
        keyframes=keyframes,
        options={"renditions": [RENDITION_LOW]},
    )
    new = NewJob(
        id=job_id,
        project=project,
        key_id=caller.key_id,
        dialect="azure",
        model=resolved.name,
        spec=spec,
        seconds=str(body.n_seconds),
        max_attempts=settings.max_attempts,
        extra={
            "n_seconds": body.n_seconds,
            "inpaint_items": media.echo,
            "expires_from": "creation",
        },
    )
    job = await service.create(NewWork(new=new, blobs=blobs, files=files))
    return JSONResponse(job_json(job, []))


async def _job(services: Services, job_id: str, project: str) -> Job:
    job = await services.service.find(job_id, project=project, dialect="azure")
    if job is None:
        raise NotFound(f"The job '{job_id}' was not found.", param="job_id", code="NotFound")
    return job


async def get_job(job_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    job = await _job(services, job_id, project)
    generations = await services.service.generations(job.id)
    headers = {} if job.status.terminal else {"retry-after": "1"}
    return JSONResponse(job_json(job, generations), headers=headers)


async def list_jobs(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    query = request.query_params
    limit_text = query.get("limit", "10")
    limit = v.query_int(
        limit_text,
        param="limit",
        low=1,
        high=100,
        message=f"limit must be an integer between 1 and 100, got '{limit_text}'.",
    )
    wanted: set[str] = set()
    for value in query.getlist("statuses"):
        wanted.update(s.strip() for s in value.split(",") if s.strip())
    unknown = wanted - set(STATUSES)
    if unknown:
        raise InvalidRequest(
            f"Unknown status '{sorted(unknown)[0]}'. Valid statuses are: {', '.join(STATUSES)}.",
            param="statuses",
            code="invalid_value",
        )
    internal = {
        "queued": JobStatus.QUEUED, "preprocessing": JobStatus.IN_PROGRESS,
        "running": JobStatus.IN_PROGRESS, "processing": JobStatus.IN_PROGRESS,
        "succeeded": JobStatus.COMPLETED, "failed": JobStatus.FAILED,
        "cancelled": JobStatus.CANCELLED,
    }  # fmt: skip
    statuses = sorted({internal[s] for s in wanted}) or None

    def read() -> tuple[list[dict[str, Any]], bool]:
        page = services.store.list_jobs(
            project=project,
            dialect="azure",
            limit=limit,
            order="desc",
            after=query.get("after") or None,
            before=query.get("before") or None,
            statuses=statuses,
        )
        items = [
            job_json(job, services.store.generations(job.id))
            for job in page.items
            if not wanted or azure_status(job) in wanted
        ]
        return items, page.has_more

    data, has_more = await services.service.run(read)
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )


async def delete_job(job_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    job = await services.service.delete(job_id, project=project, dialect="azure")
    if job is None:
        raise NotFound(f"The job '{job_id}' was not found.", param="job_id", code="NotFound")
    return Response(status_code=204)


async def _generation(
    services: Services, generation_id: str, project: str
) -> tuple[Job, Generation]:
    found = await services.service.generation(generation_id, project=project, dialect="azure")
    if found is None:
        raise NotFound(
            f"The generation '{generation_id}' was not found.",
            param="generation_id",
            code="NotFound",
        )
    job, generation = found
    if job.assets_expired:
        raise NotFound(
            f"The content of generation '{generation_id}' has expired.", code="video_expired"
        )
    return job, generation


async def get_generation(
    generation_id: str, services: ServicesDep, project: ProjectDep
) -> Response:
    job, generation = await _generation(services, generation_id, project)
    return JSONResponse(generation_json(job, generation))


async def video_content(
    generation_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    quality = request.query_params.get("quality", "high")
    if quality not in ("high", "low"):
        raise v.invalid_value("quality", quality, ("high", "low"))
    _, generation = await _generation(services, generation_id, project)
    key = generation.video_key
    if quality == "low" and await services.service.run(
        services.blobs.exists, keys.low_rendition(key)
    ):
        key = keys.low_rendition(key)
    return file_response(services, key, media_type="video/mp4", request_headers=request.headers)


async def thumbnail_content(
    generation_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    _, generation = await _generation(services, generation_id, project)
    return file_response(
        services,
        generation.thumbnail_jpeg_key,
        media_type="image/jpg",
        request_headers=request.headers,
    )


for _prefix in PREFIXES:
    router.add_api_route(
        f"{_prefix}/jobs",
        create_job,
        methods=["POST"],
        openapi_extra=request_body(AzureJobCreate),
    )
    router.add_api_route(f"{_prefix}/jobs", list_jobs, methods=["GET"])
    router.add_api_route(f"{_prefix}/jobs/{{job_id}}", get_job, methods=["GET"])
    router.add_api_route(f"{_prefix}/jobs/{{job_id}}", delete_job, methods=["DELETE"])
    router.add_api_route(f"{_prefix}/{{generation_id}}", get_generation, methods=["GET"])
    router.add_api_route(
        f"{_prefix}/{{generation_id}}/content/video", video_content, methods=["GET"]
    )
    router.add_api_route(
        f"{_prefix}/{{generation_id}}/content/video",
        video_content,
        methods=["HEAD"],
        include_in_schema=False,
    )
    router.add_api_route(
        f"{_prefix}/{{generation_id}}/content/thumbnail", thumbnail_content, methods=["GET"]
    )
