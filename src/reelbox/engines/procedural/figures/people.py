"""People and people-like figures: person, child, astronaut, robot.

A figure is a skeleton of two-segment limbs whose joint angles follow the action (legs cycle
with the distance walked, arms swing against them, a waving arm waves, a dancer's arms go up),
fleshed out with capsules and circles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelbox.engines.procedural.figures.pose import (
    DARK,
    GLASS,
    HAIR,
    SKIN,
    WHITE,
    Motion,
    Part,
    Pose,
    shade,
)
from reelbox.engines.procedural.palette import RGB

Point = tuple[float, float]


@dataclass(frozen=True)
class _Build:
    """Proportions, in units of the figure's height."""

    head: float = 0.085
    limb: float = 0.045
    torso: float = 0.1
    hip: float = 0.5
    shoulder: float = 0.76
    arm: float = 0.17  # each arm segment


_ADULT = _Build()
_CHILD = _Build(head=0.115, limb=0.05, torso=0.11, hip=0.44, shoulder=0.69, arm=0.15)
_SUIT = _Build(head=0.12, limb=0.065, torso=0.14, hip=0.48, shoulder=0.72, arm=0.16)


def _limb(start: Point, angle: float, length: float) -> Point:
    """The end of a limb segment leaving `start` at `angle` (0 straight down, + forward)."""
    return start[0] + math.sin(angle) * length, start[1] + math.cos(angle) * length


def _angles(m: Motion) -> tuple[list[float], list[float], float, float]:
    """(thigh, knee) for both legs, (upper arm, elbow) for both arms, hip drop, lean.

    Index 0 is the far side, 1 the near side.
    """
    s, t = m.step, m.t
    action = m.action
    legs = [0.0, 0.0, 0.0, 0.0]  # far thigh, far knee, near thigh, near knee
    arms = [0.1, -0.15, -0.1, -0.15]  # far upper, far elbow, near upper, near elbow
    drop, lean = 0.0, 0.0
    if action in ("walk", "drive"):
        swing = 0.4 * math.sin(s)
        legs = [
            swing,
            max(0.0, -math.sin(s + 0.6)) * 0.6,
            -swing,
            max(0.0, math.sin(s + 0.6)) * 0.6,
        ]
        arms = [-0.35 * math.sin(s), -0.25, 0.35 * math.sin(s), -0.25]
    elif action == "run":
        swing = 0.75 * math.sin(s)
        legs = [
            swing,
            max(0.0, -math.sin(s + 0.9)) * 1.4 + 0.2,
            -swing,
            max(0.0, math.sin(s + 0.9)) * 1.4 + 0.2,
        ]
        arms = [-0.8 * math.sin(s), -1.4, 0.8 * math.sin(s), -1.4]
        lean = 0.18
        drop = 0.02 * abs(math.cos(s))
    elif action == "jump":
        air = math.sin(math.pi * ((t * 1.3) % 1.0))
        legs = [0.5 * air, 1.1 * air, 0.3 * air, 1.0 * air]
        arms = [-2.6 * air, -0.3, -2.8 * air, -0.3]
    elif action == "dance":
        beat = math.sin(2 * math.pi * 1.1 * t)
        legs = [0.25 * beat, max(0.0, beat) * 0.9, -0.25 * beat, max(0.0, -beat) * 0.9]
        arms = [-2.5 - 0.4 * beat, -0.5 * beat, -2.3 + 0.4 * beat, 0.5 * beat]
        drop = 0.03 * abs(beat)
    elif action == "wave":
        arms = [0.1, -0.1, -2.6, 0.45 * math.sin(2 * math.pi * 2.2 * t)]
    elif action == "sit":
        legs = [-1.45, 1.5, -1.35, 1.45]
        arms = [-0.5, -0.6, -0.4, -0.7]
        drop = 0.24
    elif action in ("swim", "fly"):
        kick = 0.25 * math.sin(2 * math.pi * 1.8 * t)
        legs = [kick, 0.1, -kick, 0.1]
        if action == "swim":
            stroke = 2 * math.pi * 0.8 * t
            arms = [-math.pi + 2.2 * math.sin(stroke), 0.0, -math.pi - 2.2 * math.sin(stroke), 0.0]
        else:
            arms = [-3.0, 0.0, -2.9, 0.0]
    elif action == "fall":
        flail = math.sin(2 * math.pi * 2.5 * t)
        legs = [0.5 * flail, 0.6, -0.5 * flail, 0.5]
        arms = [-2.4 + 0.6 * flail, -0.5, -2.2 - 0.6 * flail, -0.5]
    elif action == "float":
        sway = math.sin(2 * math.pi * 0.3 * t)
        legs = [0.15 * sway, 0.2, -0.1 * sway, 0.3]
        arms = [-1.3 + 0.2 * sway, -0.2, -1.5 - 0.2 * sway, -0.2]
    elif action == "spin":
        arms = [-1.5, 0.0, -1.5, 0.0]
    elif m.speaking:
        arms = [0.1, -0.15, -0.3, -1.0 - 0.35 * math.sin(2 * math.pi * 1.3 * t)]
    else:  # idle: breathing
        arms = [0.08, -0.1, -0.08, -0.1 - 0.04 * math.sin(2 * math.pi * 0.25 * t)]
    return legs, arms, drop, lean


