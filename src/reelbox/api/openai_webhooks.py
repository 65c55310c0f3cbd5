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
from reelbox.api.requests import (
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    event_type,
    parse,
    request_body,
)
from reelbox.errors import InvalidRequest, NotFound
from reelbox.store.outbox import EVENT_TYPES, AttemptRecord, Delivery, DeliveryStatus
from reelbox.store.webhook_endpoints import Endpoint
from reelbox.webhooks import DestinationRefused, WebhookService
from reelbox.webhooks.signer import new_secret, secret_hint

router = APIRouter()

ENDPOINT_FIELDS = ("name", "url", "event_types")
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
    limit = v.query_int(
        limit_text,
        param="limit",
        low=1,
        high=100,
        message=f"Invalid 'limit': expected an integer between 1 and 100, got '{limit_text}'.",
    )
    return limit, request.query_params.get("after") or None


async def _url(url: str | None, webhooks: WebhookService) -> str | None:
    """The destination rules on a URL already of a valid shape (`requests.webhook_url_shape`)."""
    if url is None:
        return None
    try:
        await webhooks.check_url(url)
    except DestinationRefused as exc:
        raise InvalidRequest(f"Invalid 'url': {exc}", param="url", code="invalid_url") from None
    except ValueError:  # anything the shape check let through that the rules cannot parse
        raise InvalidRequest(
            "Invalid 'url': the URL is malformed.", param="url", code="invalid_url"
        ) from None
    return url


async def _endpoint(webhooks: WebhookService, endpoint_id: str, project: str) -> Endpoint:
    endpoint = await run_in_threadpool(webhooks.endpoints.get, endpoint_id, project=project)
    if endpoint is None:
        raise _not_found(endpoint_id)
    return endpoint


@router.get("/webhook_event_types")
async def list_event_types(project: ProjectDep) -> Response:
    return JSONResponse({"object": "list", "data": list(EVENT_TYPES)})


@router.post("/webhook_endpoints", openapi_extra=request_body(WebhookEndpointCreate))
async def create_endpoint(
    request: Request, services: ServicesDep, webhooks: WebhooksDep, project: ProjectDep
) -> Response:
    fields = await read_fields(request, max_bytes=services.settings.max_upload_bytes)
    body = parse(WebhookEndpointCreate, fields)
    await _url(body.url, webhooks)
    endpoint = await run_in_threadpool(
        lambda: webhooks.endpoints.create(
            project=project,
            name=body.name,
            url=body.url,
            event_types=list(body.event_types),
            secret=new_secret(),
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


@router.post(
    "/webhook_endpoints/{endpoint_id}", openapi_extra=request_body(WebhookEndpointUpdate)
)
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
    body = parse(WebhookEndpointUpdate, fields)
    await _url(body.url, webhooks)
    event_types = None if body.event_types is None else list(body.event_types)
    endpoint = await run_in_threadpool(
        lambda: webhooks.endpoints.update(
            endpoint_id, project=project, name=body.name, url=body.url, event_types=event_types
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
    chosen = event_type(fields["event_type"], param="event_type")
    endpoint = await _endpoint(webhooks, endpoint_id, project)
    outcome = await webhooks.send_test(endpoint, event_type=chosen)
    if outcome.status_code is None:
        raise InvalidRequest(
            f"The test event could not be delivered: {outcome.error}",
            code="webhook_test_failed",
        )
    return JSONResponse(
        {
            "object": "webhook_endpoint.test",
            "webhook_endpoint_id": endpoint.id,
            "event_type": chosen,
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
