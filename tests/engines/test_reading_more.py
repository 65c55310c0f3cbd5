"""What the planner renders, what it stands in for, and what it says it could not: dialogue
forms, `not_understood`, stand-ins, verb-object relations, ground versus sky, and prompts in
six other languages (read through the data files under the engine)."""

from __future__ import annotations

import pytest

from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.languages import LATIN, detect, table, to_english
from reelbox.engines.procedural.motion import Stage, place
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.planner import plan_scene
from reelbox.engines.procedural.stand_ins import stand_ins


@pytest.mark.parametrize(
    "prompt",
    [
        'a girl says "see you soon" in a park',
        "a girl says 'see you soon' in a park",
        "a girl says \u201csee you soon\u201d in a park",
        "a girl says \u2018see you soon\u2019 in a park",
        "in a park a girl says: see you soon",
    ],
)
def test_dialogue_in_every_kind_of_quote(prompt: str) -> None:
    (line,) = plan_scene(prompt, seed=1).sound.dialogue
    assert line.text.strip(" .") == "see you soon"
    assert line.speaker == "child"


def test_apostrophes_and_labels_are_not_dialogue() -> None:
    assert plan_scene("the dog's ball and the cat's bed", seed=1).sound.dialogue == ()
    assert plan_scene("Style: anime, a fox in a forest", seed=1).sound.dialogue == ()


def test_the_speaker_is_a_person_never_a_table() -> None:
    plan = plan_scene('a man sits at a table, the table says "hello"', seed=1)
    assert plan.sound.dialogue[0].speaker == "person"


def test_words_it_cannot_render_are_named() -> None:
    plan = plan_scene("a cat sleeps next to a quantum flux capacitor at dawn", seed=1)
    assert plan.not_understood == ("quantum flux capacitor",)
    assert "not_understood" in plan.to_json()
    assert ScenePlan.from_json(plan.to_json()) == plan
    assert plan_scene("a red car drives through a city at night", seed=1).not_understood == ()


@pytest.mark.parametrize(
    ("prompt", "kind", "drawn_as"),
    [
        ("a dragon over a castle", "eagle", "a winged creature"),
        ("a hummingbird close-up", "bird", "a small hovering bird with a long beak"),
        ("a robot vacuum in a living room", "vacuum", "a disc robot on the floor"),
        ("a chef in a kitchen", "person", "a person in an apron holding a pan"),
    ],
)
def test_nouns_without_a_figure_get_a_named_stand_in(prompt: str, kind: str, drawn_as: str) -> None:
    plan = plan_scene(prompt, seed=1)
    assert plan.subjects[0].kind == kind
    assert any(drawn_as in s for s in plan.substitutions)
    assert plan.not_understood == ()


def test_the_stand_in_table_has_hundreds_of_nouns_all_drawable() -> None:
    table = stand_ins()
    assert len(table) > 600
    assert all(item.kind in KINDS for item in table.values())


@pytest.mark.parametrize(
    "kind", ["fireworks", "flag", "bridge", "sofa", "pan", "vacuum", "waterfall"]
)
def test_new_kinds_are_named_by_their_words(kind: str) -> None:
    plan = plan_scene(f"a {kind} at the beach", seed=1)
    assert [s.kind for s in plan.subjects] == [kind]


def test_a_camera_pan_is_not_a_frying_pan() -> None:
    plan = plan_scene("pan left over a meadow", seed=1)
    assert plan.subjects == () and plan.camera.move == "pan_left"


def test_children_flying_kites_stay_on_the_ground_holding_them() -> None:
    plan = plan_scene("children flying kites in a park", seed=4)
    children = [s for s in plan.subjects if s.kind == "child"]
    kites = [s for s in plan.subjects if s.kind == "kite"]
    assert children and kites
    assert all(c.action == "walk" for c in children)
    for child, kite in zip(children, kites, strict=False):
        assert (kite.x0, kite.x1, kite.phase, kite.speed) == (
            child.x0,
            child.x1,
            child.phase,
            child.speed,
        )


def test_a_puppy_chasing_a_ball_runs_after_it() -> None:
    plan = plan_scene("a puppy chasing a ball", seed=2)
    dog, ball = plan.subjects
    assert dog.kind == "dog" and ball.kind == "ball"
    assert dog.action == ball.action == "run"
    assert dog.direction == ball.direction and dog.speed == ball.speed
    assert 0 < (ball.phase - dog.phase) * dog.direction % 1.0 < 0.2  # the ball is ahead


def test_on_mars_is_the_ground_and_earth_is_in_the_sky() -> None:
    plan = plan_scene("an astronaut on Mars, Earth visible in the sky", seed=1)
    assert plan.setting == "space" and plan.world == "mars" and plan.earth_in_sky
    assert plan.not_understood == ()


def test_snowy_is_snow_cover_not_falling_snow() -> None:
    plan = plan_scene("a wolf on a snowy hill", seed=1)
    assert plan.setting == "snow" and plan.weather != "snow"


