"""The OpenAI Videos API: `/v1/videos…` (SORA_API.md Part A and DECISIONS D1-D6)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from reelbox.api import validation as v
from reelbox.api.deployments import resolve_deployment
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.forms import Upload, read_fields
from reelbox.api.inputs import check_video, fit_mode, image_bytes, reference_png
from reelbox.blobs.base import BlobNotFound
from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SIZES, ResolvedModel
from reelbox.errors import InvalidRequest, NotFound, RateLimited
from reelbox.jobs.ids import new_character_id, new_video_id
from reelbox.jobs.models import Job
from reelbox.jobs.spec import CharacterRef, GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.media.cutout import character_cutout
from reelbox.media.decode import VideoProbe
from reelbox.store.store import NewJob, QueueFull

router = APIRouter()

CREATE_FIELDS = (
    "prompt",
    "model",
    "seconds",
    "size",
    "input_reference",
    "characters",
    "input_reference_fit",
    "seed",
)
REMIX_FIELDS = ("prompt", "seed")
EDIT_FIELDS = ("prompt", "video", "model", "seed")
EXTEND_FIELDS = ("prompt", "seconds", "video", "seed")
EXTENSION_SECONDS = ("4", "8", "12", "16", "20")
MAX_EXTENSIONS = 6
MAX_LINEAGE_SECONDS = 120.0
VARIANTS = ("video", "thumbnail", "spritesheet")
WIRE_STATUS = {
    JobStatus.QUEUED: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def video_json(job: Job) -> dict[str, Any]:
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


def _video_response(job: Job, services: Services) -> JSONResponse:
    headers = {}
    if not job.status.terminal:
        headers["openai-poll-after-ms"] = str(services.settings.poll_after_ms)
    return JSONResponse(video_json(job), headers=headers)


def _model(
    request: Request, fields: dict[str, Any], services: Services, *, default: str
) -> ResolvedModel:
    """`model` as the OpenAI API reads it, or as a deployment name on the Azure paths (B7)."""
    if request.url.path.startswith("/openai/"):
        name = request.path_params.get("deployment") or v.string_field(fields, "model") or default
        return resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return v.model(fields, services.catalog, default=default)


def _source_model(services: Services, name: str) -> ResolvedModel | None:
    """The model a source video was made with: a catalogue name or an Azure deployment."""
    resolved = services.catalog.resolve(name)
    if resolved is None and name in services.settings.deployments:
        resolved = resolve_deployment(
            name, deployments=services.settings.deployments, catalog=services.catalog
        )
    return resolved


def _not_found(video_id: str) -> NotFound:
    return NotFound(f"Video with id '{video_id}' not found.", param="video_id", code="not_found")


def _seed(fields: dict[str, Any]) -> int:
    chosen = v.seed(fields)
    return random.randrange(2**31) if chosen is None else chosen


@dataclass
class _Draft:
    """A job about to be created, with the input blobs it needs stored first."""

    new: NewJob
    blobs: list[tuple[str, bytes]]
    files: list[tuple[str, Any]]


async def _submit(services: Services, draft: _Draft) -> JSONResponse:
    def create() -> Job:
        for key, data in draft.blobs:
            services.blobs.put_bytes(key, data)
        for key, path in draft.files:
            services.blobs.put_file(key, path)
        try:
            return services.store.create_job(
                draft.new, queue_cap=services.settings.max_queued_per_project
            )
        except QueueFull:
            services.blobs.delete_prefix(f"uploads/{draft.new.id}")
            raise RateLimited(
                "Too many running tasks", retry_after=10, type="video_generation_user_error"
            ) from None

    job = await run_in_threadpool(create)
    services.wake_scheduler()
    return _video_response(job, services)


def _characters(
    value: object, *, services: Services, project: str, resolved: ResolvedModel
) -> tuple[CharacterRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise v.invalid_type("characters", "an array", value)
    if len(value) > 2:
        raise InvalidRequest(
            "Invalid 'characters': at most 2 characters can appear in one video.",
            param="characters",
            code="invalid_value",
        )
    refs = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"id"} or not isinstance(item["id"], str):
            raise InvalidRequest(
                f'Invalid \'characters[{i}]\': expected an object like {{"id": "char_..."}}.',
                param=f"characters[{i}]",
                code="invalid_value",
            )
        found = services.store.get_character(item["id"], project=project)
        if found is None:
            raise InvalidRequest(
                f"Character with id '{item['id']}' not found.",
                param=f"characters[{i}].id",
                code="invalid_value",
            )
        refs.append(CharacterRef(id=found.id, name=found.name, image_key=found.image_key))
    return tuple(refs)


@router.post("/videos")
async def create_video(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, CREATE_FIELDS)
    prompt = v.prompt(fields)
    resolved = _model(request, fields, services, default=settings.default_model)
    width, height = v.size(fields.get("size"), resolved)
    seconds_text, seconds = v.seconds(fields.get("seconds"), resolved)
    fit = fit_mode(fields)
    seed = _seed(fields)
    services.limiter.check(project)
    job_id = new_video_id()
    mode = Mode.TEXT
    blobs: list[tuple[str, bytes]] = []
    input_key = None
    if fields.get("input_reference") is not None:
        mode = Mode.IMAGE
        v.mode_supported(resolved, mode, param="input_reference")
        raw = await image_bytes(fields["input_reference"], settings=settings)
        png = await run_in_threadpool(
            reference_png,
            raw,
            width=width,
            height=height,
            fit=fit,
            max_pixels=settings.max_image_pixels,
        )
        input_key = f"uploads/{job_id}/input.png"
        blobs.append((input_key, png))
    characters = await run_in_threadpool(
        _characters,
        fields.get("characters"),
        services=services,
        project=project,
        resolved=resolved,
    )
    spec = GenerationSpec(
        mode=mode,
        prompt=prompt,
        width=width,
        height=height,
        seconds=seconds,
        seed=seed,
        profile=resolved.profile,
        fps=resolved.capabilities.fps,
        input_image_key=input_key,
        characters=characters,
    )
    new = NewJob(
        id=job_id,
        project=project,
        dialect="openai",
        model=resolved.name,
        spec=spec,
        seconds=seconds_text,
        max_attempts=settings.max_attempts,
    )
    return await _submit(services, _Draft(new=new, blobs=blobs, files=[]))


@router.get("/videos")
async def list_videos(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    query = request.query_params
    limit_text = query.get("limit", "20")
    if not limit_text.isdigit() or not 0 <= int(limit_text) <= 100:
        raise InvalidRequest(
            f"Invalid 'limit': expected an integer between 0 and 100, got '{limit_text}'.",
            param="limit",
            code="invalid_value",
        )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise v.invalid_value("order", order, ("asc", "desc"))
    after = query.get("after") or None
    page = await run_in_threadpool(
        lambda: services.store.list_jobs(
            project=project, dialect="openai", limit=int(limit_text), order=order, after=after
        )
    )
    data = [video_json(job) for job in page.items]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": page.has_more,
        }
    )


async def _get(services: Services, video_id: str, project: str) -> Job:
    job = await run_in_threadpool(services.store.get_job, video_id, project=project)
    if job is None or job.dialect != "openai":
        raise _not_found(video_id)
    return job


@router.get("/videos/{video_id}")
async def retrieve_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    return _video_response(await _get(services, video_id, project), services)


@router.delete("/videos/{video_id}")
async def delete_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    def delete() -> Job | None:
        job = services.store.cancel(video_id, project=project)
        if job is not None and job.status.terminal:
            services.blobs.delete_prefix(f"videos/{job.id}")
            services.blobs.delete_prefix(f"uploads/{job.id}")
            services.store.mark_assets_expired(job.id)
        return job

    job = await run_in_threadpool(delete)
    if job is None or job.dialect != "openai":
        raise _not_found(video_id)
    services.wake_scheduler()
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})


@router.api_route("/videos/{video_id}/content", methods=["GET", "HEAD"])
async def download_content(
    video_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    variant = request.query_params.get("variant", "video")
    if variant not in VARIANTS:
        raise v.invalid_value("variant", variant, VARIANTS)
    job = await _get(services, video_id, project)
    ensure_downloadable(job)
    generations = await run_in_threadpool(services.store.generations, job.id)
    generation = generations[0]
    headers: dict[str, str] = {}
    if variant == "video":
        key, media_type = generation.video_key, "video/mp4"
    elif variant == "thumbnail":
        key, media_type = generation.thumbnail_key, "image/webp"
    else:
        key, media_type = generation.spritesheet_key, "image/jpeg"
        headers = {
            "x-spritesheet-columns": str(generation.sprite_columns),
            "x-spritesheet-rows": str(generation.sprite_rows),
            "x-spritesheet-frame-width": str(generation.sprite_frame_width),
            "x-spritesheet-frame-height": str(generation.sprite_frame_height),
        }
    return file_response(
        services, key, media_type=media_type, request_headers=request.headers, headers=headers
    )


def ensure_downloadable(job: Job) -> None:
    """Content exists only for completed, unexpired jobs (D3)."""
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise NotFound(
            f"Video generation failed: {job.error_message or job.error_code}",
            code="video_failed",
        )
    if job.status is not JobStatus.COMPLETED:
        raise NotFound("Video is not ready yet.", code="video_not_ready")
    if job.assets_expired:
        raise NotFound(
            "The video has expired and its content is no longer available.",
            code="video_expired",
        )


def file_response(
    services: Services,
    key: str,
    *,
    media_type: str,
    request_headers: Headers,
    headers: dict[str, str] | None = None,
) -> Response:
    """A blob as a download: Range, HEAD, ETag and Last-Modified from Starlette's FileResponse,
    plus `If-None-Match` revalidation (304)."""
    try:
        path = services.blobs.local_path(key)
    except BlobNotFound:
        raise NotFound(
            "The video has expired and its content is no longer available.",
            code="video_expired",
        ) from None
    # Passing the stat result makes FileResponse set ETag and Last-Modified right away.
    response = FileResponse(path, media_type=media_type, headers=headers, stat_result=path.stat())
    etag = response.headers.get("etag")
    wanted = [t.strip() for t in request_headers.get("if-none-match", "").split(",")]
    if etag and (etag in wanted or "*" in wanted):
        return Response(status_code=304, headers={"etag": etag})
    return response


async def _finished_source(
    services: Services, video_id: object, project: str, *, param: str
) -> tuple[Job, str]:
    """A completed source video of this project and the blob key of its MP4."""
    if not isinstance(video_id, str) or not video_id:
        raise v.invalid_type(param, "a string", video_id)
    job = await run_in_threadpool(services.store.get_job, video_id, project=project)
    if job is None or job.dialect != "openai":
        raise _not_found(video_id)
    if job.status is not JobStatus.COMPLETED:
        raise InvalidRequest(
            f"Video '{video_id}' is {WIRE_STATUS[job.status]}; only completed videos can be "
            "used as a source.",
            param=param,
            code="invalid_value",
        )
    if job.assets_expired:
        raise NotFound(
            f"Video '{video_id}' has expired and can no longer be used as a source.",
            code="video_expired",
        )
    generations = await run_in_threadpool(services.store.generations, job.id)
    return job, generations[0].video_key


@router.post("/videos/{video_id}/remix")
async def remix_video(
    video_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, REMIX_FIELDS)
    prompt = v.prompt(fields)
    source, source_key = await _finished_source(services, video_id, project, param="video_id")
    resolved = _source_model(services, source.model)
    if resolved is None:
        raise InvalidRequest(
            f"The model '{source.model}' of video '{video_id}' is no longer served.",
            param="video_id",
            code="invalid_value",
        )
    v.mode_supported(resolved, Mode.REMIX)
    services.limiter.check(project)
    seed = v.seed(fields)
    spec = GenerationSpec(
        mode=Mode.REMIX,
        prompt=prompt,
        width=source.width,
        height=source.height,
        seconds=float(source.seconds),
        seed=source.spec.seed if seed is None else seed,
        profile=resolved.profile,
        fps=resolved.capabilities.fps,
        source_video_key=source_key,
        source_plan=source.plan,
        characters=source.spec.characters,
    )
    new = NewJob(
        id=new_video_id(),
        project=project,
        dialect="openai",
        model=source.model,
        spec=spec,
        seconds=source.seconds,
        source_video_id=source.id,
        remixed_from_video_id=source.id,
        max_attempts=settings.max_attempts,
        extra={"lineage": {"kind": "remix", "source": source.id}},
    )
    return await _submit(services, _Draft(new=new, blobs=[], files=[]))


async def _video_source(
    services: Services, fields: dict[str, Any], project: str, job_id: str
) -> tuple[Job | None, str, VideoProbe | None, list[tuple[str, Any]]]:
    """`video` as `{"id": …}` (a finished video) or an uploaded file part."""
    value = fields.get("video")
    if value is None:
        raise v.missing("video")
    if isinstance(value, dict):
        if set(value) != {"id"}:
            raise InvalidRequest(
                'Invalid \'video\': expected an object like {"id": "video_..."}.',
                param="video",
                code="invalid_value",
            )
        job, key = await _finished_source(services, value["id"], project, param="video.id")
        return job, key, None, []
    if isinstance(value, Upload):
        staged = services.blobs.staging_path(".upload")

        def check() -> VideoProbe:
            staged.write_bytes(value.data)
            try:
                return check_video(staged, settings=services.settings)
            except Exception:
                staged.unlink(missing_ok=True)
                raise

        probe = await run_in_threadpool(check)
        key = f"uploads/{job_id}/source.{probe.container}"
        return None, key, probe, [(key, staged)]
    raise v.invalid_type("video", "an object or a file", value)


def _nearest_size(resolved: ResolvedModel, width: int, height: int) -> tuple[int, int]:
    """An uploaded video's size if the model serves it, else the closest one it does."""
    caps = resolved.capabilities
    sizes: Sequence[tuple[int, int]] | None = caps.sizes
    if resolved.sora:
        sizes = SORA_PRO_SIZES if resolved.pro else SORA_SIZES
    if sizes is None:
        w, h = width - width % 2, height - height % 2
        if w >= 64 and h >= 64 and w * h <= caps.max_pixels:
            return w, h
        sizes = ((1280, 720), (720, 1280))
    if (width, height) in sizes:
        return width, height
    aspect = width / height
    return min(sizes, key=lambda s: (abs(s[0] / s[1] - aspect), abs(s[0] * s[1] - width * height)))


