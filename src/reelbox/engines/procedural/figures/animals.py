"""Four-legged animals, all from one parametric body: cat, dog, horse, cow, sheep, pig, deer,
rabbit, fox, wolf, bear, lion, tiger, elephant, giraffe.

The legs move in diagonal pairs with the distance walked (a wider swing and a bounding body
when running), fold when sitting and tuck in mid-air when jumping; tails wag, trunks swing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reelbox.engines.procedural.figures.pose import DARK, WHITE, Motion, Part, Pose, mix, shade
from reelbox.engines.procedural.palette import RGB


@dataclass(frozen=True)
class Body:
    rx: float  # half body length
    ry: float  # half body height
    y: float  # body centre height
    leg: float  # leg thickness
    head: float  # head radius
    hx: float  # head centre
    hy: float
    snout: float = 0.1  # snout length
    ears: str = "pointy"  # pointy, floppy, round, long, none
    tail: str = "thin"  # thin, bushy, tuft, curly, long, short
    neck: float = 0.0  # neck thickness (0: the head sits on the body)


BODIES: dict[str, Body] = {
    "cat": Body(0.42, 0.16, 0.33, 0.05, 0.16, 0.5, -0.61, snout=0.05),
    "dog": Body(0.45, 0.19, 0.4, 0.06, 0.16, 0.5, -0.68, snout=0.14, ears="floppy"),
    "horse": Body(0.42, 0.16, 0.56, 0.055, 0.09, 0.6, -0.84, snout=0.16, tail="long", neck=0.08),
    "cow": Body(
        0.5, 0.22, 0.48, 0.07, 0.12, 0.58, -0.66, snout=0.09, ears="round", tail="long", neck=0.1
    ),
    "sheep": Body(0.45, 0.24, 0.44, 0.045, 0.1, 0.5, -0.58, snout=0.06, ears="round", tail="short"),
    "pig": Body(
        0.48, 0.25, 0.34, 0.065, 0.15, 0.52, -0.42, snout=0.07, ears="pointy", tail="curly"
    ),
    "deer": Body(
        0.38, 0.15, 0.55, 0.045, 0.09, 0.5, -0.85, snout=0.1, ears="long", tail="short", neck=0.06
    ),
    "rabbit": Body(0.3, 0.22, 0.27, 0.05, 0.16, 0.3, -0.49, snout=0.04, ears="long", tail="short"),
    "fox": Body(0.42, 0.15, 0.31, 0.045, 0.14, 0.5, -0.53, snout=0.14, tail="bushy"),
    "wolf": Body(0.45, 0.17, 0.39, 0.055, 0.15, 0.52, -0.64, snout=0.15, tail="bushy"),
    "bear": Body(0.48, 0.27, 0.4, 0.09, 0.17, 0.5, -0.57, snout=0.1, ears="round", tail="short"),
    "lion": Body(0.46, 0.18, 0.42, 0.065, 0.16, 0.5, -0.64, snout=0.1, ears="round", tail="tuft"),
    "tiger": Body(0.48, 0.17, 0.39, 0.065, 0.15, 0.52, -0.59, snout=0.1, ears="round"),
    "elephant": Body(0.48, 0.3, 0.5, 0.1, 0.2, 0.48, -0.66, snout=0.0, ears="none", tail="thin"),
    "giraffe": Body(
        0.32, 0.12, 0.5, 0.03, 0.06, 0.42, -0.94, snout=0.07, ears="pointy", tail="tuft", neck=0.045
    ),
}


def _legs(m: Motion) -> tuple[list[float], float, float]:
    """Swing angles for (far front, far back, near front, near back), body bob, body tilt."""
    s, action = m.step, m.action
    if action == "run":
        a = 0.65
        swing = [
            a * math.sin(s),
            a * math.sin(s + 2.4),
            a * math.sin(s + 0.5),
            a * math.sin(s + 2.9),
        ]
        return swing, 0.04 * abs(math.sin(s)), 0.05 * math.sin(s)
    if action in ("walk", "drive", "swim"):
        a = 0.35
        swing = [
            a * math.sin(s),
            a * math.sin(s + math.pi),
            a * math.sin(s + math.pi),
            a * math.sin(s),
        ]
        return swing, 0.01 * abs(math.sin(s)), 0.0
    if action == "jump":
        air = math.sin(math.pi * ((m.t * 1.3) % 1.0))
        return [0.7 * air, -0.7 * air, 0.6 * air, -0.6 * air], 0.0, -0.15 * air
    if action == "dance":
        beat = math.sin(2 * math.pi * 1.1 * m.t)
        return [0.3 * beat, -0.1, -0.3 * beat, 0.1], 0.02 * abs(beat), 0.05 * beat
    return [0.02, -0.02, -0.02, 0.02], 0.0, 0.0


def quadruped(kind: str, pose: Pose, color: RGB, m: Motion) -> list[Part]:
    b = BODIES[kind]
    swing, bob, tilt = _legs(m)
    sitting = m.action == "sit"
    far = shade(color, 0.72)
    by = -b.y - bob
    parts: list[Part] = []
    hip_x, shoulder_x = -b.rx * 0.62, b.rx * 0.62
    joint_y = by + b.ry * 0.3
    leg_len = b.y - b.ry * 0.3
    if sitting:
        tilt = -0.35
    # Far legs first.
    for i, (x, tone) in enumerate(
        ((shoulder_x, far), (hip_x, far), (shoulder_x - 0.05, color), (hip_x + 0.05, color))
    ):
        a = swing[i]
        length = leg_len
        top_y = joint_y + (x * math.sin(tilt))
        if sitting and x < 0:
            parts_leg = [(pose.ellipse(x + 0.05, -b.leg * 1.5, b.rx * 0.4, b.leg * 1.6), tone)]
        else:
            foot = (x + math.sin(a) * length, top_y + math.cos(a) * length)
            if sitting:
                foot = (x + 0.04, 0.0)
            parts_leg = [(pose.capsule(x, top_y, foot[0], foot[1] - b.leg * 0.6, b.leg), tone)]
            if kind in ("horse", "cow", "deer", "giraffe", "pig", "sheep"):
                hoof = (
                    pose.box(
                        foot[0] + b.leg * 0.15,
                        foot[1] - b.leg * 0.55,
                        b.leg * 1.05,
                        b.leg * 0.55,
                        b.leg * 0.2,
                    ),
                    shade(DARK, 0.9),
                )
                parts_leg.append(hoof)
        if i == 1:
            parts += _tail(b, pose, far, m, by)
        if i < 2:
            parts += parts_leg
            if i == 1:
                parts += _body(kind, b, pose, color, m, by, tilt)
        else:
            parts += parts_leg
    parts += _head(kind, b, pose, color, m, by, tilt, sitting)
    return parts


def _body(
    kind: str, b: Body, pose: Pose, color: RGB, m: Motion, by: float, tilt: float
) -> list[Part]:
    if kind == "sheep":
        wool = mix(color, WHITE, 0.3)
        parts: list[Part] = []
        for dx, dy, r in (
            (-0.3, 0.02, 0.17),
            (-0.1, -0.06, 0.19),
            (0.12, -0.05, 0.19),
            (0.3, 0.02, 0.16),
            (0.0, 0.06, 0.2),
            (-0.2, 0.1, 0.15),
            (0.2, 0.1, 0.15),
        ):
            parts.append(
                (pose.circle(dx, by + dy, r * b.ry / 0.24), shade(wool, 0.9 + 0.1 * (dy < 0)))
            )
        return parts
    parts = [(pose.ellipse(0.0, by, b.rx, b.ry, tilt), color)]
    if kind == "cow":
        for dx, dy, r in ((-0.2, -0.05, 0.09), (0.15, 0.04, 0.07), (-0.35, 0.06, 0.05)):
            parts.append((pose.ellipse(dx, by + dy, r * 1.3, r, 0.3), (35, 32, 34)))
    elif kind == "tiger":
        for k in range(6):
            x = -0.35 + 0.13 * k
            parts.append((pose.capsule(x, by - b.ry * 0.9, x - 0.04, by + b.ry * 0.2, 0.018), DARK))
    elif kind == "giraffe":
        for dx, dy in ((-0.15, -0.03), (0.05, 0.02), (0.2, -0.04), (-0.02, -0.07)):
            parts.append((pose.circle(dx, by + dy, 0.035), shade(color, 0.55)))
    elif kind in ("fox", "wolf", "cat", "dog"):
        parts.append(
            (pose.ellipse(0.1, by + b.ry * 0.45, b.rx * 0.55, b.ry * 0.35), mix(color, WHITE, 0.35))
        )
    return parts


def _tail(b: Body, pose: Pose, color: RGB, m: Motion, by: float) -> list[Part]:
    root = (-b.rx * 0.95, by - b.ry * 0.3)
    wag = math.sin(m.t * (9.0 if m.action in ("run", "jump", "dance") else 4.0))
    if b.tail == "thin":
        tip = (root[0] - 0.22, root[1] - 0.22 + 0.08 * wag)
        return [(pose.capsule(*root, *tip, 0.025), color)]
    if b.tail == "bushy":
        tip = (root[0] - 0.3, root[1] + 0.05 + 0.04 * wag)
        return [
            (pose.ellipse((root[0] + tip[0]) / 2, (root[1] + tip[1]) / 2, 0.19, 0.06, -0.3), color),
            (pose.circle(tip[0] + 0.02, tip[1], 0.04), WHITE),
        ]
    if b.tail in ("long", "tuft"):
        tip = (root[0] - 0.1 + 0.04 * wag, root[1] + 0.32)
        parts: list[Part] = [
            (pose.capsule(*root, *tip, 0.025 if b.tail == "tuft" else 0.04), color)
        ]
        if b.tail == "tuft":
            parts.append((pose.circle(*tip, 0.04), shade(color, 0.6)))
        return parts
    if b.tail == "curly":
        return [(pose.circle(root[0] - 0.04, root[1] - 0.02, 0.035), shade(color, 0.85))]
    return [(pose.circle(root[0], root[1] - 0.02, 0.04), mix(color, WHITE, 0.5))]


def _head(
    kind: str, b: Body, pose: Pose, color: RGB, m: Motion, by: float, tilt: float, sitting: bool
) -> list[Part]:
    hx, hy = b.hx, b.hy - (by + b.y) + (0.1 if sitting and kind not in ("giraffe",) else 0.0)
    if sitting:
        hy -= 0.05
    parts: list[Part] = []
    if b.neck:
        parts.append(
            (pose.capsule(b.rx * 0.7, by - b.ry * 0.2, hx - 0.03, hy + 0.03, b.neck), color)
        )
        if kind == "horse":
            parts.append(
                (
                    pose.capsule(b.rx * 0.55, by - b.ry * 0.9, hx - 0.08, hy - 0.05, 0.03),
                    shade(color, 0.45),
                )
            )
    if kind == "lion":
        parts.append((pose.circle(hx - 0.02, hy, b.head * 1.65), shade(color, 0.62)))
    ear = shade(color, 0.8)
    if b.ears == "pointy":
        parts.append(
            (
                pose.polygon(
                    (hx - 0.08, hy - b.head * 0.6),
                    (hx - 0.04, hy - b.head * 1.5),
                    (hx + 0.03, hy - b.head * 0.8),
                ),
                ear,
            )
        )
    elif b.ears == "long":
        parts.append(
            (pose.ellipse(hx - 0.05, hy - b.head * 1.5, b.head * 0.25, b.head * 0.8, -0.2), ear)
        )
    elif b.ears == "round":
        parts.append((pose.circle(hx - 0.06, hy - b.head * 0.85, b.head * 0.35), ear))
    if kind == "elephant":
        parts.append((pose.ellipse(hx - 0.1, hy + 0.02, 0.15, 0.19), shade(color, 0.85)))
    if kind == "deer":
        for dx in (-0.03, 0.03):
            base = (hx + dx, hy - b.head * 0.9)
            parts.append(
                (pose.capsule(*base, base[0] - 0.05, base[1] - 0.16, 0.012), (120, 90, 60))
            )
            parts.append(
                (
                    pose.capsule(
                        base[0] - 0.03, base[1] - 0.08, base[0] + 0.04, base[1] - 0.14, 0.01
                    ),
                    (120, 90, 60),
                )
            )
    if kind == "cow":
        parts.append(
            (
                pose.capsule(hx - 0.04, hy - b.head * 0.9, hx - 0.1, hy - b.head * 1.4, 0.015),
                (235, 230, 210),
            )
        )
    if kind in ("horse", "deer", "giraffe"):
        parts.append((pose.ellipse(hx + 0.04, hy + 0.01, b.head * 1.4, b.head * 0.75, 0.35), color))
    else:
        parts.append((pose.circle(hx, hy, b.head), color))
    if b.snout:
        sx = hx + b.head * 0.8
        parts.append(
            (pose.ellipse(sx, hy + b.head * 0.3, b.snout, b.head * 0.5), mix(color, WHITE, 0.15))
        )
        parts.append(
            (
                pose.circle(sx + b.snout * 0.85, hy + b.head * 0.2, b.head * 0.16),
                (60, 40, 40) if kind != "pig" else shade(color, 0.7),
            )
        )
    if b.ears == "floppy":
        parts.append(
            (
                pose.ellipse(hx - 0.07, hy + 0.02, b.head * 0.35, b.head * 0.8, 0.25),
                shade(color, 0.7),
            )
        )
    if kind == "elephant":
        swing = 0.08 * math.sin(m.t * 1.6)
        trunk = [
            (hx + 0.15, hy + 0.05),
            (hx + 0.2 + swing, hy + 0.3),
            (hx + 0.17 + swing * 1.5, hy + 0.5),
        ]
        parts.append((pose.capsule(*trunk[0], *trunk[1], 0.05), color))
        parts.append((pose.capsule(*trunk[1], *trunk[2], 0.035), color))
        parts.append(
            (pose.capsule(hx + 0.1, hy + 0.12, hx + 0.2, hy + 0.2, 0.018), (240, 235, 220))
        )
    parts.append(
        (pose.circle(hx + b.head * 0.45, hy - b.head * 0.2, max(0.014, b.head * 0.14)), DARK)
    )
    return parts


def _builder(kind: str) -> Callable[[Pose, RGB, Motion], list[Part]]:
    def build(pose: Pose, color: RGB, m: Motion) -> list[Part]:
        return quadruped(kind, pose, color, m)

    return build


BUILDERS = {kind: _builder(kind) for kind in BODIES}
