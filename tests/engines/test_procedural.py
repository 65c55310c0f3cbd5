"""The procedural engine: options, output layout, determinism, streaming and every mode."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from engines.procedural_support import H, W, frames, generate, luma, source_video, spec
from reelbox.engines.base import (
    CharacterInput,
    EngineError,
    Frame,
    GenerationCancelled,
    GenerationInputs,
    Keyframe,
)
from reelbox.engines.procedural import ProceduralEngine
from reelbox.engines.procedural import render as render_module
from reelbox.engines.procedural.vocabulary import LIGHTINGS, SETTINGS, STYLES, TIMES_OF_DAY
from reelbox.jobs.spec import Mode

# -- basics --------------------------------------------------------------------------------


def test_capabilities() -> None:
    caps = ProceduralEngine({"fps": 30}).capabilities()
    assert caps.modes == frozenset(Mode)
    assert caps.sizes is None and caps.seconds is None
    assert (caps.min_seconds, caps.max_seconds, caps.fps, caps.audio) == (1.0, 120.0, 30, True)
    assert caps.max_pixels == 1920 * 1920


@pytest.mark.parametrize(
    "options", [{"fps": 0}, {"fps": "24"}, {"quality": "high"}, {"prefetch": "yes"}]
)
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"fps|prefetch|unknown procedural engine options"):
        ProceduralEngine(options)


@pytest.mark.parametrize(("width", "height"), [(127, 72), (128, 71), (1922, 720), (8, 8)])
def test_sizes_outside_the_range_fail_clearly(width: int, height: int) -> None:
    with pytest.raises(EngineError, match="size"):
        generate(spec("a cat", width=width, height=height))


def test_frames_shape_count_and_dtype() -> None:
    result = generate(spec("a dog in a park", seconds=1.5, fps=12))
    pictures = list(result.frames)
    assert result.frame_count == len(pictures) == 18
    assert (result.width, result.height, result.fps) == (W, H, 12)
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in pictures)


def test_audio_track_matches_the_clip() -> None:
    result = generate(spec("waves on a beach", seconds=1.25, fps=24))
    audio = result.audio
    assert audio is not None
    assert audio.sample_rate == 48_000
    assert audio.samples.shape == (2, 60_000)
    assert audio.samples.dtype == np.float32
    peak = float(np.max(np.abs(audio.samples)))
    assert 0.0 < peak <= 0.95
    rms = float(np.sqrt(np.mean(np.square(audio.samples[:, 4800:-4800]))))
    assert 0.05 < rms < 0.2


@pytest.mark.parametrize("prompt", ["a silent movie of a cat", "rain in the city, no sound"])
def test_silent_prompts_have_no_audio(prompt: str) -> None:
    assert generate(spec(prompt)).audio is None


def test_spec_without_audio_has_no_audio() -> None:
    assert generate(spec("a cat", audio=False)).audio is None


def test_plan_is_json_and_honest() -> None:
    result = generate(spec("a red car in a rainy city at night"))
    plan = json.loads(json.dumps(result.plan))
    assert plan["engine"] == "procedural"
    assert (plan["version"], plan["mode"], plan["painted"]) == (2, "text", True)
    assert plan["understood"] == ["red", "car", "rainy", "city", "at night"]
    text = json.dumps(plan).lower()
    assert "model" not in text and " ai " not in text


# -- determinism ---------------------------------------------------------------------------


def test_same_spec_same_frames_and_sound_with_or_without_the_render_thread() -> None:
    prompt = "two cats in a snowy forest at dusk, pan left, cinematic"
    a, b = generate(spec(prompt)), generate(spec(prompt))
    c = generate(spec(prompt), options={"prefetch": False})
    for x, y, z in zip(a.frames, b.frames, c.frames, strict=True):
        assert np.array_equal(x, y) and np.array_equal(x, z)
    assert a.audio is not None and b.audio is not None
    assert np.array_equal(a.audio.samples, b.audio.samples)
    assert a.plan == b.plan


def test_another_seed_changes_frames_and_sound() -> None:
    prompt = "a dog on a beach at sunset"
    a, b = generate(spec(prompt, seed=1)), generate(spec(prompt, seed=2))
    assert not np.array_equal(next(a.frames), next(b.frames))
    assert a.audio is not None and b.audio is not None
    assert not np.array_equal(a.audio.samples, b.audio.samples)


def test_every_setting_time_lighting_and_style_renders() -> None:
    for index, setting in enumerate(SETTINGS):
        time_of_day = TIMES_OF_DAY[index % len(TIMES_OF_DAY)]
        lighting = LIGHTINGS[index % len(LIGHTINGS)]
        style = STYLES[index % len(STYLES)]
        prompt = f"a {setting} at {time_of_day}, {lighting} light, {style} style"
        result = generate(spec(prompt, width=64, height=36, seconds=0.25, audio=False))
        plan = result.plan
        assert plan["setting"] == setting or setting in ("snow", "road", "room", "stage")
        pictures = list(result.frames)
        assert len(pictures) == 6 and all(f.shape == (36, 64, 3) for f in pictures)


# -- streaming, progress and cancellation --------------------------------------------------


def test_progress_is_monotonic_and_reaches_one() -> None:
    seen: list[float] = []
    result = generate(spec("a boat on the ocean", seconds=0.5), on_progress=seen.append)
    assert seen == []  # progress follows the frames the consumer pulls
    pictures = list(result.frames)
    assert len(seen) == len(pictures) == 12
    assert seen == sorted(seen) and seen[-1] == 1.0


def _render_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "reelbox-render" and t.is_alive()]


def test_cancel_stops_mid_stream_and_the_render_thread_ends() -> None:
    state = {"cancel": False}
    result = generate(spec("a bird over the sea"), should_cancel=lambda: state["cancel"])
    stream = result.frames
    for _ in range(5):
        next(stream)
    state["cancel"] = True
    with pytest.raises(GenerationCancelled):
        next(stream)
    del stream, result
    deadline = time.monotonic() + 5
    while _render_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _render_threads() == []


def test_a_failure_while_painting_reaches_the_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, index: int) -> Frame:
        raise RuntimeError("paint spilled")

    monkeypatch.setattr(render_module.SceneRenderer, "frame", broken)
    result = generate(spec("a cat"))
    with pytest.raises(RuntimeError, match="paint spilled"):
        next(result.frames)


def test_dialogue_without_any_speech_renders_with_its_sound_bed_and_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reelbox.media.speech._loaded", [None])
    monkeypatch.setenv("PATH", "")
    result = generate(spec('a man says "hello"'))
    assert len(list(result.frames)) == 24
    assert result.audio is not None and float(np.abs(result.audio.samples).max()) > 0.01
    (warning,) = result.plan["warnings"]
    assert "not spoken" in warning and "apt-get" not in warning  # no admin talk for users
    walking = generate(spec("a man walks"))
    assert walking.audio is not None and "warnings" not in walking.plan
    assert generate(spec('a man says "hello"', audio=False)).audio is None


# -- modes ---------------------------------------------------------------------------------


def test_image_mode_starts_on_the_reference_exactly() -> None:
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    result = generate(
        spec("at night in the rain", mode=Mode.IMAGE, audio=False),
        GenerationInputs(reference_image=reference),
    )
    pictures = list(result.frames)
    assert len(pictures) == 24
    assert np.array_equal(pictures[0], reference)
    assert not np.array_equal(pictures[-1], reference)
    assert luma(pictures[-1]).mean() < luma(reference).mean()  # night fades in
    assert result.plan["painted"] is False


@pytest.mark.parametrize("move", ["pan left", "tilt up", "tracking shot", "zoom out", "handheld"])
def test_image_mode_camera_moves_keep_frame_zero(move: str) -> None:
    reference = np.zeros((H, W, 3), dtype=np.uint8)
    reference[:, :, 0] = np.arange(W, dtype=np.uint8)[None, :] * 2
    reference[:, :, 1] = np.arange(H, dtype=np.uint8)[:, None] * 3
    pictures = list(
        generate(
            spec(move, mode=Mode.IMAGE, audio=False, seconds=0.5),
            GenerationInputs(reference_image=reference),
        ).frames
    )
    assert np.array_equal(pictures[0], reference)
    assert not np.array_equal(pictures[-1], reference)


def test_image_mode_needs_a_matching_reference() -> None:
    with pytest.raises(EngineError, match="reference image"):
        generate(spec("x", mode=Mode.IMAGE))
    wrong = np.zeros((H, W + 2, 3), dtype=np.uint8)
    with pytest.raises(EngineError, match="expected exactly"):
        generate(spec("x", mode=Mode.IMAGE), GenerationInputs(reference_image=wrong))


def test_remix_keeps_the_source_layout() -> None:
    source = generate(spec("a cat in a meadow at noon"))
    remix = generate(spec("at night", mode=Mode.REMIX, seed=99, source_plan=source.plan))
    assert remix.plan["layout_seed"] == source.plan["layout_seed"]
    assert remix.plan["subjects"] == source.plan["subjects"]
    assert remix.plan["time_of_day"] == "night"
    fresh = generate(spec("at night", mode=Mode.REMIX, seed=99))
    assert fresh.plan["subjects"] == []  # no source plan: the new prompt alone


def test_remix_of_footage_without_a_plan_transforms_its_frames(tmp_path: Path) -> None:
    original = frames("a dog in a park at noon", seconds=0.5)
    video = source_video(tmp_path, original)
    result = generate(
        spec("film noir", mode=Mode.REMIX, seconds=0.5, audio=False),
        GenerationInputs(source_video=video),
    )
    pictures = list(result.frames)
    spread = pictures[5].astype(int).max(axis=2) - pictures[5].astype(int).min(axis=2)
    assert np.percentile(spread, 99) <= 6  # the source's own picture, now in black and white


def test_edit_keeps_timing_and_regrades(tmp_path: Path) -> None:
    original = frames("a dog in a park at noon", seconds=0.5)
    video = source_video(tmp_path, original)
    request = spec("make it night", mode=Mode.EDIT, seconds=1.0)
    result = generate(request, GenerationInputs(source_video=video))
    pictures = list(result.frames)
    assert len(pictures) == request.frame_count == 24  # the 12-frame source holds its last frame
    assert np.array_equal(pictures[-1], pictures[-2])
    assert luma(pictures[0]).mean() < 0.6 * luma(original[0]).mean()
    assert result.plan["mode"] == "edit"


def test_edit_adds_rain_and_noir(tmp_path: Path) -> None:
    original = frames("a red car in a city at noon", seconds=0.5)
    video = source_video(tmp_path, original)
    pictures = list(
        generate(
            spec("noir, in the rain", mode=Mode.EDIT, seconds=0.5),
            GenerationInputs(source_video=video),
        ).frames
    )
    spread = pictures[3].astype(int).max(axis=2) - pictures[3].astype(int).min(axis=2)
    assert np.percentile(spread, 99) <= 6  # grey, rain included
    moving = np.abs(pictures[4].astype(int) - pictures[3].astype(int)).max(axis=2) > 25
    assert moving.sum() > 20  # falling rain


@pytest.mark.parametrize("with_plan", [True, False])
def test_extend_continues_smoothly_from_the_last_frame(tmp_path: Path, with_plan: bool) -> None:
    first = generate(spec("a dog walking in a park, pan right", seconds=0.5, audio=False))
    original = list(first.frames)
    video = source_video(tmp_path, original)
    request = spec(
        "it starts to snow",
        mode=Mode.EXTEND,
        seconds=1.0,
        source_plan=first.plan if with_plan else None,
    )
    result = generate(request, GenerationInputs(source_video=video))
    pictures = list(result.frames)
    assert len(pictures) == 24
    seam = np.abs(pictures[0].astype(int) - original[-1].astype(int)).mean()
    later = np.abs(pictures[-1].astype(int) - original[-1].astype(int)).mean()
    assert seam < 6.0
    assert later > seam
    assert result.plan["painted"] is with_plan


def _magenta(frame: Frame) -> npt.NDArray[np.bool_]:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return (r > 200) & (b > 200) & (g < 80)


def _character() -> CharacterInput:
    cutout = np.zeros((40, 20, 4), dtype=np.uint8)
    cutout[..., :3] = (255, 0, 255)
    cutout[..., 3] = 255
    return CharacterInput(id="char_1", name="Mossy", image=cutout)


def test_characters_walk_through_the_scene() -> None:
    result = generate(
        spec("Mossy on the beach at noon"), GenerationInputs(characters=(_character(),))
    )
    assert [s["name"] for s in result.plan["subjects"]] == ["Mossy"]
    pictures = list(result.frames)
    assert all(_magenta(f).sum() > 50 for f in pictures)
    xs = [np.nonzero(_magenta(f))[1].mean() for f in (pictures[0], pictures[-1])]
    assert xs[0] != xs[1]


def test_a_named_character_does_what_the_prompt_says() -> None:
    result = generate(
        spec("Mossy jumps in a park", audio=False), GenerationInputs(characters=(_character(),))
    )
    assert [(s["name"], s["action"]) for s in result.plan["subjects"]] == [("Mossy", "jump")]
    tops = [np.nonzero(_magenta(f))[0].min() for f in result.frames]
    assert max(tops) - min(tops) > 5  # up and down


def test_inpaint_shows_keyframes_exactly_and_travels_between_them() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 120, (H, W, 3), dtype=np.uint8)
    b = rng.integers(130, 256, (H, W, 3), dtype=np.uint8)
    keyframes = (Keyframe(frame_index=4, image=a), Keyframe(frame_index=16, image=b))
    result = generate(
        spec("the camera pans left", mode=Mode.INPAINT, audio=False),
        GenerationInputs(keyframes=keyframes),
    )
    pictures = list(result.frames)
    assert len(pictures) == 24
    assert np.array_equal(pictures[4], a) and np.array_equal(pictures[16], b)
    means = [float(luma(f).mean()) for f in pictures[4:17]]
    assert means == sorted(means)  # from the first picture to the second
    assert not np.array_equal(pictures[0], a)  # moving toward the first keyframe
    assert not np.array_equal(pictures[-1], b)  # and on from the last


def test_inpaint_conditioning_video_starts_at_its_index(tmp_path: Path) -> None:
    original = frames("a red car in a city at noon", seconds=0.5)
    video = source_video(tmp_path, original)
    result = generate(
        spec("a city", mode=Mode.INPAINT, audio=False, source_frame_index=6),
        GenerationInputs(source_video=video),
    )
    pictures = list(result.frames)
    assert len(pictures) == 24
    for offset in (0, 5):
        diff = np.abs(pictures[6 + offset].astype(int) - original[offset].astype(int)).mean()
        assert diff < 6.0  # the video's own frames (after a round trip through H.264)
    assert np.abs(pictures[0].astype(int) - original[0].astype(int)).mean() > 0.5


def test_inpaint_without_anchors_paints_the_prompt() -> None:
    result = generate(spec("a cat at night", mode=Mode.INPAINT, audio=False, seconds=0.25))
    assert len(list(result.frames)) == 6


def test_inpaint_anchors_outside_the_clip_are_ignored() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    result = generate(
        spec("a meadow", mode=Mode.INPAINT, audio=False, seconds=0.25),
        GenerationInputs(keyframes=(Keyframe(frame_index=99, image=image),)),
    )
    assert len(list(result.frames)) == 6


@pytest.mark.parametrize(
    ("prompt", "darker"),
    [("a city street, day turning to night", True), ("a beach, night turning to dawn", False)],
)
def test_the_light_changes_over_the_clip_when_asked(prompt: str, darker: bool) -> None:
    result = generate(spec(prompt, seconds=2.0, fps=8, audio=False))
    pictures = list(result.frames)
    first, last = float(luma(pictures[0]).mean()), float(luma(pictures[-1]).mean())
    assert result.plan["time_change"] in ("night", "dawn")
    assert (last < first - 20) if darker else (last > first + 10)
    middle = [float(luma(p).mean()) for p in pictures]
    steps = [abs(b - a) for a, b in itertools.pairwise(middle)]
    assert max(steps) < 0.5 * abs(last - first)  # a dissolve, not a cut


def test_dialogue_speaks_with_the_espeak_program_hidden_from_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pip alone is enough: the bundled library speaks, no `espeak-ng` program needed."""
    monkeypatch.setenv("PATH", "")
    quiet = generate(spec("an empty room at noon, no music", seconds=3.0))
    talking = generate(
        spec("an empty room at noon, no music. A man says 'hello there, how are you'", seconds=3.0)
    )
    assert "warnings" not in talking.plan
    assert quiet.audio is not None and talking.audio is not None
    window = slice(int(0.6 * 48_000), int(2.0 * 48_000))
    spectrum = np.abs(np.fft.rfft(talking.audio.samples[:, window].mean(axis=0))) ** 2
    base = np.abs(np.fft.rfft(quiet.audio.samples[:, window].mean(axis=0))) ** 2
    freqs = np.fft.rfftfreq(window.stop - window.start, 1 / 48_000)
    voice = (freqs >= 300) & (freqs < 3400)
    assert spectrum[voice].sum() / spectrum.sum() > 2 * base[voice].sum() / base.sum()


def test_remix_keeps_the_world_and_an_extension_carries_on_at_the_later_hour() -> None:
    from reelbox.engines.procedural.engine import ProceduralEngine
    from reelbox.engines.procedural.planner import plan_scene, remix_plan

    source = plan_scene("an astronaut on Mars, Earth in the sky, day turning to night", seed=1)
    remixed = remix_plan(source, "now he waves", seed=1)
    assert (remixed.world, remixed.earth_in_sky, remixed.time_change) == ("mars", True, "night")
    extend = spec("he keeps walking", mode=Mode.EXTEND, source_plan=source.to_json())
    plan, painted = ProceduralEngine._plan(extend, GenerationInputs())
    assert painted and plan.time_of_day == "night" and plan.time_change is None
