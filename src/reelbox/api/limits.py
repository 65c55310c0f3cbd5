"""Per-project request-rate limiting of creates (off unless configured).

`check(project)` is the first step of every create (videos, rework, characters, Azure jobs): it
raises `RateLimited` or records the request. In one process a sliding window in memory is
exact; with PostgreSQL several servers share the window through the database
(`store.rate_limits.RateWindow`), so `check` may block on it: call it from a thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import Engine

from reelbox.errors import RateLimited
from reelbox.store.rate_limits import RateWindow

WINDOW_SECONDS = 60.0


class RateLimiter:
    """A sliding one-minute window of creation requests per project: in this process, or
    shared through the database when `window` is given."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: RateWindow | None = None,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_database(cls, per_minute: int, *, engine: Engine) -> RateLimiter:
        """Shared through the database on PostgreSQL (several servers), in memory on SQLite
        (one server)."""
        if engine.dialect.name == "postgresql":
            return cls(per_minute, window=RateWindow(engine))
        return cls(per_minute)

    def check(self, project: str) -> None:
        if self.per_minute <= 0:
            return
        if self._window is not None:
            wait = self._window.hit(project, limit=self.per_minute, window=WINDOW_SECONDS)
            if wait is not None:
                raise self._limited(wait)
            return
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(project, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise self._limited(WINDOW_SECONDS - (now - hits[0]))
            hits.append(now)

    def _limited(self, wait: float) -> RateLimited:
        return RateLimited(
            f"Rate limit reached: {self.per_minute} video requests per minute.",
            retry_after=wait,
            type="requests",
        )
