"""Vehicles, boats and aircraft. Wheels turn with the distance driven (their spokes show it),
rotors and propellers spin, sails fill, boats rock, flames and exhaust flicker.
"""

from __future__ import annotations

import math
from itertools import pairwise

from reelbox.engines.procedural.figures.people import person
from reelbox.engines.procedural.figures.pose import (
    DARK,
    GLASS,
    METAL,
    TYRE,
    WHITE,
    WOOD,
    Motion,
    Part,
    Pose,
    mix,
    shade,
)
from reelbox.engines.procedural.palette import RGB

_LAMP: RGB = (250, 235, 170)
_FLAME: RGB = (255, 170, 60)


def wheel(pose: Pose, x: float, y: float, r: float, m: Motion) -> list[Part]:
    """A tyre with a hub and three spokes, turned by the distance travelled."""
    # `step` advances 2*pi every 0.9 figure heights travelled; a wheel of radius r turns
    # 1/r radians per unit travelled.
    angle = m.step * 0.9 / (2 * math.pi * r)
    parts: list[Part] = [
        (pose.circle(x, y, r), TYRE),
        (pose.circle(x, y, r * 0.58), (185, 188, 195)),
    ]
    for k in range(3):
        a = angle + k * 2 * math.pi / 3
        parts.append(
            (
                pose.capsule(
                    x, y, x + math.cos(a) * r * 0.55, y + math.sin(a) * r * 0.55, r * 0.09
                ),
                (110, 112, 120),
            )
        )
    parts.append((pose.circle(x, y, r * 0.16), (90, 92, 100)))
    return parts


def _bounce(m: Motion) -> float:
    return 0.008 * math.sin(m.t * 13.0) if m.action in ("drive", "run", "walk") else 0.0