@router.post("/videos/edits")
async def edit_video(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, EDIT_FIELDS)
    prompt = v.prompt(fields)
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, fields, project, job_id)
    try:
        default_model = source.model if source is not None else settings.default_model
        resolved = _model(request, fields, services, default=default_model)
        v.mode_supported(resolved, Mode.EDIT)
        if source is not None:
            width, height, seconds = source.width, source.height, float(source.seconds)
            seconds_text = source.seconds
        else:
            assert probe is not None
            width, height = _nearest_size(resolved, probe.width, probe.height)
            seconds = round(probe.duration, 3)
            seconds_text = f"{seconds:g}"
        services.limiter.check(project)
        seed = v.seed(fields)
        spec = GenerationSpec(
            mode=Mode.EDIT,
            prompt=prompt,
            width=width,
            height=height,
            seconds=seconds,
            seed=(source.spec.seed if source is not None else 0) if seed is None else seed,
            profile=resolved.profile,
            fps=resolved.capabilities.fps,
            source_video_key=source_key,
            source_plan=source.plan if source is not None else None,
        )
        new = NewJob(
            id=job_id,
            project=project,
            dialect="openai",
            model=resolved.name,
            spec=spec,
            seconds=seconds_text,
            source_video_id=source.id if source is not None else None,
            max_attempts=settings.max_attempts,
            extra={"lineage": {"kind": "edit", "source": source.id if source else None}},
        )
    except Exception:
        for _, path in files:
            path.unlink(missing_ok=True)
        raise
    return await _submit(services, _Draft(new=new, blobs=[], files=files))


