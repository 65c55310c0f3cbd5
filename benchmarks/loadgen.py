"""A fallback HTTP load generator (asyncio + httpx) for when `wrk` is not installed.

`benchmarks/api.py` runs it in a process of its own. It is much slower than wrk: on a small
machine it can itself be the bottleneck, so its figures are a floor, labelled as such, and are
not comparable with wrk figures from another run (ratios within one run still are).

    python benchmarks/loadgen.py --base-url http://127.0.0.1:8000 --duration 10 \
        --concurrency 50 /v1/videos/video_a /v1/videos/video_b

Prints one JSON object with the same fields `wrk_report.lua` prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    bytes: int = 0
    status_errors: int = 0
    read_errors: int = 0
    timeouts: int = 0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


async def poller(
    client: httpx.AsyncClient, paths: list[str], start: int, deadline: float, tally: Tally
) -> None:
    i = start
    while time.perf_counter() < deadline:
        path = paths[i % len(paths)]
        i += 1
        began = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.TimeoutException:
            tally.timeouts += 1
            continue
        except httpx.HTTPError:
            tally.read_errors += 1
            continue
        tally.latencies.append(time.perf_counter() - began)
        tally.bytes += len(response.content)
        if not 200 <= response.status_code < 400:
            tally.status_errors += 1


async def run(
    base_url: str, paths: list[str], duration: float, concurrency: int
) -> dict[str, float]:
    tally = Tally()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=2.0) as client:
        began = time.perf_counter()
        deadline = began + duration
        await asyncio.gather(
            *(poller(client, paths, i, deadline, tally) for i in range(concurrency))
        )
        elapsed = time.perf_counter() - began
    values = sorted(tally.latencies)
    us = 1e6
    return {
        "requests": len(values),
        "duration_us": elapsed * us,
        "bytes": tally.bytes,
        "p50_us": percentile(values, 0.50) * us,
        "p90_us": percentile(values, 0.90) * us,
        "p99_us": percentile(values, 0.99) * us,
        "mean_us": (sum(values) / len(values) * us) if values else 0.0,
        "max_us": (values[-1] * us) if values else 0.0,
        "connect_errors": 0,
        "read_errors": tally.read_errors,
        "write_errors": 0,
        "status_errors": tally.status_errors,
        "timeouts": tally.timeouts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("paths", nargs="+", help="request paths, rotated over")
    args = parser.parse_args()
    result = asyncio.run(run(args.base_url, args.paths, args.duration, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
