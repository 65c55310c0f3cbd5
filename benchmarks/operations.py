"""What running Reelbox as a service costs per request and per scrape.

    python benchmarks/operations.py [--jobs N] [--rounds R]

Prints:
1. `KeyRing.caller` per call: a key from settings, a database key answered from the cache, and a
   database key looked up (cache expired) on SQLite.
2. The edge (`api/edge.py`: request id, metrics, 500 guard, guards, body cap in one middleware)
   per request: a bare ASGI app called directly, with and without it, for a poll (GET without a
   body, open mode's Host check) and a small POST (its body counted).
3. A `/metrics` render (`Metrics.render`, the store read at scrape time) over a SQLite jobs table
   of `--jobs` jobs, half of them completed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from reelbox.api.deps import KeyRing
from reelbox.api.edge import Edge
from reelbox.api.guards import LocalOnly
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.observability.metrics import Metrics
from reelbox.settings import Settings
from reelbox.store.database import connect, migrate
from reelbox.store.keys import KeyStore
from reelbox.store.moderation_log import ModerationLog
from reelbox.store.rows import NewGeneration, NewJob
from reelbox.store.store import Store


def per_call(fn: Any, *, rounds: int, inner: int) -> float:
    """Median seconds per call over `rounds` batches of `inner` calls."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - started) / inner)
    return statistics.median(samples)


def keys(folder: Path, rounds: int) -> None:
    engine = connect(f"sqlite:///{folder / 'keys.db'}")
    migrate(engine)
    store = KeyStore(engine)
    _, plain = store.create(project="acme")
    ring = KeyRing({"settings-key": "a"}, store=store, ttl=2.0)
    uncached = KeyRing({"settings-key": "a"}, store=store, ttl=0.0)
    for label, target, key in (
        ("settings key", ring, "settings-key"),
        ("database key, cached", ring, plain),
        ("database key, looked up", uncached, plain),
    ):
        seconds = per_call(
            # The work of `caller` without the event loop around it (SQLite: no threadpool hop).
            lambda t=target, k=key: t._caller(k),
            rounds=rounds,
            inner=2000,
        )
        print(f"KeyRing.caller, {label}: {seconds * 1e6:.1f} µs")
    engine.dispose()


def middleware(rounds: int) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        return None

    wrapped = Edge(
        app,
        metrics=Metrics(),
        max_body_bytes=1 << 20,
        local_only=LocalOnly(Settings()),
    )
    common = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    poll = {
        "type": "http",
        "method": "GET",
        "path": "/v1/videos/x",
        "raw_path": b"/v1/videos/x",
        "query_string": b"",
        "headers": common,
    }
    post = {
        **poll,
        "method": "POST",
        "path": "/v1/videos",
        "raw_path": b"/v1/videos",
        "headers": [*common, (b"content-type", b"application/json"), (b"content-length", b"2")],
    }

    async def many(target: Any, scope: dict[str, Any], n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await target(dict(scope), receive, send)
        return (time.perf_counter() - started) / n

    for label, scope in (("GET without a body", poll), ("POST with a 2-byte body", post)):
        bare = statistics.median(asyncio.run(many(app, scope, 20_000)) for _ in range(rounds))
        timed = statistics.median(asyncio.run(many(wrapped, scope, 20_000)) for _ in range(rounds))
        print(
            f"edge, {label}: {(timed - bare) * 1e6:.1f} µs per request "
            f"(bare call {bare * 1e6:.2f} µs, with it {timed * 1e6:.2f} µs)"
        )


def scrape(folder: Path, count: int, rounds: int) -> None:
    engine = connect(f"sqlite:///{folder / 'jobs.db'}")
    migrate(engine)
    store = Store(engine)
    spec = GenerationSpec(
        mode=Mode.TEXT, prompt="p", width=64, height=64, seconds=4, seed=1, profile="p"
    )
    for i in range(count):
        store.create_job(
            NewJob(
                id=f"video_{i}",
                project=f"p{i % 7}",
                dialect="openai",
                model="sora-2",
                spec=spec,
                seconds="4",
            ),
            queue_cap=count + 1,
        )
    for i in range(count // 2):
        job = store.claim_next(owner="b", lease_seconds=30, per_project_limit=count)
        assert job is not None
        store.complete(
            job.id,
            attempt=1,
            plan=None,
            retention_seconds=3600,
            outputs=[
                NewGeneration(
                    id=f"gen_{i}",
                    index=0,
                    seed=1,
                    video_key="v",
                    thumbnail_key="t",
                    thumbnail_jpeg_key="j",
                    spritesheet_key="s",
                    width=64,
                    height=64,
                    fps=8,
                    frame_count=32,
                    duration=4.0,
                    has_audio=False,
                    sprite_columns=1,
                    sprite_rows=1,
                    sprite_frame_width=64,
                    sprite_frame_height=64,
                )
            ],
        )
    metrics = Metrics()
    metrics.bind(engine=engine, moderation_log=ModerationLog(engine))
    seconds = per_call(metrics.render, rounds=rounds, inner=5)
    print(f"/metrics render over {count} jobs ({count // 2} completed): {seconds * 1e3:.1f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        keys(Path(tmp), args.rounds)
        middleware(args.rounds)
        scrape(Path(tmp), args.jobs, args.rounds)


if __name__ == "__main__":
    main()
