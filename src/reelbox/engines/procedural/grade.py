"""Colour grades: how lighting, style, time of day and weather re-colour a picture.

A grade is a 3x3 colour matrix with an offset (saturation, monochrome, sepia, channel mixing)
followed by a per-channel curve (gamma, contrast about mid-grey, gain, lift). The same grade
applies three ways, so every part of a frame agrees:

- `apply_array`: float arrays, when the static layers of a painted scene are baked (once);
- `apply_rgb`: single colours, for subjects and particles drawn every frame;
- `apply_frame`: whole uint8 frames through Pillow (a matrix conversion and a lookup table,
  a couple of milliseconds at 720p), for footage that was not painted by this engine.

Painted scenes bake their grade into the layers, so they pay nothing per frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from reelbox.engines.base import Frame
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.palette import RGB
from reelbox.engines.procedural.plan import ScenePlan

Matrix = tuple[float, float, float, float, float, float, float, float, float]
Triple = tuple[float, float, float]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
_LUMA = (0.299, 0.587, 0.114)
_LEVELS = np.arange(256, dtype=np.float32) / np.float32(255)


def saturation(amount: float) -> Matrix:
    """A matrix that scales saturation about luma (0 grey, 1 unchanged)."""
    s = amount
    r, g, b = _LUMA
    return (
        r + (1 - r) * s,
        g - g * s,
        b - b * s,
        r - r * s,
        g + (1 - g) * s,
        b - b * s,
        r - r * s,
        g - g * s,
        b + (1 - b) * s,
    )


def tinted_mono(tint: Triple) -> Matrix:
    """Luma, coloured by `tint` (sepia, cyanotype...)."""
    r, g, b = _LUMA
    return (
        r * tint[0],
        g * tint[0],
        b * tint[0],
        r * tint[1],
        g * tint[1],
        b * tint[1],
        r * tint[2],
        g * tint[2],
        b * tint[2],
    )


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    """a after b."""
    out = []
    for i in range(3):
        for j in range(3):
            out.append(sum(a[i * 3 + k] * b[k * 3 + j] for k in range(3)))
    return (out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7], out[8])


@dataclass(frozen=True, kw_only=True)
class Grade:
    matrix: Matrix = IDENTITY
    offset: Triple = (0.0, 0.0, 0.0)  # added after the matrix (0..1 units)
    gain: Triple = (1.0, 1.0, 1.0)
    lift: Triple = (0.0, 0.0, 0.0)
    gamma: float = 1.0  # > 1 darkens the mid-tones
    contrast: float = 1.0  # > 1 spreads tones away from mid-grey

    def is_identity(self) -> bool:
        return self == Grade()

    def scaled(self, strength: float) -> Grade:
        """This grade at `strength` (0 none, 1 full), by interpolating its parameters."""
        s = min(1.0, max(0.0, strength))
        if s >= 1.0:
            return self
        m = tuple(i + (x - i) * s for x, i in zip(self.matrix, IDENTITY, strict=True))
        return Grade(
            matrix=(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]),
            offset=_lerp3((0.0, 0.0, 0.0), self.offset, s),
            gain=_lerp3((1.0, 1.0, 1.0), self.gain, s),
            lift=_lerp3((0.0, 0.0, 0.0), self.lift, s),
            gamma=1 + (self.gamma - 1) * s,
            contrast=1 + (self.contrast - 1) * s,
        )

    def curve(self, x: F32, channel: int) -> F32:
        """The per-channel tone curve on values in 0..1."""
        y = np.clip(x, 0, 1)
        if self.gamma != 1.0:
            y = y ** np.float32(self.gamma)
        if self.contrast != 1.0:
            y = (y - np.float32(0.5)) * np.float32(self.contrast) + np.float32(0.5)
        return f32(y * np.float32(self.gain[channel]) + np.float32(self.lift[channel]))

    def apply_array(self, rgb: F32) -> F32:
        """`rgb` (..., 3) in 0..255 graded; a new float32 array."""
        if self.is_identity():
            return f32(rgb.copy())
        if self.matrix != IDENTITY:
            # The 1/255 scale is folded into the matrix. (numpy's batched product over the
            # image's own shape is much faster here than one (n, 3) x (3, 3) product.)
            m = np.asarray(self.matrix, np.float32).reshape(3, 3) * np.float32(1 / 255)
            mixed = f32(rgb @ m.T)
        else:
            mixed = f32(rgb * np.float32(1 / 255))
        if self.offset != (0.0, 0.0, 0.0):
            mixed += np.asarray(self.offset, np.float32)
        for c in range(3):
            mixed[..., c] = self.curve(mixed[..., c], c)
        mixed *= np.float32(255)
        np.clip(mixed, 0, 255, out=mixed)
        return mixed

    def apply_rgb(self, rgb: RGB) -> RGB:
        out = self.apply_array(np.asarray(rgb, np.float32))
        return float(out[0]), float(out[1]), float(out[2])

    def apply_frame(self, frame: Frame) -> Frame:
        """`frame` graded through Pillow; a new frame."""
        if self.is_identity():
            return frame.copy()
        image = Image.fromarray(frame)
        if self.matrix != IDENTITY or self.offset != (0.0, 0.0, 0.0):
            m = self.matrix
            o = tuple(255 * v for v in self.offset)
            image = image.convert(
                "RGB", (m[0], m[1], m[2], o[0], m[3], m[4], m[5], o[1], m[6], m[7], m[8], o[2])
            )
        table: list[int] = []
        for c in range(3):
            values = np.clip(self.curve(_LEVELS, c) * 255 + 0.5, 0, 255).astype(np.uint8)
            table += values.tolist()
        return np.array(image.point(table), dtype=np.uint8)


def chain(grades: Sequence[Grade]) -> Grade:
    """One grade that approximates `grades` applied in order.

    Each grade's curve is taken as its gain and lift when folding it into the next grade's
    matrix, so a later monochrome matrix still takes every colour out ("noir" after a bluish
    rain grade is grey); gammas and contrasts multiply, close enough for the gentle ones used.
    """
    out = Grade()
    for g in grades:
        if g.is_identity():
            continue
        diagonal: Matrix = (out.gain[0], 0, 0, 0, out.gain[1], 0, 0, 0, out.gain[2])
        carried = _add3(_mul3(out.gain, out.offset), out.lift)
        out = Grade(
            matrix=_matmul(g.matrix, _matmul(diagonal, out.matrix)),
            offset=_add3(_apply(g.matrix, carried), g.offset),
            gain=g.gain,
            lift=g.lift,
            gamma=out.gamma * g.gamma,
            contrast=out.contrast * g.contrast,
        )
    return out


def _apply(m: Matrix, v: Triple) -> Triple:
    return (
        m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
        m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
        m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
    )


TIME_GRADES: dict[str, Grade] = {
    "dawn": Grade(gain=(1.02, 0.9, 0.92), lift=(0.03, 0.02, 0.03), matrix=saturation(0.9)),
    "morning": Grade(gain=(1.0, 1.0, 1.04), lift=(0.01, 0.01, 0.02)),
    "noon": Grade(gain=(1.05, 1.05, 1.05), gamma=0.95, matrix=saturation(1.05)),
    "golden hour": Grade(gain=(1.1, 0.97, 0.74), matrix=saturation(1.1)),
    "sunset": Grade(gain=(1.12, 0.84, 0.62), lift=(0.03, 0.0, 0.0), matrix=saturation(1.1)),
    "dusk": Grade(
        gain=(0.6, 0.55, 0.78), lift=(0.02, 0.0, 0.04), gamma=1.05, matrix=saturation(0.8)
    ),
    "night": Grade(
        gain=(0.33, 0.42, 0.64), lift=(0.0, 0.01, 0.04), gamma=1.15, matrix=saturation(0.6)
    ),
}

WEATHER_GRADES: dict[str, Grade] = {
    "clear": Grade(),
    "cloudy": Grade(gain=(0.88, 0.88, 0.9), matrix=saturation(0.85)),
    "rain": Grade(gain=(0.78, 0.8, 0.86), matrix=saturation(0.75), gamma=1.05),
    "snow": Grade(gain=(0.95, 0.97, 1.0), lift=(0.05, 0.06, 0.08), matrix=saturation(0.85)),
    "fog": Grade(gain=(0.65, 0.66, 0.68), lift=(0.28, 0.29, 0.3), matrix=saturation(0.6)),
    "storm": Grade(gain=(0.6, 0.63, 0.72), matrix=saturation(0.65), gamma=1.1, contrast=1.1),
}

LIGHTING_GRADES: dict[str, Grade] = {
    "natural": Grade(),
    "soft": Grade(contrast=0.85, lift=(0.035, 0.035, 0.04), matrix=saturation(0.92)),
    "dramatic": Grade(contrast=1.3, gamma=1.12, gain=(0.98, 0.95, 0.92), matrix=saturation(1.08)),
    "neon": Grade(matrix=saturation(1.35), gain=(1.05, 0.92, 1.12), contrast=1.1),
    "candlelight": Grade(gain=(1.1, 0.84, 0.6), gamma=1.12, lift=(0.02, 0.01, 0.0)),
    "backlit": Grade(contrast=1.12, lift=(0.04, 0.025, 0.0), gain=(1.04, 1.0, 0.92)),
}

STYLE_GRADES: dict[str, Grade] = {
    "none": Grade(),
    "cinematic": Grade(
        gain=(1.06, 1.0, 0.9), lift=(0.0, 0.025, 0.05), contrast=1.12, matrix=saturation(1.05)
    ),
    "anime": Grade(matrix=saturation(1.35), contrast=1.06, gamma=0.94),
    "watercolor": Grade(
        matrix=saturation(0.8), lift=(0.1, 0.09, 0.07), contrast=0.8, gain=(0.95, 0.94, 0.92)
    ),
    "noir": Grade(matrix=saturation(0.0), contrast=1.45, gamma=1.1),
    "pixel_art": Grade(matrix=saturation(1.25), contrast=1.05),
    "vintage": Grade(
        matrix=_matmul(tinted_mono((1.08, 0.95, 0.72)), IDENTITY),
        lift=(0.07, 0.055, 0.03),
        contrast=0.88,
        gain=(0.95, 0.93, 0.9),
    ),
    "vivid": Grade(matrix=saturation(1.45), gamma=0.97),
    "pastel": Grade(matrix=saturation(0.65), lift=(0.1, 0.09, 0.1), contrast=0.8),
}


def scene_grade(plan: ScenePlan) -> Grade:
    """The grade baked into a painted scene: its lighting, then its style.

    Time of day and weather are painted (sky colours, light on things), not graded.
    """
    return chain([LIGHTING_GRADES[plan.lighting], STYLE_GRADES[plan.style]])


def footage_grade(plan: ScenePlan) -> Grade:
    """The grade for footage this engine did not paint: the time of day and weather the prompt
    names explicitly, then lighting and style (the style last, so "noir" is monochrome
    whatever light came before it)."""
    grades = []
    if "time_of_day" in plan.explicit:
        grades.append(TIME_GRADES[plan.time_of_day])
    if "weather" in plan.explicit:
        grades.append(WEATHER_GRADES[plan.weather])
    grades.append(LIGHTING_GRADES[plan.lighting])
    grades.append(STYLE_GRADES[plan.style])
    return chain(grades)


def _lerp3(a: Triple, b: Triple, s: float) -> Triple:
    return a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s


def _mul3(a: Triple, b: Triple) -> Triple:
    return a[0] * b[0], a[1] * b[1], a[2] * b[2]


def _add3(a: Triple, b: Triple) -> Triple:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]
