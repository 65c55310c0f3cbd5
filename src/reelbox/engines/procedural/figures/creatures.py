"""Birds, insects and sea creatures: wings flap (or glide), fins and tails sway, jellyfish pulse,
tentacles wave. Birds that walk or swim (penguin, chicken, duck, swan) waddle or paddle.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from reelbox.engines.procedural.figures.pose import DARK, WHITE, Motion, Part, Pose, mix, shade
from reelbox.engines.procedural.palette import RGB

_BEAK: RGB = (240, 170, 40)

# kind -> (flaps per second, wing reach, body length, has a glide)
_FLIERS: dict[str, tuple[float, float, float, bool]] = {
    "bird": (7.0, 0.55, 0.34, False),
    "eagle": (2.2, 0.75, 0.36, True),
    "seagull": (3.2, 0.7, 0.3, True),
    "owl": (4.0, 0.55, 0.3, False),
}


def _flier(kind: str, pose: Pose, color: RGB, m: Motion) -> list[Part]:
    rate, reach, length, glides = _FLIERS[kind]
    if m.action in ("sit", "idle") and kind in ("owl", "bird"):
        return _perched(kind, pose, color, m)
    cycle = m.t * rate
    flap = math.sin(2 * math.pi * cycle)
    if glides and (cycle % 4.0) > 2.2:
        flap = 0.15  # wings held out between bursts of flapping
    wing = shade(color, 0.78) if kind != "seagull" else (150, 155, 165)
    tip = -0.5 - reach * flap
    parts: list[Part] = [
        (pose.polygon((-0.12, -0.52), (0.12, -0.52), (-0.05 - 0.1 * reach, tip)), wing),
        (
            pose.polygon((-length, -0.5), (-length - 0.22, -0.58), (-length - 0.2, -0.42)),
            shade(color, 0.8),
        ),
        (pose.ellipse(0.0, -0.5, length, 0.12), color),
        (pose.circle(length * 0.85, -0.57, 0.11), color if kind != "eagle" else WHITE),
        (
            pose.polygon((length + 0.07, -0.61), (length + 0.22, -0.56), (length + 0.07, -0.52)),
            _BEAK,
        ),
        (pose.circle(length + 0.02, -0.6, 0.022), DARK),
        (
            pose.polygon(
                (-0.02, -0.5), (0.2, -0.5), (0.05 + 0.05 * reach, -0.5 - reach * 0.9 * flap)
            ),
            color if kind != "seagull" else WHITE,
        ),
    ]
    if kind == "seagull":
        parts.append(
            (
                pose.polygon(
                    (0.02, -0.5 - reach * 0.8 * flap),
                    (0.1, -0.5 - reach * 0.9 * flap),
                    (0.06 + 0.05 * reach, -0.5 - reach * 0.9 * flap),
                ),
                DARK,
            )
        )
    return parts


def _perched(kind: str, pose: Pose, color: RGB, m: Motion) -> list[Part]:
    blink = (m.t % 3.7) < 0.12
    belly = mix(color, WHITE, 0.4)
    parts: list[Part] = [
        (pose.capsule(-0.05, -0.1, -0.05, 0.0, 0.02), _BEAK),
        (pose.capsule(0.06, -0.1, 0.06, 0.0, 0.02), _BEAK),
        (pose.ellipse(0.0, -0.42, 0.3, 0.36), color),
        (pose.ellipse(0.06, -0.36, 0.18, 0.24), belly),
    ]
    if kind == "owl":
        for dx in (-0.1, 0.12):
            parts.append((pose.circle(dx, -0.66, 0.1), WHITE))
            parts.append((pose.circle(dx + 0.02, -0.66, 0.01 if blink else 0.05), DARK))
        parts.append((pose.polygon((0.0, -0.6), (0.04, -0.52), (0.07, -0.6)), _BEAK))
        parts.append((pose.polygon((-0.22, -0.74), (-0.18, -0.95), (-0.08, -0.78)), color))
        parts.append((pose.polygon((0.22, -0.74), (0.2, -0.95), (0.1, -0.78)), color))
    else:
        parts.append((pose.circle(0.18, -0.74, 0.14), color))
        parts.append((pose.polygon((0.3, -0.78), (0.45, -0.73), (0.3, -0.7)), _BEAK))
        parts.append((pose.circle(0.24, -0.78, 0.025), DARK))
    return parts


def _waterbird(kind: str, pose: Pose, color: RGB, m: Motion) -> list[Part]:
    paddle = math.sin(m.t * 3.0)
    neck = 0.55 if kind == "swan" else 0.25
    head = (0.3 + 0.02 * paddle, -0.35 - neck)
    parts: list[Part] = [
        (pose.polygon((-0.45, -0.35), (-0.6, -0.5), (-0.35, -0.25)), shade(color, 0.85)),
        (pose.ellipse(0.0, -0.22, 0.45, 0.2), color),
        (pose.ellipse(-0.05, -0.3, 0.28, 0.1, -0.15), shade(color, 0.88)),
        (pose.capsule(0.28, -0.3, head[0], head[1], 0.06 if kind == "swan" else 0.09), color),
        (pose.circle(*head, 0.11), color if kind == "swan" else (40, 110, 60)),
        (
            pose.polygon(
                (head[0] + 0.08, head[1] - 0.03),
                (head[0] + 0.26, head[1] + 0.02),
                (head[0] + 0.08, head[1] + 0.05),
            ),
            (240, 120, 40) if kind == "swan" else _BEAK,
        ),
        (pose.circle(head[0] + 0.04, head[1] - 0.03, 0.02), DARK),
    ]
    return parts


def _walker_bird(kind: str, pose: Pose, color: RGB, m: Motion) -> list[Part]:
    waddle = 0.12 * math.sin(m.step)
    legs = [
        (pose.capsule(-0.06, -0.18, -0.06 + waddle * 0.5, 0.0, 0.03), _BEAK),
        (pose.capsule(0.06, -0.18, 0.06 - waddle * 0.5, 0.0, 0.03), _BEAK),
    ]
    if kind == "penguin":
        return [
            *legs,
            (pose.ellipse(0.0, -0.5, 0.28, 0.45, waddle * 0.5), DARK),
            (pose.ellipse(0.06, -0.45, 0.18, 0.36, waddle * 0.5), WHITE),
            (pose.circle(0.02, -0.86, 0.16), DARK),
            (pose.polygon((0.14, -0.88), (0.3, -0.84), (0.14, -0.8)), _BEAK),
            (pose.circle(0.08, -0.9, 0.025), WHITE),
            (pose.ellipse(-0.2, -0.5, 0.06, 0.25, 0.3 + waddle), DARK),
        ]
    peck = 0.05 * max(0.0, math.sin(m.t * 2.3)) if m.action == "idle" else 0.0
    return [
        *legs,
        (pose.polygon((-0.3, -0.45), (-0.48, -0.75), (-0.4, -0.4)), shade(color, 0.9)),
        (pose.ellipse(0.0, -0.42, 0.32, 0.26), color),
        (pose.ellipse(-0.05, -0.42, 0.18, 0.12, -0.2), shade(color, 0.9)),
        (pose.circle(0.26, -0.7 + peck, 0.13), color),
        (
            pose.polygon((0.2, -0.82 + peck), (0.28, -0.92 + peck), (0.32, -0.8 + peck)),
            (220, 40, 40),
        ),
        (pose.polygon((0.36, -0.72 + peck), (0.48, -0.68 + peck), (0.36, -0.64 + peck)), _BEAK),
        (pose.circle(0.31, -0.73 + peck, 0.02), DARK),
    ]


def butterfly(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    open_ = 0.25 + 0.75 * abs(math.sin(m.t * 2 * math.pi * 4.0))
    dark = shade(color, 0.6)
    return [
        (pose.ellipse(-0.1, -0.62, 0.3 * open_, 0.3), dark),
        (pose.ellipse(-0.08, -0.32, 0.22 * open_, 0.2), dark),
        (pose.capsule(0.0, -0.3, 0.0, -0.72, 0.035), DARK),
        (pose.ellipse(0.1, -0.62, 0.32 * open_, 0.32), color),
        (pose.ellipse(0.08, -0.32, 0.24 * open_, 0.22), color),
        (pose.circle(0.12 * open_ + 0.05, -0.64, 0.06 * open_ + 0.01), WHITE),
    ]


# -- sea ---------------------------------------------------------------------------------------


def fish(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    wiggle = 0.08 * math.sin(m.t * 7.0)
    return [
        (pose.polygon((-0.4, -0.5), (-0.8, -0.78 + wiggle), (-0.8, -0.22 + wiggle)), color),
        (pose.polygon((-0.05, -0.66), (0.15, -0.86), (0.25, -0.66)), shade(color, 0.75)),
        (pose.ellipse(0.0, -0.5, 0.5, 0.24), color),
        (pose.capsule(-0.1, -0.62, -0.1, -0.38, 0.03), mix(color, WHITE, 0.6)),
        (pose.circle(0.28, -0.55, 0.06), WHITE),
        (pose.circle(0.3, -0.55, 0.03), DARK),
    ]


def shark(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    sway = 0.06 * math.sin(m.t * 3.0)
    return [
        (
            pose.polygon((-0.55, -0.5), (-0.95, -0.85 + sway), (-0.8, -0.5), (-0.92, -0.25 + sway)),
            color,
        ),
        (pose.ellipse(0.0, -0.5, 0.62, 0.17), color),
        (pose.ellipse(0.05, -0.42, 0.5, 0.08), mix(color, WHITE, 0.7)),
        (pose.polygon((-0.12, -0.64), (0.02, -0.95), (0.12, -0.64)), shade(color, 0.85)),
        (pose.polygon((0.05, -0.42), (-0.1, -0.2), (0.18, -0.4)), shade(color, 0.8)),
        (pose.circle(0.42, -0.55, 0.025), DARK),
        (pose.capsule(0.22, -0.47, 0.22, -0.56, 0.006), shade(color, 0.6)),
    ]


def whale(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    beat = 0.12 * math.sin(m.t * 1.2)
    return [
        (
            pose.polygon((-0.7, -0.45), (-1.0, -0.62 + beat), (-0.92, -0.45), (-1.0, -0.28 + beat)),
            color,
        ),
        (pose.ellipse(0.0, -0.45, 0.8, 0.3), color),
        (pose.ellipse(0.15, -0.3, 0.6, 0.13), mix(color, WHITE, 0.55)),
        (pose.ellipse(0.1, -0.25, 0.2, 0.06, 0.5), shade(color, 0.8)),
        (pose.circle(0.5, -0.45, 0.03), DARK),
    ]


def dolphin(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    beat = 0.1 * math.sin(m.t * 4.0)
    return [
        (
            pose.polygon((-0.5, -0.5), (-0.78, -0.68 + beat), (-0.65, -0.5), (-0.78, -0.32 + beat)),
            color,
        ),
        (pose.ellipse(0.0, -0.5, 0.55, 0.16, -0.05), color),
        (pose.ellipse(0.05, -0.43, 0.42, 0.07), mix(color, WHITE, 0.7)),
        (pose.polygon((-0.1, -0.62), (-0.02, -0.85), (0.12, -0.62)), shade(color, 0.85)),
        (pose.ellipse(0.6, -0.46, 0.12, 0.045), color),
        (pose.circle(0.4, -0.55, 0.022), DARK),
    ]


def jellyfish(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    pulse = 0.5 + 0.5 * math.sin(m.t * 2.4)
    width = 0.42 + 0.08 * pulse
    parts: list[Part] = []
    for k in range(5):
        x = -0.3 + 0.15 * k
        sway = 0.06 * math.sin(m.t * 2.0 + k)
        parts.append(
            (pose.capsule(x, -0.62, x + sway, -0.25 + 0.05 * pulse, 0.02), shade(color, 0.85))
        )
        parts.append(
            (pose.capsule(x + sway, -0.25 + 0.05 * pulse, x - sway, 0.0, 0.015), shade(color, 0.8))
        )
    parts.append((pose.ellipse(0.0, -0.7, width, 0.26 - 0.04 * pulse), color))
    parts.append((pose.ellipse(-0.08, -0.78, width * 0.4, 0.08), mix(color, WHITE, 0.5)))
    return parts


def turtle(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    stroke = 0.35 * math.sin(m.t * 2.0)
    skin = (120, 150, 90)
    return [
        (pose.capsule(-0.1, -0.45, -0.35, -0.7 - stroke, 0.07), shade(skin, 0.8)),
        (pose.capsule(-0.3, -0.45, -0.6, -0.4 + stroke * 0.5, 0.05), shade(skin, 0.8)),
        (pose.ellipse(0.0, -0.5, 0.5, 0.22), color),
        (pose.ellipse(0.0, -0.55, 0.32, 0.12), shade(color, 0.75)),
        (pose.circle(0.6, -0.48, 0.12), skin),
        (pose.circle(0.66, -0.52, 0.02), DARK),
        (pose.capsule(0.15, -0.42, 0.35, -0.2 + stroke, 0.07), skin),
    ]


def octopus(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = []
    for k in range(8):
        x = -0.35 + 0.1 * k
        curl = math.sin(m.t * 1.8 + k * 0.9)
        parts.append(
            (pose.capsule(x * 0.6, -0.45, x, -0.2 + 0.05 * curl, 0.045), shade(color, 0.85))
        )
        parts.append(
            (pose.capsule(x, -0.2 + 0.05 * curl, x + 0.12 * curl, 0.0, 0.03), shade(color, 0.85))
        )
    parts += [
        (pose.ellipse(0.0, -0.65, 0.3, 0.32), color),
        (pose.circle(-0.1, -0.6, 0.07), WHITE),
        (pose.circle(0.1, -0.6, 0.07), WHITE),
        (pose.circle(-0.08, -0.6, 0.035), DARK),
        (pose.circle(0.12, -0.6, 0.035), DARK),
    ]
    return parts


def _make(kind: str, family: str) -> Callable[[Pose, RGB, Motion], list[Part]]:
    def build(pose: Pose, color: RGB, m: Motion) -> list[Part]:
        if family == "flier":
            return _flier(kind, pose, color, m)
        if family == "water":
            if m.action == "fly":
                return _flier("seagull", pose, color, m)
            return _waterbird(kind, pose, color, m)
        return _walker_bird(kind, pose, color, m)

    return build


BUILDERS = {
    "bird": _make("bird", "flier"),
    "eagle": _make("eagle", "flier"),
    "seagull": _make("seagull", "flier"),
    "owl": _make("owl", "flier"),
    "duck": _make("duck", "water"),
    "swan": _make("swan", "water"),
    "penguin": _make("penguin", "walker"),
    "chicken": _make("chicken", "walker"),
    "butterfly": butterfly,
    "fish": fish,
    "shark": shark,
    "whale": whale,
    "dolphin": dolphin,
    "jellyfish": jellyfish,
    "turtle": turtle,
    "octopus": octopus,
}
