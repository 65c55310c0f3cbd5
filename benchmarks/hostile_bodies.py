"""/healthz latency while the API parses hostile bodies: is the event loop ever stalled?

    python benchmarks/hostile_bodies.py [--fields N] [--rounds R]

Starts `python -m reelbox serve` (SQLite, a temporary data directory), then for each body kind
sends the body from a thread while another client polls `GET /healthz` every 10 ms, and prints
the answer's status and the healthz latencies (p50, p99, max, count). Kinds: a urlencoded body
of `--fields` empty fields (`a&a&…`), the same as multipart text parts, and a JSON array nested
100,000 deep. Run it with PYTHONPATH pointing at the source tree to compare two trees.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

HEALTHZ_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "reelbox", "serve", "--port", str(port),
               "--data-dir", str(data_dir), "--log-level", "warning"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not become ready")


def measure(url: str, send: Callable[[], httpx.Response]) -> tuple[str, list[float]]:
    answers: list[str] = []

    def run() -> None:
        try:
            answers.append(str(send().status_code))
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    thread = threading.Thread(target=run)
    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=HEALTHZ_TIMEOUT) as client:
        thread.start()
        while thread.is_alive():
            started = time.perf_counter()
            # A timeout is recorded as the full timeout: the loop did not answer at all.
            with contextlib.suppress(httpx.TimeoutException):
                client.get("/healthz")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
        thread.join()
    return answers[0], latencies


def bodies(fields: int) -> dict[str, tuple[bytes, str]]:
    part = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'
    return {
        f"urlencoded, {fields:,} fields": (b"a&" * fields, "application/x-www-form-urlencoded"),
        f"multipart, {fields // 10:,} parts": (
            part * (fields // 10) + b"--x--\r\n",
            "multipart/form-data; boundary=x",
        ),
        "JSON nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{stamp}  {platform.node()}  cpus={os.cpu_count()}  load={load[0]:.1f}")
    import reelbox

    print(f"reelbox from {Path(reelbox.__file__).parent}")
    data = Path(tempfile.mkdtemp(prefix="reelbox-hostile-"))
    port = free_port()
    process = serve(data / "data", port)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(args.rounds):
            for name, (body, kind) in bodies(args.fields).items():
                status, lat = measure(
                    url,
                    lambda body=body, kind=kind: httpx.post(  # type: ignore[misc]
                        f"{url}/v1/videos", content=body, headers={"content-type": kind},
                        timeout=120,
                    ),
                )  # fmt: skip
                lat_ms = sorted(x * 1000 for x in lat)
                p99 = lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.99))]
                print(f"{name:32}  answer {status:>4}  healthz p50 "
                      f"{statistics.median(lat_ms):7.1f} ms  p99 {p99:8.1f} ms  "
                      f"max {lat_ms[-1]:8.1f} ms  n={len(lat_ms)}")  # fmt: skip
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # a loop still busy parsing does not see SIGTERM
            process.kill()
            process.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
