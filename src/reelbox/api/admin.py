"""The admin API: keys, usage, costs and quotas, for admin keys only (`reelbox keys create
--admin`); project keys get 403 `insufficient_permissions`, an open server 401/403 too.

- `POST /v1/organization/api_keys` `{project_id, name?, admin?, expires_in?}`: the key is in
  `value`, shown this once; `GET` lists (`?project_id=`, `?include_revoked=true`),
  `GET /{id}` retrieves, `DELETE /{id}` revokes (every replica within `key_cache_seconds`).
- `GET /v1/organization/usage/videos` and `GET /v1/organization/costs`: pages of time buckets in
  the shape of OpenAI's organization usage API (`start_time`, `end_time`, `bucket_width`,
  `group_by`, `project_ids`, `models`, `limit`, `page`), read from the jobs table.
- `GET|POST /v1/organization/projects/{project}/quotas`: a project's limits and what it holds;
  POST stores the project's own limits (null keeps the settings' default).
- `GET|POST /v1/organization/api_keys/{id}/quotas`: a stored key's own limits (checked on top of
  its project's) and what the jobs it created hold; POST stores them (null: no limit of its own).
"""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import AdminDep, Services, ServicesDep
from reelbox.api.forms import read_fields
from reelbox.api.studio import SORA_PRICES
from reelbox.engines.catalog import Catalog
from reelbox.errors import InvalidRequest, NotFound
from reelbox.settings import Settings
from reelbox.store.keys import ApiKey, KeyStore
from reelbox.store.quotas import QuotaStatus
from reelbox.store.usage import GROUP_FIELDS, JobUsage, UsageBucket, UsageReader

router = APIRouter()

BUCKET_WIDTHS = {"1m": 60, "1h": 3600, "1d": 86400}
# (default, maximum) buckets per page, as OpenAI's usage API.
PAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
KEY_FIELDS = ("project_id", "name", "admin", "expires_in")
QUOTA_FIELDS = ("seconds_per_day", "seconds_per_month", "concurrent_jobs")


def _key_store(services: Services) -> KeyStore:
    if services.keys.store is None:  # pragma: no cover - create_app always gives one
        raise NotFound("Keys are not stored on this server.")
    return services.keys.store


# -- keys ----------------------------------------------------------------------------------------


@router.post("/organization/api_keys")
async def create_key(request: Request, services: ServicesDep, _admin: AdminDep) -> Response:
    fields = await read_fields(request, max_bytes=64 * 1024)
    v.reject_unknown(fields, KEY_FIELDS)
    project = v.string_field(fields, "project_id", required=True) or ""
    if not project.strip() or len(project) > 128:
        raise v.invalid_value("project_id", project, detail="A project id is 1-128 characters.")
    name = v.string_field(fields, "name") or ""
    admin = fields.get("admin", False)
    if not isinstance(admin, bool):
        raise v.invalid_type("admin", "a boolean", admin)
    expires_in = fields.get("expires_in")
    if expires_in is not None and (
        isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0
    ):
        raise v.invalid_value("expires_in", expires_in, detail="Give seconds, a positive integer.")
    expires_at = None if expires_in is None else time.time() + expires_in
    store = _key_store(services)
    key, plain = await run_in_threadpool(
        store.create, project=project, name=name, admin=admin, expires_at=expires_at
    )
    return JSONResponse({**key.to_json(), "value": plain}, status_code=201)


@router.get("/organization/api_keys")
async def list_keys(
    services: ServicesDep,
    _admin: AdminDep,
    project_id: str | None = None,
    include_revoked: bool = False,
) -> Response:
    store = _key_store(services)
    found: list[ApiKey] = await run_in_threadpool(
        store.list, project=project_id, include_revoked=include_revoked
    )
    data = [key.to_json() for key in found]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
    )


def _key_not_found(key_id: str) -> NotFound:
    return NotFound(f"No API key with id '{key_id}'.", param="key_id", code="not_found")


@router.get("/organization/api_keys/{key_id}")
async def retrieve_key(key_id: str, services: ServicesDep, _admin: AdminDep) -> Response:
    key = await run_in_threadpool(_key_store(services).get, key_id)
    if key is None:
        raise _key_not_found(key_id)
    return JSONResponse(key.to_json())


