"""The camera: where it is and where it looks at every moment, for every depth of the scene.

A 2.5-D camera has a few degrees of freedom, each a function of time:

- `yaw`, `pitch`: turning (a pan, a tilt, a handheld shake) slides every layer alike;
- `x`, `y`: travelling (tracking, orbiting, craning) slides a layer in proportion to its
  parallax (0 for the sky, 1 for the ground under the main subject, more for the foreground);
- `zoom` magnifies everything alike; `dolly` (moving forward) magnifies near layers more.

`CameraState.to_screen` maps a world point on a layer of parallax `p` to the screen; the
compositor, the actors and the particles all use it, so the whole layer stack moves together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reelbox.engines.procedural.plan import CameraPlan
from reelbox.engines.procedural.seeding import rng_for

PAN_RATE = 0.05  # frame widths per second at parallax 1
TRAVEL_RATE = 0.06  # frame widths per second (tracking without a subject, orbits)
TILT_RANGE = 0.24  # frame heights a tilt turns in the long run
CRANE_RANGE = 0.3  # frame heights a crane rises in the long run
DOLLY_RANGE = 0.5  # extra magnification of parallax-1 layers a dolly reaches in the long run
ZOOM_IN_RANGE = 0.35
ZOOM_OUT_RANGE = 0.25
EASE_RATE = 0.1  # per second: moves that approach a limit ease out exponentially
SHAKE = 0.005  # handheld shake amplitude, as a fraction of the frame width


@dataclass(frozen=True, slots=True)
class CameraState:
    """The camera at one moment."""

    yaw: float  # pixels: uniform horizontal slide (+: the view moves right)
    pitch: float  # pixels: uniform vertical slide (+: the view moves down)
    x: float  # pixels of sideways travel, applied times the parallax
    y: float  # pixels of vertical travel, applied times the parallax
    zoom: float  # uniform magnification (>= 1)
    dolly: float  # extra magnification per unit of parallax (>= 0)
    cx: float  # the centre of magnification on screen
    cy: float

    def offset(self, parallax: float) -> tuple[float, float]:
        """World offset of the view for a layer of `parallax`."""
        return self.yaw + self.x * parallax, self.pitch + self.y * parallax

    def scale(self, parallax: float) -> float:
        return self.zoom * (1.0 + self.dolly * parallax)

    def to_screen(self, wx: float, wy: float, parallax: float) -> tuple[float, float]:
        ox, oy = self.offset(parallax)
        s = self.scale(parallax)
        return (wx - ox - self.cx) * s + self.cx, (wy - oy - self.cy) * s + self.cy

    def visible(
        self, parallax: float, width: int, height: int
    ) -> tuple[float, float, float, float]:
        """The world rectangle (x0, y0, x1, y1) the frame shows of a layer of `parallax`."""
        ox, oy = self.offset(parallax)
        s = self.scale(parallax)
        return (
            ox + self.cx - self.cx / s,
            oy + self.cy - self.cy / s,
            ox + self.cx + (width - self.cx) / s,
            oy + self.cy + (height - self.cy) / s,
        )


class CameraPath:
    """The plan's camera move as a function of time.

    `lead` (for tracking shots) gives how far the main subject has travelled (world pixels at
    its parallax `lead_parallax`) at a scene time, so the camera can keep it in frame.
    """

    def __init__(
        self,
        plan: CameraPlan,
        *,
        width: int,
        height: int,
        horizon: float,
        seed: int,
        lead: Callable[[float], float] | None = None,
        lead_parallax: float = 1.0,
    ) -> None:
        self.plan = plan
        self.w, self.h = width, height
        self.horizon = horizon
        self.lead = lead
        self.lead_parallax = max(0.2, lead_parallax)
        rng = rng_for(seed, "camera:shake")
        self.shake = [
            (float(rng.uniform(0.3, 1.3)), float(rng.uniform(0, 2 * math.pi))) for _ in range(6)
        ]

    def state(self, t: float, scene_t: float | None = None) -> CameraState:
        """The camera at `t` seconds of the clip (`scene_t`: the scene's own clock)."""
        ts = t if scene_t is None else scene_t
        w, h, k = self.w, self.h, self.plan.speed
        move = self.plan.move
        yaw = pitch = x = y = dolly = 0.0
        zoom = 1.0
        cx, cy = w / 2, h / 2
        ease = 1 - math.exp(-EASE_RATE * 2.5 * k * t)
        if move in ("pan_left", "pan_right"):
            sign = 1 if move == "pan_right" else -1
            travel = sign * PAN_RATE * k * w * t
            # Mostly turning, with a little sideways travel so near things slide past faster.
            yaw, x = 0.55 * travel, 0.45 * travel
        elif move in ("tilt_up", "tilt_down"):
            pitch = (1 if move == "tilt_down" else -1) * TILT_RANGE * h * ease
        elif move in ("dolly_in", "dolly_out"):
            grow = 1 - math.exp(-EASE_RATE * k * t)
            dolly = DOLLY_RANGE * (grow if move == "dolly_in" else 1 - grow)
            cy = self.horizon + 0.25 * (h - self.horizon)
        elif move == "zoom_in":
            zoom = 1 + ZOOM_IN_RANGE * (1 - math.exp(-0.08 * k * t))
        elif move == "zoom_out":
            zoom = 1 + ZOOM_OUT_RANGE * math.exp(-0.08 * k * t)
        elif move == "tracking":
            if self.lead is not None:
                x = self.lead(ts) / self.lead_parallax
            else:
                x = TRAVEL_RATE * k * w * t
        elif move == "orbit":
            x = TRAVEL_RATE * 1.4 * k * w * t
            yaw = -x * self.lead_parallax  # the subject's plane stays put
        elif move in ("crane_up", "crane_down"):
            rise = ease if move == "crane_up" else 1 - ease
            y = -CRANE_RANGE * h * rise
            pitch = 0.05 * h * rise
        if self.plan.handheld:
            yaw += self._shake(t, 0) * SHAKE * w
            pitch += self._shake(t, 3) * SHAKE * w * 0.7
        return CameraState(yaw=yaw, pitch=pitch, x=x, y=y, zoom=zoom, dolly=dolly, cx=cx, cy=cy)

    def _shake(self, t: float, first: int) -> float:
        total = 0.0
        for i, (freq, phase) in enumerate(self.shake[first : first + 3]):
            total += math.sin(2 * math.pi * freq * (i + 1) * 0.6 * t + phase) / (i + 1)
        return total / 1.8

    def extents(
        self,
        parallax: float,
        duration: float,
        *,
        start: float = 0.0,
        tempo: float = 1.0,
        samples: int = 48,
    ) -> tuple[float, float, float, float]:
        """The world rectangle a layer of `parallax` shows at some moment from `start` for
        `duration` seconds."""
        x0 = y0 = math.inf
        x1 = y1 = -math.inf
        for i in range(samples + 1):
            t = start + duration * i / samples
            a, b, c, d = self.state(t, t * tempo).visible(parallax, self.w, self.h)
            x0, y0, x1, y1 = min(x0, a), min(y0, b), max(x1, c), max(y1, d)
        return x0, y0, x1, y1
