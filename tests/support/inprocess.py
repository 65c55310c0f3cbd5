"""A real uvicorn server in a thread of the test process, on a random port.

For tests that need the HTTP server's own connection handling (keep-alive, resets) around an app
the test builds itself, with test-only routes; `support.server.LiveServer` runs `reelbox serve`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from support.server import free_port


@contextmanager
def serve(app: ASGIApp) -> Iterator[int]:
    """Serve `app` until the block ends; yields the port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)
