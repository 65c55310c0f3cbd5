"""The OpenAI Videos API: create, list, retrieve, delete and download (SORA_API.md Part A, D1-D6).

Remix, edits and extensions live in `openai_rework`, characters in `openai_characters`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import QueryParams

from reelbox.api import validation as v
from reelbox.api.deps import CallerDep, ProjectDep, Services, ServicesDep
from reelbox.api.downloads import ensure_downloadable, file_response
from reelbox.api.forms import read_fields
from reelbox.api.inputs import fitted_reference_png, image_bytes
from reelbox.api.moderation import dialect_of
from reelbox.api.requests import VideoCreate, parse, request_body
from reelbox.api.video_jobs import (
    get_video,
    random_seed,
    resolve_model,
    retrieve_row,
    video_list_response,
    video_not_found,
    video_response,
)
from reelbox.blobs import keys
from reelbox.errors import InvalidRequest
from reelbox.jobs.ids import new_video_id
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.service.videos import NewWork
from reelbox.store.rows import NewJob

router = APIRouter()

VARIANTS = ("video", "thumbnail", "spritesheet")


@router.post("/videos", openapi_extra=request_body(VideoCreate))
async def create_video(request: Request, services: ServicesDep, caller: CallerDep) -> Response:
    project = caller.project
    settings, service = services.settings, services.service
    await service.gate.admit(project)  # the rate limit first: before parsing and moderation
    body = parse(VideoCreate, await read_fields(request, max_bytes=settings.max_upload_bytes))
    await service.gate.check_texts([body.prompt], project=project, dialect=dialect_of(request))
    resolved = resolve_model(request, body.model, services, default=settings.default_model)
    width, height = v.size(body.size, resolved)
    seconds_text, seconds = v.seconds(body.seconds, resolved)
    seed = random_seed(body.seed)
    job_id = new_video_id()
    mode = Mode.TEXT
    blobs: list[tuple[str, bytes]] = []
    input_key = None
    if body.input_reference is not None:
        mode = Mode.IMAGE
        v.mode_supported(resolved, mode, param="input_reference")
        raw = await image_bytes(body.input_reference, settings=settings)
        png = await fitted_reference_png(
            raw, width=width, height=height, fit=body.input_reference_fit, settings=settings
        )
        input_key = keys.upload(job_id, "input.png")
        blobs.append((input_key, png))
    wanted = [c.id for c in body.characters or ()]
    if wanted and not resolved.capabilities.characters:
        raise InvalidRequest(
            f"Model '{resolved.name}' cannot place characters in a video.",
            param="characters",
            code="unsupported_value",
        )
    characters = await service.character_refs(wanted, project=project)
    spec = GenerationSpec(
        mode=mode,
        prompt=body.prompt,
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
        key_id=caller.key_id,
        dialect="openai",
        model=resolved.name,
        spec=spec,
        seconds=seconds_text,
        max_attempts=settings.max_attempts,
    )
    job = await service.create(NewWork(new=new, blobs=blobs))
    return video_response(job, services)


@router.get("/videos")
async def list_videos(request: Request, services: ServicesDep, project: ProjectDep) -> Response:
    return await video_page(services, project, request.query_params)


async def video_page(services: Services, project: str, query: QueryParams) -> Response:
    """A page of the project's videos (A4); also the polling fast path's (api/polling.py)."""
    limit_text = query.get("limit", "20")
    limit = v.query_int(
        limit_text,
        param="limit",
        low=0,
        high=100,
        message=f"Invalid 'limit': expected an integer between 0 and 100, got '{limit_text}'.",
    )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise v.invalid_value("order", order, ("asc", "desc"))
    after = query.get("after") or None
    # Like retrieve: a lean page on the event loop (SQLite's own connections, or PostgreSQL's
    # read pool); `Store.list_videos` in the threadpool only without psycopg's pool package.
    lean = await services.videos.fetch_page(
        project=project, dialect="openai", limit=limit, order=order, after=after
    )
    rows, has_more = lean if lean is not None else await services.service.run(
        services.store.list_videos,
        project=project,
        dialect="openai",
        limit=limit,
        order=order,
        after=after,
    )
    return video_list_response(rows, has_more=has_more)


@router.get("/videos/{video_id}")
async def retrieve_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    return video_response(await retrieve_row(services, video_id, project), services)


@router.delete("/videos/{video_id}")
async def delete_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    job = await services.service.delete(video_id, project=project, dialect="openai")
    if job is None:
        raise video_not_found(video_id)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})


# HEAD answers like GET; it stays out of the schema (one operation id per path and method).
@router.head("/videos/{video_id}/content", include_in_schema=False)
@router.get("/videos/{video_id}/content")
async def download_content(
    video_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    variant = request.query_params.get("variant", "video")
    if variant not in VARIANTS:
        raise v.invalid_value("variant", variant, VARIANTS)
    job = await get_video(services, video_id, project)
    ensure_downloadable(job)
    generations = await services.service.generations(job.id)
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