def _skeleton(
    pose: Pose, m: Motion, build: _Build, clothes: RGB, trousers: RGB, skin: RGB
) -> tuple[list[Part], list[Part], Point]:
    """Parts behind the head (far limbs, torso, near leg), the near arm, and the head centre."""
    legs, arms, drop, lean = _angles(m)
    hip = (0.0, -build.hip + drop)
    leg = build.hip / 2 - 0.005
    shoulder = (
        hip[0] + math.sin(lean) * (build.shoulder - build.hip),
        -build.shoulder + drop + (1 - math.cos(lean)) * 0.1,
    )
    behind: list[Part] = []
    front: list[Part] = []
    r = build.limb
    for side, tone in ((0, 0.72), (1, 1.0)):
        thigh = legs[side * 2]
        knee = _limb(hip, thigh, leg)
        foot = _limb(knee, thigh - legs[side * 2 + 1], leg)
        pants = shade(trousers, tone)
        parts = [
            (pose.capsule(*hip, *knee, r * 1.1), pants),
            (pose.capsule(*knee, *foot, r), pants),
        ]
        parts.append(
            (
                pose.capsule(foot[0], foot[1] - 0.01, foot[0] + 0.05, foot[1] - 0.01, r * 0.8),
                shade(DARK, tone),
            )
        )
        if side == 0:
            upper = arms[0]
            elbow = _limb(shoulder, upper, build.arm)
            hand = _limb(elbow, upper + arms[1], build.arm)
            sleeve = shade(clothes, 0.72)
            behind += [
                (pose.capsule(*shoulder, *elbow, r * 0.9), sleeve),
                (pose.capsule(*elbow, *hand, r * 0.8), sleeve),
                (pose.circle(*hand, r * 0.9), shade(skin, 0.8)),
            ]
            behind += parts
        else:
            behind.append((pose.capsule(*hip, *shoulder, build.torso), clothes))
            behind += parts
            upper = arms[2]
            elbow = _limb(shoulder, upper, build.arm)
            hand = _limb(elbow, upper + arms[3], build.arm)
            front += [
                (pose.capsule(*shoulder, *elbow, r * 0.95), clothes),
                (pose.capsule(*elbow, *hand, r * 0.85), clothes),
                (pose.circle(*hand, r * 0.95), skin),
            ]
    neck_top = (shoulder[0] + 0.01, shoulder[1] - 0.03)
    head = (neck_top[0] + 0.01, neck_top[1] - build.head * 0.95)
    return behind, front, head


def _face(pose: Pose, m: Motion, head: Point, r: float, skin: RGB, hair: RGB) -> list[Part]:
    parts: list[Part] = [
        (pose.circle(*head, r), skin),
        (pose.ellipse(head[0] - 0.2 * r, head[1] - 0.45 * r, 1.02 * r, 0.62 * r), hair),
        (pose.circle(head[0] + 0.55 * r, head[1] - 0.1 * r, 0.12 * r), DARK),
    ]
    if m.speaking:
        open_ = 0.05 + 0.12 * abs(math.sin(2 * math.pi * 4.5 * m.t))
        parts.append(
            (
                pose.ellipse(head[0] + 0.55 * r, head[1] + 0.42 * r, 0.18 * r, open_ * r),
                (90, 30, 30),
            )
        )
    return parts


