"""Reelbox API benchmarks: polling throughput against a bare baseline, dispatch latency, and the
time to generate a 4 s 720x1280 video through the API.

    python benchmarks/api.py [--duration S] [--concurrency N] [--rounds R] [--json FILE]

What it does, all in one run so that the ratios compare like with like:

1. Starts `python -m reelbox serve` on a free port with a temporary data directory and a settings
   file that adds a `fake` engine profile (options {fps = 8}), and `benchmarks/bare_app.py` (a bare
   Starlette app served by uvicorn exactly as `reelbox serve` serves Reelbox).
2. Creates `--videos` 64x64 one-second videos on the fake engine and waits until all completed.
3. Polls with `--concurrency` connections for `--duration` seconds each: (a) the bare endpoint,
   (b) `GET /v1/videos/{id}` rotating over the finished ids, (c) `GET /v1/videos?limit=20`.
   The load generator is `wrk --latency` (with `wrk_report.lua`); without wrk a Python
   asyncio + httpx generator (`loadgen.py`) runs in its own process, and its figures are labelled.
4. Dispatch latency: creates fake-engine jobs one after another (each finished before the next)
   and reads the `job.created` -> `job.started` gap from the `job_events` table; a second pass
   polls tightly after each POST to get the client's view (POST returned -> first GET that is
   no longer `queued`).
5. Generates `--generations` 4 s 720x1280 videos with the default `sora-2` alias (the embedded
   procedural engine), polling every 50 ms, and reports the wall time from POST to `completed`.

Exits non-zero only on a real error (a server that will not start or dies, a request that fails,
a load run with non-2xx answers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk_report.lua"
BARE_APP = HERE / "bare_app.py"
LOADGEN = HERE / "loadgen.py"
WRK_MARKER = "REELBOX_WRK_JSON "

FAKE_MODEL = "fake"
SETTINGS_TOML = f"""\
# benchmarks/api.py: Reelbox defaults plus one fast fake-engine profile.
[profiles.{FAKE_MODEL}]
engine = "fake"
description = "benchmark: fast fake engine"
options = {{ fps = 8 }}
"""
GENERATION_PROMPT = (
    "A slow aerial shot over a misty pine forest at sunrise, golden light breaking through the "
    "clouds, a river winding through the valley, birds circling in the distance"
)
GENERATION_SIZE = "720x1280"
GENERATION_SECONDS = "4"


class BenchmarkError(Exception):
    """Something went wrong that makes the figures meaningless."""


# -- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def load1() -> float:
    return os.getloadavg()[0]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of one process (all its threads, not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan"), float("nan")
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """CPU time of this script's finished children (the load generator runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def source_state() -> str:
    """The commit of the checkout and how many files under src/ differ from it."""
    root = HERE.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    return f"{commit or 'unknown'} + {len(changed)} changed/new files under src/"


