"""Streaming decode: Wan latents decoded chunk by chunk give the pipeline's own frames.

The tiny checkpoints are the suite's (tiny_weights.py). Each comparison runs the same pipeline call
twice with the same seed: once decoding inside the pipeline (`output_type="np"`), once stopping
at the latents and decoding them here (`decoding.decoded_chunks`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engines.diffusers.making import make_spec, put_reference
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.base import GenerationCancelled, GenerationInputs
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.executors.pipeline import load_inputs
from reelbox.jobs.spec import Mode

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from reelbox.engines.diffusers.decoding import (  # noqa: E402  (needs torch and diffusers)
    decoded_chunks,
    decodes_in_chunks,
    leading_latents,
)


def _pipeline_and_decoded(pipe: Any, **arguments: Any) -> tuple[np.ndarray, list[np.ndarray]]:
    def call(output_type: str) -> Any:
        return pipe(
            generator=torch.Generator(device="cpu").manual_seed(5),
            output_type=output_type,
            **arguments,
        ).frames

    own = np.asarray(call("np")[0])
    chunks = list(decoded_chunks(pipe, call("latent"), skip=leading_latents(pipe, arguments)))
    return own, chunks


@pytest.mark.parametrize("family", ["wan2.1-t2v", "wan2.2-ti2v-5b"])
def test_chunks_are_the_pipelines_own_frames(engines: Any, family: str) -> None:
    engine: DiffusersEngine = engines(family)
    pipe = engine._pipeline(engine.options.family.pipeline)
    assert decodes_in_chunks(pipe, engine.options)
    size = (64, 64) if family.startswith("wan2.2") else (64, 32)  # 2.2 compresses 16x
    own, chunks = _pipeline_and_decoded(
        pipe,
        prompt="a red car",
        num_inference_steps=2,
        num_frames=17,
        width=size[0],
        height=size[1],
    )
    # The first latent frame decodes to one picture, every later one to four.
    assert [len(c) for c in chunks] == [1, 4, 4, 4, 4]
    decoded = np.concatenate(chunks)
    assert own.shape == decoded.shape == (17, size[1], size[0], 3)
    assert np.abs(own - decoded).max() <= 1e-5


def test_vace_reference_latents_are_dropped_before_decoding(engines: Any) -> None:
    engine: DiffusersEngine = engines("wan2.1-vace")
    pipe = engine._pipeline("WanVACEPipeline")
    from PIL import Image

    reference = Image.new("RGB", (16, 24), (30, 200, 30))
    arguments = {"prompt": "a red car", "reference_images": [reference]}
    assert leading_latents(pipe, arguments) == 1
    own, chunks = _pipeline_and_decoded(
        pipe, num_inference_steps=2, num_frames=9, width=64, height=32, **arguments
    )
    decoded = np.concatenate(chunks)
    assert own.shape == decoded.shape == (9, 32, 64, 3)
    assert np.abs(own - decoded).max() <= 1e-5


def _frames(engine: DiffusersEngine, spec: Any, inputs: GenerationInputs) -> np.ndarray:
    result = engine.generate(spec, inputs, on_progress=lambda _: None, should_cancel=lambda: False)
    return np.stack(list(result.frames))


@pytest.mark.parametrize(
    ("family", "mode", "seconds"),
    [("wan2.1-t2v", Mode.TEXT, 1.0), ("wan2.1-i2v", Mode.IMAGE, 6.0)],
)
def test_the_engine_makes_the_same_video_with_or_without_streaming(
    engines: Any, blobs: LocalBlobStore, family: str, mode: Mode, seconds: float
) -> None:
    streaming: DiffusersEngine = engines(family)
    whole: DiffusersEngine = engines(family, streaming_decode=False)
    pipe = whole._pipeline(whole.options.family.pipeline)
    assert not decodes_in_chunks(pipe, whole.options)
    reference = put_reference(blobs, (64, 32)) if mode is Mode.IMAGE else None
    spec = make_spec(streaming, mode, seconds=seconds, input_image_key=reference)
    inputs = load_inputs(spec, blobs)
    # Image to video over two calls: the second continues from the first's last frame.
    assert np.array_equal(_frames(streaming, spec, inputs), _frames(whole, spec, inputs))


def test_frames_reach_the_consumer_as_each_latent_frame_is_decoded(engines: Any) -> None:
    engine: DiffusersEngine = engines("wan2.1-t2v")
    decoder = engine._pipeline("WanPipeline").vae.decoder
    decodes: list[int] = []
    handle = decoder.register_forward_hook(lambda *_: decodes.append(1))
    progress: list[float] = []
    try:
        result = engine.generate(
            make_spec(engine, seconds=2.0),  # 33 frames: 9 latent frames
            GenerationInputs(),
            on_progress=progress.append,
            should_cancel=lambda: False,
        )
        frames = iter(result.frames)
        next(frames)
        assert len(decodes) == 1  # the first picture is out after one latent frame
        before = progress[-1]
        for _ in range(4):
            next(frames)
        assert len(decodes) == 2 and progress[-1] > before  # four more from the next one
        assert sum(1 for _ in frames) == 32 - 5
        assert len(decodes) == 9 and progress[-1] == 1.0
    finally:
        handle.remove()


def test_a_cancel_between_chunks_stops_the_decode(engines: Any) -> None:
    engine: DiffusersEngine = engines("wan2.1-t2v")
    decoder = engine._pipeline("WanPipeline").vae.decoder
    decodes: list[int] = []
    handle = decoder.register_forward_hook(lambda *_: decodes.append(1))
    cancelled = False
    try:
        result = engine.generate(
            make_spec(engine, seconds=2.0),
            GenerationInputs(),
            on_progress=lambda _: None,
            should_cancel=lambda: cancelled,
        )
        frames = iter(result.frames)
        next(frames)
        cancelled = True
        with pytest.raises(GenerationCancelled):
            list(frames)
        assert len(decodes) == 1  # nothing more was decoded once the job was cancelled
    finally:
        handle.remove()
