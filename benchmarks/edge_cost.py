"""CPU per polled request through the whole app, in-process: the edge's share without a network.

    PYTHONPATH=src python benchmarks/edge_cost.py [--requests N] [--repeats R]

Builds `create_app` (open mode, SQLite, no workers) in a temporary directory, creates 10 videos
through `POST /v1/videos`, then calls the ASGI app directly (no server, no sockets) for
`GET /v1/videos/{id}` (rotating over the ids), `GET /v1/videos?limit=20` and, as the baseline, a
bare Starlette app answering a constant Video-shaped JSON object (benchmarks/bare_app.py's
route). Each figure is thread CPU time (`time.thread_time`) per request, the median of
`--repeats` batches of `--requests`, so other load on the machine matters less than in wrk runs
(caches are still shared). The reelbox imported is whatever PYTHONPATH names: run it on two
trees back to back to compare them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

import reelbox
from reelbox.app import create_app
from reelbox.settings import Settings

ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
BARE_BODY = json.dumps(
    {
        "id": "video_0123456789abcdef0123456789abcdef0123456789abcdef",
        "object": "video",
        "model": "sora-2",
        "status": "completed",
        "progress": 100,
        "created_at": 1764000000,
        "completed_at": 1764000004,
        "expires_at": 1764086400,
        "prompt": "a red kite",
        "size": "720x1280",
        "seconds": "4",
        "remixed_from_video_id": None,
        "error": None,
    }
).encode()


def bare_app() -> ASGI:
    async def video(_request: Any) -> Response:
        return Response(BARE_BODY, media_type="application/json")

    return Starlette(routes=[Route("/video", video)])


def scope_for(method: str, path: str, query: bytes = b"", body: bytes = b"") -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: ASGI, scope: dict[str, Any], state: dict[str, Any], body: bytes = b"") -> Any:
    """One request; the answer's status and body."""
    sent: list[dict[str, Any]] = []
    scope = {**scope, "state": dict(state)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def per_request(
    app: ASGI, scopes: list[dict[str, Any]], state: dict[str, Any], n: int
) -> float:
    started = time.thread_time()
    for i in range(n):
        await call(app, scopes[i % len(scopes)], state)
    return (time.thread_time() - started) / n * 1e6


async def run(requests: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder) / "data"), run_jobs=False)
        state: dict[str, Any] = {}
        lifespan_messages = asyncio.Queue[dict[str, Any]]()
        await lifespan_messages.put({"type": "lifespan.startup"})
        started = asyncio.Event()

        async def lifespan_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()
            elif message["type"].endswith("failed"):
                raise RuntimeError(message)

        task = asyncio.create_task(
            app({"type": "lifespan", "state": state}, lifespan_messages.get, lifespan_send)
        )
        await started.wait()
        body = json.dumps({"prompt": "a red kite", "model": "sora-2", "seconds": "4"}).encode()
        ids = []
        for _ in range(10):
            status, answer = await call(
                app, scope_for("POST", "/v1/videos", body=body), state, body
            )
            if status != 200:
                raise SystemExit(f"create answered {status}: {answer[:200]!r}")
            ids.append(json.loads(answer)["id"])
        cases = {
            "bare": (bare_app(), [scope_for("GET", "/video")]),
            "retrieve": (app, [scope_for("GET", f"/v1/videos/{i}") for i in ids]),
            "list": (app, [scope_for("GET", "/v1/videos", b"limit=20")]),
        }
        figures: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(repeats):  # interleaved, so that drifting load hits every case alike
            for name, (target, scopes) in cases.items():
                await per_request(target, scopes, state, requests // 10)  # warm
                figures[name].append(await per_request(target, scopes, state, requests))
        await lifespan_messages.put({"type": "lifespan.shutdown"})
        await task
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]
    figures = asyncio.run(run(args.requests, args.repeats))
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[0]
    print(f"reelbox from {Path(reelbox.__file__).parent}  load {load_before} -> {load_after}")
    for name, micros in figures.items():
        print(f"  {name:9} {micros:8.1f} µs CPU/request  ({micros / figures['bare']:.2f}x bare)")
    bare = figures["bare"]
    print(
        f"  bare CPU / path CPU: retrieve {bare / figures['retrieve']:.3f}"
        f"  list {bare / figures['list']:.3f}"
    )


if __name__ == "__main__":
    main()
