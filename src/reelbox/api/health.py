"""Liveness and readiness probes, and counters for monitoring."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from reelbox.api.deps import ServicesDep
from reelbox.api.metrics import serve_metrics

router = APIRouter()


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(services: ServicesDep) -> Response:
    def check() -> str | None:
        try:
            with services.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return f"database: {type(exc).__name__}"
        # Full or read-only storage (blobs, the SQLite folder): probed, cached for seconds.
        return services.blobs.storage_problem() or services.store.storage_problem()

    problem = await run_in_threadpool(check)
    if problem:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus metrics (api/metrics.py), protected like the API."""
    return await serve_metrics(request, services)
