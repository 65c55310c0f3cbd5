"""What each subject kind looks like: a few signed-distance parts posed at a moment in time.

`parts(kind, pose, color, motion)` returns the parts of a figure back to front. Builders live
by family: people, animals (four legs), creatures (birds, insects, sea life), vehicles (and
boats and aircraft) and things (plants, buildings, objects).
"""

from __future__ import annotations

from collections.abc import Callable

from reelbox.engines.procedural.figures import (
    animals,
    creatures,
    extras,
    people,
    things,
    vehicles,
)
from reelbox.engines.procedural.figures.pose import Motion, Part, Pose
from reelbox.engines.procedural.palette import RGB

Builder = Callable[[Pose, RGB, Motion], list[Part]]

BUILDERS: dict[str, Builder] = {
    **people.BUILDERS,
    **animals.BUILDERS,
    **creatures.BUILDERS,
    **vehicles.BUILDERS,
    **things.BUILDERS,
    **extras.BUILDERS,
}


def parts(kind: str, pose: Pose, color: RGB, motion: Motion) -> list[Part]:
    """The parts of a `kind` figure in `pose`, coloured `color`, doing `motion`."""
    return BUILDERS[kind](pose, color, motion)


def has_figure(kind: str) -> bool:
    return kind in BUILDERS


__all__ = ["BUILDERS", "Motion", "Part", "Pose", "has_figure", "parts"]
