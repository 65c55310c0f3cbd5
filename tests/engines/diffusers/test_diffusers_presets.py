"""The family presets: each family's truths, and their consistency with installed diffusers."""

from __future__ import annotations

import inspect

import pytest

from reelbox.engines.diffusers.presets import (
    AUDIO_FAMILIES,
    FAMILIES,
    Conditioning,
    FrameRule,
)
from reelbox.jobs.spec import Mode

# family: (modes, fps, frame rule step, max frames, steps, guidance, audio, continues, characters)
TRUTHS = {
    "wan2.1-t2v": ("edit remix text", 16, 4, 81, 50, 5.0, False, False, False),
    "wan2.1-i2v": ("extend image", 16, 4, 81, 50, 5.0, False, True, False),
    "wan2.1-vace": ("edit extend image inpaint remix text", 16, 4, 81, 50, 5.0, False, True, True),
    "wan2.2-ti2v-5b": ("extend image text", 24, 4, 121, 50, 5.0, False, True, False),
    "wan2.2-t2v-a14b": ("text", 16, 4, 81, 40, 4.0, False, False, False),
    "wan2.2-i2v-a14b": ("extend image", 16, 4, 81, 40, 3.5, False, True, False),
    "ltx-video": ("edit extend image inpaint remix text", 24, 8, 161, 50, 3.0, False, True, False),
    "ltx-2": ("edit extend image inpaint remix text", 24, 8, 121, 30, 3.0, True, True, False),
    "hunyuanvideo1.5-t2v": ("text", 24, 4, 121, 50, 6.0, False, False, False),
    "hunyuanvideo1.5-i2v": ("extend image", 24, 4, 121, 50, 6.0, False, True, False),
    "cogvideox": ("edit remix text", 8, 4, 49, 50, 6.0, False, False, False),
    "cogvideox-i2v": ("extend image", 8, 4, 49, 50, 6.0, False, True, False),
}


def test_every_family_has_its_truths() -> None:
    assert set(FAMILIES) == set(TRUTHS)
    for name, family in FAMILIES.items():
        modes, fps, step, frames, steps, guidance, audio, continues, characters = TRUTHS[name]
        assert " ".join(sorted(m.value for m in family.modes)) == modes, name
        assert (family.fps, family.frame_rule.step, family.max_frames) == (fps, step, frames)
        assert (family.steps, family.guidance, family.audio) == (steps, guidance, audio), name
        assert (family.continuation is not None) == continues, name
        assert family.characters == characters, name


def test_native_sizes() -> None:
    assert FAMILIES["wan2.1-t2v"].resolutions == {
        "480p": ((832, 480), (480, 832)),
        "720p": ((1280, 720), (720, 1280)),
    }
    assert FAMILIES["wan2.2-ti2v-5b"].resolutions == {"720p": ((1280, 704), (704, 1280))}
    assert FAMILIES["ltx-video"].resolutions["512p"] == ((768, 512), (512, 768))
    assert FAMILIES["hunyuanvideo1.5-t2v"].resolutions["480p"] == (
        (848, 480),
        (480, 848),
        (640, 640),
    )
    assert FAMILIES["cogvideox"].resolutions == {"480p": ((720, 480),)}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_is_self_consistent(name: str) -> None:
    family = FAMILIES[name]
    assert family.frame_rule.valid(family.max_frames)
    assert set(family.default_resolutions) <= set(family.resolutions)
    for sizes in family.resolutions.values():
        for width, height in sizes:
            assert width % family.multiple == 0 and height % family.multiple == 0, (width, height)
    # Extending needs a way to continue from frames; characters need reference images;
    # inpainting needs frames placed at any index (VACE masks, LTX conditions).
    assert (Mode.EXTEND in family.modes) <= (family.continuation is not None)
    placing = (Conditioning.VACE, Conditioning.LTX_CONDITIONS)
    assert (Mode.INPAINT in family.modes) == any(
        u.conditioning in placing for u in family.uses.values()
    )
    assert family.characters == any(
        u.conditioning is Conditioning.VACE for u in family.uses.values()
    )
    assert 0 < family.context_frames < family.max_frames
    assert family.segment_seconds >= 2


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_pipeline_classes_exist_in_installed_diffusers(name: str) -> None:
    diffusers = pytest.importorskip("diffusers")
    family = FAMILIES[name]
    for class_name in family.pipeline_classes:
        pipeline = getattr(diffusers, class_name)
        accepted = inspect.signature(pipeline.__call__).parameters
        assert "generator" in accepted and "output_type" in accepted
        assert ("callback_on_step_end" in accepted) == family.callback, class_name
    for use in family.uses.values():
        accepted = inspect.signature(getattr(diffusers, use.pipeline).__call__).parameters
        wanted = {
            Conditioning.TEXT: set(),
            Conditioning.FIRST_FRAME: {"image"},
            Conditioning.VIDEO: {"video", "strength"},
            Conditioning.VACE: {"video", "mask", "reference_images"},
            Conditioning.LTX_CONDITIONS: {"conditions"},
        }[use.conditioning]
        assert wanted <= set(accepted), use


def test_audio_families() -> None:
    diffusers = pytest.importorskip("diffusers")
    for family in AUDIO_FAMILIES.values():
        accepted = inspect.signature(getattr(diffusers, family.pipeline).__call__).parameters
        assert {family.length_argument, "callback", "callback_steps"} <= set(accepted)


@pytest.mark.parametrize(
    ("step", "frames", "at_least", "at_most"),
    [
        (4, 1, 1, 1),
        (4, 16, 17, 13),
        (4, 17, 17, 17),
        (4, 80, 81, 77),
        (8, 24, 25, 17),
        (8, 121, 121, 121),
    ],
)
def test_frame_rule(step: int, frames: int, at_least: int, at_most: int) -> None:
    rule = FrameRule(step)
    assert (rule.at_least(frames), rule.at_most(frames)) == (at_least, at_most)
    assert rule.valid(at_least) and rule.valid(at_most)
    assert str(rule) == f"{step}k+1"
