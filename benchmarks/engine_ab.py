"""Two source trees of the embedded engine against each other and the encode-only floor.

`benchmarks/engine.py` measures one tree and keeps the best of its repeats by wall time, which
on a shared machine picks whichever run the other processes happened to leave alone. This
script alternates, round after round, one engine run of each tree and one floor run (each a
fresh process through `engine.py --child`, with `PYTHONPATH` at that tree's `src`), so that all
of them see the same changing load, and reports medians: the process CPU seconds (every thread)
against the floor's, which is what the engine costs over encoding alone whatever the load.

    mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
    python benchmarks/engine_ab.py --rounds 7 before=/tmp/before/src after=src
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from engine import run_child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="name=path/to/src, one or more")
    parser.add_argument("--case", default="text-12s-1280x720", help="a case of engine.py")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.trees)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in [*trees, "floor"]}
    before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, src in trees.items():
            runs[name].append(run_child("engine", args.case, src=Path(src)))
        # The floor does not depend on the engine's code: any tree's src will do.
        runs["floor"].append(run_child("floor", args.case, src=Path(next(iter(trees.values())))))
    after = os.getloadavg()[0]
    print(
        f"{args.case}, {args.rounds} rounds, {os.cpu_count()} CPUs, "
        f"load average {before:.1f} -> {after:.1f}"
    )
    floor_cpu = statistics.median(r["cpu"] for r in runs["floor"])
    floor_wall = statistics.median(r["wall"] for r in runs["floor"])
    print(
        f"{'tree':<10} {'cpu s':>6} {'range':>11} {'cpu/floor':>9} "
        f"{'wall s':>7} {'wall/floor':>10} {'RSS MB':>7}"
    )
    for name, rs in runs.items():
        cpu = [r["cpu"] for r in rs]
        wall = [r["wall"] for r in rs]
        print(
            f"{name:<10} {statistics.median(cpu):>6.2f} {min(cpu):>5.2f}-{max(cpu):<5.2f} "
            f"{statistics.median(cpu) / floor_cpu:>8.3f}x {statistics.median(wall):>7.2f} "
            f"{statistics.median(wall) / floor_wall:>9.2f}x {max(r['rss_mb'] for r in rs):>7.0f}"
        )


if __name__ == "__main__":
    main()
