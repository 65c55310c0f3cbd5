"""OpenTelemetry traces: one trace from the create request through the job's stages (recorded
in a worker process, exported over OTLP) to the webhook delivery; nothing of OpenTelemetry is
loaded while tracing is off."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from reelbox.app import create_app
from reelbox.jobs.timings import JobTimings
from reelbox.observability.tracing import Tracing, traces_url
from reelbox.settings import Settings
from support.otlp import running_collector
from support.webhook_receiver import running_receiver

KEY = {"authorization": "Bearer k"}


def test_job_spans_continue_the_stored_context_with_the_recorded_times() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.start(service_name="t", exporter=exporter)
    with tracing.tracer.start_as_current_span("request") as request:
        context = tracing.current_context()
    assert context is not None and set(context) == {"traceparent"}
    timings = JobTimings()
    timings.add("queue", start=100.0, end=101.0)
    timings.add("encode", start=102.0, end=104.0, seconds=1.5)
    tracing.record_job(
        job_id="video_1",
        profile="p",
        attempt=1,
        trace_context=context,
        timings=timings,
        started=101.0,
        ended=105.0,
        error="engine_error",
    )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    job, queue, encode = spans["job"], spans["queue"], spans["encode"]
    trace_id = request.get_span_context().trace_id
    assert {s.context.trace_id for s in (job, queue, encode)} == {trace_id}
    assert job.parent is not None and job.parent.span_id == request.get_span_context().span_id
    assert queue.parent.span_id == encode.parent.span_id == job.context.span_id  # type: ignore[union-attr]
    assert (job.start_time, job.end_time) == (100 * 10**9, 105 * 10**9)  # from queued to ended
    assert (encode.start_time, encode.end_time) == (102 * 10**9, 104 * 10**9)
    assert encode.attributes == {"reelbox.busy_seconds": 1.5}
    assert job.status.status_code is StatusCode.ERROR and job.kind is SpanKind.CONSUMER
    assert job.attributes["reelbox.job_id"] == "video_1"  # type: ignore[index]
    # Without a stored context a job starts a trace of its own.
    tracing.record_job(
        job_id="video_2",
        profile="p",
        attempt=1,
        trace_context=None,
        timings=JobTimings(),
        started=1.0,
        ended=2.0,
    )
    lone = [s for s in exporter.get_finished_spans() if s.name == "job"][-1]
    assert lone.parent is None and lone.context.trace_id != trace_id
    tracing.shutdown()


def test_traces_url() -> None:
    assert traces_url("http://c:4318") == "http://c:4318/v1/traces"
    assert traces_url("http://c:4318/v1/traces/") == "http://c:4318/v1/traces"


def test_one_trace_from_the_request_through_the_worker_to_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Worker processes export in batches; a short delay lets the test see them soon.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    exporter = InMemorySpanExporter()  # the API process's spans
    tracing = Tracing.start(service_name="reelbox-api", exporter=exporter)
    with running_collector() as collector, running_receiver() as receiver:
        settings = Settings(
            data_dir=tmp_path / "d",
            api_keys={"k": "p"},
            workers=1,
            scheduler_interval_seconds=0.05,
            profiles={"tiny": {"engine": "procedural", "options": {"fps": 8}}},
            otel_endpoint=collector.url,  # the worker processes' spans go here
            otel_service_name="reelbox-worker",
            webhook_allow_http=True,
            webhook_allowed_networks=["127.0.0.0/8"],
            webhook_poll_interval_seconds=0.1,
        )
        with TestClient(create_app(settings, tracing=tracing), base_url="http://localhost") as api:
            hook = api.post(
                "/v1/webhook_endpoints",
                headers=KEY,
                json={"name": "h", "url": receiver.url, "event_types": ["video.completed"]},
            )
            assert hook.status_code == 200, hook.text
            created = api.post(
                "/v1/videos",
                headers=KEY,
                json={"prompt": "a red kite", "model": "tiny", "size": "64x64", "seconds": "1"},
            )
            assert created.status_code == 200, created.text
            video_id = created.json()["id"]
            receiver.wait_for(1, timeout=120)
            [job] = [s for s in collector.wait_for("job") if s.attributes["reelbox.job_id"]]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _named(exporter, "webhook delivery"):
                time.sleep(0.05)
    [request] = [
        s
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.name == "POST /v1/videos"
    ]
    [delivery] = _named(exporter, "webhook delivery")
    trace_id = request.context.trace_id
    assert job.trace_id == trace_id and job.attributes["reelbox.job_id"] == video_id
    assert job.parent_span_id == request.context.span_id  # restored in the worker process
    assert job.service == "reelbox-worker"
    stages = {s.name: s for s in collector.spans if s.parent_span_id == job.span_id}
    assert {"queue", "load", "plan", "render", "encode", "upload"} <= set(stages)
    assert all(s.trace_id == trace_id for s in stages.values())
    assert stages["queue"].end <= stages["load"].start <= stages["upload"].start
    assert delivery.context.trace_id == trace_id  # restored by the deliverer
    assert delivery.attributes["reelbox.event_type"] == "video.completed"  # type: ignore[index]
    assert delivery.attributes["http.response.status_code"] == 200  # type: ignore[index]
    # Polls were traced as requests of their own, not as part of the job's trace.
    tracing.shutdown()


def _named(exporter: InMemorySpanExporter, name: str) -> list:  # type: ignore[type-arg]
    return [s for s in exporter.get_finished_spans() if s.name == name]


# FastAPI itself imports `opentelemetry` (the API package) when it is installed; what tracing
# costs is the SDK, the instrumentation and the exporter, which only a started `Tracing` loads.
LOADED_WHEN_TRACING = (
    "opentelemetry.sdk",
    "opentelemetry.instrumentation",
    "opentelemetry.exporter",
    "reelbox.observability.tracing",
)


def test_nothing_of_opentelemetry_is_imported_while_tracing_is_off(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from reelbox.app import create_app\n"
        "from reelbox.settings import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path / 'd')!r}), run_jobs=False)\n"
        "with TestClient(app, base_url='http://localhost') as api:\n"
        "    assert api.get('/v1/videos').status_code in (200, 401)\n"
        "print(sorted(m for m in sys.modules if m.startswith(LOADED_WHEN_TRACING)))\n"
    ).replace("LOADED_WHEN_TRACING", repr(LOADED_WHEN_TRACING))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
