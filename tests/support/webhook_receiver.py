"""A real webhook receiver on loopback, for tests: records every request, answers as scripted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from support.loopback import LoopbackServer, Received, Reply, Request

__all__ = ["Received", "Receiver", "running_receiver"]


class Receiver:
    """`script(500, 500)` makes the next two answers 500; then `status` (200) is answered.

    A 3xx answer carries `Location: /elsewhere`; requests to any path are recorded, so a test
    can show that a redirect was not followed. `delay` holds every answer that long.
    """

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self._script: list[int] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._answer)

    @property
    def url(self) -> str:
        return f"{self._server.url}/hook"

    @property
    def requests(self) -> list[Received]:
        return self._server.requests

    def script(self, *statuses: int) -> None:
        with self._lock:
            self._script.extend(statuses)

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            status = self._script.pop(0) if self._script else self.status
        if self.delay:
            time.sleep(self.delay)
        headers = {"location": "/elsewhere"} if 300 <= status < 400 else {}
        return Reply(status, b"ok", headers)

    def wait_for(self, count: int, *, timeout: float = 30, path: str = "/hook") -> list[Received]:
        """The first `count` requests to `path`, waiting for them to arrive."""

        def to_path(requests: list[Received]) -> list[Received]:
            return [r for r in requests if r.path == path]

        return self._server.wait_until(
            lambda requests: found if len(found := to_path(requests)) >= count else None,
            timeout=timeout,
            failure=lambda requests: (
                f"{len(to_path(requests))} of {count} requests arrived in time"
            ),
        )

    def close(self) -> None:
        self._server.close()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()
