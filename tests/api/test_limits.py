"""The request-rate limiter: in memory for one server, shared through PostgreSQL for several."""

from __future__ import annotations

import threading

import pytest

from reelbox.api.limits import RateLimiter
from reelbox.errors import RateLimited
from reelbox.store.database import connect, migrate
from reelbox.store.rate_limits import RateWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_in_memory_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    limiter.check("a")
    clock.now += 30
    limiter.check("a")
    with pytest.raises(RateLimited) as raised:
        limiter.check("a")
    assert raised.value.retry_after == pytest.approx(30)
    limiter.check("b")  # another project has its own window
    clock.now += 30.5
    limiter.check("a")  # the first hit left the window


def test_off_by_default() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.check("a")


def test_sqlite_keeps_the_in_memory_window(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        assert RateLimiter.for_database(5, engine=engine)._window is None
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_servers_share_one_window_on_postgresql(postgres_url: str) -> None:
    """Two limiters with their own engines (two servers) on one database, racing."""
    engines = [connect(postgres_url, pool_size=4) for _ in range(2)]
    migrate(engines[0])
    limiters = [RateLimiter.for_database(10, engine=e) for e in engines]
    accepted = 0
    refused: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def hammer(i: int) -> None:
        nonlocal accepted
        barrier.wait()
        for _ in range(8):
            try:
                limiters[i % 2].check("p")
            except RateLimited as exc:
                with lock:
                    refused.append(exc.retry_after)
            else:
                with lock:
                    accepted += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(6)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert accepted == 10 and len(refused) == 38
        assert all(0 < wait <= 60 for wait in refused)
        limiters[1].check("q")  # per project
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.postgres
def test_the_shared_window_slides(postgres_url: str) -> None:
    engine = connect(postgres_url)
    migrate(engine)
    clock = Clock()
    window = RateWindow(engine, clock=clock)
    try:
        assert window.hit("p", limit=2, window=60) is None
        clock.now += 20
        assert window.hit("p", limit=2, window=60) is None
        assert window.hit("p", limit=2, window=60) == pytest.approx(40)
        clock.now += 41
        assert window.hit("p", limit=2, window=60) is None  # the first left the window
    finally:
        engine.dispose()
