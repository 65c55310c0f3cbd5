"""A per-project sliding window of accepted creates, kept in the database.

Every server on one PostgreSQL database counts the same rows, under a per-project advisory
lock, so the limit holds across servers exactly. SQLite runs one server, whose in-process
limiter (`api/limits.py`) is enough.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from reelbox.store.database import WRITE_OPTION
from reelbox.store.tables import rate_limit_hits


class RateWindow:
    """`hit(project)` records a request if fewer than `limit` were accepted in the last
    `window` seconds; else it records nothing and answers how long until one slot frees."""

    def __init__(self, engine: Engine, *, clock: Any = time.time) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"

    def hit(self, project: str, *, limit: int, window: float) -> float | None:
        """None when accepted (and recorded); else the seconds to wait."""
        now = float(self._clock())
        h = rate_limit_hits.c
        with self._writer.begin() as conn:
            if self._postgres:
                key = func.hashtextextended(f"rate:{project}", 0)
                conn.execute(select(func.pg_advisory_xact_lock(key)))
            conn.execute(delete(rate_limit_hits).where(h.project == project, h.at <= now - window))
            count, oldest = conn.execute(
                select(func.count(), func.min(h.at)).where(h.project == project)
            ).one()
            if count >= limit:
                return max(0.001, float(oldest) + window - now)
            conn.execute(insert(rate_limit_hits).values(project=project, at=now))
        return None
