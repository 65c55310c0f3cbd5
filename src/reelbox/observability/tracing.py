"""OpenTelemetry traces (the `otel` extra), off unless `otel_endpoint` is set.

Nothing here imports opentelemetry until a `Tracing` is started, so Reelbox runs without the
extra, and with tracing off no request pays for it.

One trace follows a video from its create request to its webhook, across processes:

- the request span comes from opentelemetry-instrumentation-asgi (`Tracing.middleware`);
- the create stores the W3C trace context of that span with the job (`jobs.trace_context`,
  through `Tracing.current_context`);
- the worker process that runs the job restores it and records a `job` span with one child per
  stage (`queue`, `load`, `denoise`, `decode`, `render`, `encode`, `upload`, …), from the
  same `JobTimings` the store writes for `/metrics` — the spans carry the recorded start and
  end times, so both consumers see one measurement (`Tracing.record_job`);
- the webhook deliverer restores it again for each delivery attempt (`Tracing.delivery`).

Each process exports its own spans over OTLP/HTTP to `otel_endpoint` (batched; a worker flushes
when it stops). Tests pass an exporter of their own (the SDK's `InMemorySpanExporter`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from reelbox.jobs.timings import JobTimings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer
    from starlette.types import ASGIApp

TRACER_NAME = "reelbox"


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class Tracing:
    """One process's tracer provider and the spans Reelbox records."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(TRACER_NAME)

    @classmethod
    def start(
        cls,
        *,
        service_name: str,
        endpoint: str | None = None,
        exporter: SpanExporter | None = None,
    ) -> Tracing:
        """Export to `exporter` as spans end (tests), else in batches over OTLP/HTTP to
        `endpoint` (`…/v1/traces` is added to a bare host)."""
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        except ImportError as exc:
            raise RuntimeError(
                'otel_endpoint is set but OpenTelemetry is not installed: pip install -e ".[otel]"'
            ) from exc
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            assert endpoint is not None
            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint)))
            )
        return cls(provider)

    def shutdown(self) -> None:
        """Export what is still buffered and stop."""
        self.provider.shutdown()

    # -- requests ---------------------------------------------------------------------------

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """The app wrapped in opentelemetry-instrumentation-asgi's server span."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        wrapped: ASGIApp = OpenTelemetryMiddleware(
            app,
            tracer_provider=self.provider,
            excluded_urls="/metrics,/healthz",  # scrapes and probes are not worth a trace
            exclude_spans=["receive", "send"],  # one span per request, not one per message
        )
        return wrapped

    def current_context(self) -> dict[str, str] | None:
        """The W3C headers of the span active now (the request's), to store with a job."""
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        return carrier or None

    # -- jobs and webhooks ------------------------------------------------------------------

    def record_job(
        self,
        *,
        job_id: str,
        profile: str,
        attempt: int,
        trace_context: Mapping[str, str] | None,
        timings: JobTimings,
        started: float,
        ended: float,
        error: str | None = None,
    ) -> None:
        """A `job` span under the stored context, with a child per recorded stage."""
        from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

        stages = timings.ordered()
        begin = min([started, *(s.start for s in stages)])
        job = self.tracer.start_span(
            "job",
            context=_restored(trace_context),
            kind=SpanKind.CONSUMER,
            start_time=_ns(begin),
            attributes={
                "reelbox.job_id": job_id,
                "reelbox.profile": profile,
                "reelbox.attempt": attempt,
                "reelbox.engine_steps": timings.steps.count,
            },
        )
        inside = set_span_in_context(job)
        for s in stages:
            span = self.tracer.start_span(
                s.name,
                context=inside,
                start_time=_ns(s.start),
                attributes={"reelbox.busy_seconds": s.seconds},
            )
            span.end(end_time=_ns(max(s.end, s.start)))
        if error is not None:
            job.set_status(Status(StatusCode.ERROR, error))
        job.end(end_time=_ns(max(ended, begin)))

    @contextlib.contextmanager
    def delivery(
        self,
        *,
        trace_context: Mapping[str, str] | None,
        delivery_id: str,
        event_type: str,
        attempt: int,
    ) -> Iterator[Span]:
        """A span around one webhook delivery attempt, under the job's stored context."""
        from opentelemetry.trace import SpanKind

        with self.tracer.start_as_current_span(
            "webhook delivery",
            context=_restored(trace_context),
            kind=SpanKind.CLIENT,
            attributes={
                "reelbox.webhook_id": delivery_id,
                "reelbox.event_type": event_type,
                "reelbox.attempt": attempt,
            },
        ) as span:
            yield span


def _restored(trace_context: Mapping[str, str] | None) -> Any:
    """The context to continue; an empty one (a new trace) without a stored context."""
    from opentelemetry.context import Context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    if not trace_context:
        return Context()
    return TraceContextTextMapPropagator().extract(dict(trace_context), context=Context())


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector's base URL (or the URL itself if it has one)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"
