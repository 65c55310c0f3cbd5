"""When to try a failed delivery again: a pure policy.

Exponential backoff with jitter: the n-th retry waits between half and all of
`min(cap, base * 2**(n-1))`, so receivers that come back are not hit by every sender at once.
Retries stop once the next one would fall outside the retry window (72 h by default) that began
when the event was recorded, or when it was redelivered by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    base: float = 5.0
    cap: float = 3600.0
    max_age: float = 72 * 3600.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt - 1, 60))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def next_attempt_at(
        self, *, attempt: int, now: float, window_started_at: float, rng: random.Random
    ) -> float | None:
        """When to try again after failed attempt `attempt`, or None to give up."""
        at = now + self.delay(attempt, rng)
        return at if at <= window_started_at + self.max_age else None
