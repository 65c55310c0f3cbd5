"""Kinds where a stand-in would mislead: fireworks, a flag, a bridge, a sofa, a pan with a
pancake, a disc robot vacuum and a waterfall. Fireworks burst and fade on a cycle, the flag
ripples in the wind, the pancake flips, the vacuum's light blinks, the waterfall's streaks run
down into a foaming pool.
"""

from __future__ import annotations

import math

from reelbox.engines.procedural.figures.pose import (
    DARK,
    METAL,
    WHITE,
    Motion,
    Part,
    Pose,
    mix,
    shade,
)
from reelbox.engines.procedural.palette import RGB

BURST_SECONDS = 1.6  # one firework: launch, burst, fade
_SPARK_COLORS: tuple[RGB, ...] = ((255, 90, 80), (120, 200, 255), (255, 220, 90), (200, 120, 255))


def burst_phase(t: float, variant: int, index: int) -> float:
    """Where firework `index` of a subject is in its cycle (0 launch .. 1 gone) at time `t`."""
    return (t / BURST_SECONDS + 0.37 * index + 0.21 * variant) % 1.0


def fireworks(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = []
    for k in range(3):
        u = burst_phase(m.t, m.variant, k)
        cx = (-0.55, 0.0, 0.55)[k] + 0.1 * math.sin(k * 2.3 + m.variant)
        cy = -0.55 - 0.2 * ((k * 7 + m.variant) % 3) / 2
        hue = _SPARK_COLORS[(k + m.variant) % len(_SPARK_COLORS)]
        spark = mix(hue, color, 0.25)
        if u < 0.2:
            # The shell climbs with a short trail.
            y = 0.0 + (cy - 0.0) * (u / 0.2)
            parts.append((pose.capsule(cx, y, cx, y + 0.12, 0.012), (255, 230, 180)))
            continue
        grow = (u - 0.2) / 0.8
        radius = 0.1 + 0.35 * math.sqrt(grow)
        fade = 1.0 - grow
        dot = 0.025 * (0.4 + fade)
        glow = mix((20, 20, 30), spark, fade)
        for j in range(14):
            angle = 2 * math.pi * j / 14 + k
            x = cx + radius * math.cos(angle)
            y = cy + radius * math.sin(angle) + 0.08 * grow * grow  # sparks sag as they fall
            inner_x = cx + 0.6 * radius * math.cos(angle)
            inner_y = cy + 0.6 * radius * math.sin(angle) + 0.05 * grow * grow
            parts.append((pose.capsule(inner_x, inner_y, x, y, dot * 0.6), shade(glow, 0.85)))
            parts.append((pose.circle(x, y, dot), mix(glow, WHITE, 0.35 * fade)))
        if grow < 0.25:
            parts.append((pose.circle(cx, cy, 0.09 * (1 - grow * 4)), (255, 250, 230)))
    return parts


def flag(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    parts: list[Part] = [(pose.capsule(0.0, 0.0, 0.0, -1.0, 0.015), METAL)]
    strips = 8
    for k in range(strips):
        x0 = 0.015 + 0.6 * k / strips
        x1 = 0.015 + 0.6 * (k + 1) / strips
        w0 = 0.04 * math.sin(m.t * 5.0 - k * 0.9) * (k / strips)
        w1 = 0.04 * math.sin(m.t * 5.0 - (k + 1) * 0.9) * ((k + 1) / strips)
        tone = shade(color, 0.85 + 0.15 * math.sin(m.t * 5.0 - k * 0.9))
        parts.append(
            (
                pose.polygon(
                    (x0, -0.98 + w0), (x1, -0.98 + w1), (x1, -0.62 + w1), (x0, -0.62 + w0)
                ),
                tone,
            )
        )
    parts.append((pose.circle(0.0, -1.01, 0.025), (220, 190, 90)))
    return parts


def bridge(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    dark = shade(color, 0.7)
    parts: list[Part] = [
        (pose.box(0.0, -0.62, 1.0, 0.05), color),
        (pose.box(0.0, -0.7, 1.0, 0.02), dark),
    ]
    for x in (-0.75, -0.25, 0.25, 0.75):
        parts.append((pose.box(x, -0.3, 0.05, 0.3), dark))
    for k in range(9):
        x = -0.9 + 0.225 * k
        parts.append((pose.capsule(x, -0.72, x, -0.92, 0.008), dark))
    parts.append((pose.box(0.0, -0.93, 1.0, 0.012), dark))
    return parts


def sofa(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    dark = shade(color, 0.75)
    return [
        (pose.box(-0.85, -0.08, 0.04, 0.08), DARK),
        (pose.box(0.85, -0.08, 0.04, 0.08), DARK),
        (pose.box(0.0, -0.62, 0.95, 0.3, 0.08), dark),
        (pose.box(0.0, -0.38, 0.9, 0.18, 0.06), color),
        (pose.box(-0.42, -0.55, 0.4, 0.05, 0.04), mix(color, WHITE, 0.15)),
        (pose.box(0.42, -0.55, 0.4, 0.05, 0.04), mix(color, WHITE, 0.15)),
        (pose.box(-0.95, -0.45, 0.1, 0.28, 0.06), dark),
        (pose.box(0.95, -0.45, 0.1, 0.28, 0.06), dark),
    ]


def pan(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    flip = math.sin(math.pi * ((m.t * 0.5 + 0.1 * m.variant) % 1.0)) ** 8  # a toss now and then
    cake_y = -0.32 - 0.9 * flip
    return [
        (pose.capsule(0.35, -0.25, 0.95, -0.35, 0.05), DARK),
        (pose.ellipse(0.0, -0.2, 0.45, 0.14), shade(METAL, 0.45)),
        (pose.ellipse(0.0, -0.26, 0.4, 0.09), shade(METAL, 0.3)),
        (pose.ellipse(0.0, cake_y, 0.3, 0.07 * (1 - 0.6 * flip)), (225, 170, 90)),
        (pose.ellipse(-0.05, cake_y - 0.02, 0.12, 0.03 * (1 - 0.6 * flip)), (245, 205, 130)),
    ]


def vacuum(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    blink = (250, 80, 70) if math.sin(m.t * 6.0) > 0 else (120, 250, 140)
    return [
        (pose.ellipse(0.0, -0.28, 1.0, 0.28), shade(color, 0.6)),
        (pose.ellipse(0.0, -0.4, 0.95, 0.22), color),
        (pose.ellipse(0.0, -0.45, 0.45, 0.1), shade(color, 0.8)),
        (pose.circle(0.3, -0.5, 0.06), blink),
        (pose.box(0.0, -0.05, 0.9, 0.03), DARK),
    ]


_FALL_WATER: RGB = (205, 228, 240)
_FOAM: RGB = (245, 250, 252)
_POOL: RGB = (70, 130, 160)


def waterfall(pose: Pose, color: RGB, m: Motion) -> list[Part]:
    """Water pouring over a rock ledge (`color` is the rock) into a pool; streaks slide down."""
    rock, dark = color, shade(color, 0.7)
    parts: list[Part] = [
        (pose.polygon((-1.0, 0.0), (-0.95, -0.8), (-0.55, -1.0), (-0.3, -0.95), (-0.3, 0.0)), rock),
        (pose.polygon((0.3, 0.0), (0.3, -0.97), (0.6, -1.0), (0.92, -0.75), (1.0, 0.0)), rock),
        (pose.polygon((-0.9, -0.62), (-0.3, -0.74), (-0.3, -0.69), (-0.88, -0.58)), dark),
        (pose.polygon((-0.98, -0.3), (-0.3, -0.36), (-0.3, -0.32), (-0.97, -0.27)), dark),
        (pose.polygon((0.3, -0.55), (0.93, -0.47), (0.94, -0.43), (0.3, -0.5)), dark),
        (pose.ellipse(0.0, -0.02, 0.75, 0.07), _POOL),
        (pose.box(0.0, -0.5, 0.3, 0.48, 0.02), mix(_FALL_WATER, _POOL, 0.25)),
    ]
    for k in range(7):
        x = -0.25 + 0.5 * k / 6
        # Streaks of white water running down, each on its own cycle.
        u = (m.t * 1.1 + 0.37 * k + 0.11 * m.variant) % 1.0
        top = -0.98 + 0.9 * u
        parts.append((pose.capsule(x, top, x, min(-0.08, top + 0.25), 0.025), _FALL_WATER))
    for k in range(5):
        x = -0.4 + 0.2 * k
        swell = 0.05 + 0.025 * math.sin(m.t * 6.0 + k * 1.9)
        parts.append((pose.ellipse(x, -0.06, 0.13, swell), _FOAM))
    return parts


BUILDERS = {
    "fireworks": fireworks,
    "flag": flag,
    "bridge": bridge,
    "sofa": sofa,
    "pan": pan,
    "vacuum": vacuum,
    "waterfall": waterfall,
}
