"""What each subject kind looks like: a few signed-distance parts posed at a moment in time.

Parts are built in a local frame where the subject stands on (0, 0), is one unit tall, faces +x
and "up" is -y (screen convention). `Pose` maps that frame to pixels, mirrored when the subject
faces left and optionally tilted (a rocking boat).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reelbox.engines.procedural.palette import RGB
from reelbox.engines.procedural.sdf import Box, Capsule, Circle, Ellipse, Polygon, Shape

Part = tuple[Shape, RGB]

_SKIN: RGB = (222, 170, 135)
_DARK: RGB = (38, 34, 36)
_WHITE: RGB = (242, 240, 235)
_TYRE: RGB = (30, 30, 32)
_GLASS: RGB = (150, 185, 210)
_WOOD: RGB = (110, 75, 45)


@dataclass(frozen=True, slots=True)
class Pose:
    """Where a subject is: feet at (x, y) pixels, `size` pixels tall, facing +1 or -1."""

    x: float
    y: float
    size: float
    facing: int
    tilt: float = 0.0  # radians

    def p(self, lx: float, ly: float) -> tuple[float, float]:
        lx *= self.facing
        if self.tilt:
            c, s = math.cos(self.tilt), math.sin(self.tilt)
            lx, ly = lx * c - ly * s, lx * s + ly * c
        return self.x + lx * self.size, self.y + ly * self.size

    def circle(self, lx: float, ly: float, r: float) -> Circle:
        cx, cy = self.p(lx, ly)
        return Circle(cx, cy, r * self.size)

    def ellipse(self, lx: float, ly: float, rx: float, ry: float, angle: float = 0.0) -> Ellipse:
        cx, cy = self.p(lx, ly)
        return Ellipse(cx, cy, rx * self.size, ry * self.size, angle * self.facing + self.tilt)

    def capsule(self, ax: float, ay: float, bx: float, by: float, r: float) -> Capsule:
        (x0, y0), (x1, y1) = self.p(ax, ay), self.p(bx, by)
        return Capsule(x0, y0, x1, y1, r * self.size)

    def box(self, lx: float, ly: float, hw: float, hh: float, radius: float = 0.0) -> Box:
        cx, cy = self.p(lx, ly)
        s = self.size
        return Box(cx, cy, hw * s, hh * s, radius * s, self.tilt)

    def polygon(self, *points: tuple[float, float]) -> Polygon:
        return Polygon(tuple(self.p(x, y) for x, y in points))


def shade(rgb: RGB, factor: float) -> RGB:
    return (rgb[0] * factor, rgb[1] * factor, rgb[2] * factor)


def _cat(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    far, near = shade(color, 0.72), color
    swing = 0.09 * math.sin(step)
    tail_tip = (-0.72, -0.86 + 0.05 * math.sin(t * 2.1))
    return [
        (pose.capsule(-0.4, -0.48, *tail_tip, 0.045), far),
        (pose.capsule(0.28, -0.38, 0.28 - swing, -0.03, 0.05), far),
        (pose.capsule(-0.28, -0.38, -0.28 + swing, -0.03, 0.05), far),
        (pose.ellipse(0.0, -0.46, 0.44, 0.19), near),
        (pose.capsule(0.22, -0.38, 0.22 + swing, -0.03, 0.055), near),
        (pose.capsule(-0.34, -0.38, -0.34 - swing, -0.03, 0.055), near),
        (pose.polygon((0.32, -0.78), (0.37, -0.99), (0.48, -0.84)), far),
        (pose.polygon((0.5, -0.84), (0.6, -0.99), (0.62, -0.77)), near),
        (pose.circle(0.47, -0.7, 0.17), near),
        (pose.circle(0.55, -0.72, 0.025), _DARK),
        (pose.circle(0.63, -0.66, 0.018), shade(color, 0.5)),
    ]


def _dog(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    far, near = shade(color, 0.72), color
    swing = 0.1 * math.sin(step)
    wag = 0.08 * math.sin(t * 9.0)
    return [
        (pose.capsule(-0.42, -0.55, -0.62, -0.8 + wag, 0.045), near),
        (pose.capsule(0.3, -0.42, 0.3 - swing, -0.03, 0.06), far),
        (pose.capsule(-0.3, -0.42, -0.3 + swing, -0.03, 0.06), far),
        (pose.ellipse(0.0, -0.52, 0.46, 0.2), near),
        (pose.capsule(0.24, -0.42, 0.24 + swing, -0.03, 0.065), near),
        (pose.capsule(-0.36, -0.42, -0.36 - swing, -0.03, 0.065), near),
        (pose.circle(0.48, -0.76, 0.17), near),
        (pose.ellipse(0.66, -0.7, 0.14, 0.08), near),
        (pose.circle(0.79, -0.72, 0.035), _DARK),
        (pose.ellipse(0.4, -0.74, 0.06, 0.14, 0.3), far),
        (pose.circle(0.55, -0.8, 0.025), _DARK),
    ]


def _bird(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    flap = math.sin(t * 11.0)
    wing = shade(color, 0.75)
    tip_y = -0.5 - 0.55 * flap
    return [
        (pose.polygon((-0.3, -0.5), (-0.62, -0.62), (-0.6, -0.38)), wing),
        (pose.polygon((-0.12, -0.52), (0.16, -0.52), (-0.1, tip_y)), wing),
        (pose.ellipse(0.0, -0.5, 0.34, 0.14), color),
        (pose.circle(0.3, -0.58, 0.13), color),
        (pose.polygon((0.4, -0.62), (0.58, -0.57), (0.4, -0.52)), (240, 170, 40)),
        (pose.circle(0.34, -0.61, 0.025), _DARK),
        (pose.polygon((-0.02, -0.5), (0.22, -0.5), (0.02, -0.5 - 0.45 * flap)), color),
    ]


def _car(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    bounce = 0.01 * math.sin(t * 13.0)
    parts: list[Part] = [
        (pose.box(-0.08, -0.58 + bounce, 0.52, 0.19, 0.14), color),
        (pose.box(0.12, -0.6 + bounce, 0.2, 0.12, 0.04), _GLASS),
        (pose.box(-0.33, -0.6 + bounce, 0.18, 0.12, 0.04), _GLASS),
        (pose.box(0.0, -0.33 + bounce, 0.95, 0.2, 0.08), color),
        (pose.box(0.0, -0.22 + bounce, 0.9, 0.025), shade(color, 0.6)),
        (pose.circle(0.9, -0.38 + bounce, 0.05), (250, 235, 170)),
    ]
    for wx in (-0.58, 0.6):
        parts.append((pose.circle(wx, -0.15, 0.16), _TYRE))
        parts.append((pose.circle(wx, -0.15, 0.07), (185, 188, 195)))
    return parts


def _person(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    swing = 0.13 * math.sin(step)
    trousers = (45, 50, 70)
    return [
        (pose.capsule(0.0, -0.76, 0.1 * math.sin(step), -0.5, 0.04), shade(color, 0.7)),
        (pose.capsule(0.0, -0.48, -swing, -0.03, 0.05), shade(trousers, 0.75)),
        (pose.capsule(0.0, -0.48, swing, -0.03, 0.05), trousers),
        (pose.capsule(0.0, -0.5, 0.0, -0.76, 0.1), color),
        (pose.capsule(0.0, -0.76, -0.1 * math.sin(step), -0.5, 0.04), color),
        (pose.circle(0.02, -0.89, 0.085), _SKIN),
        (pose.ellipse(-0.01, -0.94, 0.09, 0.05), (60, 40, 30)),
    ]


def _boat(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    return [
        (pose.capsule(0.1, -0.33, 0.1, -1.2, 0.022), _WOOD),
        (pose.polygon((0.15, -1.15), (0.15, -0.42), (0.72, -0.42)), (245, 242, 228)),
        (pose.polygon((0.05, -1.0), (0.05, -0.42), (-0.4, -0.42)), (232, 228, 212)),
        (pose.box(-0.3, -0.42, 0.28, 0.1, 0.03), shade(color, 0.85)),
        (pose.polygon((-0.9, -0.34), (0.95, -0.34), (0.7, 0.0), (-0.75, 0.0)), color),
        (pose.polygon((-0.86, -0.26), (0.9, -0.26), (0.86, -0.2), (-0.84, -0.2)), (180, 40, 40)),
    ]


def _tree(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    sway = 0.02 * math.sin(t * 1.3)
    dark = shade(color, 0.7)
    return [
        (pose.box(0.0, -0.2, 0.055, 0.2, 0.02), _WOOD),
        (pose.circle(-0.2 + sway, -0.47, 0.22), dark),
        (pose.circle(0.2 + sway, -0.49, 0.22), dark),
        (pose.circle(sway, -0.62, 0.3), color),
        (pose.circle(sway * 1.5, -0.84, 0.19), color),
    ]


def _ball(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    lift = -0.9 * abs(math.sin(step * 0.5))
    return [
        (pose.circle(0.0, -0.5 + lift, 0.5), color),
        (pose.ellipse(0.0, -0.5 + lift, 0.5, 0.12, step * 0.3), shade(color, 0.6)),
        (pose.circle(-0.16, -0.66 + lift, 0.12), (255, 255, 250)),
    ]


def _fish(pose: Pose, color: RGB, step: float, t: float) -> list[Part]:
    wiggle = 0.08 * math.sin(t * 7.0)
    return [
        (pose.polygon((-0.4, -0.5), (-0.8, -0.78 + wiggle), (-0.8, -0.22 + wiggle)), color),
        (pose.polygon((-0.05, -0.66), (0.15, -0.86), (0.25, -0.66)), shade(color, 0.75)),
        (pose.ellipse(0.0, -0.5, 0.5, 0.24), color),
        (pose.circle(0.28, -0.55, 0.06), _WHITE),
        (pose.circle(0.3, -0.55, 0.03), _DARK),
    ]


_BUILDERS: dict[str, Callable[[Pose, RGB, float, float], list[Part]]] = {
    "cat": _cat,
    "dog": _dog,
    "bird": _bird,
    "car": _car,
    "person": _person,
    "boat": _boat,
    "tree": _tree,
    "ball": _ball,
    "fish": _fish,
}

# How wide each kind is relative to its height, for culling and shadows.
ASPECT: dict[str, float] = {
    "cat": 1.4,
    "dog": 1.6,
    "bird": 1.3,
    "car": 2.0,
    "person": 0.5,
    "boat": 1.9,
    "tree": 1.0,
    "ball": 1.0,
    "fish": 1.4,
    "character": 1.0,
}


def parts(kind: str, pose: Pose, color: RGB, *, step: float, t: float) -> list[Part]:
    """The parts of a `kind` subject, back to front.

    `step` is the walk-cycle phase (radians, advancing with distance travelled); `t` is the
    time in seconds, for idle motion such as wagging, flapping and swaying.
    """
    return _BUILDERS[kind](pose, color, step, t)


def has_shape(kind: str) -> bool:
    return kind in _BUILDERS
