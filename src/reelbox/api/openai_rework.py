"""Reworking finished videos: remix, edits and extensions (SORA_API.md A4.6-A4.8, D2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.forms import Upload, read_fields
from reelbox.api.inputs import check_video
from reelbox.api.moderation import check_prompt, dialect_of
from reelbox.api.video_jobs import (
    WIRE_STATUS,
    Draft,
    resolve_model,
    source_model,
    submit,
    video_not_found,
)
from reelbox.blobs import keys
from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SIZES, ResolvedModel
from reelbox.errors import InvalidRequest, NotFound
from reelbox.jobs.ids import new_video_id
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.status import JobStatus
from reelbox.media.decode import VideoProbe
from reelbox.store.rows import NewJob

router = APIRouter()

REMIX_FIELDS = ("prompt", "seed")
EDIT_FIELDS = ("prompt", "video", "model", "seed")
EXTEND_FIELDS = ("prompt", "seconds", "video", "seed")
EXTENSION_SECONDS = ("4", "8", "12", "16", "20")
MAX_EXTENSIONS = 6
MAX_LINEAGE_SECONDS = 120.0


async def _finished_source(
    services: Services, video_id: object, project: str, *, param: str
) -> tuple[Job, str]:
    """A completed source video of this project and the blob key of its MP4."""
    if not isinstance(video_id, str) or not video_id:
        raise v.invalid_type(param, "a string", video_id)
    job = await run_in_threadpool(services.store.get_job, video_id, project=project)
    if job is None or job.dialect != "openai":
        raise video_not_found(video_id)
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
    await check_prompt(services, [prompt], project=project, dialect=dialect_of(request))
    source, source_key = await _finished_source(services, video_id, project, param="video_id")
    resolved = source_model(services, source.model)
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
    return await submit(services, Draft(new=new, blobs=[], files=[]))


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
        key = keys.upload(job_id, f"source.{probe.container}")
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


def _rework_spec(
    mode: Mode,
    *,
    prompt: str,
    fields: dict[str, Any],
    resolved: ResolvedModel,
    source: Job | None,
    source_key: str,
    size: tuple[int, int],
    seconds: float,
) -> GenerationSpec:
    """The spec of an edit or extension: the source's seed and plan unless a seed is given."""
    seed = v.seed(fields)
    if seed is None:
        seed = source.spec.seed if source is not None else 0
    return GenerationSpec(
        mode=mode,
        prompt=prompt,
        width=size[0],
        height=size[1],
        seconds=seconds,
        seed=seed,
        profile=resolved.profile,
        fps=resolved.capabilities.fps,
        source_video_key=source_key,
        source_plan=source.plan if source is not None else None,
    )


@router.post("/videos/edits")
async def edit_video(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, EDIT_FIELDS)
    prompt = v.prompt(fields)
    await check_prompt(services, [prompt], project=project, dialect=dialect_of(request))
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, fields, project, job_id)
    try:
        default_model = source.model if source is not None else settings.default_model
        resolved = resolve_model(request, fields, services, default=default_model)
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
        spec = _rework_spec(
            Mode.EDIT,
            prompt=prompt,
            fields=fields,
            resolved=resolved,
            source=source,
            source_key=source_key,
            size=(width, height),
            seconds=seconds,
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
    return await submit(services, Draft(new=new, blobs=[], files=files))


@router.post("/videos/extensions")
async def extend_video(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes)
    v.reject_unknown(fields, EXTEND_FIELDS)
    prompt = v.prompt(fields)
    await check_prompt(services, [prompt], project=project, dialect=dialect_of(request))
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, fields, project, job_id)
    try:
        resolved = resolve_model(
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
        spec = _rework_spec(
            Mode.EXTEND,
            prompt=prompt,
            fields=fields,
            resolved=resolved,
            source=source,
            source_key=source_key,
            size=(width, height),
            seconds=seconds,
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
    return await submit(services, Draft(new=new, blobs=[], files=files))
