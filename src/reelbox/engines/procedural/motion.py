"""Where a subject is and how it is posed at any moment: a pure function of plan and time.

The renderer draws subjects where `place` says; the sound module asks the same function where
they are (to pan their sounds) and when their feet land, so picture and sound agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.plan import SubjectPlan
from reelbox.engines.procedural.scenery import ground_parallax

JUMP_RATE = 1.3  # hops per second
FALL_SECONDS = 2.6  # one fall from above the frame to the ground
GAIT = 0.9  # figure heights travelled per full stride cycle
TURN_DISTANCE = 0.03  # frame widths over which a walker turns round at the end of its path
GROUND_NEAR = 0.86  # feet of the nearest ground subjects, as a fraction from horizon to bottom
BOTTOM_MARGIN = 0.05  # and never nearer the frame's bottom edge than this


@dataclass(frozen=True, kw_only=True)
class Stage:
    """What subjects need to know about the place they are in (world pixels)."""

    width: int
    height: int
    horizon: float
    water: tuple[float, float] | None = None
    road: tuple[float, float] | None = None
    underwater: bool = False
    space: bool = False


@dataclass(frozen=True, kw_only=True)
class Placement:
    x: float  # world x of the feet (pixels, at the subject's parallax)
    y: float  # world y of the feet
    size: float  # height in pixels before the camera's magnification
    facing: float  # +1 right, -1 left, in between while turning
    tilt: float  # radians
    parallax: float
    step: float  # gait phase in radians
    grounded: bool  # standing on the ground (casts a shadow)


def habitat(subject: SubjectPlan, stage: Stage) -> str:
    """Where the subject lives for this action: ground, air, water (surface) or swim."""
    kind = KINDS[subject.kind] if subject.kind in KINDS else KINDS["character"]
    if subject.action == "fly":
        return "swim" if stage.underwater else "air"
    if subject.action == "swim":
        if stage.underwater or kind.habitat == "swim":
            return "swim"
        return "water" if stage.water is not None else "ground"
    if stage.underwater and kind.habitat in ("air", "water"):
        return "swim"
    if subject.action == "jump" and kind.habitat == "swim" and stage.water is not None:
        return "water"  # leaping out of the water
    if kind.habitat == "water" and stage.water is None:
        return "ground" if kind.category != "boat" else "swim"
    if kind.habitat == "swim" and not stage.underwater and stage.water is None:
        return "air" if subject.action == "float" else "ground"
    return kind.habitat if kind.habitat != "space" else "ground"


def place(subject: SubjectPlan, stage: Stage, t: float) -> Placement:
    """Where `subject` is at scene time `t` seconds."""
    w, h = stage.width, stage.height
    x, facing = _path(subject, t)
    where = habitat(subject, stage)
    depth = subject.depth
    size = subject.size * h * (1 - 0.55 * depth)
    aspect = (KINDS[subject.kind].aspect if subject.kind in KINDS else 0.6) or 1.0
    size = min(size, 0.92 * h, 0.95 * w / aspect)
    horizon = stage.horizon
    grounded = False
    kind = KINDS.get(subject.kind)
    if where == "air":
        y = horizon * (0.8 - 0.62 * subject.height) + 0.5 * size
        parallax = 0.25 + 0.5 * (1 - depth)
    elif where == "water" and stage.water is not None:
        top, bottom = stage.water
        y = top + (bottom - top) * (0.85 - 0.6 * depth)
        parallax = ground_parallax((y - horizon) / max(1.0, h - horizon))
    elif where == "swim":
        if stage.underwater:
            y = h * (0.3 + 0.45 * (1 - subject.height)) + 0.5 * size
        elif stage.water is not None:
            top, bottom = stage.water
            y = top + (bottom - top) * (0.35 + 0.55 * (1 - depth)) + 0.4 * size
        else:
            y = horizon + (h - horizon) * 0.5
        parallax = 0.3 + 0.6 * (1 - depth)
    else:
        road = stage.road
        if road is not None and kind is not None and kind.category == "vehicle":
            y = road[0] + (road[1] - road[0]) * (0.8 - 0.55 * depth)
        else:
            y = horizon + (h - horizon) * (GROUND_NEAR - 0.7 * depth)
            if stage.water is not None and stage.water[1] < 0.97 * h:
                # Ground dwellers stay on the shore in front of the water, not on it.
                shore = stage.water[1]
                y = max(y, shore + (h - shore) * (0.35 + 0.55 * (1 - depth)))
            y = min(y, (1 - BOTTOM_MARGIN) * h)  # low horizons too: feet clear of the edge
        parallax = ground_parallax((y - horizon) / max(1.0, h - horizon))
        grounded = True
        if subject.lift:
            # Held in a hand: up by the lift (scaled by depth like the size), no shadow.
            y -= subject.lift * h * (1 - 0.55 * depth)
            grounded = False
    tilt = 0.0
    travelled = subject.speed * w * t
    step = 2 * math.pi * travelled / max(1.0, GAIT * size)
    action = subject.action
    if action in ("jump", "dance", "wave", "idle", "sit", "spin", "float", "fall"):
        step = 2 * math.pi * 0.8 * t  # on-the-spot movement keeps its own rhythm
    if action == "jump":
        hop = abs(math.sin(math.pi * ((t * JUMP_RATE + subject.phase) % 1.0)))
        # Things bounce several times their own size; creatures jump a third of theirs.
        bounce = 0.35 * size
        if kind is not None and kind.category == "object":
            bounce = min(2.5 * size, 0.3 * h)
        elif kind is not None and kind.category == "sea":
            # A leap out of the water, nose up on the way out and down on the way in.
            bounce = 1.2 * size
            tilt = -0.6 * math.cos(math.pi * ((t * JUMP_RATE + subject.phase) % 1.0)) * facing
        y -= hop * bounce
        grounded = grounded and hop < 0.05
    elif action == "dance":
        y -= 0.05 * size * abs(math.sin(2 * math.pi * 1.1 * t))
        facing = max(-1.0, min(1.0, 2.5 * math.sin(math.pi * 0.45 * t + subject.phase * 6)))
        facing = facing if abs(facing) > 0.15 else math.copysign(0.15, facing)
    elif action == "spin":
        facing = math.cos(2 * math.pi * 0.7 * t + subject.phase * 6)
        facing = facing if abs(facing) > 0.08 else math.copysign(0.08, facing)
    elif action == "fall":
        u = (t / FALL_SECONDS + subject.phase) % 1.0
        landed = min(1.0, u / 0.8)
        y = -1.1 * size + (y + 1.1 * size) * landed * landed
        tilt = 3 * math.pi * landed * (1 if subject.direction > 0 else -1) if landed < 1 else 0.0
        grounded = grounded and landed >= 1.0
    elif action == "float":
        lift = 0.0 if where in ("air", "swim", "water") else 0.5 * size
        y -= lift + 0.06 * size * math.sin(2 * math.pi * 0.25 * t + subject.phase * 6)
        grounded = grounded and lift == 0.0
    elif action == "fly" and subject.kind == "rocket":
        u = (t * 0.12 + subject.phase) % 1.0
        ground_y = horizon + (h - horizon) * (GROUND_NEAR - 0.7 * depth)
        y = ground_y - u * u * (ground_y + 1.2 * size)
        facing = 1.0
    elif action in ("swim", "fly") and kind is not None and kind.category == "person":
        tilt = 1.3 * (1 if facing > 0 else -1)
        y -= 0.3 * size
    elif kind is not None and kind.category == "boat" and where == "water":
        tilt = 0.04 * math.sin(t * 1.3 + subject.phase * 6)
        y += 0.025 * size * math.sin(t * 1.7 + subject.phase * 6)
    if where in ("air", "swim") and action not in ("fall",) and subject.kind != "rocket":
        y += 0.03 * size * math.sin(2 * math.pi * 0.4 * t + subject.phase * 6)
    if not grounded and action not in ("fall", "jump") and subject.kind != "rocket":
        # Whatever hovers stays whole in the picture (its top below the frame's top edge).
        y = max(y, size * 1.04 + 0.03 * h)
    return Placement(
        x=x * w,
        y=y,
        size=size,
        facing=facing,
        tilt=tilt,
        parallax=parallax,
        step=step,
        grounded=grounded,
    )


def _path(subject: SubjectPlan, t: float) -> tuple[float, float]:
    """Horizontal position (fraction of the frame width) and facing at `t`."""
    span = subject.x1 - subject.x0
    facing = float(subject.direction)
    if subject.motion == "travel":
        return subject.x0 + subject.direction * subject.speed * t, facing
    if subject.motion == "still" or span <= 0 or subject.speed <= 0:
        return subject.x0, facing
    if subject.motion == "wrap":
        u = (subject.phase + subject.direction * subject.speed * t / span) % 1.0
        return subject.x0 + u * span, facing
    # Walk to one end of the range, turn round, walk back: a triangle wave. The turn is eased:
    # the figure narrows to its edge-on width near the end and widens facing the other way.
    cycle = 2 * span
    s = (subject.phase * cycle + subject.direction * subject.speed * t) % cycle
    u = s if s < span else cycle - s  # distance from the start of the range
    ease = min(1.0, min(u, span - u) / max(1e-6, min(TURN_DISTANCE, span / 3)))
    turning = 0.12 + 0.88 * ease * ease * (3 - 2 * ease)
    if s < span:
        return subject.x0 + s, facing * turning
    return subject.x1 - (s - span), -facing * turning


def footfalls(subject: SubjectPlan, stage: Stage, t0: float, t1: float) -> list[float]:
    """Times in [t0, t1) when a foot (or hoof, or paw) lands: each half stride."""
    if subject.action not in ("walk", "run") or subject.speed <= 0:
        if subject.action == "jump":
            first = math.ceil(t0 * JUMP_RATE + subject.phase)
            last = math.floor(t1 * JUMP_RATE + subject.phase)
            return [(k - subject.phase) / JUMP_RATE for k in range(first, last + 1)]
        if subject.action == "dance":
            return [k / 2.2 for k in range(math.ceil(t0 * 2.2), math.floor(t1 * 2.2) + 1)]
        return []
    size = place(subject, stage, t0).size
    per_second = subject.speed * stage.width / max(1.0, GAIT * size) * 2
    first = math.ceil(t0 * per_second)
    last = math.floor(t1 * per_second)
    if last - first > 100_000:
        return []
    return [k / per_second for k in range(first, last + 1)]
