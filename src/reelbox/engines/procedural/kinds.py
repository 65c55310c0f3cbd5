"""Subject kinds: the traits the planner gives each kind of thing a scene can show.

Drawing lives in `subjects.py`; this table is what a plan needs to know (size, how it moves,
where it lives, its usual colour), so the planner stays free of rendering code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Motion = Literal["pingpong", "wrap", "still"]
Habitat = Literal["ground", "air", "water", "swim"]


@dataclass(frozen=True, kw_only=True)
class KindTraits:
    size: float  # height as a fraction of the frame height, for a subject in the foreground
    speed: float  # frame widths per second
    motion: Motion
    habitat: Habitat
    color: str  # default colour name (see `palette.NAMED_COLORS`)


KINDS: dict[str, KindTraits] = {
    "cat": KindTraits(size=0.2, speed=0.07, motion="pingpong", habitat="ground", color="orange"),
    "dog": KindTraits(size=0.24, speed=0.1, motion="pingpong", habitat="ground", color="brown"),
    "bird": KindTraits(size=0.08, speed=0.16, motion="wrap", habitat="air", color="blue"),
    "car": KindTraits(size=0.22, speed=0.22, motion="wrap", habitat="ground", color="red"),
    "person": KindTraits(size=0.4, speed=0.05, motion="pingpong", habitat="ground", color="blue"),
    "boat": KindTraits(size=0.26, speed=0.03, motion="pingpong", habitat="water", color="white"),
    "tree": KindTraits(size=0.5, speed=0.0, motion="still", habitat="ground", color="green"),
    "ball": KindTraits(size=0.08, speed=0.14, motion="pingpong", habitat="ground", color="red"),
    "fish": KindTraits(size=0.1, speed=0.08, motion="pingpong", habitat="swim", color="orange"),
    # A user-supplied cut-out (`GenerationInputs.characters`), matched by name.
    "character": KindTraits(
        size=0.4, speed=0.05, motion="pingpong", habitat="ground", color="white"
    ),
}
