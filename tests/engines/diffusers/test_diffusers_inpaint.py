"""Inpainting (Azure Sora 1 keyframes and a video from a frame index) for the families that can
condition on frames at an index: LTX-Video and LTX-2 (condition pipelines), Wan VACE (masks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engines.diffusers.making import check_mp4, make_spec, produce_one
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.base import EngineError, GenerationInputs
from reelbox.engines.diffusers import DiffusersEngine
from reelbox.engines.diffusers.anchors import Anchor
from reelbox.engines.diffusers.conditioning import CallInputs, conditioning_arguments
from reelbox.engines.diffusers.presets import FAMILIES, Conditioning, PipelineUse
from reelbox.jobs.spec import KeyframeRef, Mode
from reelbox.media.images import encode_png

Engines = Callable[..., DiffusersEngine]


def _keyframe(blobs: LocalBlobStore, index: int, color: tuple[int, int, int]) -> KeyframeRef:
    image = np.empty((32, 64, 3), dtype=np.uint8)
    image[...] = color
    key = f"uploads/keyframe-{index}.png"
    blobs.put_bytes(key, encode_png(image))
    return KeyframeRef(frame_index=index, image_key=key)


def _frame(value: int) -> np.ndarray:
    return np.full((32, 64, 3), value, dtype=np.uint8)


def test_only_families_that_condition_at_an_index_inpaint() -> None:
    inpainting = {name for name, f in FAMILIES.items() if Mode.INPAINT in f.modes}
    assert inpainting == {"ltx-video", "ltx-2", "wan2.1-vace"}


@pytest.mark.parametrize("family", ["ltx-video", "wan2.1-vace"])
def test_keyframes_and_a_video_condition_the_clip(
    engines: Engines, blobs: LocalBlobStore, family: str
) -> None:
    pytest.importorskip("diffusers")
    engine = engines(family)
    fps = engine.capabilities().fps
    source, _ = produce_one(engine, blobs, make_spec(engine, seed=1))  # a 1 s clip
    keyframes = (_keyframe(blobs, 0, (220, 30, 30)), _keyframe(blobs, 10, (30, 30, 220)))
    spec = make_spec(
        engine,
        Mode.INPAINT,
        seconds=2.0,
        keyframes=keyframes,
        source_video_key=source.video_key,
        source_frame_index=fps + 4,
        audio=False,
    )
    output, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, output, size=(64, 32), frames=2 * fps, audio=False)
    (call,) = output.plan["calls"]
    # The keyframes at 0 and 10, then the video from fps + 4 until the clip ends.
    assert call["anchors"] == [[0, 1], [10, 1], [fps + 4, fps - 4]]
    assert output.plan["pipeline"] == FAMILIES[family].uses[Mode.INPAINT].pipeline


def test_anchors_in_a_later_segment_sit_after_its_context(
    engines: Engines, blobs: LocalBlobStore
) -> None:
    pytest.importorskip("diffusers")
    engine = engines("wan2.1-vace")
    keyframe = _keyframe(blobs, 90, (30, 200, 30))
    spec = make_spec(engine, Mode.INPAINT, seconds=6.0, keyframes=(keyframe,), audio=False)
    output, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, output, size=(64, 32), frames=96, audio=False)
    first, second = output.plan["calls"]
    assert (first["anchors"], first["keep"]) == ([], 81)
    # Output frame 90 is frame 90 - 81 of the second call's kept frames, after its 9 context.
    assert (second["skip"], second["anchors"]) == (9, [[9 + 90 - 81, 1]])


def test_ltx2_inpaints_silently(engines: Engines, blobs: LocalBlobStore) -> None:
    pytest.importorskip("diffusers")
    engine = engines("ltx-2")
    keyframes = (_keyframe(blobs, 0, (220, 30, 30)), _keyframe(blobs, 17, (30, 30, 220)))
    spec = make_spec(engine, Mode.INPAINT, keyframes=keyframes, audio=False)
    output, _ = produce_one(engine, blobs, spec)
    check_mp4(blobs, output, size=(64, 32), frames=24, audio=False)
    assert output.plan["calls"][0]["anchors"] == [[0, 1], [17, 1]]


def test_families_without_inpainting_refuse_it(engines: Engines) -> None:
    engine = engines("wan2.1-t2v")
    assert Mode.INPAINT not in engine.capabilities().modes
    with pytest.raises(EngineError, match=r"wan2.1-t2v cannot make inpaint videos"):
        engine.generate(
            make_spec(engine, Mode.INPAINT),
            GenerationInputs(),
            on_progress=lambda _: None,
            should_cancel=lambda: False,
        )


def test_vace_keeps_anchored_frames_and_makes_the_rest() -> None:
    call = CallInputs(
        size=(64, 32),
        frames=9,
        context=[_frame(10)],
        anchors=[Anchor(index=4, frames=[_frame(40), _frame(50)])],
    )
    arguments = conditioning_arguments(FAMILIES["wan2.1-vace"].uses[Mode.INPAINT], call)
    masks = [np.asarray(m).max() for m in arguments["mask"]]
    assert masks == [0, 255, 255, 255, 0, 0, 255, 255, 255]
    values = [int(np.asarray(v)[0, 0, 0]) for v in arguments["video"]]
    assert values == [10, 128, 128, 128, 40, 50, 128, 128, 128]


def test_ltx_conditions_are_cut_to_lengths_the_vae_takes() -> None:
    pytest.importorskip("diffusers")
    use = PipelineUse("LTXConditionPipeline", Conditioning.LTX_CONDITIONS)
    run = [_frame(i) for i in range(12)]
    call = CallInputs(size=(64, 32), frames=41, anchors=[Anchor(index=20, frames=run)], stride=8)
    conditions = conditioning_arguments(use, call)["conditions"]
    placed = [(c.frame_index, len(c.video) if c.video else 1) for c in conditions]
    assert placed == [(20, 9), (29, 1), (30, 1), (31, 1)]
    assert all(c.strength == 1.0 for c in conditions)


def test_ltx2_conditions_move_to_the_nearest_latent_frame() -> None:
    pytest.importorskip("diffusers")
    use = PipelineUse("LTX2ConditionPipeline", Conditioning.LTX_CONDITIONS)
    anchors = [Anchor(index=i, frames=[_frame(i)]) for i in (0, 4, 6, 7, 16, 40)]
    call = CallInputs(size=(64, 32), frames=41, anchors=anchors, stride=8)
    conditions: list[Any] = conditioning_arguments(use, call)["conditions"]
    # Latent frame L ≥ 1 shows frame 1 + 8 (L - 1): 4 → L 1 (frame 1), 6 and 7 → L 2 (frame 9;
    # the first wins), 16 → L 3 (frame 17), 40 → L 6, past the last latent frame (5 of 0..5).
    assert [c.index for c in conditions] == [0, 1, 2, 3, 5]
    assert [int(np.asarray(c.frames)[0, 0, 0]) for c in conditions] == [0, 4, 6, 16, 40]
    assert all(isinstance(c.frames, Image.Image) for c in conditions)
