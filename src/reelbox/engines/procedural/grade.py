"""Colour grades: how a time of day, the weather or a style word re-colours a finished picture.

Used where the engine does not paint the light itself: over a reference image (image mode),
over a source video (edit mode) and for style words ("noir", "sepia") in any mode. A grade is
saturation, per-channel gain and lift, and a gamma; it is applied through per-channel lookup
tables (plus one float pass when saturation changes) so it stays cheap on big frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reelbox.engines.base import Frame
from reelbox.engines.procedural.planner import ScenePlan

_LUMA = np.asarray((0.299, 0.587, 0.114), dtype=np.float32)
_LEVELS = np.arange(256, dtype=np.float32) / 255
_CHANNELS = np.arange(3)


@dataclass(frozen=True, kw_only=True)
class Grade:
    saturation: float = 1.0
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    lift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gamma: float = 1.0  # > 1 darkens the mid-tones

    def then(self, other: Grade) -> Grade:
        """This grade followed by `other`, approximated as one grade."""
        return Grade(
            saturation=self.saturation * other.saturation,
            gain=_mul(self.gain, other.gain),
            lift=_add(_mul(self.lift, other.gain), other.lift),
            gamma=self.gamma * other.gamma,
        )

    def is_identity(self) -> bool:
        return self == Grade()


TIME_GRADES: dict[str, Grade] = {
    "dawn": Grade(gain=(1.02, 0.9, 0.92), lift=(0.03, 0.02, 0.03), saturation=0.9),
    "morning": Grade(gain=(1.0, 1.0, 1.04), lift=(0.01, 0.01, 0.02)),
    "noon": Grade(gain=(1.05, 1.05, 1.05), gamma=0.95, saturation=1.05),
    "golden hour": Grade(gain=(1.1, 0.97, 0.74), saturation=1.1),
    "sunset": Grade(gain=(1.12, 0.84, 0.62), lift=(0.03, 0.0, 0.0), saturation=1.1),
    "dusk": Grade(gain=(0.6, 0.55, 0.78), lift=(0.02, 0.0, 0.04), gamma=1.05, saturation=0.8),
    "night": Grade(gain=(0.33, 0.42, 0.64), lift=(0.0, 0.01, 0.04), gamma=1.15, saturation=0.6),
}

WEATHER_GRADES: dict[str, Grade] = {
    "clear": Grade(),
    "cloudy": Grade(gain=(0.88, 0.88, 0.9), saturation=0.85),
    "rain": Grade(gain=(0.78, 0.8, 0.86), saturation=0.75, gamma=1.05),
    "snow": Grade(gain=(0.95, 0.97, 1.0), lift=(0.05, 0.06, 0.08), saturation=0.85),
    "fog": Grade(gain=(0.65, 0.66, 0.68), lift=(0.28, 0.29, 0.3), saturation=0.6),
}

STYLE_GRADES: dict[str, Grade] = {
    "none": Grade(),
    "mono": Grade(saturation=0.0, gamma=1.1),
    "sepia": Grade(saturation=0.0, gain=(1.08, 0.9, 0.66), lift=(0.04, 0.03, 0.0)),
    "vivid": Grade(saturation=1.45, gamma=0.97),
    "faded": Grade(saturation=0.7, gain=(0.85, 0.85, 0.85), lift=(0.09, 0.08, 0.1)),
}


def grade_for(plan: ScenePlan, *, light: bool) -> tuple[Grade, ...]:
    """The grades a plan asks for, in order: with `light`, the time of day and weather it
    names explicitly (for footage that was not painted with them), then its style.

    The style comes last so that "noir" is monochrome whatever light came before it.
    """
    grades: list[Grade] = []
    if light:
        grade = Grade()
        if "time_of_day" in plan.explicit:
            grade = grade.then(TIME_GRADES[plan.time_of_day])
        if "weather" in plan.explicit:
            grade = grade.then(WEATHER_GRADES[plan.weather])
        grades.append(grade)
    grades.append(STYLE_GRADES[plan.grade])
    return tuple(g for g in grades if not g.is_identity())


def apply_grades(frame: Frame, grades: Sequence[Grade], *, strength: float = 1.0) -> Frame:
    """`frame` re-coloured by each of `grades` in turn; returns a new frame."""
    out = frame.copy() if not grades or strength <= 0.0 else frame
    for grade in grades:
        out = apply_grade(out, grade, strength=strength)
    return out


def apply_grade(frame: Frame, grade: Grade, *, strength: float = 1.0) -> Frame:
    """`frame` re-coloured by `grade` at `strength` (0 none, 1 full); returns a new frame."""
    if strength <= 0.0 or grade.is_identity():
        return frame.copy()
    s = float(min(strength, 1.0))
    saturation = 1 + (grade.saturation - 1) * s
    if abs(saturation - 1) > 1e-3:
        pixels = frame.astype(np.float32)
        luma = pixels @ _LUMA
        pixels -= luma[..., None]
        pixels *= np.float32(saturation)
        pixels += luma[..., None]
        np.clip(pixels, 0, 255, out=pixels)
        source = (pixels + np.float32(0.5)).astype(np.uint8)
    else:
        source = frame
    gamma = 1 + (grade.gamma - 1) * s
    tables = np.empty((3, 256), dtype=np.uint8)
    for c in range(3):
        gain = 1 + (grade.gain[c] - 1) * s
        curve = _LEVELS**gamma * gain + grade.lift[c] * s
        tables[c] = np.clip(curve * 255 + 0.5, 0, 255).astype(np.uint8)
    out: Frame = tables[_CHANNELS, source]
    return out


def _mul(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    return a[0] * b[0], a[1] * b[1], a[2] * b[2]


def _add(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]
