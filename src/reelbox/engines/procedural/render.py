"""Plan → frames of a painted scene, lazily: one frame is built only when the consumer asks.

Each frame is the layer stack as the camera sees it (sky, far and mid scenery, ground), then
glints on the water, the actors at their depths, the foreground layers, the weather, lightning
and the style's screen-space finish. Everything is a pure function of the plan and the frame
index, so output is deterministic and frames can be rendered in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from reelbox.engines.base import CharacterInput, Frame
from reelbox.engines.procedural.actors import Actors, Look, Speaking
from reelbox.engines.procedural.camera import CameraPath, CameraState
from reelbox.engines.procedural.grade import Grade, scene_grade
from reelbox.engines.procedural.layers import Compositor
from reelbox.engines.procedural.motion import Stage, place
from reelbox.engines.procedural.palette import DAYLIGHT, RGB, WEATHER_LOOKS
from reelbox.engines.procedural.particles import (
    Bubbles,
    Glints,
    Leaves,
    Lightning,
    Rain,
    Snow,
    lightning_strikes,
)
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.scenery import build_scenery, horizon_fraction
from reelbox.engines.procedural.style import Finisher, weave
from reelbox.engines.procedural.vocabulary import TEMPO_FACTORS

_SHELTERED = ("space", "underwater", "stage")


def weather_particles(
    plan: ScenePlan, *, width: int, height: int, grade: Grade
) -> list[Rain | Snow | Leaves]:
    """The falling or blowing particles the plan's weather and wind call for."""
    if plan.setting in _SHELTERED:
        return []
    light = min(1.0, sum(DAYLIGHT[plan.time_of_day].light) / 3 * WEATHER_LOOKS[plan.weather].light)
    out: list[Rain | Snow | Leaves] = []
    if plan.weather in ("rain", "storm"):
        level = 0.45 + 0.55 * light
        color = grade.apply_rgb((205 * level, 212 * level, 225 * level))
        out.append(
            Rain(
                width=width,
                height=height,
                seed=plan.layout_seed,
                color=color,
                wind=plan.wind,
                heavy=plan.weather == "storm",
            )
        )
    elif plan.weather == "snow":
        level = 0.7 + 0.3 * light
        color = grade.apply_rgb((250 * level, 251 * level, 255 * level))
        out.append(
            Snow(width=width, height=height, seed=plan.layout_seed, color=color, wind=plan.wind)
        )
    if plan.wind >= 0.5 and plan.weather not in ("snow",) and plan.setting != "room":
        dust = plan.setting in ("desert", "beach", "road")
        colors: list[RGB] = (
            [(210, 180, 130), (190, 160, 115)]
            if dust
            else [(200, 120, 40), (170, 60, 30), (220, 170, 50), (110, 130, 50)]
        )
        colors = [grade.apply_rgb((r * light, g * light, b * light)) for r, g, b in colors]
        out.append(
            Leaves(
                width=width,
                height=height,
                seed=plan.layout_seed,
                wind=plan.wind,
                colors=colors,
                dust=dust,
            )
        )
    return out


def _travelled(pace: float) -> Callable[[float], float]:
    """How far (world pixels) a subject moving at `pace` pixels per second has gone by `t`."""

    def distance(t: float) -> float:
        return pace * t

    return distance


