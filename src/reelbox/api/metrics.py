"""`GET /metrics`: the Prometheus text format of the app's registry (observability/metrics.py).

Protected like the API: when keys exist, any valid key (project or admin) may scrape. With
`metrics_port` set, metrics are served on that port only, without a key (bind it to a private
interface), and this route answers 404. `public_metrics = true` serves it here without a key.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from reelbox.api.deps import Services, presented_key
from reelbox.errors import NotFound
from reelbox.observability.metrics import Metrics


async def serve_metrics(request: Request, services: Services) -> Response:
    if services.settings.metrics_port is not None:
        raise NotFound(
            f"Metrics are served on port {services.settings.metrics_port}.", code="not_found"
        )
    if not services.settings.public_metrics:
        await services.keys.caller(presented_key(request))  # 401 without a valid key
    metrics: Metrics = request.state.metrics
    body = await run_in_threadpool(metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