@router.delete("/organization/api_keys/{key_id}")
async def revoke_key(key_id: str, services: ServicesDep, _admin: AdminDep) -> Response:
    key = await run_in_threadpool(_key_store(services).revoke, key_id)
    if key is None:
        raise _key_not_found(key_id)
    return JSONResponse({"object": "organization.api_key.deleted", "id": key.id, "deleted": True})


# -- usage and costs -----------------------------------------------------------------------------


def _list_param(request: Request, name: str) -> list[str]:
    """`name=a&name=b`, `name[]=a` or `name=a,b`."""
    values: list[str] = []
    for raw in (*request.query_params.getlist(name), *request.query_params.getlist(f"{name}[]")):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise v.invalid_type(name, "an integer", raw) from None


def _window(
    request: Request, *, widths: tuple[str, ...], allowed_groups: tuple[str, ...]
) -> dict[str, Any]:
    """The parameters of a usage page, checked."""
    start = _int_param(request, "start_time")
    if start is None:
        raise v.missing("start_time")
    width_name = request.query_params.get("bucket_width", "1d")
    if width_name not in widths:
        raise v.invalid_value("bucket_width", width_name, widths)
    width = BUCKET_WIDTHS[width_name]
    end = _int_param(request, "end_time")
    now = math.ceil(time.time())
    end = now if end is None else end
    page = request.query_params.get("page")
    if page is not None:
        if not page.isdigit():
            raise v.invalid_value("page", page, detail="Pass `next_page` of the previous page.")
        start = int(page)
    if end <= start:
        raise InvalidRequest(
            "end_time must be after start_time.", param="end_time", code="invalid_value"
        )
    default_limit, max_limit = PAGE_LIMITS[width_name]
    limit = _int_param(request, "limit")
    limit = default_limit if limit is None else limit
    if not 1 <= limit <= max_limit:
        raise v.invalid_value("limit", limit, detail=f"Use 1 to {max_limit} for {width_name}.")
    group_by = _list_param(request, "group_by")
    for name in group_by:
        if name not in allowed_groups:
            raise v.invalid_value("group_by", name, allowed_groups)
    aligned = start - start % width  # buckets begin on whole minutes, hours, UTC days
    page_end = min(end, aligned + limit * width)
    return {
        "start": aligned,
        "end": page_end,
        "width": width,
        "group_by": group_by,
        "projects": _list_param(request, "project_ids") or None,
        "models": _list_param(request, "models") or None,
        "next_page": str(page_end) if page_end < end else None,
    }


def job_price(job: JobUsage, *, settings: Settings, catalog: Catalog) -> float:
    """What a completed job cost: its profile's `price_per_second`, else Sora's published prices
    for the Sora names (the studio's estimate), else nothing. `job.model` is a catalogue name or
    an Azure deployment name."""
    resolved = catalog.resolve(job.model) or catalog.resolve(
        settings.deployments.get(job.model, "")
    )
    if resolved is None:
        return 0.0
    profile = settings.profiles.get(resolved.profile)
    if profile is not None and profile.price_per_second is not None:
        return profile.price_per_second * job.seconds
    if resolved.sora:
        per_second, by_size = SORA_PRICES["sora-2-pro" if resolved.pro else "sora-2"]
        return by_size.get(job.size, per_second) * job.seconds
    return 0.0


def _page(buckets: list[UsageBucket], next_page: str | None, result: Any) -> dict[str, Any]:
    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": bucket.start_time,
                "end_time": bucket.end_time,
                "results": [result(r) for r in bucket.results],
            }
            for bucket in buckets
        ],
        "has_more": next_page is not None,
        "next_page": next_page,
    }


async def _buckets(services: Services, window: dict[str, Any], group_by: list[str]) -> Any:
    reader = UsageReader(services.store.engine)
    return await run_in_threadpool(
        lambda: reader.buckets(
            start=window["start"],
            end=window["end"],
            width=window["width"],
            group_by=group_by,
            projects=window["projects"],
            models=window["models"],
            price=lambda job: job_price(job, settings=services.settings, catalog=services.catalog),
        )
    )


