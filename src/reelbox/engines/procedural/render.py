"""Plan → frames, lazily: one frame is built only when the consumer asks for it.

Three kinds of picture come out of here:

- `SceneRenderer` paints a plan (text, remix and extend modes): the static backdrop is painted
  once, and each frame is a camera view of it plus moving actors and particles.
- `ImageAnimator` brings a still picture to life (image mode, and extensions of videos that
  have no plan): frame 0 is the picture itself, then a gentle camera move while the prompt's
  weather and light fade in.
- `regrade_frames` transforms a source video frame by frame (edit mode), keeping its timing.

Everything is a pure function of the plan and the frame index, so output is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from reelbox.engines.base import CharacterInput, Frame
from reelbox.engines.procedural.actors import Actors, Stage
from reelbox.engines.procedural.arrays import F32
from reelbox.engines.procedural.camera import Camera, View
from reelbox.engines.procedural.grade import Grade, apply_grades, grade_for
from reelbox.engines.procedural.palette import DAYLIGHT, WEATHER_LOOKS
from reelbox.engines.procedural.particles import Bubbles, Clip, Glints, Rain, Snow
from reelbox.engines.procedural.planner import ScenePlan
from reelbox.engines.procedural.scenery import build_backdrop

FADE_IN_SECONDS = 1.5  # image mode: how long the prompt's light and weather take to appear
SUPERSAMPLE_MAX_PIXELS = 1920 * 1080  # above this a zoom samples its backdrop bilinearly


def _brightness(plan: ScenePlan) -> float:
    light = DAYLIGHT[plan.time_of_day].light
    return min(1.0, sum(light) / 3 * WEATHER_LOOKS[plan.weather].light)


def _weather(plan: ScenePlan, width: int, height: int) -> Rain | Snow | None:
    if plan.setting in ("space", "underwater"):
        return None
    brightness = _brightness(plan)
    if plan.weather == "rain":
        return Rain(width=width, height=height, seed=plan.layout_seed, brightness=brightness)
    if plan.weather == "snow":
        return Snow(width=width, height=height, seed=plan.layout_seed, brightness=brightness)
    return None


class SceneRenderer:
    """Frames of a painted scene; frame `i` shows the moment `time_offset + i / fps`."""

    def __init__(
        self,
        plan: ScenePlan,
        *,
        width: int,
        height: int,
        fps: int,
        characters: Sequence[CharacterInput] = (),
        time_offset: float = 0.0,
    ) -> None:
        self.fps = fps
        self.time_offset = time_offset
        panning = plan.camera.move in ("pan_left", "pan_right")
        zooming = plan.camera.move in ("zoom_in", "zoom_out")
        # A pan needs scenery beyond the first view; the canvas wraps so it can pan forever.
        canvas_width = 2 * width if panning else width
        # A zoom magnifies the backdrop: paint it at twice the size (unless that is huge) so
        # it stays sharp and can be sampled cheaply.
        ss = 2 if zooming and width * height <= SUPERSAMPLE_MAX_PIXELS else 1
        backdrop = build_backdrop(
            plan, width=width * ss, height=height * ss, canvas_width=canvas_width * ss
        )
        self.backdrop = backdrop
        self.camera = Camera(
            backdrop.image,
            move=plan.camera.move,
            speed=plan.camera.speed,
            width=width,
            height=height,
            fps=fps,
            bounded=False,
            supersample=ss,
        )
        water = None if backdrop.water is None else (backdrop.water[0] / ss, backdrop.water[1] / ss)
        stage = Stage(
            width=width,
            height=height,
            horizon=backdrop.horizon / ss,
            water=water,
            light=backdrop.light,
            fog=backdrop.fog,
            fog_amount=backdrop.fog_amount,
            shadows=plan.setting != "space",
        )
        self.actors = Actors(plan, stage, characters)
        self.weather = _weather(plan, width, height)
        self.window: Clip | None = None
        if backdrop.window is not None:
            x0, y0, x1, y1 = backdrop.window
            self.window = (x0 / ss, y0 / ss, x1 / ss, y1 / ss)
        self.bubbles = (
            Bubbles(width=width, height=height, seed=plan.layout_seed)
            if plan.setting == "underwater"
            else None
        )
        self.glints: Glints | None = None
        day = DAYLIGHT[plan.time_of_day]
        if water is not None and day.sun_pos[1] <= 1.0:
            self.glints = Glints(
                canvas_width=canvas_width,
                rows=water,
                seed=plan.layout_seed,
                color=day.sun,
                level=0.5 + 0.4 * WEATHER_LOOKS[plan.weather].sun_visible,
            )
        self.grades = grade_for(plan, light=False)

    def frame(self, index: int) -> Frame:
        """Frame `index` of the clip (any order; each frame stands alone)."""
        t = self.time_offset + index / self.fps
        view = self.camera.view(t)
        frame = self.camera.render(view)
        if self.glints is not None:
            self.glints.draw(frame, t, to_screen=lambda x, y: _wrapped(self.camera, view, x, y))
        if self.actors:
            self.actors.draw(frame, t, view, wrap_x=self.camera.wrap_x)
        if self.bubbles is not None:
            self.bubbles.draw(frame, t)
        if self.weather is not None:
            self.weather.draw(frame, t, clip=self._window(view))
        if self.grades:
            frame = apply_grades(frame, self.grades)
        return frame

    def frames(self, count: int) -> Iterator[Frame]:
        """The first `count` frames, built one at a time."""
        for index in range(count):
            yield self.frame(index)

    def _window(self, view: View) -> Clip | None:
        if self.window is None:
            return None
        x0, y0, x1, y1 = self.window
        xs, ys = _wrapped(
            self.camera, view, np.asarray([x0, x1], np.float32), np.asarray([y0, y1], np.float32)
        )
        return float(xs[0]), float(ys[0]), float(xs[1]), float(ys[1])


def _wrapped(camera: Camera, view: View, x: F32, y: F32) -> tuple[F32, F32]:
    sx, sy = view.to_screen(x, y)
    return camera.wrap_x(sx), sy


class ImageAnimator:
    """A still picture brought to life: frame 0 is `image` exactly, then the camera drifts
    (the plan's move; a slow zoom in by default) while the prompt's light and weather fade in.
    """

    def __init__(
        self,
        plan: ScenePlan,
        image: Frame,
        *,
        fps: int,
        characters: Sequence[CharacterInput] = (),
        time_offset: float = 0.0,
    ) -> None:
        height, width = image.shape[:2]
        self.image = image
        self.fps = fps
        self.time_offset = time_offset
        move = plan.camera.move
        if "camera" not in plan.explicit:
            move = "zoom_in"
        self.camera = Camera(
            image,
            move=move,
            speed=plan.camera.speed,
            width=width,
            height=height,
            fps=fps,
            bounded=True,
        )
        self.grades: tuple[Grade, ...] = grade_for(plan, light=True)
        self.weather = _weather(plan, width, height) if "weather" in plan.explicit else None
        stage = Stage(
            width=width,
            height=height,
            horizon=0.62 * height,
            water=None,
            light=(1.0, 1.0, 1.0),
            fog=(200.0, 200.0, 200.0),
            fog_amount=0.1,
        )
        self.actors = Actors(plan, stage, characters)

    def frame(self, index: int) -> Frame:
        t = self.time_offset + index / self.fps
        view = self.camera.view(t)
        # At rest the camera shows the picture itself, bit for bit (no resampling).
        still = view == View(0.0, 0.0, 1.0)
        frame = self.image.copy() if still else self.camera.render(view)
        ramp = _smoothstep(t / FADE_IN_SECONDS)
        if ramp <= 0.0:
            return frame  # frame 0: nothing has faded in yet
        if self.actors:
            self.actors.draw(frame, t, view, wrap_x=self.camera.wrap_x, opacity=ramp)
        if self.grades:
            frame = apply_grades(frame, self.grades, strength=ramp)
        if self.weather is not None:
            self.weather.draw(frame, t, strength=ramp)
        return frame

    def frames(self, count: int, *, start: int = 0) -> Iterator[Frame]:
        for index in range(start, start + count):
            yield self.frame(index)


def regrade_frames(
    plan: ScenePlan,
    source: Iterable[Frame],
    *,
    width: int,
    height: int,
    fps: int,
    count: int,
    characters: Sequence[CharacterInput] = (),
) -> Iterator[Frame]:
    """Edit mode: each source frame re-coloured and re-weathered per the prompt.

    Exactly `count` frames come out; a short source holds its last frame.
    """
    grades = grade_for(plan, light=True)
    weather = _weather(plan, width, height) if "weather" in plan.explicit else None
    stage = Stage(
        width=width,
        height=height,
        horizon=0.62 * height,
        water=None,
        light=(1.0, 1.0, 1.0),
        fog=(200.0, 200.0, 200.0),
        fog_amount=0.1,
    )
    # Only subjects the edit prompt asks for are added over the footage.
    actors = Actors(plan, stage, characters) if "subjects" in plan.explicit or characters else None
    still = View(0.0, 0.0, 1.0)
    frames = iter(source)
    last: Frame | None = None
    for index in range(count):
        picture = next(frames, None)
        if picture is None:
            if last is None:
                return
            picture = last
        last = picture
        t = index / fps
        frame = np.ascontiguousarray(picture, dtype=np.uint8).copy()
        if actors:
            actors.draw(frame, t, still, wrap_x=_identity)
        if grades:
            frame = apply_grades(frame, grades)
        if weather is not None:
            weather.draw(frame, t)
        yield frame


def crossfade(first: Frame, frames: Iterator[Frame], *, count: int) -> Iterator[Frame]:
    """Blend from `first` into `frames` over the first `count` frames (an eased dissolve).

    The weight of the new picture starts just above zero, so the first frame out continues
    `first` almost exactly and the seam does not show.
    """
    base = first.astype(np.float32)
    for index, frame in enumerate(frames):
        if index >= count:
            yield frame
            continue
        w = np.float32(_smoothstep((index + 1) / (count + 1)))
        mixed = base * (1 - w) + frame.astype(np.float32) * w
        yield (mixed + np.float32(0.5)).astype(np.uint8)


def _identity(x: F32) -> F32:
    return x


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)
