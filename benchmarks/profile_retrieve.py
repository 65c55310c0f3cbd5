"""Where a polling request's time goes: py-spy on `reelbox serve` while wrk polls it.

    python benchmarks/profile_retrieve.py [--endpoint retrieve|list] [--duration S] [--gil]

Starts `reelbox serve` as `benchmarks/api.py` does, creates finished fake-engine videos, warms up,
then samples the server with `py-spy record --format raw` (non-blocking, so the profiler barely
slows the server down) while `wrk` polls the endpoint, and prints:

- the share of samples in coarse exclusive buckets (each sample is assigned to the innermost
  frame that matches a bucket rule: JSON encoding, row mapping, SQLAlchemy, the threadpool…),
- the inclusive share of a few key functions (nested, so they overlap),
- the top functions by self time.

With `--gil` only samples of the thread holding the GIL are kept: on a CPU-bound single-process
server that is the time that limits throughput. Needs py-spy (`pip install py-spy`) and wrk.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

from api import (
    SETTINGS_TOML,
    BenchmarkError,
    LoadGenerator,
    ServerProcess,
    free_port,
    setup_videos,
)

# Exclusive buckets: (label, regex on one frame "function (file)"). Walking a stack from its
# leaf towards its root, the first frame that matches any rule decides the sample's bucket; the
# rules are tried in this order for each frame.
BUCKETS: list[tuple[str, re.Pattern[str]]] = [
    ("JSON encoding (JSONResponse.render, json)", re.compile(r"^JSONResponse\.render |\(json/")),
    ("row -> Job mapping (_job, from_json, enums)", re.compile(r"^_job |from_json \(reelbox")),
    (
        "new DB connection + PRAGMAs (pool overflow)",
        re.compile(r"_sqlite_pragmas |^DefaultDialect\.connect "),
    ),
    (
        "SQLite C calls + GIL re-acquire (execute, fetch, BEGIN, ROLLBACK, close)",
        re.compile(r"^DefaultDialect\.do_|^CursorFetchStrategy\.fetch"),
    ),
    (
        "SQLAlchemy Core (compile cache, pool, result)",
        re.compile(r"\(sqlalchemy/|\(reelbox/store/database"),
    ),
    ("reelbox store code (get_job, query building)", re.compile(r"\(reelbox/store/")),
    ("video_json / response building", re.compile(r"\(reelbox/api/openai_videos")),
    ("auth + services dependencies (reelbox.api.deps)", re.compile(r"\(reelbox/api/deps")),
    ("FastAPI routing + dependency solving", re.compile(r"\(fastapi/")),
    (
        "threadpool hop (anyio to_thread, futures, threading)",
        re.compile(r"\((anyio/|threading\.py|concurrent/|queue\.py|starlette/concurrency)"),
    ),
    ("Starlette routing/middleware, request-id", re.compile(r"\((starlette/|reelbox/api/)")),
    ("uvicorn + h11 HTTP protocol", re.compile(r"\((uvicorn/|h11/)")),
    ("asyncio event loop, sockets", re.compile(r"\((asyncio/|selectors\.py|socket\.py)")),
]

KEY_FUNCTIONS: list[tuple[str, re.Pattern[str]]] = [
    ("Store.get_job / list_jobs (all DB work)", re.compile(r"^Store\.(get_job|list_jobs) \(")),
    ("  engine.connect() (pool checkout)", re.compile(r"^Engine\.connect \(sqlalchemy")),
    ("    new connection + PRAGMAs (pool overflow)", re.compile(r"_sqlite_pragmas \(")),
    ("    waiting for a pooled connection", re.compile(r"^QueuePool\._do_get \(")),
    ("  BEGIN (autobegin hook)", re.compile(r"_sqlite_begin \(")),
    ("  Connection.execute (whole)", re.compile(r"^Connection\.execute \(sqlalchemy")),
    ("  fetch the row", re.compile(r"^MappingResult\.one_or_none|^MappingResult\.all")),
    ("  Connection.close (ROLLBACK, pool return)", re.compile(r"^Connection\.(close|__exit__) \(")),
    ("  _job (row -> Job)", re.compile(r"^_job \(reelbox/store")),
    ("    GenerationSpec.from_json", re.compile(r"from_json \(reelbox")),
    ("video_json", re.compile(r"^video_json \(")),
    ("JSONResponse.render", re.compile(r"^JSONResponse\.render \(")),
    ("fastapi solve_dependencies", re.compile(r"^solve_dependencies \(")),
    ("get_project (auth)", re.compile(r"^get_project \(")),
    ("run_in_threadpool (event-loop side)", re.compile(r"^run_in_threadpool \(")),
    ("call_soon_threadsafe (worker -> loop wake-up)", re.compile(r"call_soon_threadsafe \(")),
    ("anyio worker threads (all)", re.compile(r"^WorkerThread\.run \(anyio/")),
    ("event-loop thread (all)", re.compile(r"^BaseEventLoop\.run_forever \(")),
    ("uvicorn h11 protocol", re.compile(r"\(uvicorn/protocols/http/h11_impl")),
]

# Samples whose leaf is a wait are classified by these rules first.
WAITS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "waiting: for a pooled DB connection (QueuePool)",
        re.compile(r"^Condition\.wait "),
        re.compile(r"^QueuePool\._do_get "),
    ),
    (
        "waiting: idle threadpool thread (queue.get)",
        re.compile(r"^Condition\.wait "),
        re.compile(r"^WorkerThread\.run "),
    ),
    (
        "waiting: event loop in epoll",
        re.compile(r"^EpollSelector\.select "),
        re.compile(r"."),
    ),
]

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*)\)$")


def parse_raw(path: Path) -> list[tuple[list[str], int]]:
    """py-spy raw (collapsed) stacks: root-first frames and a count per line."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if FRAME.match(f)]
        stacks.append((frames, int(count)))
    return stacks