@router.get("/organization/usage/videos")
async def video_usage(request: Request, services: ServicesDep, _admin: AdminDep) -> Response:
    window = _window(request, widths=tuple(BUCKET_WIDTHS), allowed_groups=GROUP_FIELDS)
    buckets = await _buckets(services, window, window["group_by"])

    def result(r: Any) -> dict[str, Any]:
        return {
            "object": "organization.usage.videos.result",
            "seconds": r.seconds,
            "num_model_requests": r.jobs,
            "project_id": r.project_id,
            "model": r.model,
            "profile": r.profile,
            "outcome": r.outcome,
        }

    return JSONResponse(_page(buckets, window["next_page"], result))


@router.get("/organization/costs")
async def costs(request: Request, services: ServicesDep, _admin: AdminDep) -> Response:
    window = _window(request, widths=("1d",), allowed_groups=("project_id", "line_item"))
    group_by = ["model" if g == "line_item" else g for g in window["group_by"]]
    buckets = await _buckets(services, window, group_by)

    def result(r: Any) -> dict[str, Any]:
        return {
            "object": "organization.costs.result",
            "amount": {"value": round(r.cost, 6), "currency": "usd"},
            "line_item": r.model,
            "project_id": r.project_id,
        }

    return JSONResponse(_page(buckets, window["next_page"], result))


# -- quotas --------------------------------------------------------------------------------------


def quota_json(project: str, status: QuotaStatus) -> dict[str, Any]:
    return {
        "object": "organization.project.quotas",
        "project_id": project,
        "limits": status.limits.to_json(),
        "seconds_today": status.seconds_today,
        "seconds_this_month": status.seconds_this_month,
        "unfinished_jobs": status.unfinished_jobs,
        "day_resets_at": int(status.day_resets_at),
        "month_resets_at": int(status.month_resets_at),
    }


@router.get("/organization/projects/{project}/quotas")
async def get_quotas(project: str, services: ServicesDep, _admin: AdminDep) -> Response:
    status = await run_in_threadpool(services.quotas.status, project)
    return JSONResponse(quota_json(project, status))


@router.post("/organization/projects/{project}/quotas")
async def set_quotas(
    project: str, request: Request, services: ServicesDep, _admin: AdminDep
) -> Response:
    values = await _quota_values(request)
    await run_in_threadpool(lambda: services.quotas.set(project, **values))
    status = await run_in_threadpool(services.quotas.status, project)
    return JSONResponse(quota_json(project, status))


async def _quota_values(request: Request) -> dict[str, Any]:
    fields = await read_fields(request, max_bytes=64 * 1024)
    v.reject_unknown(fields, QUOTA_FIELDS)
    values: dict[str, Any] = {}
    for name in QUOTA_FIELDS:
        value = fields.get(name)
        integer = name == "concurrent_jobs"
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int if integer else (int, float))
            or value < (1 if integer else 0)
        ):
            raise v.invalid_value(name, value, detail="Give a non-negative number or null.")
        values[name] = value
    return values


def key_quota_json(key: ApiKey, status: QuotaStatus) -> dict[str, Any]:
    return {
        **quota_json(key.project, status),
        "object": "organization.api_key.quotas",
        "api_key_id": key.id,
    }


async def _stored_key(services: Services, key_id: str) -> ApiKey:
    key = await run_in_threadpool(_key_store(services).get, key_id)
    if key is None:
        raise _key_not_found(key_id)
    return key


@router.get("/organization/api_keys/{key_id}/quotas")
async def get_key_quotas(key_id: str, services: ServicesDep, _admin: AdminDep) -> Response:
    key = await _stored_key(services, key_id)
    status = await run_in_threadpool(services.quotas.key_status, key.id)
    return JSONResponse(key_quota_json(key, status))


@router.post("/organization/api_keys/{key_id}/quotas")
async def set_key_quotas(
    key_id: str, request: Request, services: ServicesDep, _admin: AdminDep
) -> Response:
    key = await _stored_key(services, key_id)
    values = await _quota_values(request)
    await run_in_threadpool(lambda: services.quotas.set_key(key.id, **values))
    status = await run_in_threadpool(services.quotas.key_status, key.id)
    return JSONResponse(key_quota_json(key, status))
