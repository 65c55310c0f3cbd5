"""Embedded engine speed: wall time, real-time factor and peak memory, end to end.

Each case runs `pipeline.produce` with the procedural engine to a finished MP4 with sound
(thumbnail and spritesheet included) in a fresh process, which reports its own wall time, CPU
time and peak RSS (`getrusage(RUSAGE_SELF).ru_maxrss`). For comparison each case is followed by
the encoder floor: the same number of frames of the same size (simple synthetic frames, a panning
gradient with a moving disc) and a sound track of the same length, encoded alone with
`media.encode.write_mp4`.

    python benchmarks/engine.py                # all cases, best of 2 runs each
    python benchmarks/engine.py --repeat 3 --case text-12s-1280x720

On a shared machine wall time follows the load, not the code: the load average before and after
each case is printed, and the CPU columns (CPU seconds of the whole process, every thread)
compare engine and floor independently of it: `cpu/floor` is what the engine costs over
encoding alone, `cpu RTF` the clip length over the CPU it took (a lower bound on what one idle
core achieves; two idle cores overlap painting and encoding).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASES: dict[str, dict[str, Any]] = {
    "text-4s-720x1280": {
        "prompt": "a woman walks her dog along a beach at sunset, gentle waves, warm music",
        "size": (720, 1280),
        "seconds": 4.0,
    },
    "text-12s-1280x720": {
        "prompt": "a red car drives down a city street at dusk, the camera pans left, cinematic",
        "size": (1280, 720),
        "seconds": 12.0,
    },
    "image-4s-1280x720": {
        "prompt": "snow begins to fall as the camera slowly pushes in",
        "size": (1280, 720),
        "seconds": 4.0,
        "image": True,
    },
}
EXTRA: dict[str, dict[str, Any]] = {
    "rain-12s-1280x720": {
        "prompt": "a taxi in a neon city street at night, heavy rain, the camera pans left",
        "size": (1280, 720),
        "seconds": 12.0,
    },
}


def _child_engine(case: dict[str, Any]) -> dict[str, float]:
    import resource

    import numpy as np

    from reelbox.blobs.local import LocalBlobStore
    from reelbox.engines.procedural import ProceduralEngine
    from reelbox.executors.pipeline import produce
    from reelbox.jobs.spec import GenerationSpec, Mode
    from reelbox.media.images import encode_png

    width, height = case["size"]
    with tempfile.TemporaryDirectory(prefix="reelbox-bench-") as tmp:
        blobs = LocalBlobStore(Path(tmp))
        key = None
        if case.get("image"):
            # A picture with some detail: soft bands of colour and a few shapes.
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
            picture = np.stack(
                [
                    120 + 80 * np.sin(xs / 97.0) * np.cos(ys / 61.0),
                    110 + 60 * np.sin((xs + ys) / 143.0),
                    140 + 70 * np.cos(ys / 89.0),
                ],
                axis=-1,
            )
            picture[height // 3 : height // 2, width // 4 : width // 2] = (200, 60, 50)
            key = "uploads/reference.png"
            blobs.put_bytes(key, encode_png(np.clip(picture, 0, 255).astype(np.uint8)))
        spec = GenerationSpec(
            mode=Mode.IMAGE if key else Mode.TEXT,
            prompt=case["prompt"],
            width=width,
            height=height,
            seconds=case["seconds"],
            seed=1,
            profile="reelbox-procedural",
            input_image_key=key,
        )
        started, cpu = time.perf_counter(), time.process_time()
        (output,) = produce(
            spec,
            engine=ProceduralEngine({}),
            blobs=blobs,
            key_prefix=lambda i: f"videos/bench/{i}",
            on_progress=lambda _: None,
            should_cancel=lambda: False,
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = blobs.local_path(output.video_key).stat().st_size
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "frames": output.frame_count, "bytes": size}


def _child_floor(case: dict[str, Any]) -> dict[str, float]:
    import resource

    import numpy as np

    from reelbox.engines.base import AudioTrack
    from reelbox.media.encode import write_mp4

    width, height = case["size"]
    fps = 24
    count = round(case["seconds"] * fps)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([xs * 200 // width + 30, ys * 150 // height + 60, 180 - ys * 100 // height], -1)
    base = base.astype(np.uint8)

    def frames() -> Any:
        for i in range(count):
            frame = np.roll(base, 3 * i, axis=1)
            cx, cy, r = (i * 7) % width, height // 2, height // 10
            frame[max(0, cy - r) : cy + r, max(0, cx - r) : cx + r] = (230, 80, 60)
            yield frame

    t = np.arange(round(case["seconds"] * 48_000), dtype=np.float32) / 48_000
    tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    audio = AudioTrack(sample_rate=48_000, samples=np.stack([tone, tone]))
    with tempfile.TemporaryDirectory(prefix="reelbox-floor-") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        write_mp4(
            Path(tmp) / "floor.mp4",
            frames(),
            width=width,
            height=height,
            fps=fps,
            frame_count=count,
            audio=audio,
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "frames": count}


def run_child(kind: str, name: str, *, src: Path | None = None) -> dict[str, float]:
    """One measurement in a fresh process; `src`: the tree to import reelbox from."""
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src.resolve())}
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--case", name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="run only these cases")
    parser.add_argument("--repeat", type=int, default=2, help="runs per case; the best is kept")
    parser.add_argument("--extra", action="store_true", help="also run the harder extra cases")
    parser.add_argument("--child", choices=["engine", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    everything = {**CASES, **EXTRA}
    if args.child:
        (name,) = args.case
        run = _child_engine if args.child == "engine" else _child_floor
        print(json.dumps(run(everything[name])))
        return
    names = args.case or [*CASES, *(EXTRA if args.extra else {})]
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} before the run; best of {args.repeat}")
    header = (
        f"{'case':<20} {'frames':>6} {'wall s':>7} {'RTF':>6} {'fps':>6} {'cpu s':>6} "
        f"{'RSS MB':>7} | {'floor s':>7} {'floor RTF':>9} {'floor RSS':>9} | {'wall/floor':>10} "
        f"| {'floor cpu':>9} {'cpu/floor':>9} {'cpu RTF':>7} {'load':>11}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        before = os.getloadavg()[0]
        case = everything[name]
        engine = min(
            (run_child("engine", name) for _ in range(args.repeat)), key=lambda r: r["wall"]
        )
        floor = min(
            (run_child("floor", name) for _ in range(args.repeat)), key=lambda r: r["wall"]
        )
        seconds = case["seconds"]
        print(
            f"{name:<20} {int(engine['frames']):>6} {engine['wall']:>7.2f} "
            f"{seconds / engine['wall']:>5.2f}x {engine['frames'] / engine['wall']:>6.1f} "
            f"{engine['cpu']:>6.2f} {engine['rss_mb']:>7.0f} | {floor['wall']:>7.2f} "
            f"{seconds / floor['wall']:>8.2f}x {floor['rss_mb']:>9.0f} | "
            f"{engine['wall'] / floor['wall']:>9.2f}x | {floor['cpu']:>9.2f} "
            f"{engine['cpu'] / floor['cpu']:>8.2f}x {seconds / engine['cpu']:>6.2f}x "
            f"{before:>5.1f}->{os.getloadavg()[0]:<5.1f}"
        )


if __name__ == "__main__":
    main()
