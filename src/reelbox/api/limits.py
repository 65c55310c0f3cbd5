"""Per-project request-rate limiting of job creation (off unless configured)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from reelbox.errors import RateLimited


class RateLimiter:
    """A sliding one-minute window of creation requests per project."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, project: str) -> None:
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(project, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise RateLimited(
                    f"Rate limit reached: {self.per_minute} video requests per minute.",
                    retry_after=60 - (now - hits[0]),
                    type="requests",
                )
            hits.append(now)
