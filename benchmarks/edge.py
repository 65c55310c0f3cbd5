"""The edge under hostile bodies: /healthz latency and API memory (issue 12, items 2 and 3).

    python benchmarks/edge.py [--window S] [--images N] [--json FILE]

For each scenario a fresh `python -m reelbox serve` (SQLite, temporary data directory, upload
cap 64 MiB, one `fake` engine profile) is started, so that one scenario's leftovers cannot slow
the next. While the load runs, a probe thread sends `GET /healthz` every 20 ms on one keep-alive
connection and records each latency (a probe that gets no answer in 30 s counts as 30 s).

(a) `fields`: one client posts a urlencoded body of 4,000,000 empty fields (`a&a&...`, 8 MB) to
    `POST /v1/videos`. The probe runs until the answer arrives or `--window` seconds pass.
(b) `images`: `--images` clients (16) at once post a 4096x4096 PNG (one colour, ~70 KB) as
    `input_reference` with `input_reference_fit=pad` and `size=1280x720` on the fake engine.

Printed per scenario: probe count, /healthz p50/p99/max, how long the hostile requests took and
what they answered, and the API process's memory from `/proc/<pid>/status`: VmRSS before,
VmHWM (peak) after, and VmRSS 5 s after the load ended. Worker processes are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

CONFIG = """\
max_upload_bytes = 67108864
workers = 1

[profiles.fake]
engine = "fake"
options = { fps = 8 }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = root / "settings.toml"
        config.write_text(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
        self.log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reelbox",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(root / "data"),
                "--config",
                str(config),
                "--log-level",
                "warning",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready")

    def memory_kib(self) -> dict[str, int]:
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
        return values

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.close()


def probe(url: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            start = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):  # counted at its full wait
                client.get(f"{url}/healthz")
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fields_load(server: Server, *, window: float) -> list[str]:
    body = b"&".join([b"a"] * 4_000_000)
    answers: list[str] = []

    def post() -> None:
        start = time.perf_counter()
        try:
            response = httpx.post(
                f"{server.url}/v1/videos",
                content=body,
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=window,
            )
            answers.append(f"{response.status_code} in {time.perf_counter() - start:.1f} s")
        except httpx.HTTPError as exc:
            answers.append(f"no answer in {window:.0f} s ({type(exc).__name__})")

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    thread.join(window + 5)
    return answers


def png(size: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def images_load(server: Server, *, count: int) -> list[str]:
    image = png(4096)

    def post(_: int) -> str:
        start = time.perf_counter()
        try:
            response = httpx.post(
                f"{server.url}/v1/videos",
                data={
                    "prompt": "a red wall",
                    "model": "fake",
                    "size": "1280x720",
                    "seconds": "1",
                    "input_reference_fit": "pad",
                },
                files={"input_reference": ("big.png", image, "image/png")},
                timeout=120,
            )
            return f"{response.status_code} in {time.perf_counter() - start:.1f} s"
        except httpx.HTTPError as exc:
            return f"failed: {type(exc).__name__}"

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(post, range(count)))


def scenario(name: str, load: Callable[[Server], list[str]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reelbox-edge-") as tmp:
        server = Server(Path(tmp))
        try:
            before = server.memory_kib()["VmRSS"]
            latencies: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(target=probe, args=(server.url, stop, latencies))
            prober.start()
            time.sleep(0.5)
            answers = load(server)
            stop.set()
            prober.join(35)
            peak = server.memory_kib()["VmHWM"]
            time.sleep(5)
            after = server.memory_kib()["VmRSS"]
        finally:
            server.stop()
    result = {
        "scenario": name,
        "probes": len(latencies),
        "healthz_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "healthz_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "healthz_max_ms": round(max(latencies) * 1000, 1),
        "answers": answers,
        "rss_before_mb": round(before / 1024),
        "rss_peak_mb": round(peak / 1024),
        "rss_after_mb": round(after / 1024),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=float, default=60, help="seconds to wait for (a)")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = platform.processor() or platform.machine()
    print(f"# {platform.node()} {machine}, {os.cpu_count()} CPUs, load {os.getloadavg()}, {now}")
    results = [
        scenario("4,000,000-field urlencoded body", lambda s: fields_load(s, window=args.window)),
        scenario(f"{args.images} x 4096x4096 pad", lambda s: images_load(s, count=args.images)),
    ]
    print(f"# load after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    for r in results:
        print(
            f"{r['scenario']}: /healthz p50 {r['healthz_p50_ms']} ms, "
            f"p99 {r['healthz_p99_ms']} ms, "
            f"max {r['healthz_max_ms']} ms over {r['probes']} probes; answers "
            f"{sorted(set(r['answers']))[:4]}; API RSS {r['rss_before_mb']} -> peak "
            f"{r['rss_peak_mb']} -> after {r['rss_after_mb']} MB"
        )


if __name__ == "__main__":
    main()
