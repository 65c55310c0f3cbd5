"""Prompt → `ScenePlan`: a typed, JSON-serialisable description of what to render.

The planner is a deterministic reader of a small vocabulary (`vocabulary.py`): it picks out a
time of day, weather, setting, camera move, style, mood and subjects (with their colours and
counts), ignores every other word, and records what it understood. Random choices (where a
subject walks, how fast) come from the layout seed, so the same prompt and seed always give
the same plan. A remix keeps a source plan's skeleton and applies only what the new prompt says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.palette import NAMED_COLORS
from reelbox.engines.procedural.seeding import layout_seed, rng_for
from reelbox.engines.procedural.vocabulary import (
    CAMERA_MOVES,
    COLOR_WORDS,
    GRADES,
    MAX_PHRASE_WORDS,
    MOODS,
    NEGATIONS,
    NUMBER_WORDS,
    PHRASES,
    SETTINGS,
    SPEED_FACTORS,
    SUBJECT_WORDS,
    TIMES_OF_DAY,
    WEATHERS,
)

PLAN_VERSION = 1
MAX_PROMPT_SUBJECTS = 6
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, kw_only=True)
class CameraPlan:
    """The camera move over the whole clip."""

    move: str = "static"  # one of `vocabulary.CAMERA_MOVES`
    speed: float = 1.0  # multiplier on the move's base rate


@dataclass(frozen=True, kw_only=True)
class SubjectPlan:
    """One thing in the scene and the path it follows.

    Positions are fractions of the frame: `x0..x1` is the horizontal range of the path, `depth`
    0 is the foreground and 1 the far distance, `height` places flying or swimming subjects
    within the band they live in (0 low, 1 high).
    """

    kind: str  # a key of `kinds.KINDS`
    color: str  # a key of `palette.NAMED_COLORS`
    name: str | None = None  # the character's name when kind == "character"
    size: float
    depth: float
    height: float
    motion: str  # "pingpong", "wrap" or "still"
    x0: float
    x1: float
    speed: float  # frame widths per second
    phase: float  # where on its path the subject starts, 0..1
    direction: int  # +1 moving right at the start, -1 moving left


@dataclass(frozen=True, kw_only=True)
class ScenePlan:
    """What the procedural renderer draws and the sound it makes; see `to_json`."""

    prompt: str
    seed: int  # the request's seed
    layout_seed: int  # drives every random choice of the render
    time_of_day: str
    weather: str
    setting: str
    camera: CameraPlan = field(default_factory=CameraPlan)
    subjects: tuple[SubjectPlan, ...] = ()
    mood: str = "bright"
    grade: str = "none"  # a colour style applied over the picture
    audio: bool = True
    accent_colors: tuple[str, ...] = ()  # colour words not attached to a subject
    understood: tuple[str, ...] = ()  # the recognised words and phrases, in prompt order
    explicit: tuple[str, ...] = ()  # the aspects the prompt(s) set rather than defaulted

    def to_json(self) -> dict[str, Any]:
        """The plan as plain JSON values, tagged with the engine and plan version."""
        return {
            "engine": "procedural",
            "version": PLAN_VERSION,
            "prompt": self.prompt,
            "seed": self.seed,
            "layout_seed": self.layout_seed,
            "time_of_day": self.time_of_day,
            "weather": self.weather,
            "setting": self.setting,
            "camera": {"move": self.camera.move, "speed": self.camera.speed},
            "subjects": [_subject_json(s) for s in self.subjects],
            "mood": self.mood,
            "grade": self.grade,
            "audio": self.audio,
            "accent_colors": list(self.accent_colors),
            "understood": list(self.understood),
            "explicit": list(self.explicit),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScenePlan:
        """Read a plan written by `to_json`; ValueError if it is not a procedural plan."""
        if data.get("engine", "procedural") != "procedural":
            raise ValueError(f"not a procedural plan: engine {data.get('engine')!r}")
        try:
            camera = data.get("camera") or {}
            plan = cls(
                prompt=str(data["prompt"]),
                seed=int(data["seed"]),
                layout_seed=int(data["layout_seed"]),
                time_of_day=_member(data["time_of_day"], TIMES_OF_DAY),
                weather=_member(data["weather"], WEATHERS),
                setting=_member(data["setting"], SETTINGS),
                camera=CameraPlan(
                    move=_member(camera.get("move", "static"), CAMERA_MOVES),
                    speed=float(camera.get("speed", 1.0)),
                ),
                subjects=tuple(_subject_from_json(s) for s in data.get("subjects", ())),
                mood=_member(data.get("mood", "bright"), MOODS),
                grade=_member(data.get("grade", "none"), GRADES),
                audio=bool(data.get("audio", True)),
                accent_colors=tuple(
                    _member(c, tuple(NAMED_COLORS)) for c in data.get("accent_colors", ())
                ),
                understood=tuple(str(w) for w in data.get("understood", ())),
                explicit=tuple(str(a) for a in data.get("explicit", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed plan: {exc!r}") from exc
        return plan


def plan_scene(prompt: str, *, seed: int, characters: Sequence[str] = ()) -> ScenePlan:
    """Read `prompt` into a plan; `characters` are names of cut-outs to place in the scene."""
    reading = _read(prompt)
    layout = layout_seed(seed, prompt)
    kinds = [kind for kind, _, _ in reading.subjects]
    weather = reading.values.get("weather", "clear")
    time_of_day = reading.values.get("time_of_day", "noon")
    setting = reading.values.get("setting") or _default_setting(weather, kinds)
    subjects = _place_subjects(reading, layout)
    subjects += _place_characters(
        characters, start=len(subjects), layout=layout, speed=reading.speed
    )
    return ScenePlan(
        prompt=prompt,
        seed=seed,
        layout_seed=layout,
        time_of_day=time_of_day,
        weather=weather,
        setting=setting,
        camera=CameraPlan(move=reading.values.get("camera", "static"), speed=reading.speed),
        subjects=tuple(subjects),
        mood=reading.values.get("mood") or _default_mood(time_of_day, weather, setting),
        grade=reading.values.get("grade", "none"),
        audio=not reading.silent,
        accent_colors=tuple(reading.accent_colors),
        understood=tuple(reading.understood),
        explicit=tuple(reading.explicit()),
    )


def remix_plan(
    source: ScenePlan, prompt: str, *, seed: int, characters: Sequence[str] = ()
) -> ScenePlan:
    """Keep `source`'s skeleton (layout seed, camera, subject paths) and apply `prompt`.

    Only what the new prompt states changes: time of day, weather, setting, style, mood, camera,
    subjects (which take over the source subjects' paths in order) and colours (a colour with no
    subject recolours the source subjects).
    """
    reading = _read(prompt)
    values = reading.values
    time_of_day = values.get("time_of_day", source.time_of_day)
    weather = values.get("weather", source.weather)
    setting = values.get("setting", source.setting)
    camera = source.camera
    if "camera" in values or reading.speed != 1.0:
        camera = CameraPlan(move=values.get("camera", camera.move), speed=reading.speed)

    old = [s for s in source.subjects if s.kind != "character"]
    if reading.subjects:
        fresh = _place_subjects(reading, source.layout_seed)
        subjects = [_take_path(new, old[i]) if i < len(old) else new for i, new in enumerate(fresh)]
    elif reading.accent_colors:
        colors = reading.accent_colors
        subjects = [replace(s, color=colors[i % len(colors)]) for i, s in enumerate(old)]
    else:
        subjects = old
    kept = [s for s in source.subjects if s.kind == "character" and s.name in characters]
    known = {s.name for s in kept}
    added = _place_characters(
        [c for c in characters if c not in known],
        start=len(subjects) + len(kept),
        layout=source.layout_seed,
        speed=reading.speed,
    )
    subjects += kept + added

    explicit = set(source.explicit) | set(reading.explicit())
    if "mood" in values:
        mood = values["mood"]
    elif "mood" in source.explicit:
        mood = source.mood
    else:
        mood = _default_mood(time_of_day, weather, setting)
    return ScenePlan(
        prompt=prompt,
        seed=seed,
        layout_seed=source.layout_seed,
        time_of_day=time_of_day,
        weather=weather,
        setting=setting,
        camera=camera,
        subjects=tuple(subjects),
        mood=mood,
        grade=values.get("grade", source.grade),
        audio=source.audio and not reading.silent,
        accent_colors=tuple(reading.accent_colors) or source.accent_colors,
        understood=tuple(reading.understood),
        explicit=tuple(sorted(explicit)),
    )


@dataclass
class _Reading:
    """What `_read` found in a prompt, before defaults are filled in."""

    values: dict[str, str] = field(default_factory=dict)  # aspect -> first value mentioned
    subjects: list[tuple[str, int, str | None]] = field(default_factory=list)  # kind, n, colour
    accent_colors: list[str] = field(default_factory=list)
    speed: float = 1.0
    silent: bool = False
    understood: list[str] = field(default_factory=list)

    def explicit(self) -> list[str]:
        aspects = [a for a in self.values if a != "speed"]
        if self.subjects:
            aspects.append("subjects")
        if self.accent_colors or any(color for _, _, color in self.subjects):
            aspects.append("colors")
        if self.speed != 1.0:
            aspects.append("speed")
        if self.silent:
            aspects.append("audio")
        return sorted(aspects)


def _read(prompt: str) -> _Reading:
    tokens = _TOKEN.findall(prompt.lower())
    reading = _Reading()
    pending_colors: list[tuple[int, str]] = []  # (token index, colour) not yet attached
    last_number: tuple[int, int] | None = None  # (token index, count)
    i = 0
    while i < len(tokens):
        negated = i > 0 and tokens[i - 1] in NEGATIONS
        matched = _match_phrase(tokens, i)
        if matched is not None:
            words, aspect, value = matched
            if aspect == "silent":
                reading.silent = True
                reading.understood.append(" ".join(words))
            elif not negated:
                reading.understood.append(" ".join(words))
                if aspect == "speed":
                    reading.values.setdefault("speed", value)
                    reading.speed = SPEED_FACTORS[reading.values["speed"]]
                else:
                    reading.values.setdefault(aspect, value)
            i += len(words)
            continue
        token = tokens[i]
        if token in NUMBER_WORDS:
            last_number = (i, NUMBER_WORDS[token])
        elif token in COLOR_WORDS and not negated:
            pending_colors.append((i, COLOR_WORDS[token]))
            reading.understood.append(token)
        elif token in SUBJECT_WORDS and not negated:
            kind, plural_count = SUBJECT_WORDS[token]
            count = plural_count
            if last_number is not None and i - last_number[0] <= 3:
                count = last_number[1]
                reading.understood.append(tokens[last_number[0]])
            last_number = None
            # The colour word that describes a subject sits just before it ("a red car").
            color = None
            if pending_colors and i - pending_colors[-1][0] <= 3:
                color = pending_colors.pop()[1]
            reading.accent_colors += [c for _, c in pending_colors]
            pending_colors.clear()
            reading.subjects.append((kind, count, color))
            reading.understood.append(token)
        i += 1
    reading.accent_colors += [c for _, c in pending_colors]
    return reading


def _match_phrase(tokens: list[str], start: int) -> tuple[tuple[str, ...], str, str] | None:
    for length in range(min(MAX_PHRASE_WORDS, len(tokens) - start), 0, -1):
        words = tuple(tokens[start : start + length])
        meaning = PHRASES.get(words)
        if meaning is not None:
            return words, meaning[0], meaning[1]
    return None


def _default_setting(weather: str, kinds: Sequence[str]) -> str:
    if weather == "snow":
        return "snow"
    for kind, setting in (("fish", "underwater"), ("boat", "ocean"), ("car", "city")):
        if kind in kinds:
            return setting
    return "meadow"


def _default_mood(time_of_day: str, weather: str, setting: str) -> str:
    if weather in ("rain", "fog"):
        return "melancholy"
    if time_of_day == "night" or setting == "space":
        return "mysterious"
    if time_of_day in ("sunset", "golden hour", "dusk"):
        return "warm"
    if weather == "snow" or time_of_day in ("dawn", "morning") or setting == "underwater":
        return "calm"
    return "bright"


def _place_subjects(reading: _Reading, layout: int) -> list[SubjectPlan]:
    subjects: list[SubjectPlan] = []
    for kind, count, color in reading.subjects:
        for _ in range(count):
            if len(subjects) == MAX_PROMPT_SUBJECTS:
                return subjects
            subjects.append(
                _place(kind, color or KINDS[kind].color, len(subjects), layout, reading.speed)
            )
    return subjects


def _place_characters(
    names: Sequence[str], *, start: int, layout: int, speed: float
) -> list[SubjectPlan]:
    return [
        _place("character", "white", start + i, layout, speed, name=name)
        for i, name in enumerate(names)
    ]


def _place(
    kind: str, color: str, index: int, layout: int, speed: float, *, name: str | None = None
) -> SubjectPlan:
    traits = KINDS[kind]
    rng = rng_for(layout, f"subject:{index}")
    x0, x1 = _path_range(
        traits.motion, float(rng.uniform(0.06, 0.94)), float(rng.uniform(0.0, 1.0))
    )
    return SubjectPlan(
        kind=kind,
        color=color,
        name=name,
        size=round(traits.size * float(rng.uniform(0.9, 1.1)), 4),
        # Later subjects stand further back so a crowd does not pile up on one line.
        depth=round(min(0.85, 0.12 * index + float(rng.uniform(0.0, 0.35))), 4),
        height=round(float(rng.uniform(0.15, 0.85)), 4),
        motion=traits.motion,
        x0=x0,
        x1=x1,
        speed=round(traits.speed * speed * float(rng.uniform(0.8, 1.2)), 4),
        phase=round(float(rng.uniform(0.0, 1.0)), 4),
        direction=1 if rng.uniform() < 0.5 else -1,
    )


def _path_range(motion: str, centre: float, spread: float) -> tuple[float, float]:
    if motion == "wrap":
        # Enters from one side and leaves by the other, fully off screen at both ends.
        return -0.3, 1.3
    if motion == "still":
        return round(centre, 4), round(centre, 4)
    half = 0.15 + 0.2 * spread
    lo = max(0.05, centre - half)
    hi = min(0.95, lo + 2 * half)
    return round(lo, 4), round(hi, 4)


def _take_path(new: SubjectPlan, old: SubjectPlan) -> SubjectPlan:
    """`new`'s kind and colour on `old`'s path (the remix keeps where things are)."""
    traits = KINDS[new.kind]
    scale = old.size / KINDS[old.kind].size if old.kind in KINDS else 1.0
    same_motion = traits.motion == old.motion
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


def _subject_json(subject: SubjectPlan) -> dict[str, Any]:
    return {
        "kind": subject.kind,
        "color": subject.color,
        "name": subject.name,
        "size": subject.size,
        "depth": subject.depth,
        "height": subject.height,
        "motion": subject.motion,
        "x0": subject.x0,
        "x1": subject.x1,
        "speed": subject.speed,
        "phase": subject.phase,
        "direction": subject.direction,
    }


def _subject_from_json(data: Mapping[str, Any]) -> SubjectPlan:
    name = data.get("name")
    return SubjectPlan(
        kind=_member(data["kind"], tuple(KINDS)),
        color=_member(data["color"], tuple(NAMED_COLORS)),
        name=None if name is None else str(name),
        size=float(data["size"]),
        depth=float(data["depth"]),
        height=float(data["height"]),
        motion=_member(data["motion"], ("pingpong", "wrap", "still")),
        x0=float(data["x0"]),
        x1=float(data["x1"]),
        speed=float(data["speed"]),
        phase=float(data["phase"]),
        direction=1 if int(data["direction"]) >= 0 else -1,
    )


def _member(value: Any, allowed: Sequence[str]) -> str:
    text = str(value)
    if text not in allowed:
        raise ValueError(f"unexpected plan value {text!r}; expected one of {list(allowed)}")
    return text
