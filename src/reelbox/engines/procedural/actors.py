"""Actors: the plan's subjects and the user's characters, drawn where `motion.place` puts them.

Positions are world pixels on the layer of the subject's parallax; the camera maps them to the
screen each frame, so subjects stay put in the world while the camera moves, and sit at the
right depth among the scenery. Far subjects are smaller and fade into the air; colours take the
scene's light and grade, so a subject looks lit like the place it stands in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelbox.engines.base import CharacterInput, Frame
from reelbox.engines.procedural.camera import CameraState
from reelbox.engines.procedural.figures import Motion, Pose, has_figure, parts
from reelbox.engines.procedural.grade import Grade
from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.motion import Placement, Stage, place
from reelbox.engines.procedural.palette import NAMED_COLORS, RGB
from reelbox.engines.procedural.plan import ScenePlan, SubjectPlan
from reelbox.engines.procedural.sdf import Ellipse, draw

_OUTLINE: RGB = (25, 22, 28)


# Kinds that give their own light: the scene's light does not darken them.
_SELF_LIT = frozenset({"fireworks"})


@dataclass(frozen=True, kw_only=True)
class Look:
    """How subjects are coloured in this scene."""

    light: RGB = (1.0, 1.0, 1.0)  # multiplier
    fog: RGB = (200.0, 200.0, 200.0)  # what distant subjects fade toward
    fog_amount: float = 0.15  # fade of the most distant subject
    grade: Grade = field(default_factory=Grade)
    shadows: bool = True
    silhouette: bool = False  # backlit: subjects are dark shapes against the light
    outline: bool = False  # anime: a dark line around every part
    soft: bool = False  # watercolour: soft, slightly transparent edges


Speaking = dict[str, list[tuple[float, float]]]
"""Speaker (kind or character name) -> (start, end) times of their lines."""


class _Sprite:
    """A character cut-out, resized, mirrored and rotated on demand and kept for reuse."""

    def __init__(self, image: npt.NDArray[np.uint8]) -> None:
        self.image = Image.fromarray(np.ascontiguousarray(image))
        self.cache: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def get(self, height: int, facing: float, angle: float) -> tuple[np.ndarray, np.ndarray]:
        """(rgb, alpha) float32 arrays of the cut-out `height` pixels tall."""
        squash = max(0.08, abs(facing))
        key = (height, round(squash * 20), 1 if facing >= 0 else -1, round(math.degrees(angle) / 3))
        found = self.cache.get(key)
        if found is None:
            w0, h0 = self.image.size
            width = max(1, round(w0 * height / max(1, h0) * key[1] / 20))
            img = self.image.resize((width, height), Image.Resampling.LANCZOS)
            if facing < 0:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            if key[3]:
                img = img.rotate(-key[3] * 3, resample=Image.Resampling.BILINEAR, expand=True)
            data = np.asarray(img, dtype=np.float32)
            found = (data[..., :3], data[..., 3] / np.float32(255))
            if len(self.cache) > 96:
                self.cache.clear()
            self.cache[key] = found
        return found


class Actors:
    """Draws a plan's subjects and characters into frames."""

    def __init__(
        self,
        plan: ScenePlan,
        stage: Stage,
        look: Look,
        characters: Sequence[CharacterInput] = (),
        *,
        period: float = 0.0,
        speaking: Speaking | None = None,
    ) -> None:
        self.stage = stage
        self.look = look
        self.period = period  # the world repeats every `period` pixels (0: it does not)
        self.speaking = speaking or {}
        by_name = {c.name: c for c in characters}
        self.subjects: list[tuple[int, SubjectPlan]] = []
        self.sprites: dict[str, _Sprite] = {}
        for index, subject in enumerate(plan.subjects):
            if subject.kind == "character":
                found = by_name.get(subject.name or "")
                if found is None or found.image.ndim != 3 or found.image.shape[2] != 4:
                    continue
                self.sprites[subject.name or ""] = _Sprite(found.image)
            elif not has_figure(subject.kind):
                continue
            self.subjects.append((index, subject))
        self.colors = {
            index: NAMED_COLORS.get(s.color, NAMED_COLORS["white"]) for index, s in self.subjects
        }
        self.graded: dict[RGB, RGB] = {}

    def __bool__(self) -> bool:
        return bool(self.subjects)

    def draw(self, frame: Frame, t: float, state: CameraState, *, opacity: float = 1.0) -> None:
        """Draw every actor as the camera `state` sees it at scene time `t`."""
        placed = [(place(s, self.stage, t), i, s) for i, s in self.subjects]
        placed.sort(key=lambda item: item[0].parallax)  # far ones first
        height, width = frame.shape[:2]
        for spot, index, subject in placed:
            scale = state.scale(spot.parallax)
            sx, sy = state.to_screen(spot.x, spot.y, spot.parallax)
            if self.period:
                span = self.period * scale
                sx = (sx + span / 2 - width / 2) % span - span / 2 + width / 2
            size = spot.size * scale
            aspect = KINDS[subject.kind].aspect if subject.kind in KINDS else 0.6
            half = 0.6 * aspect * size + 4
            if sx + half < 0 or sx - half > width or sy - 1.6 * size > height or sy + size < 0:
                continue
            if size < 1.5:
                continue
            fade = self.look.fog_amount * subject.depth
            if self.look.shadows and spot.grounded:
                self._shadow(frame, sx, sy, size, aspect, opacity)
            if subject.kind == "character":
                self._draw_character(frame, subject, sx, sy, size, spot, fade, opacity)
            else:
                self._draw_figure(frame, index, subject, sx, sy, size, spot, t, fade, opacity)

    def _color(self, rgb: RGB, fade: float) -> RGB:
        light, fog = self.look.light, self.look.fog
        if self.look.silhouette:
            rgb = (rgb[0] * 0.22 + 20, rgb[1] * 0.2 + 14, rgb[2] * 0.2 + 10)
        return (
            rgb[0] * light[0] * (1 - fade) + fog[0] * fade,
            rgb[1] * light[1] * (1 - fade) + fog[1] * fade,
            rgb[2] * light[2] * (1 - fade) + fog[2] * fade,
        )

    def _shadow(
        self, frame: Frame, x: float, y: float, size: float, aspect: float, opacity: float
    ) -> None:
        shadow = Ellipse(x, y, 0.42 * aspect * size, max(1.0, 0.05 * size))
        draw(frame, shadow, (0.0, 0.0, 0.0), opacity=0.28 * opacity, feather=max(1.0, 0.04 * size))

    def _is_speaking(self, subject: SubjectPlan, t: float) -> bool:
        spans = self.speaking.get(subject.name or subject.kind)
        return bool(spans) and any(a <= t < b for a, b in spans or ())

    def _draw_figure(
        self,
        frame: Frame,
        index: int,
        subject: SubjectPlan,
        x: float,
        y: float,
        size: float,
        spot: Placement,
        t: float,
        fade: float,
        opacity: float,
    ) -> None:
        pose = Pose(x, y, size, spot.facing, spot.tilt)
        motion = Motion(
            subject.action,
            spot.step,
            t,
            variant=index * 7 + 3,
            speaking=self._is_speaking(subject, t),
        )
        base = self.colors[index]
        feather = 2.2 if self.look.soft else 1.0
        alpha = opacity * (0.88 if self.look.soft else 1.0)
        outline = max(1.0, 0.012 * size) if self.look.outline and size > 12 else 0.0
        figure = parts(subject.kind, pose, base, motion)
        if outline:
            for shape, _ in figure:
                draw(frame, shape, _OUTLINE, opacity=alpha, grow=outline)
        lit = subject.kind not in _SELF_LIT
        for shape, rgb in figure:
            color = self._color(self._grade(rgb), fade) if lit else self._grade(rgb)
            draw(frame, shape, color, opacity=alpha, feather=feather)

    def _grade(self, rgb: RGB) -> RGB:
        found = self.graded.get(rgb)
        if found is None:
            if len(self.graded) > 4096:
                self.graded.clear()
            found = self.graded[rgb] = self.look.grade.apply_rgb(rgb)
        return found

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
        height = max(2, round(size))
        angle = spot.tilt
        action = subject.action
        t = spot.step / (2 * math.pi * 0.8) if action not in ("walk", "run") else 0.0
        if action == "dance":
            angle += 0.14 * math.sin(2 * math.pi * 1.1 * t)
        elif action == "wave":
            angle += 0.08 * math.sin(2 * math.pi * 2.0 * t)
        elif action in ("fly", "swim"):
            angle = 0.25 * (1 if spot.facing > 0 else -1)
        rgb, alpha = self.sprites[subject.name or ""].get(height, spot.facing, angle)
        bob = 0.0
        if action in ("walk", "run"):
            bob = (0.02 if action == "walk" else 0.05) * size * abs(math.sin(spot.step))
        h, w = alpha.shape
        x0 = round(x - w / 2)
        y0 = round(y - bob - h + (h - height) / 2) if angle else round(y - bob - h)
        fx0, fy0 = max(0, x0), max(0, y0)
        fx1, fy1 = min(frame.shape[1], x0 + w), min(frame.shape[0], y0 + h)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        sub = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
        light = np.asarray(self.look.light, np.float32)
        fog = np.asarray(self.look.fog, np.float32)
        color = rgb[sub] * light * np.float32(1 - fade) + fog * np.float32(fade)
        a = alpha[sub][..., None] * np.float32(opacity)
        region = frame[fy0:fy1, fx0:fx1]
        mixed = region.astype(np.float32)
        mixed += (color - mixed) * a
        region[...] = np.clip(mixed + np.float32(0.5), 0, 255).astype(np.uint8)
