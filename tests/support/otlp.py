"""A tiny OTLP/HTTP trace collector on loopback, for tests: keeps every span it is sent.

Worker processes export their spans over OTLP like any production process would; the test reads
them here, decoded with the protobuf classes the OTLP exporter itself depends on. The server is
`support.loopback`'s, answering each export with an empty success.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from support.loopback import LoopbackServer, Received, Reply, Request


@dataclass(frozen=True)
class CollectedSpan:
    name: str
    trace_id: int
    span_id: int
    parent_span_id: int | None
    start: float  # epoch seconds
    end: float
    service: str
    attributes: dict[str, object]


class Collector:
    """Answers every POST as an OTLP trace export; `spans` decodes what was sent so far."""

    def __init__(self) -> None:
        self._server = LoopbackServer(_accept)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def spans(self) -> list[CollectedSpan]:
        return [span for r in list(self._server.requests) for span in _decode(r)]

    def wait_for(self, name: str, *, timeout: float = 60) -> list[CollectedSpan]:
        """The spans called `name`, waiting for at least one."""
        return self._server.wait_until(
            lambda requests: (
                [span for r in requests for span in _decode(r) if span.name == name] or None
            ),
            timeout=timeout,
            failure=lambda requests: f"no span {name!r} arrived in {timeout} s",
        )

    def close(self) -> None:
        self._server.close()


def _accept(request: Request) -> Reply:
    return Reply(
        200,
        ExportTraceServiceResponse().SerializeToString(),
        {"content-type": "application/x-protobuf"},
    )


def _decode(received: Received) -> list[CollectedSpan]:
    body = received.body
    if received.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found = []
    for resource_spans in request.resource_spans:
        service = next(
            (
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            ),
            "",
        )
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes: dict[str, object] = {}
                for a in span.attributes:
                    kind = a.value.WhichOneof("value")
                    attributes[a.key] = getattr(a.value, kind) if kind else None
                found.append(
                    CollectedSpan(
                        name=span.name,
                        trace_id=int.from_bytes(span.trace_id, "big"),
                        span_id=int.from_bytes(span.span_id, "big"),
                        parent_span_id=int.from_bytes(span.parent_span_id, "big")
                        if span.parent_span_id
                        else None,
                        start=span.start_time_unix_nano / 1e9,
                        end=span.end_time_unix_nano / 1e9,
                        service=service,
                        attributes=attributes,
                    )
                )
    return found


@contextmanager
def running_collector() -> Iterator[Collector]:
    collector = Collector()
    try:
        yield collector
    finally:
        collector.close()
