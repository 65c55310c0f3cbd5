"""`GET /v1/models`: the configured profiles and aliases with what each can do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from reelbox.api.deps import ProjectDep, Services, ServicesDep
from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SECONDS, SORA_SIZES
from reelbox.errors import NotFound

router = APIRouter()

CREATED = 1759708800  # 2025-10-06, the Sora 2 API's release; profiles have no date of their own


def model_json(services: Services, name: str) -> dict[str, Any]:
    resolved = services.catalog.resolve(name)
    assert resolved is not None
    capabilities = resolved.capabilities.to_json()
    if resolved.sora:
        sizes = SORA_PRO_SIZES if resolved.pro else SORA_SIZES
        capabilities["sizes"] = [f"{w}x{h}" for w, h in sizes]
        capabilities["seconds"] = list(SORA_SECONDS)
    profile = services.catalog.profiles[resolved.profile]
    placed = services.placement()
    extra = {"placement": placed.get(resolved.profile, [])} if placed else {}
    return {
        "id": name,
        "object": "model",
        "created": CREATED,
        "owned_by": "reelbox",
        "profile": resolved.profile,
        "engine": profile.engine,
        "alias_of": resolved.profile if name != resolved.profile else None,
        "description": profile.description,
        "capabilities": capabilities,
        **extra,
    }


@router.get("/models")
async def list_models(services: ServicesDep, project: ProjectDep) -> Response:
    data = [model_json(services, name) for name in services.catalog.names()]
    return JSONResponse({"object": "list", "data": data})


@router.get("/models/{model_id}")
async def get_model(model_id: str, services: ServicesDep, project: ProjectDep) -> Response:
    if services.catalog.resolve(model_id) is None:
        raise NotFound(
            f"The model '{model_id}' does not exist.", param="model", code="model_not_found"
        )
    return JSONResponse(model_json(services, model_id))
