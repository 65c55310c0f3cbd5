"""Webhook endpoints as the OpenAI SDK's `client.webhooks` drives them (SORA_API.md A8, D8).

`/v1/webhook_endpoints`: create (the signing secret is shown here and on rotation only), list,
retrieve, update (`POST /{id}`), delete, `POST /{id}/rotate_secret`, `POST /{id}/test`; and
`GET /v1/webhook_event_types`. Reelbox extensions: `GET /{id}/deliveries` (every delivery with
its attempts, newest first) and `POST /{id}/deliveries/{delivery_id}/redeliver`.
Endpoints belong to the caller's project; another project's id answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from reelbox.api import validation as v
from reelbox.api.deps import ProjectDep, ServicesDep
from reelbox.api.forms import read_fields
from reelbox.errors import InvalidRequest, NotFound
from reelbox.store.outbox import EVENT_TYPES, AttemptRecord, Delivery, DeliveryStatus
from reelbox.store.webhook_endpoints import Endpoint
from reelbox.webhooks import DestinationRefused, WebhookService
from reelbox.webhooks.signer import new_secret, secret_hint

router = APIRouter()

ENDPOINT_FIELDS = ("name", "url", "event_types")
NAME_MAX = 256
KEEP_OLD_SECRET_SECONDS = 24 * 3600


def get_webhooks(request: Request) -> WebhookService:
    webhooks: WebhookService = request.state.webhooks
    return webhooks


WebhooksDep = Annotated[WebhookService, Depends(get_webhooks)]


def endpoint_json(endpoint: Endpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
        "signing_secret_hint": secret_hint(endpoint.secret),
    }
    if with_secret:
        body["signing_secret"] = endpoint.secret
    return body


def delivery_json(delivery: Delivery, attempts: Sequence[AttemptRecord]) -> dict[str, Any]:
    pending = delivery.status is DeliveryStatus.PENDING
    return {
        "id": delivery.id,
        "object": "webhook_endpoint.delivery",
        "webhook_endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "data": {"id": delivery.object_id},
        "status": delivery.status.value,
        "created_at": delivery.created_at,
        "attempt_count": delivery.attempts,
        "next_attempt_at": (
            int(delivery.next_attempt_at)
            if pending and delivery.next_attempt_at is not None
            else None
        ),
        "attempts": [
            {
                "attempt": a.number,
                "attempted_at": int(a.started_at),
                "duration_ms": a.duration_ms,
                "success": a.success,
                "status_code": a.status_code,
                "error": a.error,
                "response_body": a.response_body,
            }
            for a in attempts
        ],
    }


def _list_json(data: list[dict[str, Any]], *, has_more: bool) -> JSONResponse:
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


def _not_found(endpoint_id: str) -> NotFound:
    return NotFound(
        f"Webhook endpoint with id '{endpoint_id}' not found.",
        param="webhook_endpoint_id",
        code="not_found",
    )


def _page_params(request: Request) -> tuple[int, str | None]:
    limit_text = request.query_params.get("limit", "20")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        raise InvalidRequest(
            f"Invalid 'limit': expected an integer between 1 and 100, got '{limit_text}'.",
            param="limit",
            code="invalid_value",
        )
    return int(limit_text), request.query_params.get("after") or None


def _name(fields: dict[str, Any], *, required: bool) -> str | None:
    name = v.string_field(fields, "name", required=required)
    if name is not None and not 1 <= len(name.strip()) <= NAME_MAX:
        raise InvalidRequest(
            f"Invalid 'name': expected 1 to {NAME_MAX} characters.",
            param="name",
            code="invalid_value",
        )
    return None if name is None else name.strip()


def _event_type(value: object, *, param: str) -> str:
    if not isinstance(value, str):
        raise v.invalid_type(param, "a string", value)
    if value not in EVENT_TYPES:
        raise v.invalid_value(param, value, EVENT_TYPES, detail="Reelbox sends only video events.")
    return value


def _event_types(fields: dict[str, Any], *, required: bool) -> list[str] | None:
    value = fields.get("event_types")
    if value is None:
        if required:
            raise v.missing("event_types")
        return None
    if not isinstance(value, list):
        raise v.invalid_type("event_types", "an array", value)
    if not value:
        raise InvalidRequest(
            "Invalid 'event_types': expected at least one event type.",
            param="event_types",
            code="invalid_value",
        )
    chosen = [_event_type(item, param=f"event_types[{i}]") for i, item in enumerate(value)]
    return list(dict.fromkeys(chosen))


async def _url(fields: dict[str, Any], webhooks: WebhookService, *, required: bool) -> str | None:
    url = v.string_field(fields, "url", required=required)
    if url is None:
        return None
    try:
        await webhooks.check_url(url.strip())
    except DestinationRefused as exc:
        raise InvalidRequest(f"Invalid 'url': {exc}", param="url", code="invalid_url") from None
    return url.strip()


async def _endpoint(webhooks: WebhookService, endpoint_id: str, project: str) -> Endpoint:
    endpoint = await run_in_threadpool(webhooks.endpoints.get, endpoint_id, project=project)
    if endpoint is None:
        raise _not_found(endpoint_id)
    return endpoint


@router.get("/webhook_event_types")
async def list_event_types(project: ProjectDep) -> Response:
    return JSONResponse({"object": "list", "data": list(EVENT_TYPES)})


@router.post("/webhook_endpoints")
async def create_endpoint(
    request: Request, services: ServicesDep, webhooks: WebhooksDep, project: ProjectDep
) -> Response:
    fields = await read_fields(request, max_bytes=services.settings.max_upload_bytes)
    v.reject_unknown(fields, ENDPOINT_FIELDS)
    name = _name(fields, required=True)
    event_types = _event_types(fields, required=True)
    url = await _url(fields, webhooks, required=True)
    assert name is not None and url is not None and event_types is not None
    endpoint = await run_in_threadpool(
        lambda: webhooks.endpoints.create(
            project=project, name=name, url=url, event_types=event_types, secret=new_secret()
        )
    )
    return JSONResponse(endpoint_json(endpoint, with_secret=True))


@router.get("/webhook_endpoints")
async def list_endpoints(request: Request, webhooks: WebhooksDep, project: ProjectDep) -> Response:
    limit, after = _page_params(request)
    page = await run_in_threadpool(
        lambda: webhooks.endpoints.list(project=project, limit=limit, after=after)
    )
    return _list_json([endpoint_json(e) for e in page.items], has_more=page.has_more)


@router.get("/webhook_endpoints/{endpoint_id}")
async def retrieve_endpoint(
    endpoint_id: str, webhooks: WebhooksDep, project: ProjectDep
) -> Response:
    return JSONResponse(endpoint_json(await _endpoint(webhooks, endpoint_id, project)))


@router.post("/webhook_endpoints/{endpoint_id}")
async def update_endpoint(
    endpoint_id: str,
    request: Request,
    services: ServicesDep,
    webhooks: WebhooksDep,
    project: ProjectDep,
) -> Response:
    fields = await read_fields(request, max_bytes=services.settings.max_upload_bytes)
    v.reject_unknown(fields, ENDPOINT_FIELDS)
    await _endpoint(webhooks, endpoint_id, project)  # 404 before judging the fields
    name = _name(fields, required=False)
    event_types = _event_types(fields, required=False)
    url = await _url(fields, webhooks, required=False)
    endpoint = await run_in_threadpool(
        lambda: webhooks.endpoints.update(
            endpoint_id, project=project, name=name, url=url, event_types=event_types
        )
    )
    if endpoint is None:
        raise _not_found(endpoint_id)
    return JSONResponse(endpoint_json(endpoint))


@router.delete("/webhook_endpoints/{endpoint_id}")
async def delete_endpoint(endpoint_id: str, webhooks: WebhooksDep, project: ProjectDep) -> Response:
    deleted = await run_in_threadpool(webhooks.endpoints.delete, endpoint_id, project=project)
    if not deleted:
        raise _not_found(endpoint_id)
    return JSONResponse({"id": endpoint_id, "object": "webhook_endpoint.deleted", "deleted": True})


@router.post("/webhook_endpoints/{endpoint_id}/rotate_secret")
async def rotate_secret(
    endpoint_id: str,
    request: Request,
    services: ServicesDep,
    webhooks: WebhooksDep,
    project: ProjectDep,
) -> Response:
    fields = await read_fields(request, max_bytes=services.settings.max_upload_bytes)
    v.reject_unknown(fields, ("keep_old_secret_active_for_24_hours",))
    keep = fields.get("keep_old_secret_active_for_24_hours", False)
    if not isinstance(keep, bool):
        raise v.invalid_type("keep_old_secret_active_for_24_hours", "a boolean", keep)
    endpoint = await run_in_threadpool(
        lambda: webhooks.endpoints.rotate_secret(
            endpoint_id,
            project=project,
            secret=new_secret(),
            keep_old_for=KEEP_OLD_SECRET_SECONDS if keep else 0,
        )
    )
    if endpoint is None:
        raise _not_found(endpoint_id)
    return JSONResponse(endpoint_json(endpoint, with_secret=True))


@router.post("/webhook_endpoints/{endpoint_id}/test")
async def test_endpoint(
    endpoint_id: str,
    request: Request,
    services: ServicesDep,
    webhooks: WebhooksDep,
    project: ProjectDep,
) -> Response:
    fields = await read_fields(request, max_bytes=services.settings.max_upload_bytes)
    v.reject_unknown(fields, ("event_type",))
    if fields.get("event_type") is None:
        raise v.missing("event_type")
    event_type = _event_type(fields["event_type"], param="event_type")
    endpoint = await _endpoint(webhooks, endpoint_id, project)
    outcome = await webhooks.send_test(endpoint, event_type=event_type)
    if outcome.status_code is None:
        raise InvalidRequest(
            f"The test event could not be delivered: {outcome.error}",
            code="webhook_test_failed",
        )
    return JSONResponse(
        {
            "object": "webhook_endpoint.test",
            "webhook_endpoint_id": endpoint.id,
            "event_type": event_type,
            "status_code": outcome.status_code,
            "success": outcome.success,  # 2xx only: a redirect or a 401 is no success
        }
    )


@router.get("/webhook_endpoints/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: str, request: Request, webhooks: WebhooksDep, project: ProjectDep
) -> Response:
    limit, after = _page_params(request)
    await _endpoint(webhooks, endpoint_id, project)
    page = await run_in_threadpool(
        lambda: webhooks.outbox.list_deliveries(
            endpoint_id, project=project, limit=limit, after=after
        )
    )
    return _list_json([delivery_json(d, a) for d, a in page.items], has_more=page.has_more)


@router.post("/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    endpoint_id: str, delivery_id: str, webhooks: WebhooksDep, project: ProjectDep
) -> Response:
    await _endpoint(webhooks, endpoint_id, project)

    def again() -> tuple[Delivery, list[AttemptRecord]] | None:
        outbox = webhooks.outbox
        if not outbox.redeliver(delivery_id, endpoint_id=endpoint_id, project=project):
            return None
        return outbox.get_delivery(delivery_id, endpoint_id=endpoint_id, project=project)

    found = await run_in_threadpool(again)
    if found is None:
        raise NotFound(
            f"Delivery with id '{delivery_id}' not found.", param="delivery_id", code="not_found"
        )
    webhooks.deliverer.wake()
    return JSONResponse(delivery_json(*found))
