"""Every sound a prompt names happens, loud enough to hear over the scene's bed, when its picture
says so: measured as energy per cue window, the cue alone against the bed alone (the mix's
mastering scales both the same)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reelbox.engines.procedural.ambience import ambience
from reelbox.engines.procedural.figures.extras import burst_phase
from reelbox.engines.procedural.foley import cue_times, cues, subject_sounds, thunder
from reelbox.engines.procedural.motion import Stage
from reelbox.engines.procedural.planner import plan_scene
from reelbox.engines.procedural.synth import Bus
from reelbox.engines.procedural.vocabulary import SOUND_CUES

RATE = 48_000
STAGE = Stage(width=640, height=360, horizon=216)
_PROMPTS = {  # a scene for each named sound, as a prompt would put it
    "thunder": "a meadow, the sound of thunder",
    "birdsong": "a forest with birdsong",
    "bells": "a village with church bells",
    "applause": "a stage with applause",
    "crowd": "a busy market, crowd noise",
    "traffic": "a city street with traffic noise",
    "siren": "a city street, police siren",
    "horn": "a road, car horn honking",
    "bark": "a park, a dog barking",
    "waves": "a beach, sound of waves",
    "wind": "a hilltop, whistling wind",
    "rain": "a room, sound of rain",
    "fire": "a forest camp, crackling fire",
    "footsteps": "a hallway, footsteps",
    "clock": "a room, ticking clock",
    "heartbeat": "a dark room, heartbeat",
    "explosion": "fireworks over a harbor",
    "whistle": "a steam train on a country road, whistle blowing",
    "sizzle": "a chef frying pancakes in a kitchen",
    "howl": "a wolf howling on a snowy hill",
    "cheer": "a crowd cheering in a stadium",
    "hum": "a robot vacuum humming in a living room",
}
_MOMENTS = frozenset({"whistle", "howl", "cheer", "explosion"})


def cue_level(alone: Bus, bed: Bus, start: float, end: float) -> float:
    """dB of the cue over the bed where the cue sounds: in the loudest quarter of the 50 ms
    frames of its window (a ticking clock is heard in its ticks, not in the silence between)."""
    a, b = int(start * RATE), min(alone.n, int(end * RATE))
    step = int(0.05 * RATE)
    frames = max(1, (b - a) // step)
    cue = np.square(alone.data[:, a : a + frames * step], dtype=np.float64)
    base = np.square(bed.data[:, a : a + frames * step], dtype=np.float64)
    cue_frames = cue.reshape(2, frames, -1).mean(axis=(0, 2))
    bed_frames = base.reshape(2, frames, -1).mean(axis=(0, 2))
    loud = np.argsort(cue_frames)[-max(1, frames // 4) :]
    ratio = cue_frames[loud].sum() / max(1e-12, bed_frames[loud].sum())
    return 10 * math.log10(max(ratio, 1e-12))


def test_every_cue_has_a_prompt_here() -> None:
    assert set(_PROMPTS) == set(SOUND_CUES)


@pytest.mark.parametrize("cue", sorted(SOUND_CUES))
@pytest.mark.parametrize("seconds", [1.5, 4.0])
def test_every_named_sound_happens_within_10_db_of_the_bed(cue: str, seconds: float) -> None:
    plan = plan_scene(_PROMPTS[cue], seed=11)
    assert cue in plan.sound.cues
    samples = int(seconds * RATE)
    bed, alone = Bus(samples, RATE), Bus(samples, RATE)
    ambience(plan, bed)
    subject_sounds(plan, bed, STAGE, 1.0)
    cues(plan, alone)
    if plan.weather == "storm":
        thunder(plan, alone)  # a storm's thunder is mixed with the storm, not the cues
    if cue in _MOMENTS:
        times = cue_times(plan, cue, start=0.0, end=seconds)
        assert times, f"{cue} never happens in {seconds} s"
        windows = [(t, min(seconds, t + 0.6)) for t in times]
    else:
        windows = [(0.1, seconds - 0.1)]
    for start, end in windows:
        level = cue_level(alone, bed, start, end)
        assert level > -10, f"{cue} at {start:.2f} s is {level:.1f} dB under the bed"


def test_a_boom_comes_with_each_visible_burst() -> None:
    plan = plan_scene("fireworks over a harbor at night", seed=5)
    (index,) = [i for i, s in enumerate(plan.subjects) if s.kind == "fireworks"]
    for t in cue_times(plan, "explosion", start=0.0, end=6.0):
        phases = [burst_phase(t, index * 7 + 3, shell) for shell in range(3)]
        assert any(abs(u - 0.2) < 1e-6 for u in phases)  # a shell bursts at that moment


def test_the_whistle_is_not_left_to_chance() -> None:
    for seed in range(20):
        plan = plan_scene("a steam train, whistle blowing", seed=seed)
        assert cue_times(plan, "whistle", start=0.0, end=2.0)