@router.post("/videos/extensions")
async def extend_video(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, EXTEND_FIELDS)
    prompt = v.prompt(fields)
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, fields, project, job_id)
    try:
        resolved = _model(
            request,
            {},
            services,
            default=source.model if source is not None else settings.default_model,
        )
        v.mode_supported(resolved, Mode.EXTEND)
        choices = EXTENSION_SECONDS if resolved.sora else None
        _, seconds = v.seconds(fields.get("seconds"), resolved, default=None, choices=choices)
        if source is not None:
            width, height = source.width, source.height
            before = float(source.seconds)
            count = int(source.extra.get("extensions", 0)) + 1
        else:
            assert probe is not None
            width, height = _nearest_size(resolved, probe.width, probe.height)
            before = probe.duration
            count = 1
        total = before + seconds
        if count > MAX_EXTENSIONS:
            raise InvalidRequest(
                f"A video can be extended at most {MAX_EXTENSIONS} times.",
                param="video",
                code="extension_limit",
            )
        if total > MAX_LINEAGE_SECONDS + 1e-6:
            raise InvalidRequest(
                f"Extending to {total:g} seconds would exceed the {MAX_LINEAGE_SECONDS:g} second "
                "limit.",
                param="seconds",
                code="extension_limit",
            )
        services.limiter.check(project)
        seed = v.seed(fields)
        spec = GenerationSpec(
            mode=Mode.EXTEND,
            prompt=prompt,
            width=width,
            height=height,
            seconds=seconds,
            seed=(source.spec.seed if source is not None else 0) if seed is None else seed,
            profile=resolved.profile,
            fps=resolved.capabilities.fps,
            source_video_key=source_key,
            source_plan=source.plan if source is not None else None,
        )
        total_frames = round(before * spec.fps) + spec.frame_count
        new = NewJob(
            id=job_id,
            project=project,
            dialect="openai",
            model=resolved.name,
            spec=spec,
            seconds=f"{total_frames / spec.fps:g}",
            source_video_id=source.id if source is not None else None,
            max_attempts=settings.max_attempts,
            extra={
                "extensions": count,
                "lineage": {"kind": "extension", "source": source.id if source else None},
            },
        )
    except Exception:
        for _, path in files:
            path.unlink(missing_ok=True)
        raise
    return await _submit(services, _Draft(new=new, blobs=[], files=files))


