"""What the web studio needs that the OpenAI Videos API does not carry (Reelbox extensions).

- `GET /v1/studio/config`: what the estimate needs (a profile's price, else how long similar
  videos took here), the server's limits and whether it runs in open local mode.
- `GET /v1/studio/videos/{id}`: a video's lineage (remixed, edited or extended from), its output
  details, and the request that made it, from which the studio writes `curl` and Python snippets.

The Video object of `/v1/videos` is left exactly as OpenAI defines it; everything extra lives here.
"""

from __future__ import annotations

import statistics
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from reelbox import __version__
from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.api.openai_rework import EXTENSION_SECONDS, MAX_EXTENSIONS, MAX_LINEAGE_SECONDS
from reelbox.api.video_jobs import video_json, video_not_found
from reelbox.jobs.models import Job
from reelbox.jobs.spec import Mode
from reelbox.jobs.status import JobStatus

router = APIRouter()

# Sora's published prices in USD per second (SORA_API.md A9): a default size price and the sizes
# that cost more.
SORA_PRICES: dict[str, tuple[float, dict[str, float]]] = {
    "sora-2": (0.10, {}),
    "sora-2-pro": (0.30, {"1024x1792": 0.50, "1792x1024": 0.50}),
}
MAX_LINEAGE_DEPTH = 20
TIMING_SAMPLES = 50  # the newest finished videos the expected time is taken from
_LINEAGE_KINDS = {Mode.REMIX: "remix", Mode.EDIT: "edit", Mode.EXTEND: "extension"}


def model_price(services: Services, name: str) -> dict[str, Any] | None:
    """What a video of model `name` costs, or None when it is free on this server.

    The profile's `price_per_second` when set; Sora's published prices for a Sora name only when
    its profile is configured to charge them (`sora_prices`). The embedded engine is free.
    """
    resolved = services.catalog.resolve(name)
    if resolved is None:
        return None
    profile = services.settings.profiles.get(resolved.profile)
    if profile is None:
        return None
    if profile.price_per_second is not None:
        return {"per_second": profile.price_per_second, "by_size": {}, "source": "profile"}
    if resolved.sora and profile.sora_prices:
        per_second, by_size = SORA_PRICES["sora-2-pro" if resolved.pro else "sora-2"]
        return {"per_second": per_second, "by_size": by_size, "source": "sora"}
    return None


def render_timings(services: Services, project: str) -> dict[str, dict[str, Any]]:
    """How fast each profile rendered this project's recent finished videos.

    Per profile: the median of (render seconds) / (frames x megapixels) over up to
    `TIMING_SAMPLES` of the newest completed videos, and how many it saw. Timestamps are whole
    seconds, so a render is counted as at least half a second.
    """
    page = services.store.list_jobs(
        project=project, dialect="openai", limit=TIMING_SAMPLES, statuses=[JobStatus.COMPLETED]
    )
    rates: dict[str, list[float]] = {}
    for job in page.items:
        if job.started_at is None or job.completed_at is None:
            continue
        work = job.spec.frame_count * job.width * job.height / 1e6
        seconds = max(0.5, float(job.completed_at - job.started_at))
        rates.setdefault(job.profile, []).append(seconds / max(work, 1e-6))
    return {
        profile: {"seconds_per_megapixel_frame": statistics.median(found), "samples": len(found)}
        for profile, found in rates.items()
    }


@router.get("/studio/config")
async def studio_config(services: ServicesDep, project: ProjectDep) -> Response:
    settings = services.settings
    timings = await run_in_threadpool(render_timings, services, project)
    models = {}
    for name in services.catalog.names():
        resolved = services.catalog.resolve(name)
        assert resolved is not None
        models[name] = {
            "profile": resolved.profile,
            "max_pixels": resolved.capabilities.max_pixels,
            "extension_seconds": list(EXTENSION_SECONDS) if resolved.sora else None,
            "price": model_price(services, name),
            "timing": timings.get(resolved.profile),
        }
    return JSONResponse(
        {
            "object": "studio.config",
            "version": __version__,
            "open_mode": settings.open_mode,
            "project": project,
            "default_model": settings.default_model,
            "currency": "usd",
            "limits": {
                "max_upload_bytes": settings.max_upload_bytes,
                "max_image_pixels": settings.max_image_pixels,
                "max_input_video_seconds": settings.max_input_video_seconds,
                "max_extensions": MAX_EXTENSIONS,
                "max_lineage_seconds": MAX_LINEAGE_SECONDS,
                "max_characters": 2,
            },
            "models": models,
        }
    )


