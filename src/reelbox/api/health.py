"""Liveness and readiness probes, and counters for monitoring."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from reelbox.api.deps import ServicesDep

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


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    """Counters in the Prometheus text format, read from the database so that every process
    (API and workers) is counted."""
    counts = await run_in_threadpool(services.moderation_log.counts)
    lines = [
        "# HELP reelbox_moderation_events_total Moderation blocks and unchecked passes.",
        "# TYPE reelbox_moderation_events_total counter",
    ]
    for c in counts:
        labels = ",".join(
            f'{name}="{_label(value)}"'
            for name, value in (
                ("checkpoint", c.checkpoint),
                ("policy", c.policy),
                ("outcome", c.outcome),
                ("category", c.category),
            )
        )
        lines.append(f"reelbox_moderation_events_total{{{labels}}} {c.count}")
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
