"""Pipelined output vs one job at a time, with a tiny Wan model on the CPU (issue 14).

    python benchmarks/pipelining.py [--jobs 8] [--size 1280x720] [--seconds 4]

Each mode runs in a fresh process (so peak memory is its own): N jobs back to back through the
real `produce` path (engine → MP4, thumbnails, spritesheet → local blob store). "sequential"
waits for each job's video to be stored before the next denoise starts; "pipelined" hands the
frames to a storing thread and starts the next denoise at once (executors/stages.py), exactly as
a worker does. Printed: total time, the share of it the engine sat idle, peak RSS.

The tiny model renders at 64x32 and the frames are resampled to `--size`, so encoding weighs
about as much as denoising, as with real models at real sizes. Torch runs on one thread, as in a
worker (OMP_NUM_THREADS=1), so the second core is free for the storing stage. The checkpoint is
built by the test suite's tiny-model builders (tests/engines/diffusers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_mode(
    mode: str, weights: str, jobs: int, size: str, seconds: int, steps: int
) -> dict[str, float]:
    from reelbox.blobs.local import LocalBlobStore
    from reelbox.engines.diffusers.engine import DiffusersEngine
    from reelbox.executors.pipeline import produce
    from reelbox.executors.stages import Stages
    from reelbox.jobs.spec import GenerationSpec, Mode

    engine = DiffusersEngine(
        {
            "family": "wan2.1-t2v",
            "path": weights,
            "device": "cpu",
            "dtype": "float32",
            "resolutions": ["64x32"],
            "sizes": [size],
            "steps": steps,
        }
    )
    engine.warm_up()
    width, height = (int(v) for v in size.split("x"))
    busy = 0.0

    class Timed:
        def capabilities(self):  # type: ignore[no-untyped-def]
            return engine.capabilities()

        def generate(self, spec, inputs, *, on_progress, should_cancel):  # type: ignore[no-untyped-def]
            nonlocal busy
            started = time.perf_counter()
            result = engine.generate(
                spec, inputs, on_progress=on_progress, should_cancel=should_cancel
            )
            frames = list(result.frames)  # the engine's work ends when every frame exists
            busy += time.perf_counter() - started
            from dataclasses import replace

            return replace(result, frames=iter(frames))

    timed = Timed()
    with tempfile.TemporaryDirectory() as folder:
        blobs = LocalBlobStore(Path(folder))

        def one(index: int, use: object) -> None:
            spec = GenerationSpec(
                mode=Mode.TEXT,
                prompt=f"a lighthouse at dusk, take {index}",
                width=width,
                height=height,
                seconds=seconds,
                fps=16,
                seed=index,
                profile="tiny-wan",
            )
            produce(
                spec,
                engine=use,  # type: ignore[arg-type]
                blobs=blobs,
                key_prefix=lambda i, n=index: f"bench/{n}/{i}",
                on_progress=lambda _f: None,
                should_cancel=lambda: False,
            )

        started = time.perf_counter()
        if mode == "sequential":
            for index in range(jobs):
                one(index, timed)
        else:
            stages = Stages()
            for index in range(jobs):
                stages.run(
                    str(index),
                    calls=1,
                    engine=timed,
                    run=lambda e, n=index: one(n, e),  # type: ignore[arg-type,misc]
                )
            stages.join()
        total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"total_s": total, "engine_busy_s": busy, "idle": 1 - busy / total, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2, help="denoising steps (the GPU stage)")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        figures = run_mode(args.mode, args.weights, args.jobs, args.size, args.seconds, args.steps)
        print(json.dumps(figures))
        return

    sys.path.insert(0, str(ROOT / "tests"))
    from engines.diffusers.tiny_wan import build_wan_t2v

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as weights:
        build_wan_t2v(Path(weights))
        results = {}
        for mode in ("sequential", "pipelined"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    mode,
                    "--weights",
                    weights,
                    "--jobs",
                    str(args.jobs),
                    "--size",
                    args.size,
                    "--seconds",
                    str(args.seconds),
                    "--steps",
                    str(args.steps),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    print(
        f"{args.jobs} jobs of {args.seconds} s at {args.size}, "
        f"tiny Wan 2.1 (64x32, {args.steps} steps), load {load:.1f}"
    )
    print(f"{'mode':<12}{'total s':>9}{'engine idle':>13}{'peak MB':>9}")
    for mode, r in results.items():
        print(f"{mode:<12}{r['total_s']:>9.2f}{r['idle']:>12.0%}{r['peak_mb']:>9.0f}")
    ratio = results["pipelined"]["total_s"] / results["sequential"]["total_s"]
    print(f"pipelined/sequential total time: {ratio:.2f} ({1 - ratio:.0%} less)")


if __name__ == "__main__":
    main()
