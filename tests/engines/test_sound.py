"""The soundtrack: layout, loudness, determinism, continuity, memory, every voice of the mix."""

from __future__ import annotations

import os
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

from reelbox.engines.procedural.motion import Stage
from reelbox.engines.procedural.plan import SoundPlan
from reelbox.engines.procedural.planner import plan_scene
from reelbox.engines.procedural.sound import (
    PEAK,
    TARGET_RMS,
    line_voice,
    prepare_dialogue,
    render_audio,
)
from reelbox.engines.procedural.vocabulary import MUSIC_STYLES, SETTINGS, SOUND_CUES
from reelbox.media import speech

RATE = 48_000
STAGE = Stage(width=640, height=360, horizon=216)


def _audio(prompt: str, seconds: float = 1.0, offset: float = 0.0) -> np.ndarray:
    plan = plan_scene(prompt, seed=3)
    track = render_audio(plan, samples=int(seconds * RATE), stage=STAGE, time_offset=offset)
    assert track.sample_rate == RATE
    return track.samples


def test_layout_loudness_and_peaks() -> None:
    samples = _audio("a dog runs on a beach at noon", seconds=2.0)
    assert samples.shape == (2, 96_000) and samples.dtype == np.float32
    assert float(np.max(np.abs(samples))) <= PEAK
    rms = float(np.sqrt(np.mean(np.square(samples[:, 2400:-2400]))))
    assert 0.6 * TARGET_RMS < rms < 1.3 * TARGET_RMS
    assert not np.array_equal(samples[0], samples[1])  # stereo, not two copies


def test_deterministic_per_seed() -> None:
    assert np.array_equal(_audio("rain on a city street"), _audio("rain on a city street"))
    other = render_audio(plan_scene("rain on a city street", seed=4), samples=RATE, stage=STAGE)
    assert not np.array_equal(_audio("rain on a city street"), other.samples)


def test_an_extension_continues_the_same_sound() -> None:
    whole = _audio("a calm lake at dawn, piano", seconds=4.0)
    second = _audio("a calm lake at dawn, piano", seconds=2.0, offset=2.0)
    a = whole[:, 2 * RATE + 4800 : 4 * RATE - 4800].ravel()
    b = second[:, 4800:-4800].ravel()
    correlation = float(np.corrcoef(a, b)[0, 1])
    assert correlation > 0.95  # the same music and ambience, only levelled on its own


def test_memory_stays_near_the_size_of_the_track() -> None:
    plan = plan_scene("a thunderstorm over a city at night, a car drives by, strings", seed=1)
    tracemalloc.start()
    try:
        render_audio(plan, samples=30 * RATE, stage=STAGE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    track = 2 * 30 * RATE * 4
    assert peak < 2.2 * track + 40_000_000


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_has_a_sound(setting: str) -> None:
    plan = replace(plan_scene("something", seed=1), setting=setting, sound=SoundPlan(music=False))
    samples = render_audio(plan, samples=RATE // 2, stage=STAGE).samples
    assert float(np.sqrt(np.mean(np.square(samples)))) > 0.01


@pytest.mark.parametrize("style", [s for s in MUSIC_STYLES if s != "auto"])
def test_every_instrument_plays(style: str) -> None:
    plan = plan_scene("a quiet room", seed=2)
    plan = replace(plan, sound=SoundPlan(ambience=False, music_style=style))
    samples = render_audio(plan, samples=2 * RATE, stage=STAGE).samples
    assert float(np.sqrt(np.mean(np.square(samples)))) > 0.05


@pytest.mark.parametrize("cue", SOUND_CUES)
def test_every_sound_cue_makes_a_sound(cue: str) -> None:
    base = replace(plan_scene("an empty stage", seed=2), weather="clear")
    quiet = render_audio(replace(base, sound=SoundPlan(music=False)), samples=3 * RATE, stage=STAGE)
    with_cue = render_audio(
        replace(base, sound=SoundPlan(music=False, cues=(cue,))), samples=3 * RATE, stage=STAGE
    )
    assert not np.allclose(quiet.samples, with_cue.samples)


@pytest.mark.parametrize(
    "prompt",
    [
        "a man walks on a city street",
        "a horse gallops in a meadow",
        "a helicopter flies over the sea",
        "two birds fly over a forest",
        "a car drives along a country road",
        "a campfire at night",
    ],
)
def test_subjects_make_their_sounds(prompt: str) -> None:
    plan = plan_scene(prompt, seed=2)
    empty = replace(plan, subjects=())
    with_subjects = render_audio(
        replace(plan, sound=SoundPlan(music=False)), samples=2 * RATE, stage=STAGE
    )
    without = render_audio(
        replace(empty, sound=SoundPlan(music=False)), samples=2 * RATE, stage=STAGE
    )
    assert not np.allclose(with_subjects.samples, without.samples)


@pytest.mark.skipif(
    not speech.available() and not os.environ.get("REELBOX_REQUIRE_SPEECH"),
    reason="speech (espeakng-loader) is not installed; CI sets REELBOX_REQUIRE_SPEECH=1",
)
def test_dialogue_is_placed_and_the_music_ducks_under_it() -> None:
    plan = plan_scene('a man says "one two three four five six" in a quiet room, piano', seed=2)
    dialogue = prepare_dialogue(plan, samples=4 * RATE, stage=STAGE)
    ((start, end),) = dialogue.speaking["person"]
    assert 0.1 < start < 0.6 and start + 0.8 < end < 4.0
    track = render_audio(plan, samples=4 * RATE, stage=STAGE, dialogue=dialogue)
    assert float(np.max(np.abs(track.samples))) <= PEAK
    many = plan_scene('she says "' + "and then " * 40 + 'we went home" in a room', seed=2)
    squeezed = prepare_dialogue(many, samples=3 * RATE, stage=STAGE)
    spans = squeezed.speaking["person"]
    assert spans[-1][1] <= 3.0  # long lines are spoken faster and cut to fit the clip


def test_a_french_dialogue_prompt_is_spoken_by_the_french_voice() -> None:
    plan = plan_scene('une femme dit "bonjour, comment allez-vous" dans un parc', seed=1)
    (line,) = plan.sound.dialogue
    assert plan.language == "fr"
    voice = line_voice(line, plan.language)
    assert voice.name.split("+")[0] == "fr"
    english = line_voice(line, None)
    assert english.name.startswith("en")
    # The bundled library really switches: the same words come out differently.
    french = speech.synthesize(line.text, voice).samples
    assert french.size and not np.array_equal(french, speech.synthesize(line.text, english).samples)