def character_json(character_id: str, name: str, created_at: int) -> dict[str, Any]:
    return {"id": character_id, "name": name, "created_at": created_at}


@router.post("/videos/characters")
async def create_character(
    request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes, multipart_only=True)
    v.reject_unknown(fields, ("name", "video"))
    name = v.string_field(fields, "name", required=True)
    assert name is not None
    if not 1 <= len(name.strip()) <= 80:
        raise InvalidRequest(
            "Invalid 'name': expected 1 to 80 characters.", param="name", code="invalid_value"
        )
    video = fields.get("video")
    if video is None:
        raise v.missing("video")
    if not isinstance(video, Upload):
        raise v.invalid_type("video", "a file", video)
    character_id = new_character_id()

    def create() -> dict[str, Any]:
        staged = services.blobs.staging_path(".upload")
        staged.write_bytes(video.data)
        try:
            probe = check_video(staged, settings=settings)
            cutout = character_cutout(staged, probe=probe)
            clip_key = f"characters/{character_id}/clip.{probe.container}"
            image_key = f"characters/{character_id}/cutout.png"
            services.blobs.put_file(clip_key, staged)
            services.blobs.put_bytes(image_key, cutout)
        finally:
            staged.unlink(missing_ok=True)
        character = services.store.create_character(
            id=character_id,
            project=project,
            name=name.strip(),
            clip_key=clip_key,
            image_key=image_key,
        )
        return character_json(character.id, character.name, character.created_at)

    return JSONResponse(await run_in_threadpool(create))


@router.get("/videos/characters/{character_id}")
async def get_character(character_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    character = await run_in_threadpool(services.store.get_character, character_id, project=project)
    if character is None:
        raise NotFound(
            f"Character with id '{character_id}' not found.",
            param="character_id",
            code="not_found",
        )
    return JSONResponse(character_json(character.id, character.name, character.created_at))