class SceneRenderer:
    """Frames of a painted scene; frame `i` shows the moment `time_offset + i / fps`."""

    def __init__(
        self,
        plan: ScenePlan,
        *,
        width: int,
        height: int,
        fps: int,
        duration: float,
        characters: Sequence[CharacterInput] = (),
        time_offset: float = 0.0,
        speaking: Speaking | None = None,
    ) -> None:
        self.plan = plan
        self.fps = fps
        self.time_offset = time_offset
        self.tempo = TEMPO_FACTORS[plan.camera.tempo]
        horizon = horizon_fraction(plan.setting, plan.camera.shot) * height
        provisional = Stage(width=width, height=height, horizon=horizon)
        lead_fn: Callable[[float], float] | None = None
        lead_parallax = 0.9
        if plan.subjects:
            lead = plan.subjects[0]
            lead_parallax = place(lead, provisional, 0.0).parallax
            if lead.motion == "travel":
                lead_fn = _travelled(lead.direction * lead.speed * width)

        self.camera = CameraPath(
            plan.camera,
            width=width,
            height=height,
            horizon=horizon,
            seed=plan.layout_seed,
            lead=lead_fn,
            lead_parallax=lead_parallax,
        )
        grade = scene_grade(plan)
        scenery = build_scenery(
            plan,
            width=width,
            height=height,
            camera=self.camera,
            duration=duration,
            start=time_offset,
            tempo=self.tempo,
            grade=grade,
        )
        self.scenery = scenery
        self.compositor = Compositor(scenery.layers, width=width, height=height)
        self.stage = Stage(
            width=width,
            height=height,
            horizon=horizon,
            water=scenery.water,
            road=scenery.road,
            underwater=plan.setting == "underwater",
            space=plan.setting == "space",
        )
        look = Look(
            light=scenery.light,
            fog=scenery.fog,
            fog_amount=scenery.fog_amount,
            grade=grade,
            shadows=scenery.shadows,
            silhouette=plan.lighting == "backlit",
            outline=plan.style == "anime",
            soft=plan.style == "watercolor",
        )
        travels = plan.camera.move in ("pan_left", "pan_right", "tracking", "orbit")
        self.actors = Actors(
            plan,
            self.stage,
            look,
            characters,
            period=scenery.period if travels else 0.0,
            speaking=speaking,
        )
        self.weather = weather_particles(plan, width=width, height=height, grade=grade)
        self.bubbles = (
            Bubbles(width=width, height=height, seed=plan.layout_seed)
            if plan.setting == "underwater"
            else None
        )
        self.glints: Glints | None = None
        day = DAYLIGHT[plan.time_of_day]
        if scenery.water is not None and day.sun_pos[1] <= 1.0 and plan.setting != "skyline":
            self.glints = Glints(
                period=scenery.period,
                rows=scenery.water,
                seed=plan.layout_seed,
                color=grade.apply_rgb(day.sun),
                level=0.5 + 0.4 * WEATHER_LOOKS[plan.weather].sun_visible,
            )
        self.lightning: Lightning | None = None
        if plan.weather == "storm" and plan.setting not in _SHELTERED:
            strikes = lightning_strikes(plan.layout_seed, duration, offset=time_offset)
            self.lightning = Lightning(strikes, width=width, horizon=horizon, seed=plan.layout_seed)
        self.finisher = Finisher(plan, width=width, height=height)

    def state(self, index: int) -> tuple[CameraState, float]:
        t = self.time_offset + index / self.fps
        ts = t * self.tempo
        state = self.camera.state(t, ts)
        jiggle = weave(self.plan, index)
        if jiggle:
            state = replace(state, pitch=state.pitch + jiggle)
        return state, ts

    def frame(self, index: int) -> Frame:
        """Frame `index` of the clip (any order; each frame stands alone)."""
        state, ts = self.state(index)
        frame = np.array(self.compositor.background(state, ts), dtype=np.uint8)
        if self.glints is not None:
            self.glints.draw(frame, ts, offset=state.offset(1.0))
        if self.actors:
            self.actors.draw(frame, ts, state)
        frame = self.compositor.foreground(frame, state, ts)
        if self.bubbles is not None:
            self.bubbles.draw(frame, ts, shift=state.offset(1.2))
        clip = self._window(state)
        shift = state.offset(1.2)
        for particles in self.weather:
            if isinstance(particles, Leaves):
                particles.draw(frame, ts, shift=shift)
            elif self.plan.setting != "room" or clip is not None:
                particles.draw(frame, ts, clip=clip, shift=shift)
        if self.lightning is not None:
            frame = self.lightning.draw(frame, ts)
        if self.finisher:
            frame = self.finisher.apply(frame, index)
        return frame

    def frames(self, count: int, *, start: int = 0) -> Iterator[Frame]:
        """Frames `start .. start + count - 1`, built one at a time."""
        for index in range(start, start + count):
            yield self.frame(index)

    def _window(self, state: CameraState) -> tuple[float, float, float, float] | None:
        window = self.scenery.window
        if window is None:
            return None
        x0, y0, x1, y1, parallax = window
        a = state.to_screen(x0, y0, parallax)
        b = state.to_screen(x1, y1, parallax)
        return a[0], a[1], b[0], b[1]
