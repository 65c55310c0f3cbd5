"""Plants, buildings and everyday objects. Most stand still; trees sway in the wind, windmill
sails and clock hands turn, flames flicker, balloons and kites bob on their strings.
"""

from __future__ import annotations

import math
from itertools import pairwise

from reelbox.engines.procedural.figures.pose import (
    DARK,
    GLASS,
    METAL,
    WHITE,
    WOOD,
    Motion,
    Part,
    Pose,
    mix,
    shade,
)
from reelbox.engines.procedural.palette import RGB

_FLAME: RGB = (255, 175, 60)
_WINDOW: RGB = (250, 220, 150)


def _sway(m: Motion, rate: float = 1.3, amount: float = 0.02) -> float:
    return amount * math.sin(m.t * rate + m.variant)


def tree(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m)
    dark = shade(color, 0.7)
    return [
        (pose.box(0.0, -0.2, 0.055, 0.2, 0.02), WOOD),
        (pose.circle(-0.2 + s, -0.47, 0.22), dark),
        (pose.circle(0.2 + s, -0.49, 0.22), dark),
        (pose.circle(s, -0.62, 0.3), color),
        (pose.circle(s * 1.5, -0.84, 0.19), color),
        (pose.circle(-0.08 + s, -0.7, 0.1), mix(color, WHITE, 0.15)),
    ]


def pine(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m, amount=0.015)
    parts: list[Part] = [(pose.box(0.0, -0.08, 0.04, 0.08), WOOD)]
    for k, (y, w) in enumerate(((-0.15, 0.22), (-0.4, 0.18), (-0.62, 0.13))):
        parts.append(
            (pose.polygon((-w, y), (w, y), (s * (k + 1), y - 0.38)), shade(color, 0.8 + 0.1 * k))
        )
    return parts


def palm(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m, 1.0, 0.04)
    trunk = [(0.0, 0.0), (0.05, -0.3), (0.12, -0.6), (0.2 + s, -0.88)]
    parts: list[Part] = []
    for a, b in pairwise(trunk):
        parts.append((pose.capsule(*a, *b, 0.035), (140, 105, 70)))
    top = trunk[-1]
    for k in range(6):
        ang = -2.6 + k * 0.95 + 0.1 * math.sin(m.t * 1.4 + k)
        tip = (top[0] + math.cos(ang) * 0.4, top[1] + math.sin(ang) * 0.25 + 0.1)
        mid = (top[0] + math.cos(ang) * 0.22, top[1] + math.sin(ang) * 0.2 - 0.04)
        parts.append(
            (pose.polygon(top, mid, tip, (mid[0], mid[1] + 0.05)), shade(color, 0.85 + 0.03 * k))
        )
    parts.append((pose.circle(top[0] + 0.03, top[1] + 0.04, 0.04), (110, 80, 50)))
    return parts


def flower(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m, 2.0, 0.05)
    head = (s, -0.78)
    parts: list[Part] = [
        (pose.capsule(0.0, 0.0, *head, 0.03), (60, 140, 60)),
        (pose.ellipse(0.1, -0.35, 0.12, 0.05, -0.5), (70, 150, 70)),
    ]
    for k in range(6):
        a = k * math.pi / 3 + m.t * 0.1
        parts.append(
            (pose.circle(head[0] + math.cos(a) * 0.12, head[1] + math.sin(a) * 0.12, 0.1), color)
        )
    parts.append((pose.circle(*head, 0.08), (240, 200, 60)))
    return parts


def cactus(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.capsule(-0.25, -0.4, -0.25, -0.65, 0.07), color),
        (pose.capsule(-0.25, -0.4, 0.0, -0.4, 0.07), color),
        (pose.capsule(0.25, -0.5, 0.25, -0.75, 0.065), shade(color, 0.9)),
        (pose.capsule(0.25, -0.5, 0.0, -0.5, 0.065), shade(color, 0.9)),
        (pose.capsule(0.0, 0.0, 0.0, -0.9, 0.11), color),
        (pose.capsule(0.03, -0.1, 0.03, -0.85, 0.02), shade(color, 0.8)),
    ]


