"""`ScenePlan`: the typed, JSON-serialisable description of what the procedural engine renders.

The planner (`planner.py`) builds it from a prompt; the job record keeps `to_json()` and hands it
back as `spec.source_plan` when a remix, edit or extension starts from the video. `from_json`
reads this version and upgrades plans written by the first version of the engine (version 1);
anything else is a ValueError, and the engine then plans from the prompt alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.palette import NAMED_COLORS
from reelbox.engines.procedural.vocabulary import (
    ACTIONS,
    CAMERA_MOVES,
    LIGHTINGS,
    MOODS,
    MUSIC_STYLES,
    SETTINGS,
    SHOTS,
    SOUND_CUES,
    STYLES,
    TEMPOS,
    TIMES_OF_DAY,
    WEATHERS,
)

PLAN_VERSION = 2
MOTIONS = ("pingpong", "wrap", "travel", "still")
VOICES = ("female", "male", "child", "robot", "narrator")
LOUDNESS = ("quiet", "normal", "loud")
WORLDS = ("", "moon", "mars")


@dataclass(frozen=True, kw_only=True)
class CameraPlan:
    """How the clip is framed and how the camera moves over its whole length."""

    shot: str = "wide"  # one of `vocabulary.SHOTS`
    move: str = "static"  # one of `vocabulary.CAMERA_MOVES`
    speed: float = 1.0  # multiplier on the move's base rate
    handheld: bool = False  # a gentle, irregular shake on top of the move
    tempo: str = "normal"  # "slow_motion" slows everything that moves; "time_lapse" speeds it


@dataclass(frozen=True, kw_only=True)
class SubjectPlan:
    """One thing in the scene, what it does and the path it follows.

    Positions are fractions of the frame: `x0..x1` is the horizontal range of the path, `depth`
    0 is the foreground and 1 the far distance, `height` places flying or swimming subjects
    within the band they live in (0 low, 1 high). `size` is the height as a fraction of the
    frame height in the foreground, already scaled by size words and the shot.
    """

    kind: str  # a key of `kinds.KINDS`
    color: str  # a key of `palette.NAMED_COLORS`
    name: str | None = None  # the character's name when kind == "character"
    action: str = "idle"  # one of `vocabulary.ACTIONS`
    size: float
    depth: float
    height: float
    motion: str  # one of `MOTIONS`
    x0: float
    x1: float
    speed: float  # frame widths per second
    phase: float  # where on its path the subject starts, 0..1
    direction: int  # +1 moving right at the start, -1 moving left
    lift: float = 0.0  # a held thing: how far above the ground, as a fraction like `size`


@dataclass(frozen=True, kw_only=True)
class DialogueLine:
    """A quoted line to be spoken, by whom (if the prompt says) and in what kind of voice."""

    text: str
    voice: str  # one of `VOICES`
    speaker: str | None = None  # the kind or character name it belongs to
    loudness: str = "normal"  # one of `LOUDNESS`


@dataclass(frozen=True, kw_only=True)
class SoundPlan:
    """The soundtrack: ambience, music, sound cues the prompt asked for, and dialogue."""

    ambience: bool = True
    music: bool = True
    music_style: str = "auto"  # one of `vocabulary.MUSIC_STYLES`; "auto" follows the style
    cues: tuple[str, ...] = ()  # from `vocabulary.SOUND_CUES`
    dialogue: tuple[DialogueLine, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ScenePlan:
    """What the procedural renderer draws and the sound it makes; see `to_json`."""

    prompt: str
    seed: int  # the request's seed
    layout_seed: int  # drives every random choice of the render
    time_of_day: str
    weather: str
    setting: str
    wind: float = 0.0  # 0 still air .. 1 a gale
    lighting: str = "natural"
    style: str = "none"
    mood: str = "bright"
    camera: CameraPlan = field(default_factory=CameraPlan)
    subjects: tuple[SubjectPlan, ...] = ()
    sound: SoundPlan = field(default_factory=SoundPlan)
    audio: bool = True
    accent_colors: tuple[str, ...] = ()  # colour words not attached to a subject
    understood: tuple[str, ...] = ()  # the recognised words and phrases, in prompt order
    explicit: tuple[str, ...] = ()  # the aspects the prompt(s) set rather than defaulted
    not_understood: tuple[str, ...] = ()  # content words and phrases the plan does not render
    substitutions: tuple[str, ...] = ()  # "dragon: a winged creature": what stands in for what
    language: str | None = None  # the prompt's language when it is not English
    world: str = ""  # the ground of a space scene: "" (grey rock), "moon" or "mars"
    earth_in_sky: bool = False  # the planet hanging in a space sky is the Earth
    aurora: bool = False  # the northern (or southern) lights in the night sky
    time_change: str | None = None  # the time of day the clip ends at ('day turning to night')

    def to_json(self) -> dict[str, Any]:
        """The plan as plain JSON values, tagged with the engine and plan version."""
        camera = self.camera
        sound = self.sound
        return {
            "engine": "procedural",
            "version": PLAN_VERSION,
            "prompt": self.prompt,
            "seed": self.seed,
            "layout_seed": self.layout_seed,
            "setting": self.setting,
            "time_of_day": self.time_of_day,
            "weather": self.weather,
            "wind": self.wind,
            "lighting": self.lighting,
            "style": self.style,
            "mood": self.mood,
            "camera": {
                "shot": camera.shot,
                "move": camera.move,
                "speed": camera.speed,
                "handheld": camera.handheld,
                "tempo": camera.tempo,
            },
            "subjects": [_subject_json(s) for s in self.subjects],
            "sound": {
                "ambience": sound.ambience,
                "music": sound.music,
                "music_style": sound.music_style,
                "cues": list(sound.cues),
                "dialogue": [
                    {"text": d.text, "voice": d.voice, "speaker": d.speaker, "loudness": d.loudness}
                    for d in sound.dialogue
                ],
            },
            "audio": self.audio,
            "accent_colors": list(self.accent_colors),
            "understood": list(self.understood),
            "explicit": list(self.explicit),
            "not_understood": list(self.not_understood),
            "substitutions": list(self.substitutions),
            "language": self.language,
            "world": self.world,
            "earth_in_sky": self.earth_in_sky,
            "aurora": self.aurora,
            "time_change": self.time_change,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScenePlan:
        """Read a plan written by `to_json` (or by version 1 of this engine).

        ValueError if it is not a procedural plan, or is damaged.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a plan must be a JSON object")
        if data.get("engine", "procedural") != "procedural":
            raise ValueError(f"not a procedural plan: engine {data.get('engine')!r}")
        try:
            version = int(data.get("version", 1))
            if version == 1:
                data = _upgrade_v1(data)
            elif version != PLAN_VERSION:
                raise ValueError(f"unknown plan version {version}")
            return _read(data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed plan: {exc!r}") from exc


def _read(data: Mapping[str, Any]) -> ScenePlan:
    camera = data.get("camera") or {}
    sound = data.get("sound") or {}
    return ScenePlan(
        prompt=str(data["prompt"]),
        seed=int(data["seed"]),
        layout_seed=int(data["layout_seed"]),
        setting=_member(data["setting"], SETTINGS),
        time_of_day=_member(data["time_of_day"], TIMES_OF_DAY),
        weather=_member(data["weather"], WEATHERS),
        wind=_fraction(data.get("wind", 0.0)),
        lighting=_member(data.get("lighting", "natural"), LIGHTINGS),
        style=_member(data.get("style", "none"), STYLES),
        mood=_member(data.get("mood", "bright"), MOODS),
        camera=CameraPlan(
            shot=_member(camera.get("shot", "wide"), SHOTS),
            move=_member(camera.get("move", "static"), CAMERA_MOVES),
            speed=_positive(camera.get("speed", 1.0)),
            handheld=bool(camera.get("handheld", False)),
            tempo=_member(camera.get("tempo", "normal"), TEMPOS),
        ),
        subjects=tuple(_subject_from_json(s) for s in data.get("subjects", ())),
        sound=SoundPlan(
            ambience=bool(sound.get("ambience", True)),
            music=bool(sound.get("music", True)),
            music_style=_member(sound.get("music_style", "auto"), MUSIC_STYLES),
            cues=tuple(_member(c, SOUND_CUES) for c in sound.get("cues", ())),
            dialogue=tuple(_dialogue_from_json(d) for d in sound.get("dialogue", ())),
        ),
        audio=bool(data.get("audio", True)),
        accent_colors=tuple(_member(c, tuple(NAMED_COLORS)) for c in data.get("accent_colors", ())),
        understood=tuple(str(w) for w in data.get("understood", ())),
        explicit=tuple(str(a) for a in data.get("explicit", ())),
        not_understood=tuple(str(w) for w in data.get("not_understood", ())),
        substitutions=tuple(str(w) for w in data.get("substitutions", ())),
        language=None if data.get("language") is None else str(data.get("language")),
        world=_member(data.get("world", ""), WORLDS),
        earth_in_sky=bool(data.get("earth_in_sky", False)),
        aurora=bool(data.get("aurora", False)),
        time_change=(
            None if data.get("time_change") is None else _member(data["time_change"], TIMES_OF_DAY)
        ),
    )


# Version 1 knew fewer words; its values map onto this version's like this.
_V1_GRADES = {
    "none": "none",
    "mono": "noir",
    "sepia": "vintage",
    "vivid": "vivid",
    "faded": "pastel",
}
_V1_KINDS = {"boat": "sailboat"}
_V1_EXPLICIT = {"grade": "style"}


def _upgrade_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    upgraded = dict(data)
    upgraded["style"] = _V1_GRADES.get(str(data.get("grade", "none")), "none")
    camera = data.get("camera") or {}
    upgraded["camera"] = {"move": camera.get("move", "static"), "speed": camera.get("speed", 1.0)}
    subjects = []
    for subject in data.get("subjects", ()):
        item = dict(subject)
        kind = _V1_KINDS.get(str(item["kind"]), str(item["kind"]))
        item["kind"] = kind
        if kind in KINDS:
            item["action"] = KINDS[kind].action
        subjects.append(item)
    upgraded["subjects"] = subjects
    upgraded["sound"] = {"music": True, "ambience": True}
    upgraded["explicit"] = [_V1_EXPLICIT.get(str(a), str(a)) for a in data.get("explicit", ())]
    return upgraded


def _subject_json(subject: SubjectPlan) -> dict[str, Any]:
    return {
        "kind": subject.kind,
        "color": subject.color,
        "name": subject.name,
        "action": subject.action,
        "size": subject.size,
        "depth": subject.depth,
        "height": subject.height,
        "motion": subject.motion,
        "x0": subject.x0,
        "x1": subject.x1,
        "speed": subject.speed,
        "phase": subject.phase,
        "direction": subject.direction,
        "lift": subject.lift,
    }


def _subject_from_json(data: Mapping[str, Any]) -> SubjectPlan:
    name = data.get("name")
    kind = _member(data["kind"], tuple(KINDS))
    return SubjectPlan(
        kind=kind,
        color=_member(data["color"], tuple(NAMED_COLORS)),
        name=None if name is None else str(name),
        action=_member(data.get("action", KINDS[kind].action), ACTIONS),
        size=_positive(data["size"]),
        depth=_fraction(data["depth"]),
        height=_fraction(data["height"]),
        motion=_member(data["motion"], MOTIONS),
        x0=float(data["x0"]),
        x1=float(data["x1"]),
        speed=max(0.0, float(data["speed"])),
        phase=_fraction(data["phase"]),
        direction=1 if int(data["direction"]) >= 0 else -1,
        lift=_fraction(data.get("lift", 0.0)),
    )


def _dialogue_from_json(data: Mapping[str, Any]) -> DialogueLine:
    speaker = data.get("speaker")
    return DialogueLine(
        text=str(data["text"]),
        voice=_member(data.get("voice", "narrator"), VOICES),
        speaker=None if speaker is None else str(speaker),
        loudness=_member(data.get("loudness", "normal"), LOUDNESS),
    )


def _member(value: Any, allowed: Sequence[str]) -> str:
    text = str(value)
    if text not in allowed:
        raise ValueError(f"unexpected plan value {text!r}; expected one of {list(allowed)}")
    return text


def _fraction(value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"unexpected plan value {number!r}; expected 0..1")
    return number


def _positive(value: Any) -> float:
    number = float(value)
    if not 0.0 < number < 100.0:
        raise ValueError(f"unexpected plan value {number!r}; expected a positive number")
    return number
