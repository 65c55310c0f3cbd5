"""Streaming decode vs the pipeline's own decode, with a tiny Wan model on the CPU (issue 14).

    python benchmarks/streaming_decode.py [--frames 81] [--size 480x272] [--steps 2]

Each mode runs in a fresh process (so peak memory is its own) and makes one video through the
real `produce` path (engine → MP4, thumbnails, spritesheet → local blob store), the encoder
pulling frames as a worker without pipelining does. "whole" is `streaming_decode = false`: the
pipeline decodes every latent frame into one float video, then the engine hands out frames.
"streaming" stops the pipeline at its latents and decodes them chunk by chunk as the encoder
pulls (engines/diffusers/decoding.py). Printed: total time, peak RSS, and how far it rose
above the RSS once the model was loaded.

The tiny model's transformer is small, so the VAE decode and the encoder weigh more than with a
real model; the frame count and size are a real Wan clip's (81 frames is Wan's 5 s at 16 fps).
Torch runs on one thread, as in a worker. The checkpoint is built by the test suite's tiny-model
builders (tests/engines/diffusers).
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_mode(mode: str, weights: str, frames: int, size: str, steps: int) -> dict[str, float]:
    from reelbox.blobs.local import LocalBlobStore
    from reelbox.engines.diffusers.engine import DiffusersEngine
    from reelbox.executors.pipeline import produce
    from reelbox.jobs.spec import GenerationSpec, Mode

    engine = DiffusersEngine(
        {
            "family": "wan2.1-t2v",
            "path": weights,
            "device": "cpu",
            "dtype": "float32",
            "resolutions": [size],
            "steps": steps,
            "streaming_decode": mode == "streaming",
        }
    )
    engine.warm_up()
    loaded_mb = _rss_mb()
    width, height = (int(v) for v in size.split("x"))
    fps = 16
    with tempfile.TemporaryDirectory() as folder:
        blobs = LocalBlobStore(Path(folder))
        spec = GenerationSpec(
            mode=Mode.TEXT,
            prompt="a lighthouse at dusk",
            width=width,
            height=height,
            seconds=(frames - 1) / fps,  # Wan makes 4k + 1 frames; the encoder keeps 4k
            fps=fps,
            seed=1,
            profile="tiny-wan",
        )
        started = time.perf_counter()
        produce(
            spec,
            engine=engine,
            blobs=blobs,
            key_prefix=lambda i: f"bench/{i}",
            on_progress=lambda _f: None,
            should_cancel=lambda: False,
        )
        total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"total_s": total, "peak_mb": peak_mb, "rise_mb": peak_mb - loaded_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--size", default="480x272")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        figures = run_mode(args.mode, args.weights, args.frames, args.size, args.steps)
        print(json.dumps(figures))
        return

    sys.path.insert(0, str(ROOT / "tests"))
    from engines.diffusers.tiny_wan import build_wan_t2v

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as weights:
        build_wan_t2v(Path(weights))
        results = {}
        loads = []
        for mode in ("whole", "streaming"):
            loads.append(os.getloadavg()[0])
            command = [sys.executable, __file__, "--mode", mode, "--weights", weights]
            command += ["--frames", str(args.frames), "--size", args.size]
            command += ["--steps", str(args.steps)]
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"one video of {args.frames} frames at {args.size}, tiny Wan 2.1 ({args.steps} steps), "
        f"load {min(loads):.1f}-{max(loads):.1f}"
    )
    print(f"{'decode':<11}{'total s':>9}{'peak MB':>9}{'rise MB':>9}")
    for mode, r in results.items():
        print(f"{mode:<11}{r['total_s']:>9.2f}{r['peak_mb']:>9.0f}{r['rise_mb']:>9.0f}")


if __name__ == "__main__":
    main()