@pytest.mark.parametrize(
    ("prompt", "language", "kinds", "aspects"),
    [
        ("un perro corre en la playa al atardecer", "es", ["dog"], {"setting": "beach"}),
        ("un chat dort dans la forêt la nuit", "fr", ["cat"], {"setting": "forest"}),
        (
            "ein roter Drache fliegt über die Berge bei Nacht",
            "de",
            ["eagle"],
            {"setting": "mountains", "time_of_day": "night"},
        ),
        ("um cavalo corre na praia ao pôr do sol", "pt", ["horse"], {"time_of_day": "sunset"}),
        ("\u300c桜の木の下で踊る猫\u300d", "ja", ["tree", "cat"], {}),
        ("夜の海で泳ぐイルカ、スローモーション", "ja", ["dolphin"], {"time_of_day": "night"}),
        ("一只小狗在公园里追球", "zh", ["dog", "ball"], {"setting": "park"}),
        ("雨中的城市\uff0c特写", "zh", [], {"weather": "rain", "setting": "city"}),
    ],
)
def test_prompts_in_six_languages(
    prompt: str, language: str, kinds: list[str], aspects: dict[str, str]
) -> None:
    plan = plan_scene(prompt, seed=1)
    assert plan.language == language
    assert [s.kind for s in plan.subjects][: len(kinds)] == kinds
    for aspect, value in aspects.items():
        assert getattr(plan, aspect) == value


def test_the_japanese_cat_dances_under_a_pink_tree() -> None:
    plan = plan_scene("\u300c桜の木の下で踊る猫\u300d", seed=1)
    tree, cat = plan.subjects
    assert tree.color == "pink" and tree.action == "idle"
    assert cat.action == "dance"


def test_english_prompts_are_not_mistaken_for_another_language() -> None:
    for prompt in ("film noir detective", "a son and his mother", "a train in the rain"):
        assert detect(prompt) is None
        assert to_english(prompt) == prompt


@pytest.mark.parametrize("code", [*LATIN, "ja", "zh"])
def test_language_tables_cover_subjects_settings_time_weather_and_camera(code: str) -> None:
    english = {t.english for t in table(code).values()}
    for word in ("dog", "cat", "beach", "forest", "night", "sunset", "rain", "snow"):
        assert word in english, (code, word)
    assert {"close up", "slow motion"} <= english


def test_walkers_are_kept_off_the_water_unless_asked() -> None:
    harbor = plan_scene("people watch fireworks over a harbor", seed=1)
    assert harbor.setting == "beach"
    assert plan_scene("a man walks on the water of the ocean", seed=1).setting == "ocean"
    assert plan_scene("a sailboat on the ocean", seed=1).setting == "ocean"


def test_counts_for_groups() -> None:
    assert [s.kind for s in plan_scene("a school of fish", seed=1).subjects] == ["fish"] * 5
    assert len(plan_scene("a crowd in a city square", seed=1).subjects) >= 5


def test_friends_talking_at_a_cafe_table_are_people_in_a_room() -> None:
    plan = plan_scene('two friends talking at a café table, one says "what a day"', seed=1)
    assert plan.setting == "room"
    assert [s.kind for s in plan.subjects].count("person") == 2
    assert plan.sound.dialogue[0].speaker == "person"


