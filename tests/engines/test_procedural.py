"""The procedural engine: determinism, shapes, light, weather, camera, modes and streaming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from reelbox.engines.base import (
    CharacterInput,
    EngineError,
    Frame,
    GenerationCancelled,
    GenerationInputs,
    GenerationResult,
    SourceVideo,
)
from reelbox.engines.procedural import ProceduralEngine
from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.vocabulary import SETTINGS, TIMES_OF_DAY
from reelbox.jobs.spec import GenerationSpec, Mode

W, H = 128, 72


def _spec(prompt: str, **kw: Any) -> GenerationSpec:
    values: dict[str, Any] = {
        "mode": Mode.TEXT,
        "width": W,
        "height": H,
        "seconds": 1.0,
        "seed": 7,
        "profile": "procedural",
        "fps": 24,
    }
    values.update(kw)
    return GenerationSpec(prompt=prompt, **values)


def _generate(
    spec: GenerationSpec, inputs: GenerationInputs | None = None, **kw: Any
) -> GenerationResult:
    return ProceduralEngine({}).generate(
        spec,
        inputs or GenerationInputs(),
        on_progress=kw.get("on_progress", lambda _: None),
        should_cancel=kw.get("should_cancel", lambda: False),
    )


def _frames(prompt: str, **kw: Any) -> list[Frame]:
    return list(_generate(_spec(prompt, **kw)).frames)


def _luma(frame: Frame) -> npt.NDArray[np.float64]:
    return frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _write_mp4(path: Path, frames: list[Frame], fps: int) -> None:
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(frames):
            video = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video.pts = index
            for packet in stream.encode(video):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _source(tmp_path: Path, frames: list[Frame], fps: int = 24) -> SourceVideo:
    path = tmp_path / "source.mp4"
    _write_mp4(path, frames, fps)
    height, width = frames[0].shape[:2]
    return SourceVideo(
        path=path,
        width=width,
        height=height,
        fps=float(fps),
        frame_count=len(frames),
        duration=len(frames) / fps,
        has_audio=False,
    )


# -- basics --------------------------------------------------------------------------------


def test_capabilities() -> None:
    caps = ProceduralEngine({"fps": 30}).capabilities()
    assert caps.modes == frozenset(Mode)
    assert caps.sizes is None and caps.seconds is None
    assert (caps.min_seconds, caps.max_seconds, caps.fps, caps.audio) == (1.0, 120.0, 30, True)
    assert caps.max_pixels == 1920 * 1920


@pytest.mark.parametrize("options", [{"fps": 0}, {"fps": "24"}, {"quality": "high"}])
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"fps|unknown procedural engine options"):
        ProceduralEngine(options)


@pytest.mark.parametrize(("width", "height"), [(127, 72), (128, 71), (1922, 720), (8, 8)])
def test_sizes_outside_the_range_fail_clearly(width: int, height: int) -> None:
    with pytest.raises(EngineError, match="size"):
        _generate(_spec("a cat", width=width, height=height))


def test_frames_shape_count_and_dtype() -> None:
    result = _generate(_spec("a dog in a park", seconds=1.5, fps=12))
    frames = list(result.frames)
    assert result.frame_count == len(frames) == 18
    assert (result.width, result.height, result.fps) == (W, H, 12)
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)


def test_audio_track_matches_the_clip() -> None:
    result = _generate(_spec("waves on a beach", seconds=1.25, fps=24))
    audio = result.audio
    assert audio is not None
    assert audio.sample_rate == 48_000
    assert audio.samples.shape[0] == 2
    assert audio.samples.dtype == np.float32
    assert abs(audio.samples.shape[1] - result.frame_count / result.fps * 48_000) <= 1
    peak = float(np.max(np.abs(audio.samples)))
    assert 0.0 < peak <= 0.95


@pytest.mark.parametrize("prompt", ["a silent movie of a cat", "rain in the city, no sound"])
def test_silent_prompts_have_no_audio(prompt: str) -> None:
    assert _generate(_spec(prompt)).audio is None


def test_spec_without_audio_has_no_audio() -> None:
    assert _generate(_spec("a cat", audio=False)).audio is None


def test_plan_is_json_and_honest() -> None:
    result = _generate(_spec("a red car in a rainy city at night"))
    plan = json.loads(json.dumps(result.plan))
    assert plan["engine"] == "procedural"
    assert plan["version"] == 1
    assert plan["mode"] == "text"
    assert plan["understood"] == ["red", "car", "rainy", "city", "at night"]
    assert "model" not in json.dumps(plan).lower()


# -- determinism ---------------------------------------------------------------------------


def test_same_spec_same_frames_and_sound() -> None:
    prompt = "two cats in a snowy forest at dusk, pan left"
    a, b = _generate(_spec(prompt)), _generate(_spec(prompt))
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True))
    assert a.audio is not None and b.audio is not None
    assert np.array_equal(a.audio.samples, b.audio.samples)
    assert a.plan == b.plan


def test_another_seed_changes_frames_and_sound() -> None:
    prompt = "a dog on a beach at sunset"
    a, b = _generate(_spec(prompt, seed=1)), _generate(_spec(prompt, seed=2))
    assert not np.array_equal(next(a.frames), next(b.frames))
    assert a.audio is not None and b.audio is not None
    assert not np.array_equal(a.audio.samples, b.audio.samples)


# -- what the prompt says shows ------------------------------------------------------------


def test_night_is_darker_than_noon() -> None:
    night = _frames("a meadow at night", seconds=0.25)[0]
    noon = _frames("a meadow at noon", seconds=0.25)[0]
    assert _luma(night).mean() < 0.5 * _luma(noon).mean()


def test_snow_adds_bright_particles() -> None:
    def specks(prompt: str) -> float:
        frames = _frames(prompt, width=320, height=180, seconds=0.5)
        # Specks on the ground (no sun, moon or stars there): pixels much brighter than
        # their row's typical value.
        counts = []
        for frame in frames:
            ground = _luma(frame[int(0.62 * frame.shape[0]) :])
            counts.append(np.count_nonzero(ground > np.median(ground, axis=1)[:, None] + 30))
        return float(np.mean(counts))

    assert specks("the desert at dusk, clear") < 5
    assert specks("the desert at dusk with snow") > 20


def _shift(a: Frame, b: Frame, *, limit: int = 12) -> int:
    """How far the picture moved right from `a` to `b` (cross-correlation of column means)."""
    ca = _luma(a).mean(axis=0)
    cb = _luma(b).mean(axis=0)
    ca, cb = ca - ca.mean(), cb - cb.mean()
    n = ca.size
    scores = {
        s: float(np.mean(ca[max(0, -s) : n - max(0, s)] * cb[max(0, s) : n - max(0, -s)]))
        for s in range(-limit, limit + 1)
    }
    return max(scores, key=lambda s: scores[s])


def test_pans_move_the_picture_in_opposite_directions() -> None:
    left = _frames("a city skyline at noon, pan left", fps=24, seconds=0.5)
    right = _frames("a city skyline at noon, pan right", fps=24, seconds=0.5)
    still = _frames("a city skyline at noon", fps=24, seconds=0.5)
    # Panning left turns the camera left: the scene slides right across the frame.
    assert _shift(left[0], left[8]) > 0
    assert _shift(right[0], right[8]) < 0
    assert _shift(still[0], still[8]) == 0


def _magnification(a: Frame, b: Frame) -> float:
    """How much `b` is `a` magnified about the centre (matching their column means)."""
    ca, cb = _luma(a).mean(axis=0), _luma(b).mean(axis=0)
    x = np.arange(ca.size) + 0.5
    centre = ca.size / 2

    def error(scale: float) -> float:
        predicted = np.interp(centre + (x - centre) / scale, x, ca)
        inner = slice(ca.size // 8, -ca.size // 8)
        return float(np.mean((predicted[inner] - cb[inner]) ** 2))

    return min(np.linspace(0.8, 1.4, 61), key=error)


@pytest.mark.parametrize(("move", "growing"), [("zoom in", True), ("zoom out", False)])
def test_zooms_magnify_and_shrink(move: str, growing: bool) -> None:
    frames = _frames(f"a city skyline at noon, {move}", fps=4, seconds=8.0)
    scale = _magnification(frames[0], frames[-1])
    if growing:
        assert 1.08 <= scale <= 1.25
    else:
        assert 0.85 <= scale <= 0.97


def test_every_setting_time_and_subject_renders() -> None:
    subjects = " and ".join(f"a {kind}" for kind in KINDS if kind != "character")
    for index, setting in enumerate(SETTINGS):
        time_of_day = TIMES_OF_DAY[index % len(TIMES_OF_DAY)]
        prompt = f"{subjects} in the {setting} at {time_of_day}"
        if setting == "snow":
            prompt = f"{subjects} in the arctic at {time_of_day}"
        result = _generate(_spec(prompt, width=64, height=36, seconds=0.25, audio=False))
        assert result.plan["setting"] == setting
        assert len(list(result.frames)) == 6


# -- streaming, progress and cancellation --------------------------------------------------


def test_progress_is_monotonic_and_reaches_one() -> None:
    seen: list[float] = []
    result = _generate(_spec("a boat on the ocean", seconds=0.5), on_progress=seen.append)
    assert seen == []  # nothing is rendered before the frames are pulled
    frames = list(result.frames)
    assert len(seen) == len(frames) == 12
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_cancel_stops_mid_stream() -> None:
    state = {"cancel": False}
    result = _generate(_spec("a bird over the sea"), should_cancel=lambda: state["cancel"])
    frames = result.frames
    for _ in range(5):
        next(frames)
    state["cancel"] = True
    with pytest.raises(GenerationCancelled):
        next(frames)


# -- modes ---------------------------------------------------------------------------------


def test_image_mode_starts_on_the_reference_exactly() -> None:
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    result = _generate(
        _spec("at night in the rain", mode=Mode.IMAGE),
        GenerationInputs(reference_image=reference),
    )
    frames = list(result.frames)
    assert len(frames) == 24
    assert np.array_equal(frames[0], reference)
    assert not np.array_equal(frames[-1], reference)
    assert _luma(frames[-1]).mean() < _luma(reference).mean()  # night fades in


def test_image_mode_needs_a_matching_reference() -> None:
    with pytest.raises(EngineError, match="reference image"):
        _generate(_spec("x", mode=Mode.IMAGE))
    wrong = np.zeros((H, W + 2, 3), dtype=np.uint8)
    with pytest.raises(EngineError, match="expected exactly"):
        _generate(_spec("x", mode=Mode.IMAGE), GenerationInputs(reference_image=wrong))


def test_remix_keeps_the_source_layout() -> None:
    source = _generate(_spec("a cat in a meadow at noon"))
    remix = _generate(_spec("at night", mode=Mode.REMIX, seed=99, source_plan=source.plan))
    assert remix.plan["layout_seed"] == source.plan["layout_seed"]
    assert remix.plan["subjects"] == source.plan["subjects"]
    assert remix.plan["time_of_day"] == "night"
    fresh = _generate(_spec("at night", mode=Mode.REMIX, seed=99))
    assert fresh.plan["subjects"] == []  # no source plan: the new prompt alone


def test_edit_keeps_timing_and_regrades(tmp_path: Path) -> None:
    original = _frames("a dog in a park at noon", seconds=0.5)
    source = _source(tmp_path, original)
    spec = _spec("make it night", mode=Mode.EDIT, seconds=1.0)
    result = _generate(spec, GenerationInputs(source_video=source))
    frames = list(result.frames)
    assert len(frames) == spec.frame_count == 24  # the 12-frame source holds its last frame
    assert np.array_equal(frames[-1], frames[-2])
    assert _luma(frames[0]).mean() < 0.6 * _luma(original[0]).mean()
    assert result.plan["mode"] == "edit"


def test_edit_adds_rain_and_noir(tmp_path: Path) -> None:
    original = _frames("a red car in a city at noon", seconds=0.5)
    source = _source(tmp_path, original)
    frames = list(
        _generate(
            _spec("noir, in the rain", mode=Mode.EDIT, seconds=0.5),
            GenerationInputs(source_video=source),
        ).frames
    )
    spread = frames[3].astype(int).max(axis=2) - frames[3].astype(int).min(axis=2)
    assert np.percentile(spread, 99) <= 12  # grey (rain streaks are faintly blue)


@pytest.mark.parametrize("with_plan", [True, False])
def test_extend_continues_smoothly_from_the_last_frame(tmp_path: Path, with_plan: bool) -> None:
    first = _generate(_spec("a dog walking in a park, pan right", seconds=0.5))
    original = list(first.frames)
    source = _source(tmp_path, original)
    spec = _spec(
        "it starts to snow",
        mode=Mode.EXTEND,
        seconds=1.0,
        source_plan=first.plan if with_plan else None,
    )
    frames = list(_generate(spec, GenerationInputs(source_video=source)).frames)
    assert len(frames) == 24
    seam = np.abs(frames[0].astype(int) - original[-1].astype(int)).mean()
    later = np.abs(frames[-1].astype(int) - original[-1].astype(int)).mean()
    assert seam < 6.0
    assert later > seam


def test_characters_walk_through_the_scene() -> None:
    cutout = np.zeros((40, 20, 4), dtype=np.uint8)
    cutout[..., :3] = (255, 0, 255)
    cutout[..., 3] = 255
    character = CharacterInput(id="char_1", name="Mossy", image=cutout)
    result = _generate(
        _spec("Mossy on the beach at noon"), GenerationInputs(characters=(character,))
    )
    assert [s["name"] for s in result.plan["subjects"]] == ["Mossy"]
    frames = list(result.frames)

    def magenta(f: Frame) -> npt.NDArray[np.bool_]:
        r, g, b = (f[..., i].astype(int) for i in range(3))
        return (r > 200) & (b > 200) & (g < 80)

    assert all(magenta(f).sum() > 50 for f in frames)
    xs = [np.nonzero(magenta(f))[1].mean() for f in (frames[0], frames[-1])]
    assert xs[0] != xs[1]
