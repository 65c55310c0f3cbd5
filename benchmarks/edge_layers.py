"""The edge's own cost per request: the six middlewares of a git revision against `api/edge.py`.

    PYTHONPATH=src python benchmarks/edge_layers.py [--baseline-rev 4ff4fe5] [--rounds R]

The baseline's middleware modules (api/request_id.py, server_errors.py, guards.py, body_cap.py
and observability/metrics.py's `MetricsMiddleware`) are read with `git show REV:path` and loaded
under other names beside this tree's modules, then stacked as that revision's app.py stacked
them (open mode: BodyCap, LocalOnlyGuard, RequestTargetGuard, ServerErrors, RequestIdMiddleware,
MetricsMiddleware, innermost first). Both wrap the same trivial ASGI app and are called
directly (no server, no sockets), interleaved round by round, for a poll (`GET` without a body)
and a small `POST` (a 2-byte JSON body). Figures are thread CPU time (`time.thread_time`) per
request minus the trivial app's own, medians over the rounds; the load average is printed with
them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from reelbox.api.edge import Edge
from reelbox.api.guards import LocalOnly
from reelbox.observability.metrics import Metrics
from reelbox.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BASELINE_MODULES = {
    "request_id": "src/reelbox/api/request_id.py",
    "server_errors": "src/reelbox/api/server_errors.py",
    "guards": "src/reelbox/api/guards.py",
    "body_cap": "src/reelbox/api/body_cap.py",
    "metrics": "src/reelbox/observability/metrics.py",
}


def load_baseline(rev: str) -> dict[str, ModuleType]:
    loaded: dict[str, ModuleType] = {}
    for name, path in BASELINE_MODULES.items():
        source = subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        spec = importlib.util.spec_from_loader(f"baseline_{name}", loader=None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
        loaded[name] = module
    return loaded


async def app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def send(message: Any) -> None:
    return None


def baseline_stack(old: dict[str, ModuleType], settings: Settings) -> Any:
    stack: Any = old["body_cap"].BodyCap(app, max_bytes=settings.max_upload_bytes)
    stack = old["guards"].LocalOnlyGuard(stack, settings=settings)
    stack = old["guards"].RequestTargetGuard(stack)
    stack = old["server_errors"].ServerErrors(stack)
    stack = old["request_id"].RequestIdMiddleware(stack)
    return old["metrics"].MetricsMiddleware(stack, metrics=old["metrics"].Metrics())


def scopes() -> dict[str, dict[str, Any]]:
    common = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    poll = {
        "type": "http",
        "method": "GET",
        "path": "/v1/videos/video_abc",
        "raw_path": b"/v1/videos/video_abc",
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
    return {"GET without a body": poll, "POST with a 2-byte body": post}


async def per_request(target: Any, scope: dict[str, Any], n: int) -> float:
    started = time.thread_time()
    for _ in range(n):
        await target(dict(scope), receive, send)
    return (time.thread_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default="4ff4fe5")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    settings = Settings()
    targets = {
        "bare app": app,
        f"six middlewares ({args.baseline_rev})": baseline_stack(
            load_baseline(args.baseline_rev), settings
        ),
        "edge (this tree)": Edge(
            app,
            metrics=Metrics(),
            max_body_bytes=settings.max_upload_bytes,
            local_only=LocalOnly(settings),
        ),
    }
    load_before = Path("/proc/loadavg").read_text().split()[0]
    for label, scope in scopes().items():
        figures: dict[str, list[float]] = {name: [] for name in targets}

        async def rounds(scope: dict[str, Any] = scope, figures: dict = figures) -> None:  # type: ignore[type-arg]
            for _ in range(args.rounds):
                for name, target in targets.items():
                    figures[name].append(await per_request(target, scope, args.requests))

        asyncio.run(rounds())
        bare = statistics.median(figures["bare app"])
        print(f"{label}:")
        for name, values in figures.items():
            if name != "bare app":
                print(f"  {name:28} {statistics.median(values) - bare:6.1f} µs CPU per request")
    load_after = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average {load_before} -> {load_after}")


if __name__ == "__main__":
    main()
