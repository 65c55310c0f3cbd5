"""Measure each layer of `GET /v1/videos/{id}` (see `ladder_app.py`) against the bare baseline.

    python benchmarks/ladder.py [--duration S] [--concurrency N]

Creates finished fake-engine videos with a real `reelbox serve` (then stops it), and polls, with
wrk and the same settings as `benchmarks/api.py`, the bare Starlette app and every rung of the
ladder app in several configurations: a plain `FastAPI()` app, Reelbox's defaults, a threadpool
of 4 threads, a SQLite connection pool as large as the threadpool, and both. Prints requests/s,
p50/p99, the ratio to the bare endpoint and the server's CPU time per request, all from one run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from api import (
    BARE_APP,
    SETTINGS_TOML,
    BenchmarkError,
    LoadGenerator,
    LoadResult,
    ServerProcess,
    free_port,
    machine,
    setup_videos,
)

HERE = Path(__file__).resolve().parent
LADDER_APP = HERE / "ladder_app.py"

DEFAULT_RUNGS = (
    "/ladder/starlette",
    "/ladder/fastapi",
    "/ladder/adeps/{id}",
    "/ladder/deps/{id}",
    "/ladder/adeps-hop/{id}",
    "/v1/videos/{id}",
    "/ladder/adeps-retrieve/{id}",
    "/ladder/adeps-no-hop/{id}",
    "/ladder/adeps-raw/{id}",
    "/ladder/adeps-raw-no-hop/{id}",
)
RETRIEVES = ("/v1/videos/{id}", "/ladder/adeps-retrieve/{id}")
# (label, ladder_app options, rungs)
CONFIGURATIONS: tuple[tuple[str, list[str], tuple[str, ...]], ...] = (
    ("plain FastAPI() app", ["--plain-fastapi"], ("/ladder/starlette", "/ladder/fastapi")),
    ("Reelbox app, defaults", [], DEFAULT_RUNGS),
    ("threadpool of 4", ["--threads", "4"], (*RETRIEVES, "/ladder/adeps-raw/{id}")),
    ("SQLite pool of 40", ["--sqlite-pool", "40"], RETRIEVES),
    ("threadpool 4, SQLite pool 4", ["--threads", "4", "--sqlite-pool", "4"], RETRIEVES),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--videos", type=int, default=30)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-ladder-"))
    data_dir = tmp / "data"
    config = tmp / "reelbox.toml"
    config.write_text(SETTINGS_TOML)
    generator = LoadGenerator("wrk", args.concurrency)
    rows: list[tuple[str, str, LoadResult]] = []
    servers: list[ServerProcess] = []

    def start(name: str, command: list[str], port: int, ready: str) -> ServerProcess:
        server = ServerProcess(name, command, port=port, log_path=tmp / f"{len(servers)}.log")
        servers.append(server)
        server.start(ready)
        return server

    def measure(config_label: str, server: ServerProcess, rung: str, paths: list[str]) -> None:
        result = generator.measure(
            rung,
            server.url,
            paths,
            duration=args.duration,
            warmup=args.warmup,
            server_pid=server.pid,
        )
        server.check_alive()
        if result.status_errors or result.requests == 0:
            raise BenchmarkError(f"{rung}: {result.status_errors} non-2xx answers")
        rows.append((config_label, rung, result))
        print(
            f"  {rung:<32} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
            f"p99 {result.p99_ms:6.2f} ms  {result.cpu_us_per_request:5.0f} us CPU/req",
            flush=True,
        )

    try:
        port = free_port()
        api = start(
            "reelbox serve",
            [
                sys.executable,
                "-m",
                "reelbox",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--config",
                str(config),
                "--log-level",
                "warning",
            ],
            port,
            "/readyz",
        )
        with httpx.Client(base_url=api.url, timeout=30) as client:
            print(f"Creating {args.videos} fake-engine videos ...", flush=True)
            ids = setup_videos(client, args.videos, api.check_alive)
        api.stop()

        port = free_port()
        bare = start(
            "bare app",
            [sys.executable, str(BARE_APP), "--port", str(port)],
            port,
            "/healthz",
        )
        print("bare Starlette app:", flush=True)
        measure("bare_app.py", bare, "bare /video", ["/video"])
        bare.stop()

        for label, options, rungs in CONFIGURATIONS:
            port = free_port()
            ladder = start(
                f"ladder app {label}",
                [
                    sys.executable,
                    str(LADDER_APP),
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                    "--config",
                    str(config),
                    *options,
                ],
                port,
                "/readyz",
            )
            print(f"ladder app, {label}:", flush=True)
            for rung in rungs:
                paths = [rung.replace("{id}", i) for i in ids] if "{id}" in rung else [rung]
                measure(label, ladder, rung, paths)
            ladder.stop()
            time.sleep(0.5)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    bare_rps = rows[0][2].rps
    print()
    print(f"Ladder for GET /v1/videos/{{id}}: {info['date']}, {info['nproc']} CPUs {info['cpu']}")
    print(f"wrk -t1 -c{args.concurrency} -d{args.duration}s, warm-up {args.warmup} s per rung")
    print(
        f"  {'configuration':<28} {'route':<32} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'vs bare':>7} {'CPU us/req':>10} {'sys %':>5}"
    )
    for label, rung, r in rows:
        print(
            f"  {label:<28} {rung:<32} {r.rps:8.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} "
            f"{r.rps / bare_rps:7.3f} {r.cpu_us_per_request:10.0f} {100 * r.server_sys_share:5.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
