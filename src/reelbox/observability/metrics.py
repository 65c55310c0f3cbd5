"""Prometheus metrics with `prometheus_client`, one registry per app (nothing at import time).

Two sources, each correct across processes:

- **In the API process**, by the edge middleware (api/edge.py, through `Metrics.record`): HTTP
  requests by method, route template and status, their latency, and the event streams open now;
  requests the edge refuses itself carry the route `(refused)`, those no route matched
  `(unmatched)`. Workers serve no HTTP, so nothing is
  lost by keeping these in the process; each replica reports its own.
- **From the database at scrape time**, by `StoreCollector`: jobs queued and running by project
  and profile, queue and run time per profile, job time by stage and engine step time per
  profile (rows each worker writes with a job's completion, `jobs/timings.py`), failures by
  error code, moderation events (the audit log), webhook deliveries, attempts, lag and dead
  endpoints. Workers write these rows, so every process is counted and the figures agree with
  the jobs table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from reelbox.store.gauges import Histogram as StoredHistogram
from reelbox.store.gauges import read_gauges

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from starlette.types import Scope

    from reelbox.store.moderation_log import ModerationLog

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
WARM_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
UNMATCHED = "(unmatched)"


class StoreCollector(Collector):
    """Metrics read from the tables whenever Prometheus scrapes."""

    def __init__(self, *, engine: Engine, moderation_log: ModerationLog) -> None:
        self.engine = engine
        self.moderation_log = moderation_log

    def collect(self) -> Iterator[Metric]:
        gauges = read_gauges(self.engine, now=time.time())
        jobs = GaugeMetricFamily(
            "reelbox_jobs",
            "Jobs queued or running now, by status, project and profile.",
            labels=["status", "project", "profile"],
        )
        for status, project, profile, count in gauges.jobs_by_status:
            jobs.add_metric([status, project, profile], count)
        yield jobs
        failures = CounterMetricFamily(
            "reelbox_job_failures",
            "Failed jobs by error code and profile.",
            labels=["code", "profile"],
        )
        for code, profile, count in gauges.failures:
            failures.add_metric([code, profile], count)
        yield failures
        yield _histogram(
            "reelbox_job_queue_seconds",
            "Seconds from creation to the start of the last attempt, per profile.",
            gauges.queue_seconds,
        )
        yield _histogram(
            "reelbox_job_run_seconds",
            "Seconds from start to completion of completed jobs, per profile.",
            gauges.run_seconds,
        )
        yield _histogram(
            "reelbox_job_stage_seconds",
            "Busy seconds of each stage of completed jobs (queue, load, denoise, decode, render,"
            " sound, encode, upload), per profile.",
            gauges.stage_seconds,
            labels=["profile", "stage"],
        )
        yield _histogram(
            "reelbox_engine_step_seconds",
            "Seconds per engine step of completed jobs (a denoising step; a painted frame of the"
            " embedded engine), per profile.",
            gauges.step_seconds,
        )
        moderation = CounterMetricFamily(
            "reelbox_moderation_events",
            "Moderation blocks and unchecked passes.",
            labels=["checkpoint", "policy", "outcome", "category"],
        )
        for c in self.moderation_log.counts():
            moderation.add_metric([c.checkpoint, c.policy, c.outcome, c.category or ""], c.count)
        yield moderation
        deliveries = GaugeMetricFamily(
            "reelbox_webhook_deliveries",
            "Webhook deliveries by status (pending, succeeded, failed).",
            labels=["status"],
        )
        for status, count in gauges.deliveries:
            deliveries.add_metric([status], count)
        yield deliveries
        attempts = CounterMetricFamily(
            "reelbox_webhook_attempts", "Webhook delivery attempts.", labels=["outcome"]
        )
        for success, count in gauges.attempts:
            attempts.add_metric(["success" if success else "error"], count)
        yield attempts
        yield GaugeMetricFamily(
            "reelbox_webhook_delivery_lag_seconds",
            "How long the oldest due webhook delivery has waited.",
            value=gauges.oldest_due_delivery_age,
        )
        yield GaugeMetricFamily(
            "reelbox_webhook_dead_endpoints",
            "Endpoints whose newest delivery failed for good.",
            value=gauges.dead_endpoints,
        )


def _histogram(
    name: str,
    documentation: str,
    found: list[StoredHistogram],
    *,
    labels: list[str] | None = None,
) -> Metric:
    family = HistogramMetricFamily(name, documentation, labels=labels or ["profile"])
    for h in found:
        family.add_metric(
            list(h.labels),
            buckets=[(_bound(bound), count) for bound, count in h.buckets],
            sum_value=h.total,
        )
    return family


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


class Metrics:
    """The app's registry: the middleware's instruments, and the store collector once bound."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reelbox_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reelbox_http_request_duration_seconds",
            "HTTP request latency (event streams excluded), by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.streams = Gauge(
            "reelbox_event_streams_open", "Live event streams open now.", registry=self.registry
        )
        self.restarts = Counter(
            "reelbox_worker_restarts",
            "Worker processes replaced by this process, by reason (crashed, exited, timeout).",
            ["reason"],
            registry=self.registry,
        )
        self.warm_up = Histogram(
            "reelbox_worker_warmup_seconds",
            "Seconds a worker took to build and warm a profile's engine, per profile.",
            ["profile"],
            buckets=WARM_BUCKETS,
            registry=self.registry,
        )
        self._collector: StoreCollector | None = None
        self._server: Any = None
        # Labelled children by label values: `labels()` takes a lock and builds a key per call.
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}

    def record(self, method: str, route: str, status: int, seconds: float | None) -> None:
        """One finished request (`seconds` None: a stream, not timed)."""
        key = (method, route, status)
        counter = self._counted.get(key)
        if counter is None:
            counter = self._counted[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        if seconds is not None:
            timed = self._timed.get((method, route))
            if timed is None:
                timed = self._timed[(method, route)] = self.latency.labels(method, route)
            timed.observe(seconds)

    def worker_restarted(self, reason: str) -> None:
        self.restarts.labels(reason).inc()

    def worker_warmed(self, profile: str, seconds: float) -> None:
        self.warm_up.labels(profile).observe(seconds)

    def bind(self, *, engine: Engine, moderation_log: ModerationLog) -> None:
        """Read the store at scrape time (called in the lifespan, once the engine exists)."""
        self.unbind()
        self._collector = StoreCollector(engine=engine, moderation_log=moderation_log)
        self.registry.register(self._collector)

    def unbind(self) -> None:
        if self._collector is not None:
            self.registry.unregister(self._collector)
            self._collector = None

    def render(self) -> bytes:
        """The Prometheus text format (blocking: it reads the database)."""
        return generate_latest(self.registry)

    def serve(self, *, host: str, port: int) -> None:
        """Serve the registry on its own port (`metrics_port`) until `close`."""
        from prometheus_client import start_http_server

        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        """Stop the metrics port, if served, and stop reading the store."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.unbind()


def route_of(scope: Scope) -> str:
    """The route template (`/v1/videos/{video_id}`), never the raw path (unbounded labels)."""
    # FastAPI (0.16x) keeps an included router's own routes and records the route as served,
    # with its prefix, beside them; older versions copied the route with the prefix.
    fastapi = scope.get("fastapi")
    served = fastapi.get("effective_route_context") if isinstance(fastapi, dict) else None
    for candidate in (served, scope.get("route")):
        path = getattr(candidate, "path_format", None)
        if isinstance(path, str):
            return path
    return UNMATCHED
