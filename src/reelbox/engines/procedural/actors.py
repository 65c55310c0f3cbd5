"""Actors: the plan's subjects and the user's characters, moving along their planned paths.

Paths live in world pixels (fractions of the frame at the start of the clip); the camera's
`View` maps them to the screen each frame, so subjects stay put in the world while the camera
pans or zooms. Far subjects are smaller, higher up the ground and fade into the air.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelbox.engines.base import CharacterInput, Frame
from reelbox.engines.procedural.arrays import F32
from reelbox.engines.procedural.camera import View
from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.palette import NAMED_COLORS, RGB
from reelbox.engines.procedural.planner import ScenePlan, SubjectPlan
from reelbox.engines.procedural.sdf import Ellipse, draw
from reelbox.engines.procedural.subjects import ASPECT, Pose, has_shape, parts

WrapX = Callable[[F32], F32]


@dataclass(frozen=True, kw_only=True)
class Stage:
    """What actors need to know about the place they are in."""

    width: int
    height: int
    horizon: float  # y where the ground starts
    water: tuple[float, float] | None  # rows of open water
    light: RGB  # multiplier on actor colours
    fog: RGB
    fog_amount: float  # fade of the most distant actor toward `fog`
    shadows: bool = True


@dataclass(frozen=True, kw_only=True)
class Placement:
    x: float  # world x of the feet, pixels
    y: float  # world y of the feet, pixels
    size: float  # world height, pixels
    facing: int
    travelled: float  # pixels walked so far (drives the walk cycle)


def place(subject: SubjectPlan, stage: Stage, t: float) -> Placement:
    """Where `subject` is at `t` seconds."""
    w, h = stage.width, stage.height
    span = subject.x1 - subject.x0
    facing = subject.direction
    if subject.motion == "still" or span <= 0 or subject.speed <= 0:
        x = subject.x0
    elif subject.motion == "wrap":
        u = (subject.phase + subject.direction * subject.speed * t / span) % 1.0
        x = subject.x0 + u * span
    else:
        # Walk to one end of the range, turn round, walk back: a triangle wave.
        cycle = 2 * span
        s = (subject.phase * cycle + subject.direction * subject.speed * t) % cycle
        if s < span:
            x = subject.x0 + s
        else:
            x = subject.x1 - (s - span)
            facing = -subject.direction
    depth = subject.depth
    habitat = KINDS[subject.kind].habitat if subject.kind in KINDS else "ground"
    horizon = stage.horizon
    if habitat == "air":
        y = horizon * (0.8 - 0.62 * subject.height)
    elif habitat == "water":
        top, bottom = stage.water or (horizon, float(h))
        y = top + (bottom - top) * (0.85 - 0.6 * depth)
    elif habitat == "swim":
        y = h * (0.3 + 0.45 * (1 - subject.height))
    else:
        y = horizon + (h - horizon) * (0.9 - 0.72 * depth)
    size = subject.size * h * (1 - 0.55 * depth)
    return Placement(x=x * w, y=y, size=size, facing=facing, travelled=subject.speed * w * t)


class _Sprite:
    """A character cut-out, resized (and mirrored) on demand and kept for reuse."""

    def __init__(self, image: npt.NDArray[np.uint8]) -> None:
        self.image = Image.fromarray(np.ascontiguousarray(image))
        self.cache: dict[tuple[int, int], tuple[F32, F32]] = {}

    def get(self, height: int, facing: int) -> tuple[F32, F32]:
        """(rgb, alpha) float32 arrays of the cut-out `height` pixels tall."""
        key = (height, facing)
        found = self.cache.get(key)
        if found is None:
            w0, h0 = self.image.size
            width = max(1, round(w0 * height / max(1, h0)))
            img = self.image.resize((width, height), Image.Resampling.LANCZOS)
            if facing < 0:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            data = np.asarray(img, dtype=np.float32)
            found = (data[..., :3], data[..., 3] / np.float32(255))
            if len(self.cache) > 64:
                self.cache.clear()
            self.cache[key] = found
        return found


class Actors:
    """Draws a plan's subjects and characters into frames."""

    def __init__(
        self, plan: ScenePlan, stage: Stage, characters: Sequence[CharacterInput] = ()
    ) -> None:
        self.stage = stage
        by_name = {c.name: c for c in characters}
        self.subjects: list[SubjectPlan] = []
        self.sprites: dict[str, _Sprite] = {}
        for subject in sorted(plan.subjects, key=lambda s: -s.depth):  # far ones first
            if subject.kind == "character":
                found = by_name.get(subject.name or "")
                if found is None or found.image.ndim != 3 or found.image.shape[2] != 4:
                    continue
                self.sprites[subject.name or ""] = _Sprite(found.image)
            elif not has_shape(subject.kind):
                continue
            self.subjects.append(subject)

    def __bool__(self) -> bool:
        return bool(self.subjects)

    def draw(
        self, frame: Frame, t: float, view: View, *, wrap_x: WrapX, opacity: float = 1.0
    ) -> None:
        """Draw every actor as seen through `view` at `t` seconds."""
        for subject in self.subjects:
            spot = place(subject, self.stage, t)
            sx, sy = view.to_screen(
                np.asarray([spot.x], np.float32), np.asarray([spot.y], np.float32)
            )
            x = float(wrap_x(sx)[0])
            y = float(sy[0])
            size = spot.size * view.scale
            half = 0.5 * ASPECT.get(subject.kind, 1.0) * size + 2
            if x + half < 0 or x - half > self.stage.width or size < 1.0:
                continue
            fade = self.stage.fog_amount * subject.depth
            if subject.kind == "character":
                self._draw_character(frame, subject, x, y, size, spot, fade, opacity)
            else:
                self._draw_shape(frame, subject, x, y, size, spot, t, fade, opacity)

    def _light(self, rgb: RGB, fade: float) -> RGB:
        light, fog = self.stage.light, self.stage.fog
        return (
            rgb[0] * light[0] * (1 - fade) + fog[0] * fade,
            rgb[1] * light[1] * (1 - fade) + fog[1] * fade,
            rgb[2] * light[2] * (1 - fade) + fog[2] * fade,
        )

    def _shadow(self, frame: Frame, kind: str, x: float, y: float, size: float, o: float) -> None:
        if not self.stage.shadows or KINDS[kind].habitat != "ground":
            return
        width = 0.42 * ASPECT.get(kind, 1.0) * size
        shadow = Ellipse(x, y, width, max(1.0, 0.05 * size))
        draw(frame, shadow, (0.0, 0.0, 0.0), opacity=0.28 * o, feather=max(1.0, 0.04 * size))

    def _draw_shape(
        self,
        frame: Frame,
        subject: SubjectPlan,
        x: float,
        y: float,
        size: float,
        spot: Placement,
        t: float,
        fade: float,
        opacity: float,
    ) -> None:
        self._shadow(frame, subject.kind, x, y, size, opacity)
        tilt = 0.04 * math.sin(t * 1.3) if subject.kind == "boat" else 0.0
        bob = 0.025 * size * math.sin(t * 1.7) if subject.kind == "boat" else 0.0
        pose = Pose(x, y + bob, size, spot.facing, tilt)
        step = 2 * math.pi * spot.travelled / max(1.0, 0.9 * spot.size)
        color = NAMED_COLORS.get(subject.color, NAMED_COLORS["white"])
        for shape, rgb in parts(subject.kind, pose, color, step=step, t=t):
            draw(frame, shape, self._light(rgb, fade), opacity=opacity)

    def _draw_character(
        self,
        frame: Frame,
        subject: SubjectPlan,
        x: float,
        y: float,
        size: float,
        spot: Placement,
        fade: float,
        opacity: float,
    ) -> None:
        self._shadow(frame, "character", x, y, size, opacity)
        height = max(2, round(size))
        rgb, alpha = self.sprites[subject.name or ""].get(height, spot.facing)
        step = 2 * math.pi * spot.travelled / max(1.0, 0.9 * spot.size)
        bob = 0.02 * size * abs(math.sin(step))
        h, w = alpha.shape
        x0 = round(x - w / 2)
        y0 = round(y - bob - h)
        fx0, fy0 = max(0, x0), max(0, y0)
        fx1, fy1 = min(self.stage.width, x0 + w), min(self.stage.height, y0 + h)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        sub = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
        light = np.asarray(self.stage.light, np.float32)
        fog = np.asarray(self.stage.fog, np.float32)
        color = rgb[sub] * light * np.float32(1 - fade) + fog * np.float32(fade)
        a = alpha[sub][..., None] * np.float32(opacity)
        region = frame[fy0:fy1, fx0:fx1]
        mixed = region.astype(np.float32)
        mixed += (color - mixed) * a
        region[...] = np.clip(mixed + np.float32(0.5), 0, 255).astype(np.uint8)