def house(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    wall = (235, 225, 205)
    return [
        (pose.box(0.25, -0.85, 0.06, 0.12), (120, 70, 55)),
        (pose.box(0.0, -0.3, 0.5, 0.3), wall),
        (pose.polygon((-0.6, -0.58), (0.6, -0.58), (0.0, -0.95)), color),
        (pose.box(-0.22, -0.18, 0.09, 0.18, 0.01), shade(color, 0.6)),
        (pose.box(0.2, -0.35, 0.12, 0.1, 0.01), _WINDOW if m.variant % 2 else GLASS),
        (pose.box(0.2, -0.35, 0.008, 0.1), wall),
        (pose.box(-0.22, -0.45, 0.08, 0.07, 0.01), GLASS),
    ]


def lighthouse(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.polygon((-0.15, 0.0), (0.15, 0.0), (0.1, -0.75), (-0.1, -0.75)), color)
    ]
    for y in (-0.15, -0.45):
        parts.append(
            (
                pose.polygon((-0.145, y), (0.145, y), (0.137, y - 0.12), (-0.137, y - 0.12)),
                (200, 40, 40),
            )
        )
    beam = math.sin(m.t * 1.2)
    parts += [
        (pose.box(0.0, -0.8, 0.12, 0.04), DARK),
        (pose.box(0.0, -0.88, 0.08, 0.06), (255, 240, 170)),
        (pose.polygon((-0.1, -0.94), (0.1, -0.94), (0.0, -1.02)), (200, 40, 40)),
        (pose.polygon((0.0, -0.88), (1.2 * beam, -0.95), (1.2 * beam, -0.8)), (255, 250, 210)),
    ]
    return parts


def castle(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    stone = color
    parts: list[Part] = [(pose.box(0.0, -0.3, 0.55, 0.3), stone)]
    for x in (-0.55, 0.55):
        parts.append((pose.box(x, -0.42, 0.14, 0.42), shade(stone, 0.9)))
        parts.append(
            (pose.polygon((x - 0.17, -0.84), (x + 0.17, -0.84), (x, -1.05)), (170, 50, 50))
        )
    for k in range(6):
        parts.append((pose.box(-0.36 + k * 0.145, -0.63, 0.04, 0.04), stone))
    wave = math.sin(m.t * 4.0)
    parts += [
        (pose.box(0.0, -0.13, 0.1, 0.13, 0.05), DARK),
        (pose.capsule(0.55, -1.05, 0.55, -1.2, 0.01), DARK),
        (pose.polygon((0.55, -1.2), (0.7, -1.17 + 0.02 * wave), (0.55, -1.13)), (230, 190, 50)),
    ]
    return parts


def barn(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(0.0, -0.3, 0.5, 0.3), color),
        (
            pose.polygon((-0.55, -0.58), (-0.35, -0.85), (0.35, -0.85), (0.55, -0.58)),
            shade(color, 0.75),
        ),
        (pose.box(0.0, -0.2, 0.16, 0.2), shade(color, 0.7)),
        (pose.capsule(-0.15, -0.02, 0.15, -0.38, 0.015), WHITE),
        (pose.capsule(-0.15, -0.38, 0.15, -0.02, 0.015), WHITE),
        (pose.box(0.0, -0.62, 0.08, 0.06), WHITE),
    ]