def test_the_word_tables_ship_with_the_package() -> None:
    """Every data file under the engine is matched by pyproject's package-data."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    package = root / "src" / "reelbox"
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["reelbox"]
    files = sorted((package / "engines" / "procedural" / "data").rglob("*.tsv"))
    assert len(files) == 7
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


@pytest.mark.parametrize(
    "prompt",
    ["un caballo blanco corre", "un cheval blanc court", "um cavalo branco corre"],
)
def test_colours_after_the_noun_still_colour_it(prompt: str) -> None:
    (horse,) = plan_scene(prompt, seed=1).subjects
    assert (horse.kind, horse.color) == ("horse", "white")


@pytest.mark.parametrize(
    ("small", "usual", "ratio"),
    [("a hummingbird in a garden", "a bird in a garden", 0.6)],
)
def test_a_small_stand_in_stays_smaller_than_its_kind(small: str, usual: str, ratio: float) -> None:
    (tiny,), (bird,) = plan_scene(small, seed=1).subjects, plan_scene(usual, seed=1).subjects
    assert tiny.kind == bird.kind == "bird"
    assert tiny.size < ratio * bird.size


def test_a_dragon_stand_in_is_much_bigger_than_an_eagle() -> None:
    dragon = plan_scene("a dragon over a meadow", seed=1).subjects[0]
    eagle = plan_scene("an eagle over a meadow", seed=1).subjects[0]
    assert dragon.kind == eagle.kind == "eagle"
    assert dragon.size > 2 * eagle.size


def test_every_stand_in_has_a_sensible_size() -> None:
    sizes = {item.size for item in stand_ins().values()}
    assert min(sizes) >= 0.05 and max(sizes) <= 10 and len(sizes) > 10


def test_the_chefs_pan_is_held_at_hand_height() -> None:
    plan = plan_scene("a chef cooking in a kitchen", seed=1)
    chef, pan = plan.subjects
    assert chef.kind == "person" and pan.kind == "pan" and pan.lift > 0
    stage = Stage(width=1280, height=720, horizon=300)
    feet, held = place(chef, stage, 1.0), place(pan, stage, 1.0)
    # Above the floor the chef stands on, around the hands (not the head, not the feet).
    assert feet.y - 0.6 * feet.size < held.y < feet.y - 0.3 * feet.size
    assert not held.grounded
    assert ScenePlan.from_json(plan.to_json()) == plan
    # A pan on its own stays on the floor.
    (alone,) = plan_scene("a frying pan in a kitchen", seed=1).subjects
    assert alone.lift == 0.0


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("a stone bridge over a river, warm light", ()),
        ("a jellyfish glowing in the deep ocean", ()),
        ("a ballerina spinning on a dimly lit stage", ()),
        ("a steaming bowl of ramen on a wooden table", ()),  # a bowl is a cup: it steams
        ("a cat on a windowsill watching the snow", ()),
        ("a robot in a futuristic lab", ()),
    ],
)
def test_common_words_are_covered(prompt: str, words: tuple[str, ...]) -> None:
    assert plan_scene(prompt, seed=1).not_understood == words


def test_japanese_corner_quotes_are_dialogue() -> None:
    plan = plan_scene("公園で女の子が「こんにちは」と言う", seed=1)
    assert plan.language == "ja"
    assert [line.text for line in plan.sound.dialogue] == ["こんにちは"]


@pytest.mark.parametrize(
    ("prompt", "setting"),
    [
        ("a medieval knight rides through a village", "meadow"),
        ("a medieval town at dusk", "meadow"),  # an old town is no modern city of towers
        ("an ancient temple in the jungle", "forest"),  # a stated place wins over the hint
        ("an ancient castle on a hill", "meadow"),
    ],
)
def test_medieval_and_ancient_keep_the_modern_city_away(prompt: str, setting: str) -> None:
    plan = plan_scene(prompt, seed=1)
    assert plan.setting == setting
    assert plan.not_understood == ()
    assert plan_scene("an ancient city at noon", seed=1).setting != "city"


def test_elderly_people_are_the_adult_figure_and_the_plan_says_so() -> None:
    plan = plan_scene("an elderly woman walks her dog in the park", seed=1)
    assert [s.kind for s in plan.subjects] == ["person", "dog"]
    assert plan.not_understood == ()
    assert any(s.startswith("elderly woman:") and "no age" in s for s in plan.substitutions)
    # An age word before something it does not describe is still named.
    assert "elderly" in plan_scene("an elderly car in the park", seed=1).not_understood


def test_a_waterfall_is_its_own_kind() -> None:
    plan = plan_scene("a waterfall in a lush forest", seed=1)
    assert [s.kind for s in plan.subjects] == ["waterfall"]
    assert plan.setting == "forest" and plan.not_understood == ()


@pytest.mark.parametrize(
    "prompt",
    [
        "the northern lights over a frozen lake",
        "a penguin slides across the ice under the northern lights",
        "aurora borealis over the mountains",
    ],
)
def test_the_northern_lights_are_a_night_sky_effect(prompt: str) -> None:
    plan = plan_scene(prompt, seed=1)
    assert plan.aurora and plan.time_of_day == "night"
    assert plan.not_understood == ()
    assert ScenePlan.from_json(plan.to_json()) == plan
    # A stated hour is kept; indoors there is no sky to show them in.
    assert plan_scene("the northern lights at dusk over the snow", seed=1).time_of_day == "dusk"
    assert not plan_scene("a poster of the northern lights in a bedroom", seed=1).aurora


def test_steam_is_drawn_by_what_steams_or_else_a_mist() -> None:
    cup = plan_scene("steam rises from a cup of coffee", seed=1)
    assert cup.not_understood == () and cup.weather == "clear"
    train = plan_scene("a train puffs steam across the countryside", seed=1)
    assert "steam" not in " ".join(train.not_understood) and train.weather == "clear"
    spring = plan_scene("steam drifts over a mountain lake", seed=1)
    assert spring.weather == "fog" and "steam" not in spring.not_understood
    # A stated weather is kept.
    assert plan_scene("steam over a lake in the rain", seed=1).weather == "rain"


@pytest.mark.parametrize(
    ("prompt", "setting"),
    [
        ("a duck swims on the water", "lake"),
        ("kids play in the water", "lake"),
        ("a boy swims in the water at the beach", "beach"),  # the place named wins
    ],
)
def test_bare_water_is_a_lake_unless_the_prompt_names_a_place(prompt: str, setting: str) -> None:
    plan = plan_scene(prompt, seed=1)
    assert plan.setting == setting and "water" not in plan.not_understood


def test_futuristic_is_neon_light_without_forcing_night() -> None:
    assert plan_scene("a robot in a futuristic city", seed=1).lighting == "neon"
    plan = plan_scene("a futuristic car drives through the desert", seed=1)
    assert plan.time_of_day == "noon" and plan.lighting == "neon"
    assert plan_scene("a futuristic city at night", seed=1).time_of_day == "night"
    # Stated, so an edit that asks for it relights the footage.
    assert "lighting" in plan_scene("make it futuristic", seed=1).explicit
