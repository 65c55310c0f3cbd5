"""The OpenAI Videos API: create, list, retrieve, delete and download (SORA_API.md Part A, D1-D6).

Remix, edits and extensions live in `openai_rework`, characters in `openai_characters`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.downloads import ensure_downloadable, file_response
from reelbox.api.forms import read_fields
from reelbox.api.inputs import fit_mode, image_bytes, reference_png
from reelbox.api.moderation import check_prompt, dialect_of
from reelbox.api.video_jobs import (
    Draft,
    delete_job,
    get_video,
    random_seed,
    resolve_model,
    retrieve_row,
    submit,
    video_json,
    video_not_found,
    video_response,
)
from reelbox.blobs import keys
from reelbox.engines.catalog import ResolvedModel
from reelbox.errors import InvalidRequest
from reelbox.jobs.ids import new_video_id
from reelbox.jobs.spec import CharacterRef, GenerationSpec, Mode
from reelbox.store.rows import NewJob

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
VARIANTS = ("video", "thumbnail", "spritesheet")


def _characters(
    value: object, *, services: Services, project: str, resolved: ResolvedModel
) -> tuple[CharacterRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise v.invalid_type("characters", "an array", value)
    if value and not resolved.capabilities.characters:
        raise InvalidRequest(
            f"Model '{resolved.name}' cannot place characters in a video.",
            param="characters",
            code="unsupported_value",
        )
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
    await check_prompt(services, [prompt], project=project, dialect=dialect_of(request))
    resolved = resolve_model(request, fields, services, default=settings.default_model)
    width, height = v.size(fields.get("size"), resolved)
    seconds_text, seconds = v.seconds(fields.get("seconds"), resolved)
    fit = fit_mode(fields)
    seed = random_seed(fields)
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
        input_key = keys.upload(job_id, "input.png")
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
    return await submit(services, Draft(new=new, blobs=blobs, files=[]))


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
    # Like retrieve: a lean SQLite page on the event loop, PostgreSQL through the threadpool.
    lean = services.videos.page(
        project=project, dialect="openai", limit=int(limit_text), order=order, after=after
    )
    rows, has_more = lean if lean is not None else await run_in_threadpool(
        lambda: services.store.list_videos(
            project=project, dialect="openai", limit=int(limit_text), order=order, after=after
        )
    )
    data = [video_json(row) for row in rows]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


@router.get("/videos/{video_id}")
async def retrieve_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    return video_response(await retrieve_row(services, video_id, project), services)


@router.delete("/videos/{video_id}")
async def delete_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    job = await run_in_threadpool(delete_job, services, video_id, project=project)
    if job is None or job.dialect != "openai":
        raise video_not_found(video_id)
    services.wake_scheduler()
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})


@router.api_route("/videos/{video_id}/content", methods=["GET", "HEAD"])
async def download_content(
    video_id: str, request: Request, services: ServicesDep, project: ProjectDep
) -> Response:
    variant = request.query_params.get("variant", "video")
    if variant not in VARIANTS:
        raise v.invalid_value("variant", variant, VARIANTS)
    job = await get_video(services, video_id, project)
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
