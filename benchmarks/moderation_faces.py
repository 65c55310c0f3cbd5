"""Face detection speed: milliseconds per picture at each of the API's sizes.

Pictures are scikit-image's bundled photographs fitted (crop to cover) to each size: the
astronaut (one face), a coffee cup, a cat and gravel (no faces, the last a busy texture that
keeps the cascade working), plus the first frame the procedural engine paints for a person.
Each picture is searched `--repeat` times by one shared `FaceDetector`; the first search of the
process (loading the cascade) is reported apart.

    python benchmarks/moderation_faces.py
    python benchmarks/moderation_faces.py --repeat 10 --min-face-fraction 0.08
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import numpy.typing as npt
from PIL import Image
from skimage import data

from reelbox.engines.base import GenerationInputs
from reelbox.engines.procedural import ProceduralEngine
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.moderation.faces import FaceDetector

SIZES = ((720, 1280), (1280, 720), (1024, 1792), (1792, 1024), (480, 480), (1920, 1080))
PHOTOS = {
    "astronaut": data.astronaut,
    "coffee": data.coffee,
    "chelsea": data.chelsea,
    "gravel": data.gravel,
}
PROMPT = "a man talking to the camera in a park"

Picture = npt.NDArray[np.uint8]


def cover(picture: npt.NDArray[np.uint8], width: int, height: int) -> Picture:
    if picture.ndim == 2:
        picture = np.stack([picture] * 3, axis=-1)
    h, w = picture.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = round(w * scale), round(h * scale)
    resized = np.asarray(Image.fromarray(picture).resize((nw, nh), Image.Resampling.BICUBIC))
    x, y = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(resized[y : y + height, x : x + width])


def engine_frame(width: int, height: int) -> Picture:
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt=PROMPT,
        width=width,
        height=height,
        seconds=1.0,
        seed=7,
        profile="procedural",
        fps=1,
        audio=False,
    )
    result = ProceduralEngine({"prefetch": False}).generate(
        spec, GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False
    )
    return next(iter(result.frames))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="searches per picture")
    parser.add_argument("--min-face-fraction", type=float, default=None)
    args = parser.parse_args()

    options = (
        {} if args.min_face_fraction is None else {"min_face_fraction": args.min_face_fraction}
    )
    detector = FaceDetector(**options)
    photos = {name: load() for name, load in PHOTOS.items()}

    start = time.perf_counter()
    detector.faces(cover(photos["astronaut"], 1280, 720))
    print(f"cpus {os.cpu_count()}, min_face_fraction {detector.min_face_fraction}")
    print(f"first search (loads the cascade): {1000 * (time.perf_counter() - start):.0f} ms\n")

    names = [*PHOTOS, "engine frame"]
    print(f"{'size':>10} " + " ".join(f"{name:>13}" for name in names) + "   median    max")
    for width, height in SIZES:
        pictures = [cover(photo, width, height) for photo in photos.values()]
        pictures.append(engine_frame(width, height))
        cells, every = [], []
        for picture in pictures:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                detector.faces(picture)
                times.append(1000 * (time.perf_counter() - start))
            cells.append(f"{statistics.median(times):10.0f} ms")
            every += times
        row = f"{width}x{height}"
        summary = f"{statistics.median(every):6.0f} {max(every):6.0f}"
        print(f"{row:>10} " + " ".join(cells) + f"   {summary}")


if __name__ == "__main__":
    main()
