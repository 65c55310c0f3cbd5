"""Prompt → `ScenePlan`: fill in what the prompt did not say, and lay the subjects out.

`read_prompt` (reading.py) finds what the prompt says; this module turns that into a complete
plan: defaults that follow what was said (a boat implies the sea, rain a melancholy mood, neon
the night), the camera, and a path for every subject matched to its action. Random choices
(where a subject walks, how fast) come from the layout seed, so the same prompt and seed always
give the same plan. A remix keeps a source plan's skeleton and applies only what the new prompt
states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.plan import (
    CameraPlan,
    DialogueLine,
    ScenePlan,
    SoundPlan,
    SubjectPlan,
)
from reelbox.engines.procedural.reading import Mention, Reading, read_prompt
from reelbox.engines.procedural.seeding import layout_seed, rng_for
from reelbox.engines.procedural.vocabulary import SPEED_FACTORS, WIND_LEVELS

MAX_SUBJECTS = 8
# Kinds best shown with the place around them (a wide shot).
_SKY_KINDS = frozenset({"fireworks", "flag", "bridge"})

# Setting a subject implies when the prompt names no place, first match wins.
_KIND_SETTINGS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"fish", "shark", "jellyfish", "octopus", "turtle", "submarine"}), "underwater"),
    (frozenset({"whale", "dolphin", "ship", "sailboat"}), "ocean"),
    (frozenset({"duck", "swan", "rowboat"}), "lake"),
    (frozenset({"astronaut", "rocket", "ufo"}), "space"),
    (frozenset({"penguin", "snowman"}), "snow"),
    (frozenset({"cactus"}), "desert"),
    (frozenset({"palm", "lighthouse", "seagull", "umbrella"}), "beach"),
    (frozenset({"train", "truck"}), "road"),
    (frozenset({"car", "taxi", "bus", "motorcycle", "robot", "lamp"}), "city"),
    (frozenset({"guitar"}), "stage"),
    (frozenset({"candle", "book", "cup", "clock", "chair", "table"}), "room"),
    (frozenset({"deer", "bear", "wolf", "fox", "owl", "tent", "campfire", "pine"}), "forest"),
    (frozenset({"bicycle", "bench", "child", "ball", "kite", "balloon", "dog"}), "park"),
)

# How much bigger the first subject is in each shot, and the others.
_SHOT_SCALE: dict[str, tuple[float, float]] = {
    "wide": (1.0, 1.0),
    "medium": (1.7, 1.2),
    "close_up": (2.5, 1.3),
    "aerial": (0.55, 0.55),
    "low_angle": (1.35, 1.15),
    "pov": (1.0, 1.0),
}
_ACTION_PACE = {"walk": 1.0, "run": 2.3, "drive": 1.0, "fly": 1.0, "swim": 1.0, "float": 0.5}
_MOVING_ACTIONS = frozenset(_ACTION_PACE)


# Settings with no sky of their own to hang the northern lights in.
_NO_SKY = frozenset({"space", "underwater", "room", "stage"})


def plan_scene(prompt: str, *, seed: int, characters: Sequence[str] = ()) -> ScenePlan:
    """Read `prompt` into a plan; `characters` are names of cut-outs to place in the scene."""
    reading = read_prompt(prompt, names=characters)
    layout = layout_seed(seed, prompt)
    kinds = [m.kind for m in reading.mentions]
    weather = reading.value("weather") or "clear"
    time_of_day = reading.value("time_of_day") or "noon"
    lighting = reading.value("lighting") or "natural"
    setting = reading.value("setting") or _default_setting(weather, kinds, lighting)
    camera = _camera(reading)
    speed = _speed(reading)
    mentions = list(reading.mentions)
    named = {m.name for m in mentions if m.name}
    mentions += [
        Mention(kind="character", count=1, color=None, size=1.0, name=n, word=n)
        for n in characters
        if n not in named
    ]
    subjects = _place_all(mentions, layout=layout, speed=speed, camera=camera)
    setting = _dry_land(setting, subjects, reading)
    return ScenePlan(
        prompt=prompt,
        seed=seed,
        layout_seed=layout,
        setting=setting,
        time_of_day=time_of_day,
        weather=weather,
        wind=_wind(reading, weather),
        lighting=lighting,
        style=reading.value("style") or "none",
        mood=reading.value("mood") or _default_mood(time_of_day, weather, setting),
        camera=camera,
        subjects=tuple(subjects),
        sound=_sound(reading),
        audio=not reading.silent,
        accent_colors=tuple(reading.accent_colors),
        understood=tuple(reading.understood),
        explicit=tuple(reading.explicit()),
        not_understood=tuple(reading.not_understood),
        substitutions=tuple(reading.substitutions),
        language=reading.language,
        world=reading.world if setting == "space" else "",
        earth_in_sky=setting == "space" and (reading.earth_in_sky or bool(reading.world)),
        aurora=reading.value("sky") == "aurora" and setting not in _NO_SKY,
        time_change=reading.time_change if reading.time_change != time_of_day else None,
    )


def remix_plan(
    source: ScenePlan, prompt: str, *, seed: int, characters: Sequence[str] = ()
) -> ScenePlan:
    """Keep `source`'s skeleton (layout seed, camera path, subject paths) and apply `prompt`.

    Only what the new prompt states changes: time of day, weather, wind, setting, lighting,
    style, mood, camera, subjects (which take over the source subjects' paths in order),
    actions, colours (a colour with no subject recolours the source subjects) and sound.
    """
    reading = read_prompt(prompt, names=characters)
    stated = reading.stated

    def pick(aspect: str, current: str) -> str:
        # Stated words always apply; implied ones only where the source did not choose.
        if aspect in stated:
            return stated[aspect]
        implied = reading.implied.get(aspect)
        return implied if implied is not None and aspect not in source.explicit else current

    time_of_day = pick("time_of_day", source.time_of_day)
    weather = pick("weather", source.weather)
    setting = pick("setting", source.setting)
    camera = source.camera
    if {"camera", "shot", "handheld", "tempo", "speed"} & set(stated):
        camera = CameraPlan(
            shot=stated.get("shot", camera.shot),
            move=stated.get("camera", camera.move),
            speed=_speed(reading) if "speed" in stated else camera.speed,
            handheld=camera.handheld or "handheld" in stated,
            tempo=stated.get("tempo", camera.tempo),
        )
    old = [s for s in source.subjects if s.kind != "character"]
    subjects = _remixed_subjects(reading, old, source, camera)
    kept = [s for s in source.subjects if s.kind == "character" and s.name in characters]
    known = {s.name for s in kept} | {m.name for m in reading.mentions if m.name}
    fresh = [m for m in reading.mentions if m.kind == "character"]
    fresh += [
        Mention(kind="character", count=1, color=None, size=1.0, name=n, word=n)
        for n in characters
        if n not in known
    ]
    added = _place_all(
        fresh,
        layout=source.layout_seed,
        speed=camera.speed,
        camera=camera,
        start=len(subjects) + len(kept),
    )
    explicit = set(source.explicit) | set(reading.explicit())
    if "mood" in reading.stated:
        mood = reading.stated["mood"]
    elif "mood" in source.explicit:
        mood = source.mood
    else:
        mood = reading.implied.get("mood") or _default_mood(time_of_day, weather, setting)
    sound = _remixed_sound(source.sound, reading)
    return ScenePlan(
        prompt=prompt,
        seed=seed,
        layout_seed=source.layout_seed,
        setting=setting,
        time_of_day=time_of_day,
        weather=weather,
        wind=_wind(reading, weather) if {"wind", "weather"} & set(stated) else source.wind,
        lighting=pick("lighting", source.lighting),
        style=pick("style", source.style),
        mood=mood,
        camera=camera,
        subjects=tuple(subjects + kept + added),
        sound=sound,
        audio=source.audio and not reading.silent,
        accent_colors=tuple(reading.accent_colors) or source.accent_colors,
        understood=tuple(reading.understood),
        explicit=tuple(sorted(explicit)),
        not_understood=tuple(reading.not_understood),
        substitutions=tuple(reading.substitutions),
        language=reading.language,
        world=(reading.world or source.world) if setting == "space" else "",
        earth_in_sky=setting == "space"
        and (reading.earth_in_sky or bool(reading.world) or source.earth_in_sky),
        aurora=(reading.value("sky") == "aurora" or source.aurora) and setting not in _NO_SKY,
        time_change=reading.time_change
        if "time_of_day" in stated
        else (source.time_change if time_of_day == source.time_of_day else None),
    )


# -- aspects ---------------------------------------------------------------------------------


def _camera(reading: Reading) -> CameraPlan:
    shot = reading.value("shot")
    if shot is None:
        # With a living or moving subject to show, frame it; otherwise show the place.
        lead = reading.mentions[0].kind if reading.mentions else None
        still = lead is None or KINDS[lead].category in ("building", "plant") or lead in _SKY_KINDS
        shot = "wide" if still else "medium"
    move = reading.value("camera")
    if move is None:
        # A point-of-view shot walks forward; a drone glides forward over the land.
        move = {"pov": "dolly_in", "aerial": "dolly_in"}.get(shot, "static")
    return CameraPlan(
        shot=shot,
        move=move,
        speed=_speed(reading),
        handheld=reading.value("handheld") is not None or shot == "pov",
        tempo=reading.value("tempo") or "normal",
    )


def _speed(reading: Reading) -> float:
    word = reading.stated.get("speed")
    return SPEED_FACTORS[word] if word is not None else 1.0


def _wind(reading: Reading, weather: str) -> float:
    word = reading.value("wind")
    if word is not None:
        return WIND_LEVELS[word]
    return {"storm": 0.75, "snow": 0.2, "rain": 0.3}.get(weather, 0.1)


def _sound(reading: Reading) -> SoundPlan:
    cues = list(reading.cues)
    for mention in reading.mentions:
        # Things that make their own sound when shown: fireworks boom, a pan sizzles.
        implied = {"fireworks": "explosion", "pan": "sizzle"}.get(mention.kind)
        if implied is not None and implied not in cues:
            cues.append(implied)
    return SoundPlan(
        ambience=True,
        music="no_music" not in reading.stated,
        music_style=reading.value("music") or "auto",
        cues=tuple(cues),
        dialogue=tuple(reading.dialogue),
    )


def _remixed_sound(source: SoundPlan, reading: Reading) -> SoundPlan:
    dialogue: tuple[DialogueLine, ...] = tuple(reading.dialogue) or source.dialogue
    cues = tuple(dict.fromkeys((*source.cues, *reading.cues)))
    return SoundPlan(
        ambience=source.ambience,
        music=source.music and "no_music" not in reading.stated,
        music_style=reading.stated.get("music", source.music_style),
        cues=cues,
        dialogue=dialogue,
    )


def _dry_land(setting: str, subjects: Sequence[SubjectPlan], reading: Reading) -> str:
    """Where water fills the frame, people and animals walking about need a shore to walk on
    (unless the prompt has them walk on the water)."""
    if setting not in ("ocean", "skyline") or reading.on_water:
        return setting
    walkers = [
        s
        for s in subjects
        if KINDS[s.kind].habitat == "ground"
        and KINDS[s.kind].category in ("person", "animal", "vehicle", "object", "building")
        and s.action not in ("swim", "fly", "float")
    ]
    if not walkers:
        return setting
    return "beach" if setting == "ocean" else "city"


def _default_setting(weather: str, kinds: Sequence[str], lighting: str) -> str:
    if weather == "snow":
        return "snow"
    for kind in kinds:
        for group, setting in _KIND_SETTINGS:
            if kind in group:
                return setting
    if lighting == "neon":
        return "city"
    if lighting == "candlelight":
        return "room"
    return "meadow"


def _default_mood(time_of_day: str, weather: str, setting: str) -> str:
    if weather == "storm":
        return "tense"
    if weather in ("rain", "fog"):
        return "melancholy"
    if time_of_day == "night" or setting in ("space", "underwater"):
        return "mysterious"
    if time_of_day in ("sunset", "golden hour", "dusk"):
        return "warm"
    if setting == "mountains":
        return "epic"
    if weather == "snow" or time_of_day in ("dawn", "morning"):
        return "calm"
    return "bright"


# -- subjects --------------------------------------------------------------------------------


def _place_all(
    mentions: Sequence[Mention], *, layout: int, speed: float, camera: CameraPlan, start: int = 0
) -> list[SubjectPlan]:
    subjects: list[SubjectPlan] = []
    spans: list[tuple[int, int]] = []  # each mention's subjects: (first index, count)
    for mention in mentions:
        first = len(subjects)
        for _ in range(mention.count):
            index = start + len(subjects)
            if index >= MAX_SUBJECTS:
                break
            subjects.append(_place(mention, index=index, layout=layout, speed=speed, camera=camera))
        spans.append((first, len(subjects) - first))
    for m, mention in enumerate(mentions):
        if mention.follows is None or mention.follows >= len(spans):
            continue
        lead_first, lead_count = spans[mention.follows]
        first, count = spans[m]
        for k in range(count):
            if not lead_count:
                continue
            target = lead_first + k % lead_count
            if first + k == 0 and start == 0 and subjects[0].motion != "still":
                # The main subject chases: it keeps its place in view, the chased thing runs
                # just ahead of it.
                subjects[target] = _following(subjects[target], subjects[0], ahead=True)
            else:
                subjects[first + k] = _following(subjects[first + k], subjects[target])
    return subjects


# Things a person holds in a hand rather than on a string (a kite) or overhead: where the hand
# is, as a fraction of the holder's height (figures/people.py: shoulder 0.76, two arm segments).
_HAND_HEIGHT = {"pan": 0.42}


def _following(subject: SubjectPlan, lead: SubjectPlan, *, ahead: bool = False) -> SubjectPlan:
    """`subject` on `lead`'s path: a kite above the child holding it, a puppy behind a ball
    (or, `ahead`, a ball just in front of the puppy chasing it)."""
    behind = 0.0
    if lead.motion in ("wrap", "pingpong") and lead.x1 > lead.x0:
        # A chaser runs a little behind; what is held stays over its holder.
        gap = 0.0 if KINDS[subject.kind].habitat == "air" else 0.12 / (lead.x1 - lead.x0)
        behind = gap if lead.motion == "wrap" else gap / 2
    if ahead:
        behind = -behind
    phase = (lead.phase - behind * lead.direction) % 1.0
    beside = 0.07 if subject.kind == "pan" else 0.0  # held out in front, not over the body
    # Held at hand height: a fraction of the holder's height above the ground.
    hand = _HAND_HEIGHT.get(subject.kind, 0.0) if KINDS[lead.kind].category == "person" else 0.0
    return replace(
        subject,
        action=subject.action if subject.action not in ("idle", "sit") else lead.action,
        motion=lead.motion,
        x0=round(lead.x0 + beside, 4),
        x1=round(lead.x1 + beside, 4),
        speed=lead.speed,
        direction=lead.direction,
        phase=round(phase, 4),
        depth=lead.depth,
        lift=round(hand * lead.size, 4),
    )


def _action(kind: str, wanted: str | None) -> str:
    traits = KINDS[kind]
    action = wanted or traits.action
    if traits.category == "vehicle" and action in ("walk", "run"):
        return "drive"
    if traits.category == "boat" and action in ("walk", "run", "drive"):
        return "float" if traits.habitat == "water" else "swim"
    if traits.category == "sea" and action in ("walk", "run", "drive"):
        return "swim"
    return action


def _motion(action: str, *, lead: bool, camera: CameraPlan) -> str:
    if action not in _MOVING_ACTIONS:
        return "still"
    if lead and camera.move == "tracking":
        return "travel"  # the camera follows it across the world
    if action in ("run", "drive", "fly"):
        return "wrap"
    return "pingpong"


def _place(
    mention: Mention, *, index: int, layout: int, speed: float, camera: CameraPlan
) -> SubjectPlan:
    kind = mention.kind
    traits = KINDS[kind]
    rng = rng_for(layout, f"subject:{index}")
    lead = index == 0
    action = _action(kind, mention.action)
    motion = _motion(action, lead=lead, camera=camera)
    centre = float(rng.uniform(0.3, 0.7) if lead else rng.uniform(0.12, 0.88))
    spread = float(rng.uniform(0.0, 1.0))
    framed = lead and camera.shot in ("medium", "close_up", "low_angle")
    if framed:
        centre, spread = 0.5, 0.0
    x0, x1 = _path_range(motion, centre, spread)
    lead_scale, other_scale = _SHOT_SCALE[camera.shot]
    scale = lead_scale if lead else other_scale
    if framed:
        depth = 0.0
    elif traits.category == "building" and not lead:
        depth = float(rng.uniform(0.45, 0.8))
    else:
        depth = min(0.85, 0.12 * index + float(rng.uniform(0.0, 0.3)))
    base_speed = traits.speed if traits.speed > 0 else 0.06
    pace = _ACTION_PACE.get(action, 0.0)
    direction = 1 if (motion == "travel" or rng.uniform() < 0.5) else -1
    phase = float(rng.uniform(0.0, 1.0))
    if lead and motion == "wrap":
        # The main subject starts in view, heading across the frame.
        start = float(rng.uniform(0.15, 0.4)) if direction > 0 else float(rng.uniform(0.6, 0.85))
        phase = (start - x0) / (x1 - x0)
    return SubjectPlan(
        kind=kind,
        color=mention.color or traits.color,
        name=mention.name,
        action=action,
        size=round(traits.size * mention.size * scale * float(rng.uniform(0.9, 1.1)), 4),
        depth=round(depth, 4),
        height=round(float(rng.uniform(0.15, 0.85)), 4),
        motion=motion,
        x0=x0,
        x1=x1,
        speed=round(base_speed * pace * speed * float(rng.uniform(0.8, 1.2)), 4),
        phase=round(phase, 4),
        direction=direction,
    )


def _path_range(motion: str, centre: float, spread: float) -> tuple[float, float]:
    if motion == "wrap":
        # Enters from one side and leaves by the other, fully off screen at both ends.
        return -0.3, 1.3
    if motion in ("still", "travel"):
        return round(centre, 4), round(centre, 4)
    half = 0.12 + 0.2 * spread
    lo = max(0.05, centre - half)
    hi = min(0.95, lo + 2 * half)
    return round(lo, 4), round(hi, 4)


def _remixed_subjects(
    reading: Reading, old: list[SubjectPlan], source: ScenePlan, camera: CameraPlan
) -> list[SubjectPlan]:
    mentions = [m for m in reading.mentions if m.kind != "character"]
    actions = [m.action for m in reading.mentions if m.action] + reading.loose_actions
    if mentions:
        fresh = _place_all(mentions, layout=source.layout_seed, speed=camera.speed, camera=camera)
        return [_take_path(new, old[i]) if i < len(old) else new for i, new in enumerate(fresh)]
    subjects = list(old)
    if reading.accent_colors:
        colors = reading.accent_colors
        subjects = [replace(s, color=colors[i % len(colors)]) for i, s in enumerate(subjects)]
    if actions:
        # 'now they dance': the same subjects, doing something else where they are.
        subjects = [_with_action(s, _action(s.kind, actions[0]), camera) for s in subjects]
    return subjects


def _with_action(subject: SubjectPlan, action: str, camera: CameraPlan) -> SubjectPlan:
    motion = _motion(action, lead=False, camera=camera)
    if motion == subject.motion or (motion != "still" and subject.motion != "still"):
        return replace(subject, action=action)
    centre = (subject.x0 + subject.x1) / 2 if subject.motion != "wrap" else 0.5
    x0, x1 = _path_range(motion, centre, 0.5)
    speed = subject.speed or KINDS[subject.kind].speed or 0.06
    return replace(subject, action=action, motion=motion, x0=x0, x1=x1, speed=speed)


def _take_path(new: SubjectPlan, old: SubjectPlan) -> SubjectPlan:
    """`new`'s kind, colour and action on `old`'s path (the remix keeps where things are)."""
    traits = KINDS[new.kind]
    scale = old.size / KINDS[old.kind].size if old.kind in KINDS else 1.0
    same_motion = new.motion == old.motion
    return replace(
        new,
        size=round(traits.size * scale, 4),
        depth=old.depth,
        height=old.height,
        x0=old.x0 if same_motion else new.x0,
        x1=old.x1 if same_motion else new.x1,
        phase=old.phase,
        direction=old.direction,
    )
