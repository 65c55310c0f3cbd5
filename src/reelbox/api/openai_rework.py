"""Reworking finished videos: remix, edits and extensions (SORA_API.md A4.6-A4.8, D2).

Parse the body into its model, then let the service find the source, check, and create; the
rules that shape the new spec live in `reelbox.service.rework`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelbox.api import validation as v
from reelbox.api.deps import CallerDep, Services, ServicesDep
from reelbox.api.forms import Upload, read_fields
from reelbox.api.inputs import check_video
from reelbox.api.moderation import dialect_of
from reelbox.api.requests import VideoEdit, VideoExtend, VideoRemix, parse, request_body
from reelbox.api.video_jobs import resolve_model, source_model, video_response
from reelbox.blobs import keys
from reelbox.errors import InvalidRequest
from reelbox.jobs.ids import new_video_id
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.media.decode import VideoProbe
from reelbox.service.rework import (
    EXTENSION_SECONDS,
    MAX_EXTENSIONS,
    MAX_LINEAGE_SECONDS,
    check_extension,
    nearest_size,
    rework_spec,
)
from reelbox.service.videos import NewWork, discard_files
from reelbox.store.rows import NewJob

__all__ = ["EXTENSION_SECONDS", "MAX_EXTENSIONS", "MAX_LINEAGE_SECONDS", "router"]

router = APIRouter()


@router.post("/videos/{video_id}/remix", openapi_extra=request_body(VideoRemix))
async def remix_video(
    video_id: str, request: Request, services: ServicesDep, caller: CallerDep
) -> Response:
    project = caller.project
    settings, service = services.settings, services.service
    await service.gate.admit(project)
    body = parse(VideoRemix, await read_fields(request, max_bytes=settings.max_upload_bytes))
    await service.gate.check_texts([body.prompt], project=project, dialect=dialect_of(request))
    source, source_key = await service.finished_source(video_id, project=project, param="video_id")
    resolved = source_model(services, source.model)
    if resolved is None:
        raise InvalidRequest(
            f"The model '{source.model}' of video '{video_id}' is no longer served.",
            param="video_id",
            code="invalid_value",
        )
    v.mode_supported(resolved, Mode.REMIX)
    spec = GenerationSpec(
        mode=Mode.REMIX,
        prompt=body.prompt,
        width=source.width,
        height=source.height,
        seconds=float(source.seconds),
        seed=source.spec.seed if body.seed is None else body.seed,
        profile=resolved.profile,
        fps=resolved.capabilities.fps,
        source_video_key=source_key,
        source_plan=source.plan,
        characters=source.spec.characters,
    )
    new = NewJob(
        id=new_video_id(),
        project=project,
        key_id=caller.key_id,
        dialect="openai",
        model=source.model,
        spec=spec,
        seconds=source.seconds,
        source_video_id=source.id,
        remixed_from_video_id=source.id,
        max_attempts=settings.max_attempts,
        extra={"lineage": {"kind": "remix", "source": source.id}},
    )
    return video_response(await service.create(NewWork(new=new)), services)


async def _video_source(
    services: Services, value: Any, project: str, job_id: str
) -> tuple[Job | None, str, VideoProbe | None, list[tuple[str, Path]]]:
    """`video` as `{"id": …}` (a finished video) or an uploaded file part (checked, staged)."""
    service = services.service
    if isinstance(value, Upload):
        staged = await service.stage(value.data)
        try:
            probe = await service.run(check_video, staged, settings=services.settings)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        key = keys.upload(job_id, f"source.{probe.container}")
        return None, key, probe, [(key, staged)]
    job, key = await service.finished_source(value["id"], project=project, param="video.id")
    return job, key, None, []


@router.post("/videos/edits", openapi_extra=request_body(VideoEdit))
async def edit_video(request: Request, services: ServicesDep, caller: CallerDep) -> Response:
    project = caller.project
    settings, service = services.settings, services.service
    await service.gate.admit(project)
    body = parse(VideoEdit, await read_fields(request, max_bytes=settings.max_upload_bytes))
    await service.gate.check_texts([body.prompt], project=project, dialect=dialect_of(request))
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, body.video, project, job_id)
    try:
        default_model = source.model if source is not None else settings.default_model
        resolved = resolve_model(request, body.model, services, default=default_model)
        v.mode_supported(resolved, Mode.EDIT)
        if source is not None:
            width, height, seconds = source.width, source.height, float(source.seconds)
            seconds_text = source.seconds
        else:
            assert probe is not None
            width, height = nearest_size(resolved, probe.width, probe.height)
            seconds = round(probe.duration, 3)
            seconds_text = f"{seconds:g}"
        spec = rework_spec(
            Mode.EDIT,
            prompt=body.prompt,
            seed=body.seed,
            resolved=resolved,
            source=source,
            source_key=source_key,
            size=(width, height),
            seconds=seconds,
        )
        new = NewJob(
            id=job_id,
            project=project,
            key_id=caller.key_id,
            dialect="openai",
            model=resolved.name,
            spec=spec,
            seconds=seconds_text,
            source_video_id=source.id if source is not None else None,
            max_attempts=settings.max_attempts,
            extra={"lineage": {"kind": "edit", "source": source.id if source else None}},
        )
    except BaseException:
        discard_files(files)
        raise
    return video_response(await service.create(NewWork(new=new, files=files)), services)


@router.post("/videos/extensions", openapi_extra=request_body(VideoExtend))
async def extend_video(request: Request, services: ServicesDep, caller: CallerDep) -> Response:
    project = caller.project
    settings, service = services.settings, services.service
    await service.gate.admit(project)
    body = parse(VideoExtend, await read_fields(request, max_bytes=settings.max_upload_bytes))
    await service.gate.check_texts([body.prompt], project=project, dialect=dialect_of(request))
    job_id = new_video_id()
    source, source_key, probe, files = await _video_source(services, body.video, project, job_id)
    try:
        resolved = resolve_model(
            request,
            None,
            services,
            default=source.model if source is not None else settings.default_model,
        )
        v.mode_supported(resolved, Mode.EXTEND)
        choices = EXTENSION_SECONDS if resolved.sora else None
        _, seconds = v.seconds(body.seconds, resolved, default=None, choices=choices)
        if source is not None:
            width, height = source.width, source.height
            before = float(source.seconds)
            count = int(source.extra.get("extensions", 0)) + 1
        else:
            assert probe is not None
            width, height = nearest_size(resolved, probe.width, probe.height)
            before = probe.duration
            count = 1
        check_extension(count=count, total=before + seconds)
        spec = rework_spec(
            Mode.EXTEND,
            prompt=body.prompt,
            seed=body.seed,
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
            key_id=caller.key_id,
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
    except BaseException:
        discard_files(files)
        raise
    return video_response(await service.create(NewWork(new=new, files=files)), services)