def summarise(stacks: list[tuple[list[str], int]]) -> str:
    total = sum(count for _, count in stacks)
    if total == 0:
        return "no samples"
    buckets: Counter[str] = Counter()
    for frames, count in stacks:
        label = "other"
        leaf = frames[-1] if frames else ""
        for name, leaf_rule, stack_rule in WAITS:
            if leaf_rule.search(leaf) and any(stack_rule.search(f) for f in frames):
                label = name
                break
        for frame in reversed(frames if label == "other" else []):
            found = next((name for name, rule in BUCKETS if rule.search(frame)), None)
            if found is not None:
                label = found
                break
        buckets[label] += count
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        for name, rule in KEY_FUNCTIONS:
            if any(rule.search(f) for f in frames):
                inclusive[name] += count
    leaves: Counter[str] = Counter()
    for frames, count in stacks:
        if frames:
            leaves[frames[-1]] += count
    out = [f"{total} samples", "", "exclusive buckets (innermost matching frame):"]
    for name, count in buckets.most_common():
        out.append(f"  {100 * count / total:5.1f} %  {name}")
    out += ["", "inclusive share of key functions (nested, overlapping):"]
    for name, _ in KEY_FUNCTIONS:
        out.append(f"  {100 * inclusive[name] / total:5.1f} %  {name}")
    out += ["", "top 25 functions by self time:"]
    for frame, count in leaves.most_common(25):
        out.append(f"  {100 * count / total:5.1f} %  {frame}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", choices=("retrieve", "list"), default="retrieve")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--videos", type=int, default=30)
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    parser.add_argument("--out", type=Path, help="keep the raw py-spy output here")
    parser.add_argument("--from-raw", type=Path, help="only summarise this raw py-spy file")
    args = parser.parse_args(argv)
    if args.from_raw is not None:
        print(summarise(parse_raw(args.from_raw)))
        return 0
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-profile-"))
    config = tmp / "reelbox.toml"
    config.write_text(SETTINGS_TOML)
    port = free_port()
    server = ServerProcess(
        "reelbox serve",
        [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp / "data"),
            "--config",
            str(config),
            "--log-level",
            "warning",
        ],
        port=port,
        log_path=tmp / "reelbox.log",
    )
    raw = args.out or tmp / "profile.txt"
    try:
        server.start("/readyz")
        assert server.process is not None
        with httpx.Client(base_url=server.url, timeout=30) as client:
            ids = setup_videos(client, args.videos, server.check_alive)
        if args.endpoint == "retrieve":
            paths = [f"/v1/videos/{i}" for i in ids]
        else:
            paths = ["/v1/videos?limit=20"]
        generator = LoadGenerator("wrk", args.concurrency)
        generator.run(server.url, paths, 2)  # warm-up
        command = [
            py_spy,
            "record",
            "--pid",
            str(server.process.pid),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--rate",
            str(args.rate),
            "--duration",
            str(args.duration),
            "--nonblocking",
            "--nolineno",
        ]
        if args.gil:
            command.append("--gil")
        spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        began = time.perf_counter()
        result = generator.measure(
            args.endpoint,
            server.url,
            paths,
            duration=args.duration,
            warmup=0,
            server_pid=server.pid,
        )
        spy_output = spy.communicate(timeout=60)[0].decode(errors="replace")
        if spy.returncode != 0 or not raw.exists():
            raise BenchmarkError(f"py-spy failed ({spy.returncode}):\n{spy_output}")
        print(
            f"{args.endpoint} under py-spy ({'GIL holder only' if args.gil else 'active threads'}"
            f", {args.rate} Hz, non-blocking): {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms,"
            f" p99 {result.p99_ms:.2f} ms over {time.perf_counter() - began:.1f} s; server CPU"
            f" {result.server_cpu:.2f} cores\n"
        )
        print(summarise(parse_raw(raw)))
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # the data; --out is written elsewhere
    return 0


if __name__ == "__main__":
    sys.exit(main())