def lineage_of(job: Job) -> tuple[str, str | None] | None:
    """(kind, source id) of a reworked video; the source is None for an uploaded clip."""
    recorded = job.extra.get("lineage")
    if isinstance(recorded, dict) and recorded.get("kind") in ("remix", "edit", "extension"):
        source = recorded.get("source")
        return str(recorded["kind"]), source if isinstance(source, str) else None
    kind = _LINEAGE_KINDS.get(job.mode)
    if kind is None:
        return None
    return kind, job.remixed_from_video_id or job.source_video_id


def _seconds_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def request_of(job: Job) -> dict[str, Any]:
    """The OpenAI request that reproduces a video: method, path, body fields and file fields.

    `seed` (a Reelbox extension) is the seed the engine actually used, so the request makes the
    same video again. File fields name a placeholder file the caller must supply.
    """
    spec = job.spec
    body: dict[str, Any]
    files: dict[str, str] = {}
    lineage = lineage_of(job)
    source = lineage[1] if lineage else None
    if job.mode is Mode.REMIX and source is not None:
        return {
            "method": "POST",
            "path": f"/v1/videos/{source}/remix",
            "body": {"prompt": job.prompt, "seed": spec.seed},
            "files": files,
        }
    if job.mode in (Mode.EDIT, Mode.EXTEND):
        path = "/v1/videos/edits" if job.mode is Mode.EDIT else "/v1/videos/extensions"
        body = {"prompt": job.prompt}
        if job.mode is Mode.EXTEND:
            body["seconds"] = _seconds_text(spec.seconds)
        if source is not None:
            body["video"] = {"id": source}
        else:
            files["video"] = "source.mp4"
            if job.mode is Mode.EDIT:
                body["model"] = job.model
        body["seed"] = spec.seed
        return {"method": "POST", "path": path, "body": body, "files": files}
    body = {"prompt": job.prompt, "model": job.model, "size": job.size, "seconds": job.seconds}
    if spec.input_image_key is not None:
        files["input_reference"] = "reference.png"
    if spec.characters:
        body["characters"] = [{"id": c.id} for c in spec.characters]
    body["seed"] = spec.seed
    return {"method": "POST", "path": "/v1/videos", "body": body, "files": files}


def _ancestors(services: Services, job: Job, project: str) -> list[dict[str, Any]]:
    """The chain of sources, nearest first, until an original, an upload or a deleted video."""
    chain: list[dict[str, Any]] = []
    current: Job | None = job
    seen = {job.id}
    while current is not None and len(chain) < MAX_LINEAGE_DEPTH:
        found = lineage_of(current)
        if found is None:
            break
        kind, source_id = found
        source = None
        if source_id is not None and source_id not in seen:
            seen.add(source_id)
            source = services.store.get_job(source_id, project=project)
            if source is not None and source.dialect != "openai":
                source = None
        chain.append(
            {
                "kind": kind,
                "id": source_id,
                "available": source is not None,
                "prompt": source.prompt if source is not None else None,
                "model": source.model if source is not None else None,
                "seconds": source.seconds if source is not None else None,
            }
        )
        current = source
    return chain


@router.get("/studio/videos/{video_id}")
async def studio_video(video_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    def read() -> dict[str, Any] | None:
        job = services.store.get_job(video_id, project=project)
        if job is None or job.dialect != "openai":
            return None
        generations = services.store.generations(job.id) if job.status.terminal else []
        output = None
        if generations:
            g = generations[0]
            output = {
                "width": g.width,
                "height": g.height,
                "fps": g.fps,
                "frame_count": g.frame_count,
                "duration": g.duration,
                "has_audio": g.has_audio,
            }
        return {
            "object": "studio.video",
            "id": job.id,
            "video": video_json(job),
            "mode": job.mode.value,
            "profile": job.profile,
            "seed": job.spec.seed,
            "fps": job.spec.fps,
            "extensions": int(job.extra.get("extensions", 0)),
            "lineage": _ancestors(services, job, project),
            "request": request_of(job),
            "output": output,
            "not_understood": _plan_list(job.plan, "not_understood"),
            "warnings": _plan_list(job.plan, "warnings"),
        }

    found = await run_in_threadpool(read)
    if found is None:
        raise video_not_found(video_id)
    return JSONResponse(found)


def _plan_list(plan: dict[str, Any] | None, key: str) -> list[str]:
    """A list of words the engine's plan records (empty for engines that record none)."""
    value = (plan or {}).get(key)
    return [str(v) for v in value] if isinstance(value, list) else []
