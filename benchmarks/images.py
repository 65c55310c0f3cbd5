"""API memory under huge reference images: peak and settled RSS of the `reelbox serve` process.

    python benchmarks/images.py [--concurrency 1 16] [--fit pad] [--size 1280x720] [--json FILE]

Starts `python -m reelbox serve` (temporary data directory, a fast `fake` engine profile), then
for each concurrency N sends N `POST /v1/videos` at once, each with the same worst-case reference
image as a multipart file part: a 4096x4096 RGBA PNG (the pixel cap's largest square) that
compresses to ~80 KB, so the upload is small and the decode is huge. The server process's
resident memory (/proc/PID/status VmRSS, the API process only: workers are separate processes)
is sampled every 5 ms. Reported per round: RSS before, the peak while the requests run, RSS
3 s after the last answer, and the answers by status (200, or 503 from the decode limiter; 0
for no answer within 600 s).

Exits non-zero when the server dies or an answer is neither 200 nor 429/503.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

from api import BenchmarkError, ServerProcess, free_port, load1, machine

SETTINGS_TOML = """\
# benchmarks/images.py: Reelbox defaults plus one fast fake-engine profile.
max_queued_per_project = 1000
{extra}
[profiles.fake]
engine = "fake"
description = "benchmark: fast fake engine"
options = { fps = 8 }
"""
SIDE = 4096


def worst_png() -> bytes:
    """A 4096x4096 RGBA PNG, mostly one colour with a translucent disc: tiny file, huge decode."""
    picture = Image.new("RGBA", (SIDE, SIDE), (40, 90, 160, 255))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((SIDE // 4, SIDE // 4, 3 * SIDE // 4, 3 * SIDE // 4), fill=(230, 200, 60, 128))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchmarkError(f"no VmRSS for pid {pid}")


class Sampler:
    """The peak RSS of one process, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))


async def post_all(url: str, png: bytes, *, count: int, size: str, fit: str) -> Counter[int]:
    async def one(client: httpx.AsyncClient) -> int:
        try:
            return await send(client)
        except httpx.TimeoutException:
            return 0  # counted as answer "0": no answer within the timeout

    async def send(client: httpx.AsyncClient) -> int:
        response = await client.post(
            "/v1/videos",
            data={
                "model": "fake",
                "prompt": "a still",
                "size": size,
                "seconds": "1",
                "input_reference_fit": fit,
            },
            files={"input_reference": ("ref.png", png, "image/png")},
        )
        if response.status_code not in (200, 429, 503):
            raise BenchmarkError(f"answer {response.status_code}: {response.text[:300]}")
        return response.status_code

    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        return Counter(await asyncio.gather(*(one(client) for _ in range(count))))


def run_round(
    server: ServerProcess, png: bytes, *, count: int, size: str, fit: str
) -> dict[str, Any]:
    before = rss_mb(server.pid)
    started = time.monotonic()
    with Sampler(server.pid) as sampler:
        answers = asyncio.run(post_all(server.url, png, count=count, size=size, fit=fit))
    seconds = time.monotonic() - started
    time.sleep(3.0)
    server.check_alive()
    return {
        "concurrency": count,
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(sampler.peak, 1),
        "rss_after_3s_mb": round(rss_mb(server.pid), 1),
        "seconds": round(seconds, 2),
        "answers": dict(sorted(answers.items())),
        "load1": load1(),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--fit", choices=("crop", "pad", "stretch"), default="pad")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--decode-wait", type=float, default=None, help="decode_wait_seconds (default: Reelbox's)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    png = worst_png()
    tmp = Path(tempfile.mkdtemp(prefix="reelbox-images-"))
    config = tmp / "reelbox.toml"
    extra = "" if args.decode_wait is None else f"decode_wait_seconds = {args.decode_wait}"
    config.write_text(SETTINGS_TOML.replace("{extra}", extra))
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
    report: dict[str, Any] = {
        "decode_wait_seconds": args.decode_wait,
        "machine": machine(),
        "image_bytes": len(png),
        "fit": args.fit,
        "size": args.size,
        "rounds": [],
    }
    print(
        f"Reference: {SIDE}x{SIDE} RGBA PNG, {len(png) / 1024:.0f} KB; fit={args.fit}, "
        f"video {args.size}; data in {tmp}",
        flush=True,
    )
    try:
        server.start("/readyz")
        time.sleep(1.0)
        print(f"baseline RSS {rss_mb(server.pid):.0f} MB (load {load1():.2f})", flush=True)
        for count in args.concurrency:
            result = run_round(server, png, count=count, size=args.size, fit=args.fit)
            report["rounds"].append(result)
            print(
                f"{count:>3} concurrent: RSS before {result['rss_before_mb']:.0f} MB, "
                f"peak {result['rss_peak_mb']:.0f} MB, 3 s after {result['rss_after_3s_mb']:.0f}"
                f" MB; {result['seconds']:.2f} s; answers {result['answers']}; "
                f"load {result['load1']:.2f}",
                flush=True,
            )
    except BenchmarkError as error:
        print(f"ERROR: {error}\n{server.log_tail()}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