def car(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    b = _bounce(m)
    parts: list[Part] = [
        (pose.box(-0.08, -0.58 + b, 0.52, 0.19, 0.14), color),
        (pose.box(0.12, -0.6 + b, 0.2, 0.12, 0.04), GLASS),
        (pose.box(-0.33, -0.6 + b, 0.18, 0.12, 0.04), GLASS),
        (pose.box(0.0, -0.33 + b, 0.95, 0.2, 0.08), color),
        (pose.box(0.0, -0.22 + b, 0.9, 0.025), shade(color, 0.6)),
        (pose.circle(0.9, -0.38 + b, 0.05), _LAMP),
        (pose.box(-0.93, -0.38 + b, 0.025, 0.04), (200, 30, 30)),
        (pose.box(0.05, -0.4 + b, 0.06, 0.012), shade(color, 0.55)),
    ]
    for wx in (-0.58, 0.6):
        parts += wheel(pose, wx, -0.15, 0.16, m)
    return parts


def taxi(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts = car(pose, color, m)
    b = _bounce(m)
    parts.append((pose.box(-0.1, -0.8 + b, 0.12, 0.04, 0.01), WHITE))
    for k in range(8):
        parts.append((pose.box(-0.8 + k * 0.22, -0.3 + b, 0.05, 0.03), DARK if k % 2 else WHITE))
    return parts


def truck(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    b = _bounce(m)
    parts: list[Part] = [
        (pose.box(-0.3, -0.55 + b, 0.75, 0.42, 0.03), color),
        (pose.box(-0.3, -0.55 + b, 0.7, 0.02), shade(color, 0.85)),
        (
            pose.box(0.75, -0.42 + b, 0.3, 0.29, 0.07),
            shade(color, 0.8) if color != WHITE else (200, 40, 40),
        ),
        (pose.box(0.82, -0.55 + b, 0.16, 0.1, 0.03), GLASS),
        (pose.circle(1.02, -0.25 + b, 0.04), _LAMP),
    ]
    for wx in (-0.75, -0.35, 0.75):
        parts += wheel(pose, wx, -0.13, 0.13, m)
    return parts


def bus(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    b = _bounce(m) * 0.5
    parts: list[Part] = [(pose.box(0.0, -0.52 + b, 1.4, 0.4, 0.08), color)]
    for k in range(6):
        parts.append((pose.box(-1.1 + k * 0.38, -0.68 + b, 0.14, 0.12, 0.02), GLASS))
    parts += [
        (pose.box(1.3, -0.6 + b, 0.08, 0.22, 0.02), GLASS),
        (pose.box(0.0, -0.3 + b, 1.38, 0.02), shade(color, 0.6)),
        (pose.circle(1.36, -0.25 + b, 0.04), _LAMP),
    ]
    for wx in (-0.9, 0.9):
        parts += wheel(pose, wx, -0.12, 0.12, m)
    return parts


def bicycle(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    r = 0.2
    parts: list[Part] = []
    for wx in (-0.36, 0.36):
        angle = m.step * 0.9 / (2 * math.pi * r)
        parts.append((pose.circle(wx, -r, r), TYRE))
        parts.append((pose.circle(wx, -r, r * 0.86), (235, 235, 235)))
        for k in range(4):
            a = angle + k * math.pi / 4
            parts.append(
                (
                    pose.capsule(
                        wx - math.cos(a) * r * 0.84,
                        -r - math.sin(a) * r * 0.84,
                        wx + math.cos(a) * r * 0.84,
                        -r + math.sin(a) * r * 0.84,
                        0.006,
                    ),
                    (150, 150, 155),
                )
            )
    frame = [(-0.36, -r), (-0.05, -r), (0.28, -0.48), (-0.12, -0.48), (-0.05, -r)]
    for start, end in pairwise(frame):
        parts.append((pose.capsule(*start, *end, 0.018), color))
    parts.append((pose.capsule(0.28, -0.48, 0.36, -r, 0.018), color))
    parts.append((pose.capsule(-0.12, -0.48, -0.36, -r, 0.016), color))
    rider = Pose(*pose.p(-0.02, -0.14), pose.size * 0.78, pose.facing, pose.tilt)
    parts += person(rider, (220, 80, 60), Motion("drive", m.step * 1.4, m.t, m.variant))
    return parts


def motorcycle(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = []
    for wx in (-0.45, 0.45):
        parts += wheel(pose, wx, -0.19, 0.19, m)
    parts += [
        (pose.ellipse(0.0, -0.42, 0.35, 0.12, -0.1), color),
        (pose.box(-0.15, -0.3, 0.2, 0.08, 0.03), (60, 62, 66)),
        (pose.capsule(0.3, -0.5, 0.45, -0.19, 0.025), METAL),
        (pose.capsule(-0.2, -0.25, -0.6, -0.3, 0.03), METAL),
        (pose.circle(0.45, -0.55, 0.04), _LAMP),
    ]
    rider = Pose(
        *pose.p(-0.08, -0.28), pose.size * 0.68, pose.facing, pose.tilt + 0.15 * pose.facing
    )
    parts += person(rider, (40, 40, 44), Motion("sit", 0.0, m.t, m.variant))
    parts.append((pose.circle(-0.02, -0.92, 0.1), color))
    return parts


def train(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = []
    for k, x in enumerate((-2.4, -1.05)):
        parts.append((pose.box(x, -0.5, 0.62, 0.36, 0.05), shade(color, 0.9 - 0.05 * k)))
        for w in (-0.35, 0.0, 0.35):
            parts.append((pose.box(x + w, -0.62, 0.11, 0.1, 0.02), GLASS))
        parts.append((pose.capsule(x + 0.62, -0.3, x + 0.73, -0.3, 0.02), DARK))
    parts += [
        (pose.box(0.85, -0.45, 0.75, 0.3, 0.1), color),
        (pose.box(0.35, -0.72, 0.28, 0.28, 0.03), shade(color, 0.8)),
        (pose.box(0.35, -0.78, 0.16, 0.1, 0.02), GLASS),
        (pose.capsule(1.3, -0.75, 1.3, -0.92, 0.06), DARK),
        (pose.circle(1.6, -0.45, 0.06), _LAMP),
    ]
    for k in range(4):
        puff_t = (m.t * 0.9 + k / 4) % 1.0
        parts.append(
            (
                pose.circle(1.3 - 0.5 * puff_t, -1.0 - 0.35 * puff_t, 0.06 + 0.1 * puff_t),
                mix((230, 230, 230), (160, 160, 165), puff_t),
            )
        )
    for x in (-2.8, -2.0, -1.45, -0.65, 0.4, 0.85, 1.3):
        parts += wheel(pose, x, -0.1, 0.1, m)
    return parts


def sailboat(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    fill = 0.04 * math.sin(m.t * 0.9)
    return [
        (pose.capsule(0.1, -0.33, 0.1, -1.2, 0.022), WOOD),
        (
            pose.polygon((0.15, -1.15), (0.15 + fill, -0.42), (0.72 + fill * 2, -0.42)),
            (245, 242, 228),
        ),
        (pose.polygon((0.05, -1.0), (0.05 - fill, -0.42), (-0.4, -0.42)), (232, 228, 212)),
        (pose.polygon((-0.9, -0.34), (0.95, -0.34), (0.7, 0.0), (-0.75, 0.0)), color),
        (pose.polygon((-0.86, -0.26), (0.9, -0.26), (0.86, -0.2), (-0.84, -0.2)), (180, 40, 40)),
    ]


def ship(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.polygon((-1.45, -0.45), (1.5, -0.45), (1.25, 0.0), (-1.35, 0.0)), color),
        (pose.box(0.0, -0.14, 1.4, 0.03), (170, 40, 40)),
        (pose.box(-0.3, -0.62, 0.6, 0.17, 0.02), WHITE),
        (pose.box(-0.45, -0.85, 0.35, 0.08, 0.02), WHITE),
        (pose.box(0.25, -0.9, 0.1, 0.2, 0.02), (200, 60, 40)),
    ]
    for k in range(7):
        parts.append((pose.circle(-0.75 + 0.2 * k, -0.62, 0.03), GLASS))
    for k in range(3):
        puff_t = (m.t * 0.5 + k / 3) % 1.0
        parts.append(
            (
                pose.circle(0.25 - 0.5 * puff_t, -1.15 - 0.3 * puff_t, 0.06 + 0.1 * puff_t),
                mix((120, 120, 125), (190, 190, 195), puff_t),
            )
        )
    return parts


def rowboat(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    stroke = math.sin(m.t * 2.2)
    rower = Pose(*pose.p(-0.05, -0.45), pose.size * 0.9, pose.facing, pose.tilt)
    parts: list[Part] = person(rower, (200, 70, 50), Motion("sit", 0.0, m.t, m.variant))
    parts += [
        (pose.capsule(0.05, -0.65, -0.35 + 0.25 * stroke, 0.0, 0.015), WOOD),
        (pose.polygon((-1.2, -0.5), (1.3, -0.5), (0.9, 0.0), (-0.9, 0.0)), color),
        (pose.box(0.05, -0.42, 1.05, 0.025), shade(color, 0.7)),
        (pose.capsule(0.1, -0.6, 0.45 + 0.25 * stroke, 0.02, 0.015), WOOD),
    ]
    return parts


def submarine(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    spin = math.sin(m.t * 20.0)
    parts: list[Part] = [
        (pose.ellipse(-1.2, -0.45, 0.05, 0.18 * abs(spin) + 0.03), (80, 80, 85)),
        (pose.capsule(-0.9, -0.45, 0.9, -0.45, 0.3), color),
        (pose.box(0.1, -0.85, 0.25, 0.14, 0.05), shade(color, 0.85)),
        (pose.capsule(0.2, -0.98, 0.2, -1.12, 0.02), DARK),
        (pose.capsule(0.2, -1.12, 0.3, -1.12, 0.02), DARK),
    ]
    for k in range(4):
        parts.append((pose.circle(-0.5 + 0.35 * k, -0.45, 0.07), (40, 50, 70)))
        parts.append((pose.circle(-0.5 + 0.35 * k, -0.45, 0.05), GLASS))
    return parts


def airplane(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.polygon((-0.2, -0.5), (0.25, -0.5), (-0.35, -0.1)), shade(color, 0.8)),
        (pose.polygon((-1.3, -0.55), (-1.45, -1.0), (-1.15, -1.0), (-0.9, -0.55)), color),
        (pose.capsule(-1.35, -0.5, 1.3, -0.5, 0.16), color),
        (pose.polygon((-0.15, -0.5), (0.3, -0.5), (-0.25, -0.95)), shade(color, 0.9)),
        (pose.box(0.0, -0.3, 0.25, 0.07, 0.07), METAL),
        (pose.polygon((1.2, -0.58), (1.42, -0.52), (1.2, -0.46)), (60, 80, 110)),
    ]
    for k in range(9):
        parts.append((pose.circle(-0.9 + 0.22 * k, -0.54, 0.035), GLASS))
    parts.append((pose.box(0.0, -0.43, 1.2, 0.02), (40, 90, 180)))
    return parts


def helicopter(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    spin = math.sin(m.t * 31.0)
    tail_spin = math.sin(m.t * 47.0)
    return [
        (pose.capsule(-0.9, -0.55, -0.2, -0.5, 0.06), color),
        (pose.ellipse(-0.92, -0.58, 0.03, 0.18 * abs(tail_spin) + 0.03), (60, 62, 66)),
        (pose.capsule(-0.3, -0.15, 0.5, -0.15, 0.025), DARK),
        (pose.capsule(-0.15, -0.15, -0.1, -0.3, 0.02), DARK),
        (pose.capsule(0.3, -0.15, 0.25, -0.3, 0.02), DARK),
        (pose.ellipse(0.1, -0.5, 0.45, 0.26), color),
        (pose.ellipse(0.3, -0.55, 0.2, 0.15), GLASS),
        (pose.capsule(0.05, -0.75, 0.05, -0.85, 0.03), DARK),
        (pose.ellipse(0.05, -0.87, 1.0 * (0.35 + 0.65 * abs(spin)), 0.02), (50, 52, 56)),
    ]


def hot_air_balloon(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    stripe = mix(color, WHITE, 0.75)
    flame = 0.8 + 0.2 * math.sin(m.t * 17.0)
    parts: list[Part] = [
        (pose.polygon((-0.33, -0.5), (0.33, -0.5), (0.1, -0.22), (-0.1, -0.22)), color),
        (pose.ellipse(0.0, -0.66, 0.4, 0.34), color),
        (pose.ellipse(0.0, -0.66, 0.22, 0.34), stripe),
        (pose.ellipse(0.0, -0.66, 0.08, 0.34), color),
        (pose.capsule(-0.1, -0.22, -0.07, -0.09, 0.006), DARK),
        (pose.capsule(0.1, -0.22, 0.07, -0.09, 0.006), DARK),
        (pose.box(0.0, -0.05, 0.08, 0.05, 0.01), WOOD),
        (pose.polygon((-0.03, -0.15), (0.0, -0.15 - 0.08 * flame), (0.03, -0.15)), _FLAME),
    ]
    return parts


def rocket(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = []
    if m.action == "fly":
        for k in range(3):
            flick = 0.7 + 0.3 * math.sin(m.t * 23.0 + k * 2.1)
            w = 0.09 - 0.025 * k
            parts.append(
                (
                    pose.polygon(
                        (-w, -0.12), (w, -0.12), (0.0, -0.12 + 0.5 * flick * (1 - 0.25 * k))
                    ),
                    mix(_FLAME, (255, 250, 200), k / 2),
                )
            )
    parts += [
        (pose.polygon((-0.1, -0.35), (-0.2, -0.1), (-0.1, -0.15)), (200, 40, 40)),
        (pose.polygon((0.1, -0.35), (0.2, -0.1), (0.1, -0.15)), (200, 40, 40)),
        (pose.box(0.0, -0.5, 0.11, 0.38, 0.05), color),
        (pose.polygon((-0.11, -0.86), (0.11, -0.86), (0.0, -1.08)), (200, 40, 40)),
        (pose.circle(0.0, -0.65, 0.05), (60, 80, 120)),
        (pose.circle(0.0, -0.65, 0.035), GLASS),
    ]
    return parts


def ufo(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.ellipse(0.0, -0.62, 0.35, 0.25), (160, 220, 200)),
        (pose.ellipse(0.0, -0.45, 1.0, 0.18), color),
        (pose.ellipse(0.0, -0.38, 0.7, 0.08), shade(color, 0.7)),
    ]
    for k in range(6):
        on = int(m.t * 6 + k) % 6 < 2
        parts.append(
            (pose.circle(-0.75 + 0.3 * k, -0.45, 0.05), (255, 240, 120) if on else (120, 110, 60))
        )
    return parts


BUILDERS = {
    "car": car,
    "taxi": taxi,
    "truck": truck,
    "bus": bus,
    "bicycle": bicycle,
    "motorcycle": motorcycle,
    "train": train,
    "sailboat": sailboat,
    "ship": ship,
    "rowboat": rowboat,
    "submarine": submarine,
    "airplane": airplane,
    "helicopter": helicopter,
    "hot_air_balloon": hot_air_balloon,
    "rocket": rocket,
    "ufo": ufo,
}
