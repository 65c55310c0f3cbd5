"""The diffusers engine end to end on tiny random-weight checkpoints, on the CPU.

Each checkpoint is saved with `save_pretrained` (tiny_weights.py) and loaded by the engine
through its production path; specs go through `pipeline.produce`, so the checks are on the MP4
users get.
Tiny checkpoints render at 64x32 / 32x64 (given as the profile's `resolutions`) with 2 steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engines.diffusers.making import check_mp4, make_spec, produce_one, put_reference, rgba_png
from engines.diffusers.tiny_weights import TinyWeights
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.base import EngineError, GenerationCancelled, GenerationInputs
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.jobs.spec import CharacterRef, Mode

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")


def test_wan_text_to_video_at_a_resampled_size(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.1-t2v")
    output, _ = produce_one(engine, blobs, make_spec(engine, width=96, height=56))
    check_mp4(blobs, output, size=(96, 56), frames=16, audio=False)
    assert output.plan["render_size"] == "64x32"
    assert output.plan["calls"] == [{"frames": 17, "skip": 0, "keep": 16, "start": 0}]
    portrait, _ = produce_one(engine, blobs, make_spec(engine, width=32, height=64, seconds=2.0))
    check_mp4(blobs, portrait, size=(32, 64), frames=32, audio=False)
    assert portrait.plan["render_size"] == "32x64"


def test_seeds_are_honoured(engines: Any) -> None:
    engine = engines("wan2.1-t2v")

    def frames(seed: int) -> np.ndarray:
        result = engine.generate(
            make_spec(engine, seed=seed),
            GenerationInputs(),
            on_progress=lambda _: None,
            should_cancel=lambda: False,
        )
        return np.stack(list(result.frames))

    first, again, other = frames(3), frames(3), frames(4)
    assert first.shape == (16, 32, 64, 3)
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_wan_remix_remakes_the_source_video(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.1-t2v")
    source, _ = produce_one(engine, blobs, make_spec(engine, seconds=2.0))
    remix, _ = produce_one(
        engine,
        blobs,
        make_spec(engine, Mode.REMIX, seconds=2.0, source_video_key=source.video_key, seed=8),
    )
    check_mp4(blobs, remix, size=(64, 32), frames=32, audio=False)
    assert remix.plan["pipeline"] == "WanVideoToVideoPipeline"


def test_wan_image_to_video_in_segments(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.1-i2v")
    spec = make_spec(
        engine, Mode.IMAGE, seconds=6.0, input_image_key=put_reference(blobs, (64, 32))
    )
    output, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, output, size=(64, 32), frames=96, audio=False)
    assert [(c["frames"], c["skip"], c["keep"]) for c in output.plan["calls"]] == [
        (81, 0, 81),
        (17, 1, 15),
    ]


def test_wan_image_to_video_extends_a_video(engines: Any, blobs: LocalBlobStore) -> None:
    text = engines("wan2.1-t2v")
    source, _ = produce_one(text, blobs, make_spec(text))
    engine = engines("wan2.1-i2v")
    spec = make_spec(engine, Mode.EXTEND, seconds=1.0, source_video_key=source.video_key)
    output, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, output, size=(64, 32), frames=32, audio=False)  # the source, then 1 s more
    assert output.plan["calls"] == [{"frames": 17, "skip": 1, "keep": 16, "start": 0}]


def test_vace_places_characters_and_continues_a_video(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("wan2.1-vace")
    cutout = np.zeros((24, 16, 4), dtype=np.uint8)
    cutout[4:20, 4:12] = (30, 200, 30, 255)
    blobs.put_bytes("characters/char_1/cutout.png", rgba_png(cutout))
    character = CharacterRef(id="char_1", name="Gus", image_key="characters/char_1/cutout.png")
    output, _ = produce_one(engine, blobs, make_spec(engine, characters=(character,)))
    check_mp4(blobs, output, size=(64, 32), frames=16, audio=False)
    extended, _ = produce_one(
        engine, blobs, make_spec(engine, Mode.EXTEND, source_video_key=output.video_key, seed=9)
    )
    check_mp4(blobs, extended, size=(64, 32), frames=32, audio=False)
    assert extended.plan["calls"][0]["skip"] == 9


def test_ltx_video_text_image_and_extension(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("ltx-video")
    text, _ = produce_one(engine, blobs, make_spec(engine))
    check_mp4(blobs, text, size=(64, 32), frames=24, audio=False)
    reference = put_reference(blobs, (64, 32))
    image, _ = produce_one(engine, blobs, make_spec(engine, Mode.IMAGE, input_image_key=reference))
    assert image.plan["pipeline"] == "LTXImageToVideoPipeline"
    check_mp4(blobs, image, size=(64, 32), frames=24, audio=False)
    extended, _ = produce_one(
        engine, blobs, make_spec(engine, Mode.EXTEND, source_video_key=text.video_key, seed=2)
    )
    assert extended.plan["pipeline"] == "LTXConditionPipeline"
    check_mp4(blobs, extended, size=(64, 32), frames=48, audio=False)


def test_cogvideox_text_and_image(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("cogvideox")
    text, _ = produce_one(engine, blobs, make_spec(engine, seconds=2.0))
    check_mp4(blobs, text, size=(64, 32), frames=16, audio=False)
    i2v = engines("cogvideox-i2v")
    spec = make_spec(i2v, Mode.IMAGE, seconds=7.0, input_image_key=put_reference(blobs, (64, 32)))
    image, _ = produce_one(i2v, blobs, spec)
    check_mp4(blobs, image, size=(64, 32), frames=56, audio=False)
    assert len(image.plan["calls"]) == 2


def test_ltx2_makes_its_own_sound(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("ltx-2")
    assert engine.capabilities().audio
    output, _ = produce_one(engine, blobs, make_spec(engine))
    check_mp4(blobs, output, size=(64, 32), frames=24, audio=True)
    silent, _ = produce_one(engine, blobs, make_spec(engine, audio=False, seed=3))
    check_mp4(blobs, silent, size=(64, 32), frames=24, audio=False)
    spec = make_spec(engine, Mode.EXTEND, seconds=1.0, source_video_key=output.video_key, seed=4)
    extended, _ = produce_one(engine, blobs, spec)
    assert extended.plan["pipeline"] == "LTX2ConditionPipeline"
    check_mp4(blobs, extended, size=(64, 32), frames=48, audio=True)
    spec = make_spec(engine, Mode.REMIX, source_video_key=output.video_key, seed=5)
    remixed, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, remixed, size=(64, 32), frames=24, audio=True)


def test_hunyuan_text_and_image_follow_the_scheduler(engines: Any, blobs: LocalBlobStore) -> None:
    engine = engines("hunyuanvideo1.5-t2v", steps=4)
    produce_one(engine, blobs, make_spec(engine, seed=5))  # warm: no load step in the progress
    output, progress = produce_one(engine, blobs, make_spec(engine))
    check_mp4(blobs, output, size=(64, 32), frames=24, audio=False)
    # Four denoising steps each move the bar before any frame is encoded.
    assert len({round(p, 6) for p in progress if p < 0.85 * 0.9}) >= 4
    i2v = engines("hunyuanvideo1.5-i2v")
    spec = make_spec(i2v, Mode.IMAGE, input_image_key=put_reference(blobs, (64, 32)))
    image, _ = produce_one(i2v, blobs, spec)
    check_mp4(blobs, image, size=(64, 32), frames=24, audio=False)


def test_a_text_to_audio_profile_scores_silent_families(
    engines: Any, blobs: LocalBlobStore, tiny_weights: TinyWeights
) -> None:
    audio = {"family": "stable-audio-open", "path": str(tiny_weights("stable-audio-open"))}
    engine = engines("wan2.1-t2v", audio={**audio, "steps": 2})
    assert engine.capabilities().audio
    output, _ = produce_one(engine, blobs, make_spec(engine, seconds=2.0))
    check_mp4(blobs, output, size=(64, 32), frames=32, audio=True)
    # The published checkpoint's scheduler, whose SDE noise comes from torchsde.
    scheduler = engine._audio._pipe.scheduler  # type: ignore[union-attr]
    assert type(scheduler).__name__ == "CosineDPMSolverMultistepScheduler"
    silent, _ = produce_one(engine, blobs, make_spec(engine, audio=False))
    check_mp4(blobs, silent, size=(64, 32), frames=16, audio=False)


def test_cancel_stops_between_denoising_steps(engines: Any) -> None:
    engine = engines("wan2.1-t2v", steps=8)
    engine.warm_up()
    calls: list[int] = []
    original = engine._pipelines["WanPipeline"].transformer.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    engine._pipelines["WanPipeline"].transformer.forward = counting
    progress: list[float] = []
    try:
        result = engine.generate(
            make_spec(engine),
            GenerationInputs(),
            on_progress=progress.append,
            should_cancel=lambda: len(progress) >= 2,
        )
        with pytest.raises(GenerationCancelled):
            next(result.frames)
    finally:
        del engine._pipelines["WanPipeline"].transformer.forward
    # Two of eight steps ran (cond and uncond passes each); the interrupt skipped the rest.
    assert len(calls) == 4 and max(progress) < 0.5


def test_pipeline_failures_fail_the_job_with_what_to_change(engines: Any) -> None:
    engine = engines("wan2.1-t2v")

    class Failing:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def __call__(self, prompt: str, num_frames: int, **kwargs: Any) -> Any:
            raise self.error

    engine.warm_up()
    real = engine._pipelines["WanPipeline"]
    try:
        engine._pipelines["WanPipeline"] = Failing(torch.OutOfMemoryError("CUDA out of memory"))
        with pytest.raises(EngineError, match=r"out of memory on cpu making 64x32 x 17 frames"):
            next(_generate(engine))
        engine._pipelines["WanPipeline"] = Failing(ValueError("bad latents"))
        with pytest.raises(EngineError, match=r"WanPipeline failed: ValueError: bad latents"):
            next(_generate(engine))
    finally:
        engine._pipelines["WanPipeline"] = real
    assert next(_generate(engine)).shape == (32, 64, 3)  # the engine still works afterwards


def test_requests_the_family_cannot_serve_fail_clearly(engines: Any) -> None:
    engine = engines("wan2.1-t2v")
    with pytest.raises(EngineError, match=r"wan2.1-t2v cannot make image videos; it makes edit"):
        next(_generate(engine, mode=Mode.IMAGE))
    with pytest.raises(EngineError, match=r"at most 5 s in one piece.*ask for at most 5 s"):
        next(_generate(engine, seconds=8.0))
    square = engines("wan2.1-t2v", resolutions=["64x32"])
    with pytest.raises(EngineError, match=r"32x64 is portrait; this model renders only 64x32"):
        next(_generate(square, width=32, height=64))


def test_weights_that_fail_to_load_fail_the_job(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    engine = DiffusersEngine({"family": "wan2.1-t2v", "path": str(tmp_path), "device": "cpu"})
    with pytest.raises(EngineError, match=r"cannot load wan2.1-t2v weights from"):
        engine.generate(
            make_spec(engine),
            GenerationInputs(),
            on_progress=lambda _: None,
            should_cancel=lambda: False,
        )


def _generate(engine: DiffusersEngine, **values: Any) -> Iterator[Any]:
    mode = values.pop("mode", Mode.TEXT)
    result = engine.generate(
        make_spec(engine, mode, **values),
        GenerationInputs(),
        on_progress=lambda _: None,
        should_cancel=lambda: False,
    )
    return result.frames


def test_speed_and_memory_levers_apply_when_set(engines: Any, tmp_path: Path) -> None:
    levers = engines(
        "wan2.1-t2v",
        attention_backend="native",
        cache={"type": "first_block", "threshold": 0.05},
        vae_tiling=True,
        vae_slicing=True,
    )
    assert len(list(_generate(levers))) == 16
    pipe = levers._pipelines["WanPipeline"]
    assert pipe.transformer.is_cache_enabled and pipe.vae.use_tiling and pipe.vae.use_slicing
    flash = engines("wan2.1-t2v", attention_backend="flash")
    with pytest.raises(EngineError, match=r"option attention_backend cannot be applied here"):
        flash.warm_up()


def test_a_step_distilled_lora_brings_its_steps_and_guidance(
    tiny_weights: TinyWeights, tmp_path: Path
) -> None:
    pytest.importorskip("peft")
    from diffusers import WanPipeline
    from peft import LoraConfig, get_peft_model_state_dict

    weights = tiny_weights("wan2.1-t2v")
    pipe = WanPipeline.from_pretrained(weights)
    pipe.transformer.add_adapter(
        LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_v"], init_lora_weights=False)
    )
    WanPipeline.save_lora_weights(
        tmp_path / "lora", transformer_lora_layers=get_peft_model_state_dict(pipe.transformer)
    )
    engine = DiffusersEngine(
        {
            "family": "wan2.1-t2v",
            "path": str(weights),
            "device": "cpu",
            "dtype": "float32",
            "resolutions": ["64x32"],
            "lora": {"path": str(tmp_path / "lora"), "steps": 3, "guidance": 1.0},
        }
    )
    progress: list[float] = []
    result = engine.generate(
        make_spec(engine),
        GenerationInputs(),
        on_progress=progress.append,
        should_cancel=lambda: False,
    )
    assert len(list(result.frames)) == 16
    assert (result.plan["steps"], result.plan["guidance"]) == (3, 1.0)
    assert "reelbox" in engine._pipelines["WanPipeline"].get_active_adapters()


@pytest.mark.gpu
@pytest.mark.parametrize("offload", [None, "model", "group"])
def test_on_a_cuda_device(engines: Any, blobs: LocalBlobStore, offload: str | None) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    engine = engines(
        "wan2.1-t2v", device="cuda", dtype="bfloat16", vae_dtype="float32", offload=offload
    )
    output, _ = produce_one(engine, blobs, make_spec(engine, width=1280, height=720))
    check_mp4(blobs, output, size=(1280, 720), frames=16, audio=False)
