"""A real OpenAI-compatible moderation server on loopback, for tests: records every request and
answers as told.

```python
with running_moderation_stub() as stub:
    stub.flag_text["GORE"] = "violence/graphic"  # any text containing GORE is flagged
    stub.flag_images = "sexual"                  # any image input is flagged
    config = ClassifierConfig(url=stub.url, images=True)
    ...
    (request,) = stub.requests
    assert request.json()["input"] == ...
```

Answers follow OpenAI's shape: one result per string for string input, one result for a list of
multi-modal parts, every category present with a score. The behaviour attributes are read when
each request arrives, so a test may change them between calls.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reelbox.moderation.classifier import OPENAI_CATEGORIES


@dataclass(frozen=True)
class StubRequest:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def input(self) -> Any:
        return self.json()["input"]

    @property
    def image_urls(self) -> list[str]:
        """The data URLs of the image parts, in order."""
        input = self.input
        if not isinstance(input, list):
            return []
        return [p["image_url"]["url"] for p in input if isinstance(p, dict) and "image_url" in p]


@dataclass
class ModerationStub:
    """Behaviour, read per request; every request is recorded in `requests` first.

    - `flag_text`: marker -> category; a text containing the marker is flagged in that category.
    - `flag_images`: category flagged for any input holding an image (None: images pass).
    - `scores`: category -> score reported on every result (flags nothing by itself).
    - `underscores`: spell categories `self_harm_intent`, as some guard servers do.
    - `delay`: seconds to wait before answering (cut short when the stub closes).
    - `status`: the status answered; 3xx answers carry `Location: {url}/elsewhere`.
    - `raw_body`: answered verbatim instead of the moderation JSON (malformed bodies).
    - `drip`: seconds between single bytes of the body (headers are sent at once).
    - `content_length`: False sends no length, the body ending when the connection closes.
    """

    flag_text: dict[str, str] = field(default_factory=dict)
    flag_images: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    underscores: bool = False
    delay: float = 0.0
    status: int = 200
    raw_body: bytes | None = None
    drip: float = 0.0
    content_length: bool = True
    requests: list[StubRequest] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        """The base URL to configure (`.../v1`); the endpoint is `{url}/moderations`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_for_requests(self, count: int, *, timeout: float = 10) -> list[StubRequest]:
        """The first `count` requests received, waiting for them to arrive (the caller may be
        another process, such as a live Reelbox server)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.requests)} of {count} requests arrived in time")
            time.sleep(0.01)
        return self.requests[:count]

    def answer(self, body: bytes) -> dict[str, Any]:
        """The moderation response this stub gives for a request body."""
        request = json.loads(body)
        input = request["input"]
        if isinstance(input, str):
            items: list[list[Any]] = [[input]]
        elif all(isinstance(item, str) for item in input):
            items = [[item] for item in input]
        else:
            items = [input]
        return {
            "id": "modr-stub",
            "model": request.get("model", "stub-moderation"),
            "results": [self._result(parts) for parts in items],
        }

    def _result(self, parts: list[Any]) -> dict[str, Any]:
        flagged: set[str] = set()
        for part in parts:
            text = part if isinstance(part, str) else part.get("text")
            if isinstance(text, str):
                flagged |= {cat for marker, cat in self.flag_text.items() if marker in text}
            elif isinstance(part, dict) and part.get("type") == "image_url" and self.flag_images:
                flagged.add(self.flag_images)
        names = set(OPENAI_CATEGORIES) | flagged | set(self.scores)
        scores = {
            name: self.scores.get(name, 0.99 if name in flagged else 0.0001) for name in names
        }
        spell = (lambda n: n.replace("/", "_").replace("-", "_")) if self.underscores else str
        return {
            "flagged": bool(flagged),
            "categories": {spell(name): name in flagged for name in sorted(names)},
            "category_scores": {spell(name): scores[name] for name in sorted(names)},
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping must not hold up close()

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hang up: no news
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def running_moderation_stub() -> Iterator[ModerationStub]:
    """A stub listening on a random loopback port until the block ends."""
    stub = ModerationStub()
    closing = threading.Event()
    recording = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # idle keep-alive connections end on their own

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with recording:
                stub.requests.append(StubRequest(path=self.path, headers=headers, body=body))
            if stub.delay and closing.wait(stub.delay):
                self.close_connection = True
                return
            status = stub.status
            if stub.raw_body is not None:
                content = stub.raw_body
            elif 200 <= status < 300:
                content = json.dumps(stub.answer(body)).encode()
            else:
                error = {"message": f"stub answered {status}", "type": "server_error"}
                content = json.dumps({"error": error}).encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"{stub.url}/elsewhere")
            self.send_header("content-type", "application/json")
            if stub.content_length:
                self.send_header("content-length", str(len(content)))
            else:
                self.send_header("connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                if not stub.drip:
                    self.wfile.write(content)
                    return
                for i in range(len(content)):
                    if closing.wait(stub.drip):
                        self.close_connection = True
                        return
                    self.wfile.write(content[i : i + 1])
            except ConnectionError:  # the client gave up: that is what a timeout test wants
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    stub.port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield stub
    finally:
        closing.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
