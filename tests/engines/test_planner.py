"""The planner reads a small vocabulary from the prompt into a typed, JSON-ready plan."""

from __future__ import annotations

import json

import pytest

from reelbox.engines.procedural.planner import ScenePlan, plan_scene, remix_plan
from reelbox.engines.procedural.vocabulary import SETTINGS, TIMES_OF_DAY, WEATHERS


def test_reads_every_aspect_and_records_what_it_understood() -> None:
    plan = plan_scene(
        "A red car drives through a rainy city at night, the camera pans left. No sound.",
        seed=1,
    )
    assert plan.time_of_day == "night"
    assert plan.weather == "rain"
    assert plan.setting == "city"
    assert plan.camera.move == "pan_left"
    assert [(s.kind, s.color) for s in plan.subjects] == [("car", "red")]
    assert plan.audio is False
    assert plan.understood == ("red", "car", "rainy", "city", "at night", "pans left", "no sound")
    assert set(plan.explicit) >= {"time_of_day", "weather", "setting", "camera", "subjects"}


@pytest.mark.parametrize(
    ("prompt", "time_of_day"),
    [
        ("sunrise over hills", "dawn"),
        ("an early morning walk", "morning"),
        ("at midday", "noon"),
        ("golden hour light", "golden hour"),
        ("a beach at sunset", "sunset"),
        ("twilight", "dusk"),
        ("a starry sky", "night"),
    ],
)
def test_times_of_day(prompt: str, time_of_day: str) -> None:
    assert plan_scene(prompt, seed=0).time_of_day == time_of_day


@pytest.mark.parametrize(
    ("prompt", "weather"),
    [
        ("a sunny day", "clear"),
        ("an overcast afternoon", "cloudy"),
        ("a thunderstorm", "rain"),
        ("a blizzard", "snow"),
        ("misty hills", "fog"),
    ],
)
def test_weather(prompt: str, weather: str) -> None:
    assert plan_scene(prompt, seed=0).weather == weather


@pytest.mark.parametrize(
    ("prompt", "setting"),
    [
        ("downtown streets", "city"),
        ("deep in the woods", "forest"),
        ("on the seashore", "beach"),
        ("open water", "ocean"),
        ("the alps", "mountains"),
        ("sand dunes", "desert"),
        ("the arctic tundra", "snow"),
        ("outer space", "space"),
        ("a coral reef", "underwater"),
        ("a cozy living room", "room"),
    ],
)
def test_settings(prompt: str, setting: str) -> None:
    assert plan_scene(prompt, seed=0).setting == setting


@pytest.mark.parametrize(
    ("prompt", "move"),
    [
        ("static shot of a field", "static"),
        ("panning to the right", "pan_right"),
        ("the camera pans left", "pan_left"),
        ("slow zoom in on a tree", "zoom_in"),
        ("the camera pulls back", "zoom_out"),
    ],
)
def test_camera_moves(prompt: str, move: str) -> None:
    assert plan_scene(prompt, seed=0).camera.move == move


def test_subjects_colours_and_counts() -> None:
    plan = plan_scene("two grey cats, a blue ball and birds", seed=3)
    kinds = [(s.kind, s.color) for s in plan.subjects]
    assert kinds == [("cat", "gray"), ("cat", "gray"), ("ball", "blue")] + [("bird", "blue")] * 3
    assert plan_scene("a dog", seed=3).subjects[0].color == "brown"  # the kind's own colour


def test_defaults_follow_what_was_said() -> None:
    plain = plan_scene("something pleasant", seed=0)
    assert (plain.time_of_day, plain.weather, plain.setting) == ("noon", "clear", "meadow")
    assert plain.camera.move == "static"
    assert plain.subjects == ()
    assert plain.understood == ()
    assert plain.audio is True
    assert plan_scene("a boat", seed=0).setting == "ocean"
    assert plan_scene("a goldfish", seed=0).setting == "underwater"
    assert plan_scene("snowing", seed=0).setting == "snow"
    assert plan_scene("rain", seed=0).mood == "melancholy"
    assert plan_scene("sunset", seed=0).mood == "warm"
    assert plan_scene("a sad sunset", seed=0).mood == "melancholy"


def test_longest_phrase_wins_and_negation_is_ignored() -> None:
    plan = plan_scene("golden hour with a golden dog, no rain, muted colors", seed=0)
    assert plan.time_of_day == "golden hour"
    assert plan.subjects[0].color == "gold"
    assert plan.weather == "clear"
    assert plan.grade == "faded"
    assert plan.audio is True  # "muted colors" is a style, not silence


def test_silence_words() -> None:
    for prompt in ("a silent film", "a forest, no audio", "waves without sound"):
        assert plan_scene(prompt, seed=0).audio is False


def test_deterministic_and_seeded() -> None:
    a = plan_scene("a cat and a dog in a park", seed=5)
    b = plan_scene("a cat and a dog in a park", seed=5)
    c = plan_scene("a cat and a dog in a park", seed=6)
    assert a == b
    assert a.layout_seed != c.layout_seed
    assert [s.phase for s in a.subjects] != [s.phase for s in c.subjects]


def test_json_round_trip() -> None:
    plan = plan_scene("a red car and a person in a foggy city at dusk, zoom out", seed=9)
    data = json.loads(json.dumps(plan.to_json()))
    assert data["engine"] == "procedural"
    assert data["version"] == 1
    assert data["understood"] == list(plan.understood)
    assert ScenePlan.from_json(data) == plan


def test_from_json_refuses_foreign_or_broken_plans() -> None:
    with pytest.raises(ValueError, match="not a procedural plan"):
        ScenePlan.from_json({"engine": "fake"})
    with pytest.raises(ValueError, match="malformed"):
        ScenePlan.from_json({"engine": "procedural", "prompt": "x"})
    data = plan_scene("a cat", seed=0).to_json()
    data["weather"] = "hail"
    with pytest.raises(ValueError, match="hail"):
        ScenePlan.from_json(data)


def test_characters_join_the_plan() -> None:
    plan = plan_scene("a walk on the beach", seed=0, characters=["Mossy"])
    assert [(s.kind, s.name) for s in plan.subjects] == [("character", "Mossy")]


def test_remix_keeps_the_skeleton_and_applies_the_changes() -> None:
    source = plan_scene("a cat walking in a meadow at noon, pan right", seed=4)
    remix = remix_plan(source, "at night in the snow", seed=11)
    assert remix.layout_seed == source.layout_seed
    assert remix.camera == source.camera
    assert remix.setting == "meadow"
    assert (remix.time_of_day, remix.weather) == ("night", "snow")
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


def test_remix_colour_alone_recolours_the_subjects() -> None:
    source = plan_scene("two cats", seed=4)
    remix = remix_plan(source, "make them purple", seed=4)
    assert [s.color for s in remix.subjects] == ["purple", "purple"]
    assert [s.kind for s in remix.subjects] == ["cat", "cat"]


def test_vocabulary_tables_are_consistent() -> None:
    assert len(TIMES_OF_DAY) == 7
    assert len(WEATHERS) == 5
    assert "underwater" in SETTINGS
