"""A small HTTP server on loopback, for tests: records every request and answers through a function.

The webhook receiver (`support.webhook_receiver`) and the OTLP trace collector (`support.otlp`)
are this server with their own answers; a test waits on what arrived with `wait_until`.

```python
with LoopbackServer(lambda request: Reply(204)) as server:
    httpx.post(server.url + "/x", content=b"hi")
    [request] = server.wait_until(lambda requests: requests or None, timeout=5)
```
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    """A request as recorded, with the answer it got."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # epoch seconds, when the answer was ready
    status: int  # what the server answered


class LoopbackServer:
    """`answer(request)` runs on the server's thread for each GET or POST; the request is recorded
    with its answer's status, then the answer is sent."""

    def __init__(self, answer: Callable[[Request], Reply]) -> None:
        self.requests: list[Received] = []
        self._changed = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = Request(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(int(self.headers.get("content-length", 0))),
                )
                reply = answer(request)
                # Recorded before the answer goes out: a client that has its answer finds its
                # request in `requests`.
                server._record(
                    Received(
                        method=request.method,
                        path=request.path,
                        headers=request.headers,
                        body=request.body,
                        at=time.time(),
                        status=reply.status,
                    )
                )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL, without a path."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _record(self, received: Received) -> None:
        with self._changed:
            self.requests.append(received)
            self._changed.notify_all()

    def wait_until(
        self,
        found: Callable[[list[Received]], T | None],
        *,
        timeout: float,
        failure: Callable[[list[Received]], str] | None = None,
    ) -> T:
        """The first `found(requests)` that is not None, checked as each request is recorded.

        Raises AssertionError with `failure(requests)` when `timeout` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = found(list(self.requests))
                if result is not None:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    requests = list(self.requests)
                    raise AssertionError(
                        failure(requests)
                        if failure
                        else f"not there after {timeout} s ({len(requests)} requests)"
                    )
                self._changed.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