def windmill(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    hub = (0.0, -0.72)
    angle = m.t * (0.8 if m.action != "idle" else 0.3)
    parts: list[Part] = [
        (pose.polygon((-0.18, 0.0), (0.18, 0.0), (0.09, -0.7), (-0.09, -0.7)), color)
    ]
    parts.append((pose.box(0.0, -0.12, 0.05, 0.12, 0.03), WOOD))
    for k in range(4):
        a = angle + k * math.pi / 2
        tip = (hub[0] + math.cos(a) * 0.42, hub[1] + math.sin(a) * 0.42)
        side = (hub[0] + math.cos(a + 0.25) * 0.4, hub[1] + math.sin(a + 0.25) * 0.4)
        parts.append((pose.polygon(hub, tip, side), (240, 235, 220)))
        parts.append((pose.capsule(*hub, *tip, 0.012), WOOD))
    parts.append((pose.circle(*hub, 0.03), DARK))
    return parts


def tent(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    flap = 0.02 * math.sin(m.t * 2.0)
    return [
        (pose.polygon((-0.7, 0.0), (0.7, 0.0), (0.0, -0.95)), color),
        (pose.polygon((-0.2, 0.0), (0.2 + flap, 0.0), (0.0, -0.55)), shade(color, 0.45)),
        (pose.capsule(0.0, -0.95, 0.0, -1.05, 0.012), DARK),
    ]


def ball(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    spin = m.step * 0.3
    return [
        (pose.circle(0.0, -0.5, 0.5), color),
        (pose.ellipse(0.0, -0.5, 0.5, 0.12, spin), shade(color, 0.6)),
        (pose.circle(-0.16, -0.66, 0.12), (255, 255, 250)),
    ]


def balloon(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m, 1.1, 0.05)
    return [
        (pose.capsule(s, -0.42, 0.0, 0.0, 0.008), (220, 220, 220)),
        (pose.polygon((s - 0.03, -0.4), (s + 0.03, -0.4), (s, -0.45)), color),
        (pose.ellipse(s, -0.7, 0.24, 0.3), color),
        (pose.ellipse(s - 0.08, -0.8, 0.05, 0.09, -0.4), mix(color, WHITE, 0.6)),
    ]


def kite(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    s = _sway(m, 1.6, 0.08)
    parts: list[Part] = [
        (pose.polygon((s, -1.0), (s + 0.3, -0.7), (s, -0.25), (s - 0.3, -0.7)), color),
        (pose.polygon((s, -1.0), (s + 0.3, -0.7), (s, -0.7)), shade(color, 0.8)),
    ]
    for k in range(4):
        y = -0.2 + k * 0.07
        x = s + 0.06 * math.sin(m.t * 3 + k)
        parts.append(
            (pose.polygon((x - 0.04, y), (x + 0.04, y - 0.02), (x, y + 0.03)), (220, 40, 60))
        )
    return parts


def umbrella(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.capsule(0.0, 0.0, 0.0, -0.85, 0.02), DARK),
        (pose.capsule(0.0, 0.0, 0.08, 0.02, 0.02), DARK),
        (
            pose.polygon((-0.5, -0.75), (0.5, -0.75), (0.35, -0.92), (0.0, -1.0), (-0.35, -0.92)),
            color,
        ),
        (pose.polygon((-0.12, -0.75), (0.12, -0.75), (0.0, -1.0)), shade(color, 0.8)),
    ]


def lamp(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(0.0, -0.02, 0.1, 0.02), color),
        (pose.capsule(0.0, 0.0, 0.0, -0.9, 0.025), color),
        (pose.capsule(0.0, -0.9, 0.12, -0.95, 0.02), color),
        (
            pose.polygon((0.06, -0.93), (0.2, -0.93), (0.17, -0.88), (0.09, -0.88)),
            shade(color, 0.8),
        ),
        (pose.ellipse(0.13, -0.87, 0.05, 0.02), (255, 235, 170)),
    ]


def bench(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(-0.8, -0.25, 0.04, 0.25), METAL),
        (pose.box(0.8, -0.25, 0.04, 0.25), METAL),
        (pose.box(0.0, -0.48, 1.0, 0.05, 0.02), color),
        (pose.box(0.0, -0.75, 1.0, 0.06, 0.02), color),
        (pose.box(0.0, -0.92, 1.0, 0.05, 0.02), shade(color, 0.9)),
    ]


def chair(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(-0.25, -0.25, 0.04, 0.25), shade(color, 0.8)),
        (pose.box(0.25, -0.25, 0.04, 0.25), shade(color, 0.8)),
        (pose.box(0.0, -0.52, 0.3, 0.04, 0.01), color),
        (pose.box(-0.27, -0.78, 0.04, 0.28), color),
        (pose.box(-0.27, -0.9, 0.05, 0.12, 0.02), color),
    ]


def table(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(-0.7, -0.42, 0.05, 0.42), shade(color, 0.8)),
        (pose.box(0.7, -0.42, 0.05, 0.42), shade(color, 0.8)),
        (pose.box(0.0, -0.88, 0.85, 0.06, 0.02), color),
    ]


def guitar(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.capsule(0.0, -0.45, 0.0, -0.95, 0.04), WOOD),
        (pose.box(0.0, -0.97, 0.06, 0.05, 0.02), DARK),
        (pose.circle(0.0, -0.2, 0.22), color),
        (pose.circle(0.0, -0.45, 0.17), color),
        (pose.circle(0.0, -0.35, 0.07), DARK),
        (pose.box(0.0, -0.15, 0.1, 0.015), DARK),
    ]


def book(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.box(0.0, -0.4, 0.7, 0.4, 0.04), color),
        (pose.box(0.05, -0.4, 0.62, 0.33, 0.02), (245, 240, 225)),
        (pose.box(0.0, -0.4, 0.015, 0.38), shade(color, 0.6)),
    ]


