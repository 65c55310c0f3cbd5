"""Posing figures: the local frame parts are built in, and the moment they are drawn at.

Parts are built in a local frame where the subject stands on (0, 0), is one unit tall, faces +x
and "up" is -y (screen convention). `Pose` maps that frame to pixels: mirrored (or squashed,
while spinning) by `facing`, and tilted about the middle of the figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelbox.engines.procedural.palette import RGB
from reelbox.engines.procedural.sdf import Box, Capsule, Circle, Ellipse, Polygon, Shape

Part = tuple[Shape, RGB]

SKIN: tuple[RGB, ...] = (
    (236, 188, 150),
    (222, 170, 135),
    (190, 135, 100),
    (150, 100, 70),
    (110, 72, 50),
)
HAIR: tuple[RGB, ...] = ((40, 30, 25), (90, 60, 35), (200, 160, 90), (150, 60, 30), (30, 30, 34))
DARK: RGB = (38, 34, 36)
WHITE: RGB = (242, 240, 235)
TYRE: RGB = (30, 30, 32)
GLASS: RGB = (150, 185, 210)
WOOD: RGB = (110, 75, 45)
METAL: RGB = (170, 175, 185)


@dataclass(frozen=True, slots=True)
class Motion:
    """What a figure is doing at the moment it is drawn."""

    action: str  # one of `vocabulary.ACTIONS`
    step: float  # gait phase in radians, advancing with the distance travelled
    t: float  # scene time in seconds, for idle motion (wagging, flapping, flickering)
    variant: int = 0  # a small per-subject number for variety (skin tone, markings)
    speaking: bool = False  # the subject is saying a line of dialogue right now


@dataclass(frozen=True, slots=True)
class Pose:
    """Where a figure is: feet at (x, y) pixels, `size` pixels tall.

    `facing` is +1 (right) or -1 (left), or in between while the figure turns; `tilt` rotates
    the figure (radians, clockwise on screen) about its middle.
    """

    x: float
    y: float
    size: float
    facing: float = 1.0
    tilt: float = 0.0

    def p(self, lx: float, ly: float) -> tuple[float, float]:
        lx *= self.facing
        if self.tilt:
            c, s = math.cos(self.tilt), math.sin(self.tilt)
            ly += 0.5
            lx, ly = lx * c - ly * s, lx * s + ly * c
            ly -= 0.5
        return self.x + lx * self.size, self.y + ly * self.size

    def circle(self, lx: float, ly: float, r: float) -> Shape:
        cx, cy = self.p(lx, ly)
        if abs(self.facing) > 0.999:
            return Circle(cx, cy, r * self.size)
        return Ellipse(cx, cy, max(0.3, r * self.size * abs(self.facing)), r * self.size, self.tilt)

    def ellipse(self, lx: float, ly: float, rx: float, ry: float, angle: float = 0.0) -> Shape:
        cx, cy = self.p(lx, ly)
        sx = abs(self.facing)
        sign = 1.0 if self.facing >= 0 else -1.0
        return Ellipse(
            cx, cy, max(0.3, rx * self.size * sx), ry * self.size, angle * sign + self.tilt
        )

    def capsule(self, ax: float, ay: float, bx: float, by: float, r: float) -> Shape:
        (x0, y0), (x1, y1) = self.p(ax, ay), self.p(bx, by)
        return Capsule(x0, y0, x1, y1, r * self.size)

    def box(self, lx: float, ly: float, hw: float, hh: float, radius: float = 0.0) -> Shape:
        if abs(self.facing) < 0.999:
            x0, y0 = lx - hw, ly - hh
            x1, y1 = lx + hw, ly + hh
            return self.polygon((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        cx, cy = self.p(lx, ly)
        s = self.size
        return Box(cx, cy, hw * s, hh * s, radius * s, self.tilt)

    def polygon(self, *points: tuple[float, float]) -> Shape:
        return Polygon(tuple(self.p(x, y) for x, y in points))


def shade(rgb: RGB, factor: float) -> RGB:
    return (rgb[0] * factor, rgb[1] * factor, rgb[2] * factor)


def mix(a: RGB, b: RGB, amount: float) -> RGB:
    return (
        a[0] + (b[0] - a[0]) * amount,
        a[1] + (b[1] - a[1]) * amount,
        a[2] + (b[2] - a[2]) * amount,
    )
