"""The retry policy: exponential backoff with jitter, inside the retry window."""

from __future__ import annotations

import random

from reelbox.webhooks.retry import RetryPolicy


def test_delays_double_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base=5, cap=3600, max_age=72 * 3600)
    rng = random.Random(1)
    for attempt, ceiling in ((1, 5), (2, 10), (3, 20), (8, 640), (20, 3600), (500, 3600)):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not one fixed value


def test_gives_up_when_the_next_attempt_would_leave_the_window() -> None:
    policy = RetryPolicy(base=10, cap=10, max_age=100)
    rng = random.Random(2)
    assert policy.next_attempt_at(attempt=1, now=50, window_started_at=0, rng=rng) is not None
    assert policy.next_attempt_at(attempt=9, now=95, window_started_at=0, rng=rng) is None
    # A redelivery starts a new window.
    assert policy.next_attempt_at(attempt=9, now=95, window_started_at=90, rng=rng) is not None


def test_a_72_hour_window_allows_dozens_of_attempts() -> None:
    policy = RetryPolicy()
    rng = random.Random(3)
    now, attempt = 0.0, 1
    while at := policy.next_attempt_at(attempt=attempt, now=now, window_started_at=0, rng=rng):
        now, attempt = at, attempt + 1
    assert 72 * 3600 - 3600 <= now <= 72 * 3600
    assert 70 <= attempt <= 150