def cup(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.capsule(0.4, -0.62, 0.6, -0.58, 0.05), color),
        (pose.capsule(0.6, -0.58, 0.6, -0.32, 0.05), color),
        (pose.capsule(0.6, -0.32, 0.4, -0.28, 0.05), color),
        (pose.box(0.0, -0.42, 0.42, 0.42, 0.1), color),
        (pose.box(0.0, -0.78, 0.38, 0.04), (90, 55, 30)),
    ]
    for k in range(2):
        rise = (m.t * 0.5 + k * 0.5) % 1.0
        x = -0.1 + 0.2 * k + 0.06 * math.sin(m.t * 3 + k)
        parts.append(
            (
                pose.circle(x, -0.95 - 0.6 * rise, 0.06 + 0.05 * rise),
                mix((250, 250, 250), (200, 200, 200), rise),
            )
        )
    return parts


def clock(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    c = (0.0, -0.5)
    minute = m.t * 2 * math.pi / 60
    hour = minute / 12 + 1.3
    return [
        (pose.circle(*c, 0.5), (90, 60, 40)),
        (pose.circle(*c, 0.43), color),
        (pose.capsule(*c, c[0] + math.sin(hour) * 0.22, c[1] - math.cos(hour) * 0.22, 0.03), DARK),
        (
            pose.capsule(
                *c, c[0] + math.sin(minute * 60) * 0.35, c[1] - math.cos(minute * 60) * 0.35, 0.015
            ),
            (200, 40, 40),
        ),
        (pose.circle(*c, 0.04), DARK),
    ]


def candle(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    f = 1 + 0.12 * math.sin(m.t * 11.0) + 0.06 * math.sin(m.t * 23.0)
    return [
        (pose.box(0.0, -0.35, 0.2, 0.35, 0.03), color),
        (pose.capsule(0.0, -0.7, 0.0, -0.76, 0.015), DARK),
        (pose.ellipse(0.0, -0.86, 0.1, 0.16 * f), _FLAME),
        (pose.ellipse(0.0, -0.82, 0.05, 0.08 * f), (255, 245, 200)),
    ]


def campfire(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [
        (pose.capsule(-0.5, -0.05, 0.45, -0.2, 0.07), WOOD),
        (pose.capsule(-0.45, -0.2, 0.5, -0.05, 0.07), shade(WOOD, 0.8)),
    ]
    for k in range(5):
        x = -0.3 + 0.15 * k
        flick = 0.75 + 0.25 * math.sin(m.t * (9 + k) + k * 1.7)
        h = (0.5 + 0.35 * (1 - abs(x) * 2)) * flick
        parts.append(
            (
                pose.polygon(
                    (x - 0.12, -0.15),
                    (x + 0.12, -0.15),
                    (x + 0.03 * math.sin(m.t * 7 + k), -0.15 - h),
                ),
                mix(color, (255, 220, 90), k % 2 * 0.5),
            )
        )
    parts.append(
        (pose.ellipse(0.0, -0.3, 0.15, 0.15 * (0.9 + 0.1 * math.sin(m.t * 13))), (255, 235, 150))
    )
    return parts


def snowman(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    return [
        (pose.circle(0.0, -0.22, 0.24), color),
        (pose.circle(0.0, -0.58, 0.18), color),
        (pose.circle(0.0, -0.85, 0.13), color),
        (pose.box(0.0, -0.98, 0.14, 0.015), DARK),
        (pose.box(0.0, -1.06, 0.09, 0.08, 0.01), DARK),
        (pose.polygon((0.08, -0.86), (0.28, -0.84), (0.08, -0.82)), (240, 120, 30)),
        (pose.circle(0.05, -0.9, 0.018), DARK),
        (pose.circle(0.0, -0.58, 0.02), DARK),
        (pose.circle(0.0, -0.5, 0.02), DARK),
        (pose.capsule(0.1, -0.6, 0.38, -0.75 + 0.03 * math.sin(m.t * 2), 0.015), WOOD),
    ]


BUILDERS = {
    "tree": tree,
    "pine": pine,
    "palm": palm,
    "flower": flower,
    "cactus": cactus,
    "house": house,
    "lighthouse": lighthouse,
    "castle": castle,
    "barn": barn,
    "windmill": windmill,
    "tent": tent,
    "ball": ball,
    "balloon": balloon,
    "kite": kite,
    "umbrella": umbrella,
    "lamp": lamp,
    "bench": bench,
    "chair": chair,
    "table": table,
    "guitar": guitar,
    "book": book,
    "cup": cup,
    "clock": clock,
    "candle": candle,
    "campfire": campfire,
    "snowman": snowman,
}
