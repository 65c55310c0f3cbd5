"""Wan 2.2 end to end on tiny checkpoints: TI2V-5B (the 2.2 VAE, per-token timesteps) and the
A14B two-expert pair (`transformer_2` below `boundary_ratio`), through `pipeline.produce`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from engines.diffusers.making import check_mp4, make_spec, produce_one, put_reference
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.jobs.spec import Mode

pytest.importorskip("torch")
pytest.importorskip("diffusers")

Engines = Callable[..., DiffusersEngine]


@contextmanager
def counting_experts(engine: DiffusersEngine, pipeline: str) -> Iterator[dict[str, int]]:
    """Counts the forward passes of each expert of the loaded `pipeline` while the block runs."""
    engine.warm_up()
    pipe = engine._pipeline(pipeline)
    counts = {"transformer": 0, "transformer_2": 0}
    for name in counts:
        module = getattr(pipe, name)
        original = module.forward

        def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            counts[_name] += 1
            return _original(*args, **kw)

        module.forward = counted
    try:
        yield counts
    finally:
        for name in counts:
            del getattr(pipe, name).forward


def test_ti2v_5b_text_image_and_extension(engines: Engines, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.2-ti2v-5b")
    caps = engine.capabilities()
    assert (caps.fps, sorted(m.value for m in caps.modes)) == (24, ["extend", "image", "text"])
    text, _ = produce_one(engine, blobs, make_spec(engine))
    check_mp4(blobs, text, size=(64, 32), frames=24, audio=False)
    assert text.plan["pipeline"] == "WanPipeline"
    assert text.plan["calls"] == [{"frames": 25, "skip": 0, "keep": 24, "start": 0}]
    pipe = engine._pipeline("WanPipeline")
    assert pipe.config.expand_timesteps and pipe.vae.config.z_dim == 48

    reference = put_reference(blobs, (32, 64))
    spec = make_spec(engine, Mode.IMAGE, width=32, height=64, input_image_key=reference, seed=3)
    image, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, image, size=(32, 64), frames=24, audio=False)
    assert image.plan["pipeline"] == "WanImageToVideoPipeline"

    spec = make_spec(engine, Mode.EXTEND, source_video_key=text.video_key, seed=4)
    extended, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, extended, size=(64, 32), frames=48, audio=False)
    assert extended.plan["calls"] == [{"frames": 25, "skip": 1, "keep": 24, "start": 0}]


def test_t2v_a14b_runs_both_experts(engines: Engines, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.2-t2v-a14b")
    assert engine.options.guidance_2 == 3.0
    with counting_experts(engine, "WanPipeline") as counts:
        output, _ = produce_one(engine, blobs, make_spec(engine, width=32, height=64))
    check_mp4(blobs, output, size=(32, 64), frames=16, audio=False)
    # Two steps with guidance (a conditional and an unconditional pass each): the first step
    # is above the boundary (the high-noise expert), the last below it (the low-noise one).
    assert counts == {"transformer": 2, "transformer_2": 2}


def test_i2v_a14b_image_and_extension_run_both_experts(
    engines: Engines, blobs: LocalBlobStore
) -> None:
    engine = engines("wan2.2-i2v-a14b")
    spec = make_spec(engine, Mode.IMAGE, input_image_key=put_reference(blobs, (64, 32)))
    with counting_experts(engine, "WanImageToVideoPipeline") as counts:
        image, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, image, size=(64, 32), frames=16, audio=False)
    assert counts == {"transformer": 2, "transformer_2": 2}
    spec = make_spec(engine, Mode.EXTEND, source_video_key=image.video_key, seed=5)
    extended, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, extended, size=(64, 32), frames=32, audio=False)
