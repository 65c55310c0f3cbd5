"""The planner reads the prompt's vocabulary into a typed, JSON-ready plan and fills the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelbox.engines.procedural.figures import has_figure
from reelbox.engines.procedural.kinds import KIND_WORDS, KINDS
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.planner import plan_scene, remix_plan
from reelbox.engines.procedural.vocabulary import (
    ACTIONS,
    CAMERA_MOVES,
    LIGHTINGS,
    SHOTS,
    SOUND_CUES,
    STYLES,
    TIMES_OF_DAY,
    WEATHERS,
)


def test_reads_every_aspect_and_records_what_it_understood() -> None:
    plan = plan_scene(
        "A red car drives through a rainy city at night, the camera pans left. No sound.", seed=1
    )
    assert (plan.time_of_day, plan.weather, plan.setting) == ("night", "rain", "city")
    assert plan.camera.move == "pan_left"
    assert [(s.kind, s.color, s.action) for s in plan.subjects] == [("car", "red", "drive")]
    assert plan.audio is False
    assert plan.understood == (
        "red",
        "car",
        "drives",
        "rainy",
        "city",
        "at night",
        "camera pans left",
        "no sound",
    )
    assert {"time_of_day", "weather", "setting", "camera", "subjects", "actions"} <= set(
        plan.explicit
    )


def test_the_vocabulary_covers_what_the_engine_promises() -> None:
    assert set(TIMES_OF_DAY) == {
        "dawn",
        "morning",
        "noon",
        "golden hour",
        "sunset",
        "dusk",
        "night",
    }
    assert set(WEATHERS) == {"clear", "cloudy", "rain", "snow", "fog", "storm"}
    assert set(SHOTS) == {"wide", "medium", "close_up", "aerial", "low_angle", "pov"}
    assert len(CAMERA_MOVES) == 13
    assert set(LIGHTINGS) >= {"soft", "dramatic", "neon", "candlelight", "backlit"}
    assert set(STYLES) >= {"cinematic", "anime", "watercolor", "noir", "pixel_art", "vintage"}
    wanted = {"walk", "run", "fly", "swim", "drive", "jump", "dance", "spin", "fall", "float"}
    assert wanted | {"wave", "sit"} <= set(ACTIONS)
    kinds = [k for k in KINDS if k != "character"]
    assert len(kinds) >= 40
    assert all(has_figure(k) for k in kinds)
    categories = {KINDS[k].category for k in kinds}
    assert categories == {
        "person",
        "animal",
        "bird",
        "sea",
        "vehicle",
        "boat",
        "aircraft",
        "plant",
        "building",
        "object",
    }


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "character"])
def test_every_kind_is_named_by_a_word(kind: str) -> None:
    word = next(w for w, (k, n) in KIND_WORDS.items() if k == kind and n == 1)
    plan = plan_scene(f"a {word} in the scene", seed=0)
    assert [s.kind for s in plan.subjects] == [kind]


@pytest.mark.parametrize(
    ("prompt", "aspect", "value"),
    [
        ("sunrise over hills", "time_of_day", "dawn"),
        ("an early morning walk", "time_of_day", "morning"),
        ("at midday", "time_of_day", "noon"),
        ("golden hour light", "time_of_day", "golden hour"),
        ("a beach at sunset", "time_of_day", "sunset"),
        ("twilight", "time_of_day", "dusk"),
        ("a starry sky", "time_of_day", "night"),
        ("a sunny day", "weather", "clear"),
        ("an overcast afternoon", "weather", "cloudy"),
        ("a drizzle", "weather", "rain"),
        ("a blizzard", "weather", "snow"),
        ("misty hills", "weather", "fog"),
        ("a thunderstorm with lightning", "weather", "storm"),
        ("downtown streets", "setting", "city"),
        ("the city skyline", "setting", "skyline"),
        ("deep in the woods", "setting", "forest"),
        ("a city park", "setting", "park"),
        ("on the seashore", "setting", "beach"),
        ("open water", "setting", "ocean"),
        ("a quiet pond", "setting", "lake"),
        ("the alps", "setting", "mountains"),
        ("sand dunes", "setting", "desert"),
        ("the arctic tundra", "setting", "snow"),
        ("a dirt road through farmland", "setting", "road"),
        ("outer space", "setting", "space"),
        ("a coral reef", "setting", "underwater"),
        ("a cozy living room", "setting", "room"),
        ("on stage at a concert", "setting", "stage"),
        ("fields of wheat", "setting", "meadow"),
        ("soft lighting", "lighting", "soft"),
        ("chiaroscuro", "lighting", "dramatic"),
        ("neon signs", "lighting", "neon"),
        ("by candlelight", "lighting", "candlelight"),
        ("a silhouette against the sun", "lighting", "backlit"),
        ("cinematic", "style", "cinematic"),
        ("studio ghibli", "style", "anime"),
        ("a watercolour painting", "style", "watercolor"),
        ("film noir", "style", "noir"),
        ("8-bit pixel art", "style", "pixel_art"),
        ("super 8 home movie", "style", "vintage"),
        ("a happy scene", "mood", "bright"),
        ("an eerie scene", "mood", "mysterious"),
        ("an epic scene", "mood", "epic"),
    ],
)
def test_scene_words_and_synonyms(prompt: str, aspect: str, value: str) -> None:
    assert getattr(plan_scene(prompt, seed=0), aspect) == value


@pytest.mark.parametrize(
    ("prompt", "shot", "move"),
    [
        ("a wide shot of a field", "wide", "static"),
        ("medium shot, pan to the right", "medium", "pan_right"),
        ("close-up, the camera pans left", "close_up", "pan_left"),
        ("aerial view, tilt up", "aerial", "tilt_up"),
        ("low angle shot, tilt down", "low_angle", "tilt_down"),
        ("pov shot, push in", "pov", "dolly_in"),
        ("the camera pulls back", "wide", "dolly_out"),
        ("slow zoom in on a tree", "wide", "zoom_in"),
        ("zooming out", "wide", "zoom_out"),
        ("a tracking shot", "wide", "tracking"),
        ("the camera orbits", "wide", "orbit"),
        ("crane shot", "wide", "crane_up"),
        ("crane down", "wide", "crane_down"),
        ("drone shot", "aerial", "dolly_in"),
    ],
)
def test_shots_and_camera_moves(prompt: str, shot: str, move: str) -> None:
    camera = plan_scene(prompt, seed=0).camera
    assert (camera.shot, camera.move) == (shot, move)


def test_handheld_slow_motion_and_speed() -> None:
    camera = plan_scene("handheld, in slow motion, moving fast", seed=0).camera
    assert camera.handheld and camera.tempo == "slow_motion" and camera.speed == 2.0
    assert plan_scene("a time-lapse of clouds", seed=0).camera.tempo == "time_lapse"
    assert plan_scene("pov", seed=0).camera.handheld  # a point of view walks


def test_subjects_counts_colours_and_sizes() -> None:
    plan = plan_scene("two small red cars, a giant blue whale and birds, wide shot", seed=3)
    kinds = [(s.kind, s.color) for s in plan.subjects]
    assert kinds == [("car", "red")] * 2 + [("whale", "blue")] + [("bird", "blue")] * 4
    cars, whale = plan.subjects[0], plan.subjects[2]
    assert cars.size < KINDS["car"].size
    assert whale.size > KINDS["whale"].size * 1.5
    assert plan_scene("a dog", seed=3).subjects[0].color == "brown"  # the kind's own colour
    assert len(plan_scene("a crowd of people", seed=3).subjects) == 5
    assert len(plan_scene("a flock of seagulls", seed=3).subjects) == 5


@pytest.mark.parametrize(
    ("prompt", "action"),
    [
        ("a man walks", "walk"),
        ("a dog running", "run"),
        ("an eagle soaring", "fly"),
        ("a turtle swims", "swim"),
        ("a taxi drives by", "drive"),
        ("a rabbit hops", "jump"),
        ("a girl dancing", "dance"),
        ("a robot spins", "spin"),
        ("a ball falls", "fall"),
        ("a balloon floating", "float"),
        ("a woman waves hello", "wave"),
        ("a cat sleeps", "sit"),
        ("she waves", "wave"),
    ],
)
def test_actions(prompt: str, action: str) -> None:
    assert plan_scene(prompt, seed=0).subjects[0].action == action


def test_actions_attach_to_their_own_subjects() -> None:
    plan = plan_scene("a cat sleeps while two dogs run and a bird flies", seed=0)
    assert [(s.kind, s.action) for s in plan.subjects] == [
        ("cat", "sit"),
        ("dog", "run"),
        ("dog", "run"),
        ("bird", "fly"),
    ]
    moving = {s.motion for s in plan.subjects[1:]}
    assert plan.subjects[0].motion == "still" and moving == {"wrap"}
    assert plan_scene("ocean waves at dusk", seed=0).setting == "ocean"


def test_sound_cues_music_and_silence() -> None:
    plan = plan_scene("church bells, applause and a ticking clock, jazz music", seed=0)
    assert plan.sound.cues == ("bells", "applause", "clock")
    assert plan.sound.music_style == "jazz"
    assert set(SOUND_CUES) >= {"thunder", "birdsong", "traffic", "waves", "footsteps"}
    assert plan_scene("a forest, no music", seed=0).sound.music is False
    assert plan_scene("a forest, no music", seed=0).audio is True
    for prompt in ("a silent film", "a forest, no audio", "waves without sound"):
        assert plan_scene(prompt, seed=0).audio is False
    assert plan_scene("a silent film", seed=0).style == "vintage"


def test_quoted_dialogue_with_voices() -> None:
    plan = plan_scene(
        'An old woman says "it looks like rain" and a robot replies “affirmative”. '
        '"Run!" shouts the boy.',
        seed=0,
    )
    lines = [(d.text, d.voice, d.speaker, d.loudness) for d in plan.sound.dialogue]
    assert lines == [
        ("it looks like rain", "female", "person", "normal"),
        ("affirmative", "robot", "robot", "normal"),
        ("Run!", "child", "child", "loud"),
    ]
    assert plan.weather == "clear"  # words inside quotes are not scene words
    assert '"it looks like rain"' in plan.understood


def test_unknown_words_are_ignored_and_defaults_follow_what_was_said() -> None:
    plain = plan_scene("the quixotic flibbertigibbet perambulates", seed=0)
    assert (plain.time_of_day, plain.weather, plain.setting) == ("noon", "clear", "meadow")
    assert plain.camera.move == "static" and plain.subjects == () and plain.understood == ()
    assert plan_scene("a boat", seed=0).setting == "ocean"
    assert plan_scene("a goldfish", seed=0).setting == "underwater"
    assert plan_scene("snowing", seed=0).setting == "snow"
    assert plan_scene("neon lights", seed=0).time_of_day == "night"
    assert plan_scene("neon lights at noon", seed=0).time_of_day == "noon"
    assert plan_scene("rain", seed=0).mood == "melancholy"
    assert plan_scene("a storm", seed=0).mood == "tense"
    assert plan_scene("a sad sunset", seed=0).mood == "melancholy"
    assert plan_scene("a blizzard", seed=0).wind == 1.0


def test_longest_phrase_wins_and_negation_is_ignored() -> None:
    plan = plan_scene("golden hour with a golden dog, no rain, muted colors", seed=0)
    assert plan.time_of_day == "golden hour"
    assert plan.subjects[0].color == "gold"
    assert plan.weather == "clear"
    assert plan.style == "pastel"
    assert plan.audio is True  # "muted colors" is a style, not silence


def test_deterministic_and_seeded() -> None:
    a = plan_scene("a cat and a dog in a park", seed=5)
    b = plan_scene("a cat and a dog in a park", seed=5)
    c = plan_scene("a cat and a dog in a park", seed=6)
    assert a == b
    assert a.layout_seed != c.layout_seed
    assert [s.phase for s in a.subjects] != [s.phase for s in c.subjects]


def test_json_round_trip() -> None:
    plan = plan_scene(
        'a red car and a person in a foggy city at dusk, zoom out, she says "hi", noir', seed=9
    )
    data = json.loads(json.dumps(plan.to_json()))
    assert data["engine"] == "procedural" and data["version"] == 2
    assert data["understood"] == list(plan.understood)
    assert ScenePlan.from_json(data) == plan


def _version_one_plan() -> dict[str, Any]:
    """A plan as the first version of this engine stored it with a job."""
    return {
        "engine": "procedural",
        "version": 1,
        "prompt": "a boat on the ocean, sepia",
        "seed": 4,
        "layout_seed": 123456789,
        "time_of_day": "noon",
        "weather": "clear",
        "setting": "ocean",
        "camera": {"move": "pan_right", "speed": 1.0},
        "subjects": [
            {
                "kind": "boat",
                "color": "white",
                "name": None,
                "size": 0.26,
                "depth": 0.2,
                "height": 0.5,
                "motion": "pingpong",
                "x0": 0.2,
                "x1": 0.6,
                "speed": 0.03,
                "phase": 0.3,
                "direction": 1,
            }
        ],
        "mood": "calm",
        "grade": "sepia",
        "audio": True,
        "accent_colors": [],
        "understood": ["boat", "ocean", "sepia"],
        "explicit": ["grade", "setting", "subjects"],
        "mode": "text",
    }


def test_plans_of_the_first_version_are_upgraded() -> None:
    plan = ScenePlan.from_json(_version_one_plan())
    assert plan.style == "vintage"
    assert [(s.kind, s.action) for s in plan.subjects] == [("sailboat", "float")]
    assert plan.camera.move == "pan_right" and plan.layout_seed == 123456789
    assert "style" in plan.explicit


def test_from_json_refuses_foreign_or_broken_plans() -> None:
    with pytest.raises(ValueError, match="not a procedural plan"):
        ScenePlan.from_json({"engine": "fake"})
    with pytest.raises(ValueError, match="malformed"):
        ScenePlan.from_json({"engine": "procedural", "version": 2, "prompt": "x"})
    with pytest.raises(ValueError, match="version"):
        ScenePlan.from_json({**plan_scene("a cat", seed=0).to_json(), "version": 7})
    data = plan_scene("a cat", seed=0).to_json()
    data["weather"] = "hail"
    with pytest.raises(ValueError, match="hail"):
        ScenePlan.from_json(data)


def test_characters_join_the_plan_and_take_their_actions() -> None:
    plan = plan_scene("a walk on the beach", seed=0, characters=["Mossy"])
    assert [(s.kind, s.name, s.action) for s in plan.subjects] == [("character", "Mossy", "walk")]
    plan = plan_scene("Mossy dances at noon", seed=0, characters=["Mossy"])
    assert [(s.kind, s.name, s.action) for s in plan.subjects] == [("character", "Mossy", "dance")]


def test_remix_keeps_the_skeleton_and_applies_the_changes() -> None:
    source = plan_scene("a cat walking in a meadow at noon, pan right", seed=4)
    remix = remix_plan(source, "at night in the snow, watercolor", seed=11)
    assert remix.layout_seed == source.layout_seed
    assert remix.camera == source.camera
    assert remix.setting == "meadow"
    assert (remix.time_of_day, remix.weather, remix.style) == ("night", "snow", "watercolor")
    assert remix.subjects == source.subjects
    assert remix.seed == 11


def test_remix_new_subjects_take_over_the_old_paths() -> None:
    source = plan_scene("a cat in a meadow", seed=4)
    remix = remix_plan(source, "a dog instead", seed=4)
    (old,), (new,) = source.subjects, remix.subjects
    assert new.kind == "dog"
    assert (new.x0, new.x1, new.phase, new.depth, new.direction) == (
        old.x0,
        old.x1,
        old.phase,
        old.depth,
        old.direction,
    )


def test_remix_colour_or_action_alone_changes_the_subjects_in_place() -> None:
    source = plan_scene("two cats", seed=4)
    purple = remix_plan(source, "make them purple", seed=4)
    assert [s.color for s in purple.subjects] == ["purple", "purple"]
    dancing = remix_plan(source, "now they dance", seed=4)
    assert [s.action for s in dancing.subjects] == ["dance", "dance"]
    assert [s.depth for s in dancing.subjects] == [s.depth for s in source.subjects]


def test_remix_dialogue_is_kept_unless_replaced() -> None:
    source = plan_scene('a man says "hello"', seed=4)
    assert remix_plan(source, "at night", seed=4).sound.dialogue == source.sound.dialogue
    replaced = remix_plan(source, 'he says "goodbye"', seed=4)
    assert [d.text for d in replaced.sound.dialogue] == ["goodbye"]
