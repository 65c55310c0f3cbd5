"""Characters: named subjects cut out of an uploaded clip (SORA_API.md A4.9)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reelbox.api.deps import ProjectDep, ServicesDep
from reelbox.api.forms import read_fields
from reelbox.api.inputs import check_video
from reelbox.api.moderation import dialect_of
from reelbox.api.requests import CharacterCreate, parse, request_body
from reelbox.errors import NotFound
from reelbox.service.characters import create_character as create

router = APIRouter()


def character_json(character_id: str, name: str, created_at: int) -> dict[str, Any]:
    return {"id": character_id, "name": name, "created_at": created_at}


@router.post("/videos/characters", openapi_extra=request_body(CharacterCreate, json=False))
async def create_character(
    request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    settings, service = services.settings, services.service
    await service.gate.admit(project)  # characters count against the rate limit too
    fields = await read_fields(request, max_bytes=settings.max_upload_bytes, multipart_only=True)
    body = parse(CharacterCreate, fields, multipart=True)
    character = await create(
        service,
        project=project,
        name=body.name,
        clip=body.video.data,
        inspect=partial(check_video, settings=settings),
        dialect=dialect_of(request),
    )
    return JSONResponse(character_json(character.id, character.name, character.created_at))


@router.get("/videos/characters/{character_id}")
async def get_character(character_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    character = await services.service.run(
        services.store.get_character, character_id, project=project
    )
    if character is None:
        raise NotFound(
            f"Character with id '{character_id}' not found.",
            param="character_id",
            code="not_found",
        )
    return JSONResponse(character_json(character.id, character.name, character.created_at))