def person(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    skin = SKIN[m.variant % len(SKIN)]
    hair = HAIR[(m.variant // 3) % len(HAIR)]
    trousers = (45, 50, 70) if m.variant % 2 else (70, 60, 50)
    behind, front, head = _skeleton(pose, m, _ADULT, color, trousers, skin)
    return behind + _face(pose, m, head, _ADULT.head, skin, hair) + front


def child(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    skin = SKIN[(m.variant + 1) % len(SKIN)]
    hair = HAIR[(m.variant + 2) % len(HAIR)]
    behind, front, head = _skeleton(pose, m, _CHILD, color, (60, 90, 150), skin)
    return behind + _face(pose, m, head, _CHILD.head, skin, hair) + front


def astronaut(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    suit = color
    behind, front, head = _skeleton(pose, m, _SUIT, suit, shade(suit, 0.92), shade(suit, 0.85))
    pack = [(pose.box(-0.14, -0.6, 0.08, 0.13, 0.02), shade(suit, 0.75))]
    r = _SUIT.head
    helmet: list[Part] = [
        (pose.circle(*head, r), suit),
        (pose.ellipse(head[0] + 0.35 * r, head[1], 0.6 * r, 0.55 * r), (40, 60, 110)),
        (pose.ellipse(head[0] + 0.5 * r, head[1] - 0.2 * r, 0.18 * r, 0.12 * r), GLASS),
    ]
    badge = [(pose.box(0.04, -0.64, 0.03, 0.025), (200, 60, 50))]
    return pack + behind + badge + helmet + front


def robot(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    metal = color
    dark = shade(metal, 0.6)
    legs, arms, drop, _ = _angles(m)
    hip = (0.0, -0.45 + drop)
    parts: list[Part] = []
    for side, tone in ((0, 0.7), (1, 1.0)):
        thigh = legs[side * 2]
        knee = _limb(hip, thigh, 0.22)
        foot = _limb(knee, thigh - legs[side * 2 + 1], 0.22)
        parts += [
            (pose.capsule(*hip, *knee, 0.05), shade(dark, tone)),
            (pose.capsule(*knee, *foot, 0.05), shade(dark, tone)),
            (pose.box(foot[0] + 0.02, foot[1] - 0.02, 0.06, 0.025, 0.01), shade(dark, tone)),
        ]
        if side == 0:
            shoulder = (0.0, -0.72 + drop)
            elbow = _limb(shoulder, arms[0], 0.16)
            hand = _limb(elbow, arms[0] + arms[1], 0.16)
            parts += [
                (pose.capsule(*shoulder, *elbow, 0.04), shade(dark, 0.7)),
                (pose.capsule(*elbow, *hand, 0.04), shade(dark, 0.7)),
            ]
    body_y = -0.6 + drop
    parts += [
        (pose.box(0.0, body_y, 0.15, 0.15, 0.03), metal),
        (pose.box(0.02, body_y, 0.07, 0.05, 0.01), (40, 44, 52)),
        (pose.circle(0.0, body_y, 0.025), (90, 220, 255) if int(m.t * 2) % 2 else (60, 140, 200)),
        (pose.capsule(0.0, -0.85 + drop, 0.0, -1.0 + drop, 0.012), dark),
        (pose.circle(0.0, -1.0 + drop, 0.025), (255, 80, 60)),
        (pose.box(0.0, -0.84 + drop, 0.1, 0.08, 0.02), metal),
        (pose.circle(0.05, -0.85 + drop, 0.02), (90, 230, 255)),
        (pose.circle(-0.02, -0.85 + drop, 0.02), (90, 230, 255)),
    ]
    if m.speaking:
        glow = 0.2 + 0.8 * abs(math.sin(2 * math.pi * 4 * m.t))
        parts.append(
            (pose.box(0.02, -0.79 + drop, 0.05, 0.01), (90 * glow, 230 * glow, 255 * glow))
        )
    shoulder = (0.0, -0.72 + drop)
    elbow = _limb(shoulder, arms[2], 0.16)
    hand = _limb(elbow, arms[2] + arms[3], 0.16)
    parts += [
        (pose.capsule(*shoulder, *elbow, 0.045), dark),
        (pose.capsule(*elbow, *hand, 0.045), dark),
        (pose.circle(*hand, 0.04), metal),
    ]
    return parts


BUILDERS = {"person": person, "child": child, "astronaut": astronaut, "robot": robot}
_ = WHITE
