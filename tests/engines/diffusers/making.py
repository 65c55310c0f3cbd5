"""Making videos with tiny diffusers profiles in tests: specs, `produce`, and checks on the MP4."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.executors.pipeline import Output, produce
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.media.images import encode_png
from support.media import probe_mp4


def make_spec(engine: DiffusersEngine, mode: Mode = Mode.TEXT, **values: Any) -> GenerationSpec:
    fields: dict[str, Any] = {
        "mode": mode,
        "prompt": "a red car in the city at night",
        "width": 64,
        "height": 32,
        "seconds": 1.0,
        "seed": 7,
        "profile": "tiny",
        "fps": engine.capabilities().fps,
        **values,
    }
    return GenerationSpec(**fields)


def produce_one(
    engine: DiffusersEngine, blobs: LocalBlobStore, spec: GenerationSpec
) -> tuple[Output, list[float]]:
    progress: list[float] = []
    (output,) = produce(
        spec,
        engine=engine,
        blobs=blobs,
        key_prefix=lambda i: f"videos/{spec.mode.value}-{spec.seed}/{i}",
        on_progress=progress.append,
        should_cancel=lambda: False,
    )
    assert progress == sorted(progress) and progress[-1] >= 0.99
    return output, progress


def check_mp4(
    blobs: LocalBlobStore, output: Output, *, size: tuple[int, int], frames: int, audio: bool
) -> None:
    facts = probe_mp4(blobs.local_path(output.video_key))
    assert (facts.width, facts.height, facts.frames) == (*size, frames)
    assert (facts.audio_codec is not None) == audio
    if audio:
        assert facts.audio_duration is not None
        assert abs(facts.audio_duration - facts.duration) < 0.05


def put_reference(blobs: LocalBlobStore, size: tuple[int, int]) -> str:
    image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    image[:, : size[0] // 2] = (250, 40, 40)
    blobs.put_bytes("uploads/reference.png", encode_png(image))
    return "uploads/reference.png"


def rgba_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
