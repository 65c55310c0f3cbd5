"""Characters: named subjects cut out of an uploaded clip (SORA_API.md A4.9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, ServicesDep
from reelbox.api.forms import Upload, read_fields
from reelbox.api.inputs import check_video
from reelbox.api.moderation import check_character_frames, check_prompt, dialect_of, settle
from reelbox.blobs import keys
from reelbox.errors import InvalidRequest, NotFound
from reelbox.jobs.ids import new_character_id
from reelbox.media.cutout import character_cutout
from reelbox.media.decode import VideoProbe, sample_frames
from reelbox.moderation.verdict import Verdict

router = APIRouter()


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
    await check_prompt(
        services,
        [name],
        project=project,
        dialect=dialect_of(request),
        param="name",
        subject="character_name",
    )
    staged = services.blobs.staging_path(".upload")

    def inspect() -> tuple[VideoProbe, Verdict]:
        staged.write_bytes(video.data)
        probe = check_video(staged, settings=settings)
        frames = sample_frames(staged, settings.moderation.input_video_frames)
        return probe, check_character_frames(services, frames, project=project)

    def create(probe: VideoProbe) -> dict[str, Any]:
        cutout = character_cutout(staged, probe=probe)
        clip_key = keys.character(character_id, f"clip.{probe.container}")
        image_key = keys.character(character_id, "cutout.png")
        services.blobs.put_file(clip_key, staged)
        services.blobs.put_bytes(image_key, cutout)
        character = services.store.create_character(
            id=character_id,
            project=project,
            name=name.strip(),
            clip_key=clip_key,
            image_key=image_key,
        )
        return character_json(character.id, character.name, character.created_at)

    try:
        probe, verdict = await run_in_threadpool(inspect)
        # A blocked clip is never stored: the staged copy goes in `finally`.
        await settle(services, verdict, project=project, dialect=dialect_of(request), param="video")
        return JSONResponse(await run_in_threadpool(create, probe))
    finally:
        staged.unlink(missing_ok=True)


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