def machine() -> dict[str, str]:
    return {
        "source": source_state(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "memory": memory_total(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A server subprocess in a session of its own, ready once `ready_path` answers 200."""

    def __init__(self, name: str, command: list[str], *, port: int, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, *, timeout: float = 60.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(self.url + ready_path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BenchmarkError(f"{self.name} did not become ready:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchmarkError(f"{self.name} is not running")
        return self.process.pid

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise BenchmarkError(
                f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
            )

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session this script started
            process.wait(10)


# -- load generation ----------------------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    generator: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int
    load1_before: float
    server_cpu: float  # server process CPU seconds per wall second (1.0 = one core busy)
    cpu_us_per_request: float  # server process CPU per answered request
    server_sys_share: float  # the kernel's share of that CPU time
    loadgen_cpu: float  # load generator CPU seconds per wall second
    body_bytes: int = 0


def run_wrk(url: str, paths: Sequence[str], *, duration: int, concurrency: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(WRK_SCRIPT),
        url + paths[0],
        "--",
        *paths,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(WRK_MARKER):
            result: dict[str, Any] = json.loads(line.removeprefix(WRK_MARKER))
            return result
    raise BenchmarkError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def run_python_loadgen(
    url: str, paths: Sequence[str], *, duration: int, concurrency: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(LOADGEN),
        "--base-url",
        url,
        "--duration",
        str(duration),
        "--concurrency",
        str(concurrency),
        *paths,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise BenchmarkError(f"loadgen failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


class LoadGenerator:
    def __init__(self, kind: str, concurrency: int) -> None:
        self.kind = kind  # "wrk" or "python"
        self.concurrency = concurrency

    @property
    def label(self) -> str:
        if self.kind == "wrk":
            return "wrk -t1"
        return "python asyncio+httpx (fallback, NOT wrk)"

    def run(self, url: str, paths: Sequence[str], duration: int) -> dict[str, Any]:
        runner = run_wrk if self.kind == "wrk" else run_python_loadgen
        return runner(url, paths, duration=duration, concurrency=self.concurrency)

    def measure(
        self,
        name: str,
        url: str,
        paths: Sequence[str],
        *,
        duration: int,
        warmup: int,
        server_pid: int,
    ) -> LoadResult:
        if warmup > 0:
            self.run(url, paths, warmup)
        before = load1()
        user_before, sys_before = process_cpu_times(server_pid)
        gen_before = children_cpu_seconds()
        wall_before = time.perf_counter()
        raw = self.run(url, paths, duration)
        wall = time.perf_counter() - wall_before
        user_after, sys_after = process_cpu_times(server_pid)
        server_sys = sys_after - sys_before
        server_cpu = user_after - user_before + server_sys
        gen_cpu = children_cpu_seconds() - gen_before
        seconds = raw["duration_us"] / 1e6
        return LoadResult(
            name=name,
            generator=self.label,
            requests=int(raw["requests"]),
            seconds=seconds,
            rps=raw["requests"] / seconds if seconds > 0 else 0.0,
            p50_ms=raw["p50_us"] / 1000,
            p90_ms=raw["p90_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            max_ms=raw["max_us"] / 1000,
            socket_errors=int(
                raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
            ),
            status_errors=int(raw["status_errors"]),
            load1_before=before,
            server_cpu=server_cpu / wall,
            cpu_us_per_request=server_cpu * 1e6 / max(1, int(raw["requests"])),
            server_sys_share=server_sys / server_cpu if server_cpu > 0 else 0.0,
            loadgen_cpu=gen_cpu / wall,
        )


def choose_generator(wanted: str, concurrency: int) -> LoadGenerator:
    has_wrk = shutil.which("wrk") is not None
    if wanted == "wrk" and not has_wrk:
        raise BenchmarkError("--loadgen wrk: wrk is not installed (apt-get install -y wrk)")
    if wanted == "python" or not has_wrk:
        if not has_wrk:
            print(
                "NOTE: wrk is not installed; install it with `apt-get install -y wrk` (Debian/"
                "Ubuntu) or `brew install wrk` (macOS) for trustworthy figures.\n"
                "      Falling back to the Python asyncio+httpx load generator "
                "(benchmarks/loadgen.py) in a separate process; its figures are a floor.",
                flush=True,
            )
        return LoadGenerator("python", concurrency)
    return LoadGenerator("wrk", concurrency)


# -- the API ------------------------------------------------------------------------------------


def create_video(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/videos", json=body)
    if response.status_code != 200:
        raise BenchmarkError(f"POST /v1/videos -> {response.status_code}: {response.text}")
    video: dict[str, Any] = response.json()
    return video


def get_video(client: httpx.Client, video_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/videos/{video_id}")
    if response.status_code != 200:
        raise BenchmarkError(f"GET /v1/videos/{video_id} -> {response.status_code}")
    video: dict[str, Any] = response.json()
    return video


def wait_finished(
    client: httpx.Client,
    video_id: str,
    *,
    interval: float,
    timeout: float,
    alive: Callable[[], None],
) -> tuple[dict[str, Any], float]:
    """Poll until the video is completed; returns it and the perf_counter when it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = get_video(client, video_id)
        seen = time.perf_counter()
        if video["status"] == "completed":
            return video, seen
        if video["status"] == "failed":
            raise BenchmarkError(f"video {video_id} failed: {video['error']}")
        alive()
        time.sleep(interval)
    raise BenchmarkError(f"video {video_id} did not complete within {timeout:g} s")


def job_events(db: Path, job_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """{job_id: {event type: created_at of its first such event}} from the SQLite event log."""
    marks = ",".join("?" for _ in job_ids)
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        rows = conn.execute(
            f"SELECT job_id, type, created_at FROM job_events WHERE job_id IN ({marks}) "
            "ORDER BY id",
            list(job_ids),
        ).fetchall()
    events: dict[str, dict[str, float]] = {}
    for job_id, kind, created_at in rows:
        events.setdefault(job_id, {}).setdefault(kind, float(created_at))
    return events


def gap_ms(events: dict[str, dict[str, float]], job_id: str, first: str, then: str) -> float:
    found = events.get(job_id, {})
    if first not in found or then not in found:
        raise BenchmarkError(f"job {job_id} lacks {first} or {then} events: {sorted(found)}")
    return (found[then] - found[first]) * 1000


# -- phases -------------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    jobs: int
    db_quiet_ms: list[float]  # created -> started, client waiting with 50 ms polls
    db_tight_ms: list[float]  # created -> started, client polling tightly
    client_ms: list[float]  # POST returned -> first GET no longer queued
    client_first_status: dict[str, int]
    client_polls: list[int]


@dataclass
class GenerationResult:
    wall_s: list[float]
    queue_ms: list[float]  # job.created -> job.started
    run_s: list[float]  # job.started -> job.completed


@dataclass
class Report:
    machine: dict[str, str]
    settings: dict[str, Any]
    loads: list[list[LoadResult]] = field(default_factory=list)  # one list per round
    dispatch: DispatchResult | None = None
    generation: GenerationResult | None = None
    load_at_end: str = ""
    errors: list[str] = field(default_factory=list)


def setup_videos(
    client: httpx.Client, count: int, alive: Callable[[], None], *, timeout: float = 300.0
) -> list[str]:
    ids = [
        create_video(
            client,
            {
                "model": FAKE_MODEL,
                "prompt": f"benchmark clip {i:02d}: a red ball bouncing across a wooden floor",
                "size": "64x64",
                "seconds": "1",
            },
        )["id"]
        for i in range(count)
    ]
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending:
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{len(pending)} setup videos did not complete in {timeout:g} s")
        for video_id in sorted(pending):
            video = get_video(client, video_id)
            if video["status"] == "failed":
                raise BenchmarkError(f"setup video {video_id} failed: {video['error']}")
            if video["status"] == "completed":
                pending.discard(video_id)
        alive()
        if pending:
            time.sleep(0.2)
    return ids


def run_loads(
    generator: LoadGenerator,
    *,
    bare: ServerProcess,
    api: ServerProcess,
    ids: Sequence[str],
    duration: int,
    warmup: int,
) -> list[LoadResult]:
    cases: list[tuple[str, ServerProcess, list[str]]] = [
        ("bare", bare, ["/video"]),
        ("retrieve", api, [f"/v1/videos/{i}" for i in ids]),
        ("list", api, ["/v1/videos?limit=20"]),
    ]
    results = []
    for name, server, paths in cases:
        print(f"  {name}: {duration} s at {generator.concurrency} connections ...", flush=True)
        result = generator.measure(
            name, server.url, paths, duration=duration, warmup=warmup, server_pid=server.pid
        )
        result.body_bytes = len(httpx.get(server.url + paths[0], timeout=5).content)
        bare.check_alive()
        api.check_alive()
        print(
            f"    {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
            f"  server CPU {result.server_cpu:.2f} ({result.cpu_us_per_request:.0f} us/req, "
            f"{100 * result.server_sys_share:.0f} % sys)"
            f"  load1 before {result.load1_before:.2f}",
            flush=True,
        )
        results.append(result)
    return results


def run_dispatch(
    client: httpx.Client, db: Path, jobs: int, alive: Callable[[], None]
) -> DispatchResult:
    body = {
        "model": FAKE_MODEL,
        "prompt": "dispatch probe: a blue cube spinning slowly",
        "size": "64x64",
        "seconds": "2",
    }
    quiet: list[str] = []
    for _ in range(jobs):
        video_id = create_video(client, body)["id"]
        wait_finished(client, video_id, interval=0.05, timeout=120, alive=alive)
        quiet.append(video_id)
        time.sleep(0.3)  # let the scheduler free the slot and settle

    tight: list[str] = []
    client_ms: list[float] = []
    first_status: dict[str, int] = {}
    polls: list[int] = []
    for _ in range(jobs):
        video_id = create_video(client, body)["id"]
        returned = time.perf_counter()
        count = 0
        deadline = returned + 30
        while True:
            count += 1
            status = get_video(client, video_id)["status"]
            if status != "queued":
                client_ms.append((time.perf_counter() - returned) * 1000)
                first_status[status] = first_status.get(status, 0) + 1
                polls.append(count)
                break
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"dispatch probe {video_id} stayed queued for 30 s")
        wait_finished(client, video_id, interval=0.05, timeout=120, alive=alive)
        tight.append(video_id)
        time.sleep(0.3)

    events = job_events(db, [*quiet, *tight])
    return DispatchResult(
        jobs=jobs,
        db_quiet_ms=[gap_ms(events, i, "job.created", "job.started") for i in quiet],
        db_tight_ms=[gap_ms(events, i, "job.created", "job.started") for i in tight],
        client_ms=client_ms,
        client_first_status=first_status,
        client_polls=polls,
    )


def run_generation(
    client: httpx.Client, db: Path, count: int, alive: Callable[[], None]
) -> GenerationResult:
    walls: list[float] = []
    ids: list[str] = []
    for i in range(count):
        began = time.perf_counter()
        video = create_video(
            client,
            {
                "model": "sora-2",
                "prompt": GENERATION_PROMPT,
                "seconds": GENERATION_SECONDS,
                "size": GENERATION_SIZE,
            },
        )
        _, seen = wait_finished(client, video["id"], interval=0.05, timeout=600, alive=alive)
        walls.append(seen - began)
        ids.append(video["id"])
        print(f"  run {i + 1}: {walls[-1]:.2f} s", flush=True)
        time.sleep(0.3)
    events = job_events(db, ids)
    return GenerationResult(
        wall_s=walls,
        queue_ms=[gap_ms(events, i, "job.created", "job.started") for i in ids],
        run_s=[gap_ms(events, i, "job.started", "job.completed") / 1000 for i in ids],
    )


# -- reporting ----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def combined(rounds: list[list[LoadResult]]) -> dict[str, dict[str, float]]:
    """Per endpoint, the median over rounds of req/s, p50 and p99."""
    out: dict[str, dict[str, float]] = {}
    for name in ("bare", "retrieve", "list"):
        rows = [r for results in rounds for r in results if r.name == name]
        out[name] = {
            "rps": median([r.rps for r in rows]),
            "p50_ms": median([r.p50_ms for r in rows]),
            "p99_ms": median([r.p99_ms for r in rows]),
        }
    return out


def ratios(results: list[LoadResult]) -> dict[str, float]:
    by = {r.name: r for r in results}
    bare = by["bare"].rps
    return {"retrieve/bare": by["retrieve"].rps / bare, "list/bare": by["list"].rps / bare}


def print_report(report: Report) -> None:
    m = report.machine
    print()
    print("=" * 78)
    print("Reelbox API benchmark")
    print(f"  date     {m['date']}")
    print(f"  machine  {m['nproc']} CPUs, {m['cpu']}, {m['memory']} RAM; Python {m['python']}")
    print(f"  source   {m['source']}")
    print(f"  load     {m['load_at_start']} at start, {report.load_at_end} at end (1/5/15 min)")
    s = report.settings
    print(
        f"  settings duration {s['duration']} s, concurrency {s['concurrency']}, "
        f"rounds {s['rounds']}, {s['videos']} finished videos"
    )
    if report.loads:
        print(f"\nPolling throughput (load generator: {report.loads[0][0].generator})")
        header = (
            f"  {'round':>5}  {'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
            f"{'p99 ms':>8} {'errors':>6} {'bytes':>5} {'srv CPU':>7} {'us/req':>6} {'gen CPU':>7}"
        )
        print(header)
        paths = {
            "bare": "bare Starlette GET /video",
            "retrieve": "GET /v1/videos/{id}",
            "list": "GET /v1/videos?limit=20",
        }
        for n, results in enumerate(report.loads, 1):
            for r in results:
                print(
                    f"  {n:>5}  {paths[r.name]:<28} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p90_ms:8.2f} "
                    f"{r.p99_ms:8.2f} {r.socket_errors + r.status_errors:6d} {r.body_bytes:5d} "
                    f"{r.server_cpu:7.2f} {r.cpu_us_per_request:6.0f} {r.loadgen_cpu:7.2f}"
                )
            for r in results:
                if r.loadgen_cpu >= 0.9:
                    print(
                        f"  WARNING: the load generator used {r.loadgen_cpu:.2f} cores during "
                        f"'{r.name}': it, not the server, was probably the limit"
                    )
            ratio = ratios(results)
            print(
                f"  {n:>5}  ratios: retrieve/bare {ratio['retrieve/bare']:.3f}   "
                f"list/bare {ratio['list/bare']:.3f}"
            )
        if len(report.loads) > 1:
            med = combined(report.loads)
            print("  median over rounds:")
            for name, values in med.items():
                print(
                    f"         {paths[name]:<28} {values['rps']:9.0f} {values['p50_ms']:8.2f} "
                    f"{'':>8} {values['p99_ms']:8.2f}"
                )
            all_ratios = [ratios(results) for results in report.loads]
            print(
                f"         ratios (median of per-round ratios): retrieve/bare "
                f"{median([x['retrieve/bare'] for x in all_ratios]):.3f}   list/bare "
                f"{median([x['list/bare'] for x in all_ratios]):.3f}"
            )
    d = report.dispatch
    if d is not None:
        print(f"\nDispatch latency, create -> in_progress ({d.jobs} sequential fake-engine jobs)")
        print(f"  {'measure':<58} {'p50 ms':>8} {'max ms':>8}")
        print(
            f"  {'job.created -> job.started in job_events (client idle)':<58} "
            f"{median(d.db_quiet_ms):8.2f} {max(d.db_quiet_ms):8.2f}"
        )
        print(
            f"  {'job.created -> job.started in job_events (tight polling)':<58} "
            f"{median(d.db_tight_ms):8.2f} {max(d.db_tight_ms):8.2f}"
        )
        seen = ", ".join(f"{k} {v}" for k, v in sorted(d.client_first_status.items()))
        print(
            f"  {'client: POST returned -> first GET not queued':<58} "
            f"{median(d.client_ms):8.2f} {max(d.client_ms):8.2f}"
        )
        print(f"    (first status seen: {seen}; GETs per job: median {median(d.client_polls):g})")
    g = report.generation
    if g is not None:
        wall = median(g.wall_s)
        print(
            f"\nGeneration: sora-2 (embedded procedural engine), {GENERATION_SECONDS} s "
            f"{GENERATION_SIZE}, POST -> completed polling every 50 ms"
        )
        print(f"  runs (s)                     {', '.join(f'{w:.2f}' for w in g.wall_s)}")
        print(f"  median wall time             {wall:.2f} s")
        print(
            f"  real-time factor             {float(GENERATION_SECONDS) / wall:.2f}x "
            "(video seconds per wall second)"
        )
        print(
            f"  server side: queue (created->started) median {median(g.queue_ms):.1f} ms, "
            f"run (started->completed) median {median(g.run_s):.2f} s"
        )
    if report.errors:
        print("\nERRORS:")
        for error in report.errors:
            print(f"  {error}")
    print("=" * 78)


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent pollers")
    parser.add_argument("--rounds", type=int, default=1, help="repeat bare/retrieve/list")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per load run")
    parser.add_argument("--videos", type=int, default=30, help="finished videos to poll")
    parser.add_argument("--dispatch-jobs", type=int, default=20)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-dispatch", action="store_true")
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    duration = max(1, round(args.duration))  # wrk takes whole seconds
    report = Report(
        machine=machine(),
        settings={
            "duration": duration,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "videos": args.videos,
            "dispatch_jobs": args.dispatch_jobs,
            "generations": args.generations,
        },
    )
    if load1() > 1.5:
        print(
            f"WARNING: load average is {report.machine['load_at_start']}; something else is "
            "running and the figures will be noisy.",
            flush=True,
        )
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-bench-"))
    data_dir = tmp / "data"
    config = tmp / "reelbox.toml"
    config.write_text(SETTINGS_TOML)
    api_port = free_port()
    bare_port = free_port()
    api = ServerProcess(
        "reelbox serve",
        [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--port",
            str(api_port),
            "--data-dir",
            str(data_dir),
            "--config",
            str(config),
            "--log-level",
            "warning",
        ],
        port=api_port,
        log_path=tmp / "reelbox.log",
    )
    bare = ServerProcess(
        "bare app",
        [sys.executable, str(BARE_APP), "--port", str(bare_port), "--log-level", "warning"],
        port=bare_port,
        log_path=tmp / "bare.log",
    )
    status = 0
    try:
        generator = None if args.skip_load else choose_generator(args.loadgen, args.concurrency)
        print(f"Starting servers (data in {tmp}) ...", flush=True)
        api.start("/readyz")
        bare.start("/healthz")
        db = data_dir / "reelbox.db"
        with httpx.Client(base_url=api.url, timeout=30) as client:
            if generator is not None:
                print(f"Creating {args.videos} fake-engine videos ...", flush=True)
                ids = setup_videos(client, args.videos, api.check_alive)
                print(f"Load runs with {generator.label}:", flush=True)
                for n in range(args.rounds):
                    if args.rounds > 1:
                        print(f" round {n + 1}/{args.rounds}", flush=True)
                    report.loads.append(
                        run_loads(
                            generator,
                            bare=bare,
                            api=api,
                            ids=ids,
                            duration=duration,
                            warmup=args.warmup,
                        )
                    )
                for results in report.loads:
                    for r in results:
                        if r.status_errors or r.requests == 0:
                            report.errors.append(
                                f"{r.name}: {r.status_errors} non-2xx answers, "
                                f"{r.requests} requests"
                            )
                        elif r.socket_errors:
                            print(f"WARNING: {r.name}: {r.socket_errors} socket errors/timeouts")
            if not args.skip_dispatch and args.dispatch_jobs > 0:
                print(f"Dispatch latency: 2 x {args.dispatch_jobs} sequential jobs ...", flush=True)
                report.dispatch = run_dispatch(client, db, args.dispatch_jobs, api.check_alive)
            if not args.skip_generation and args.generations > 0:
                print(
                    f"Generation: {args.generations} x sora-2 {GENERATION_SECONDS} s "
                    f"{GENERATION_SIZE} ...",
                    flush=True,
                )
                report.generation = run_generation(client, db, args.generations, api.check_alive)
    except (BenchmarkError, httpx.HTTPError, sqlite3.Error) as exc:
        report.errors.append(f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        report.errors.append("interrupted")
        status = 130
    finally:
        bare.stop()
        api.stop()
        report.load_at_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(report)
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")
    if report.errors and status == 0:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
