"""Pictures this engine did not paint: a still brought to life, a video transformed, and
keyframes joined into a clip.

- `ImageAnimator`: frame 0 is the picture itself, bit for bit; then the camera moves over it
  (the ground near the bottom slides faster than the far top, a cheap planar parallax) while
  the prompt's light, weather, subjects and style fade in (image mode, and extensions of videos
  that have no plan).
- `transform_frames`: each frame of a source video relit, regraded, restyled and re-weathered,
  timing preserved (edit mode, and remixes of videos that have no plan).
- `inpaint_frames`: keyframes shown exactly at their frame indices and a conditioning video
  from its start index, joined by camera moves and dissolves (the Azure inpainting mode).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image, ImageFilter

from reelbox.engines.base import CharacterInput, Frame, Keyframe
from reelbox.engines.procedural.actors import Actors, Look, Speaking
from reelbox.engines.procedural.camera import CameraState
from reelbox.engines.procedural.grade import Grade, footage_grade
from reelbox.engines.procedural.motion import Stage
from reelbox.engines.procedural.particles import Leaves, Lightning, lightning_strikes
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.render import weather_particles
from reelbox.engines.procedural.style import Finisher

FADE_IN_SECONDS = 1.5  # image mode: how long the prompt's light and weather take to appear
ZOOM_RATE = 0.06  # per second: a still's slow push in eases toward ZOOM_RANGE
ZOOM_RANGE = 0.3
TRAVEL_RATE = 0.035  # frame widths per second a still is travelled across, at first
TRAVEL_LIMIT = 0.12  # ... easing toward this share of the frame
KEYFRAME_BLEND = 6  # frames a conditioning video dissolves into a keyframe inside it
_SHEAR_MOVES = ("pan_left", "pan_right", "tracking", "orbit", "crane_up", "crane_down")


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _still_state(width: int, height: int) -> CameraState:
    return CameraState(yaw=0, pitch=0, x=0, y=0, zoom=1, dolly=0, cx=width / 2, cy=height / 2)


class ImageAnimator:
    """A still picture brought to life; `frame(i)` shows the moment `i / fps`."""

    def __init__(
        self,
        plan: ScenePlan,
        image: Frame,
        *,
        fps: int,
        characters: Sequence[CharacterInput] = (),
        effects: bool = True,
        speaking: Speaking | None = None,
    ) -> None:
        self.height, self.width = image.shape[:2]
        self.image = image
        self.picture = Image.fromarray(image)
        self.fps = fps
        self.plan = plan
        camera = plan.camera
        self.move = camera.move if "camera" in plan.explicit else "zoom_in"
        self.speed = camera.speed
        self.handheld = camera.handheld
        self.effects = effects
        self._backfills: dict[int, Image.Image] = {}
        self._graded: Image.Image | None = None  # the picture fully graded, once faded in
        self.grade: Grade = footage_grade(plan) if effects else Grade()
        w, h = self.width, self.height
        self.weather = (
            weather_particles(plan, width=w, height=h, grade=self.grade)
            if (effects and "weather" in plan.explicit)
            else []
        )
        self.lightning: Lightning | None = None
        if effects and plan.weather == "storm" and "weather" in plan.explicit:
            strikes = lightning_strikes(plan.layout_seed, 600.0)
            self.lightning = Lightning(strikes, width=w, horizon=0.4 * h, seed=plan.layout_seed)
        stage = Stage(width=w, height=h, horizon=0.62 * h)
        wanted = effects and ("subjects" in plan.explicit or bool(characters))
        self.actors = (
            Actors(plan, stage, Look(grade=self.grade), characters, speaking=speaking)
            if wanted
            else None
        )
        self.finisher = Finisher(plan, width=w, height=h) if effects else None

    # -- camera ------------------------------------------------------------------------------

    def _warped(self, t: float, picture: Image.Image | None = None) -> Frame:
        w, h = self.width, self.height
        source = self.picture if picture is None else picture
        k = self.speed
        move = self.move
        ease = 1 - math.exp(-ZOOM_RATE * k * t)
        shake_x = shake_y = 0.0
        if self.handheld:
            shake_x = 0.004 * w * (math.sin(2.1 * t) + 0.5 * math.sin(5.3 * t + 1))
            shake_y = 0.004 * w * (math.sin(1.7 * t + 2) + 0.5 * math.sin(4.1 * t))
        if move in ("zoom_out", "dolly_out"):
            return self._shrunk(source, 1 / (1 + 0.25 * ease), shake_x, shake_y)
        if move in _SHEAR_MOVES:
            lateral = move not in ("crane_up", "crane_down")
            side = w if lateral else h
            # Travel eases toward a limit, so a long clip never runs out of picture.
            travel = TRAVEL_LIMIT * side * (1 - math.exp(-TRAVEL_RATE * k * t / TRAVEL_LIMIT))
            sign = -1 if move in ("pan_left", "crane_down") else 1
            # The far top of the picture slides 60% as far as the near bottom: the ground's
            # parallax. The view is magnified just enough to keep every sample inside.
            zoom = 1 / (1 - 2.1 * travel / side) + 0.01 * min(1.0, t)
            a = 1 / zoom
            cx, cy = w / 2, h / 2
            if lateral:
                coeffs = (
                    a,
                    sign * 0.4 * travel / h,
                    cx * (1 - a) + sign * 0.6 * travel + shake_x,
                    0.0,
                    a,
                    cy * (1 - a) + shake_y,
                )
            else:
                coeffs = (
                    a,
                    0.0,
                    cx * (1 - a) + shake_x,
                    0.0,
                    a - sign * 0.4 * travel / h,
                    cy * (1 - a) - sign * 0.6 * travel + shake_y,
                )
            out = source.transform(
                (w, h), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
            )
            return np.array(out, dtype=np.uint8)
        zoom = 1.0
        dy = 0.0
        if move in ("zoom_in", "dolly_in"):
            zoom = 1 + ZOOM_RANGE * ease
        elif move in ("tilt_up", "tilt_down"):
            zoom = 1 + 0.15 * ease
            dy = (-1 if move == "tilt_up" else 1) * (h - h / zoom) / 2
        else:
            zoom = 1 + (0.02 * min(1.0, t) if self.handheld else 0.0)
        if zoom == 1.0 and not (shake_x or shake_y):
            return np.array(source, dtype=np.uint8)
        bw, bh = w / zoom, h / zoom
        x0 = (w - bw) / 2 + shake_x
        y0 = (h - bh) / 2 + dy + shake_y
        x0 = min(max(0.0, x0), w - bw)
        y0 = min(max(0.0, y0), h - bh)
        box = (x0, y0, x0 + bw, y0 + bh)
        return np.array(source.resize((w, h), Image.Resampling.BILINEAR, box=box))

    def _shrunk(self, source: Image.Image, scale: float, shake_x: float, shake_y: float) -> Frame:
        """The whole picture made smaller, centred over a soft blurred enlargement of itself."""
        w, h = self.width, self.height
        backfill = self._backfills.get(id(source))
        if backfill is None:
            small = source.reduce(8).filter(ImageFilter.GaussianBlur(3))
            backfill = self._backfills[id(source)] = small.resize((w, h), Image.Resampling.BILINEAR)
        if scale >= 0.9995:
            return np.array(source, dtype=np.uint8)
        frame = backfill.copy()
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        picture = source.resize((sw, sh), Image.Resampling.BILINEAR)
        frame.paste(picture, ((w - sw) // 2 + round(shake_x), (h - sh) // 2 + round(shake_y)))
        return np.array(frame, dtype=np.uint8)

    # -- frames ------------------------------------------------------------------------------

    def frame(self, index: int) -> Frame:
        t = index / self.fps
        if t <= 0:
            return self.image.copy()  # frame 0 is the picture itself, bit for bit
        if not self.effects:
            return self._warped(t)
        ramp = _smoothstep(t / FADE_IN_SECONDS)
        if ramp >= 1.0 and not self.grade.is_identity():
            # Grading is per pixel, so grading the picture once and then moving over it is
            # the same as grading every frame, and much cheaper.
            if self._graded is None:
                self._graded = Image.fromarray(self.grade.apply_frame(self.image))
            frame = self._warped(t, self._graded)
        else:
            frame = self._warped(t)
            if not self.grade.is_identity():
                frame = self.grade.scaled(ramp).apply_frame(frame)
        if self.actors:
            self.actors.draw(frame, t, _still_state(self.width, self.height), opacity=ramp)
        for particles in self.weather:
            if isinstance(particles, Leaves):
                particles.draw(frame, t)
            else:
                particles.draw(frame, t, strength=ramp)
        if self.lightning is not None:
            frame = self.lightning.draw(frame, t)
        if self.finisher:
            faded = self.finisher.apply(frame.copy(), index)
            if ramp < 1:
                mixed = frame.astype(np.float32) * (1 - ramp) + faded.astype(np.float32) * ramp
                return (mixed + 0.5).astype(np.uint8)
            return faded
        return frame

    def frames(self, count: int, *, start: int = 0) -> Iterator[Frame]:
        for index in range(start, start + count):
            yield self.frame(index)


def transform_frames(
    plan: ScenePlan,
    source: Iterable[Frame],
    *,
    width: int,
    height: int,
    fps: int,
    count: int,
    characters: Sequence[CharacterInput] = (),
    speaking: Speaking | None = None,
) -> Iterator[Frame]:
    """Edit mode: each source frame relit, regraded, restyled and re-weathered per the prompt.

    Exactly `count` frames come out; a short source holds its last frame.
    """
    grade = footage_grade(plan)
    weather = (
        weather_particles(plan, width=width, height=height, grade=grade)
        if ("weather" in plan.explicit)
        else []
    )
    lightning = None
    if plan.weather == "storm" and "weather" in plan.explicit:
        strikes = lightning_strikes(plan.layout_seed, count / fps)
        lightning = Lightning(strikes, width=width, horizon=0.4 * height, seed=plan.layout_seed)
    stage = Stage(width=width, height=height, horizon=0.62 * height)
    actors = None
    if "subjects" in plan.explicit or characters:
        actors = Actors(plan, stage, Look(grade=grade), characters, speaking=speaking)
    finisher = Finisher(plan, width=width, height=height)
    still = _still_state(width, height)
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
            actors.draw(frame, t, still)
        if not grade.is_identity():
            frame = grade.apply_frame(frame)
        for particles in weather:
            particles.draw(frame, t)
        if lightning is not None:
            frame = lightning.draw(frame, t)
        if finisher:
            frame = finisher.apply(frame, index)
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


def _blend(a: Frame, b: Frame, weight: float) -> Frame:
    if weight <= 0.0:
        return a
    if weight >= 1.0:
        return b
    mixed = a.astype(np.float32) * (1 - weight) + b.astype(np.float32) * weight
    return (mixed + 0.5).astype(np.uint8)


def inpaint_frames(
    plan: ScenePlan,
    keyframes: Sequence[Keyframe],
    video: Iterator[Frame] | None,
    *,
    video_start: int,
    video_count: int,
    fps: int,
    count: int,
) -> Iterator[Frame]:
    """Keyframes exactly at their indices, the video from `video_start` for `video_count`
    frames, and camera moves and dissolves between them.

    Before the first anchor the camera moves toward it; after the last one it moves on from it;
    between two anchors the picture travels from one and dissolves into the other, arriving
    exactly on it.
    """
    keys = {k.frame_index: k.image for k in keyframes if 0 <= k.frame_index < count}
    video_end = min(count, video_start + video_count) if video is not None else -1
    animators: dict[int, ImageAnimator] = {}
    last_video: Frame | None = None

    def animate(anchor_index: int, image: Frame, offset: int) -> Frame:
        animator = animators.get(anchor_index)
        if animator is None:
            if len(animators) > 4:
                animators.clear()
            animator = animators[anchor_index] = ImageAnimator(plan, image, fps=fps, effects=False)
        return animator.frame(abs(offset))

    def next_anchor(index: int) -> tuple[int, Frame] | None:
        later = [k for k in keys if k > index]
        candidates: list[tuple[int, Frame]] = [(k, keys[k]) for k in later]
        if video is not None and video_start > index and first_video is not None:
            candidates.append((video_start, first_video))
        return min(candidates, key=lambda c: c[0]) if candidates else None

    first_video: Frame | None = None
    if video is not None and video_start < count:
        first_video = next(video, None)
    pending_first = first_video
    previous: tuple[int, Frame] | None = None
    for index in range(count):
        if video is not None and video_start <= index < video_end:
            if pending_first is not None:
                picture = pending_first
                pending_first = None
            else:
                nxt = next(video, None)
                picture = (
                    nxt
                    if nxt is not None
                    else (
                        last_video if last_video is not None else np.zeros_like(keyframes[0].image)
                    )
                )
            last_video = picture
            frame = picture
            near = [k for k in keys if abs(k - index) <= KEYFRAME_BLEND]
            if near:
                k = min(near, key=lambda k: abs(k - index))
                frame = _blend(keys[k], picture, abs(k - index) / (KEYFRAME_BLEND + 1))
            previous = (index, picture)
            yield frame.copy()
            continue
        if index in keys:
            previous = (index, keys[index])
            yield keys[index].copy()
            continue
        upcoming = next_anchor(index)
        if previous is None and upcoming is None:
            return
        if previous is None and upcoming is not None:
            yield animate(upcoming[0], upcoming[1], upcoming[0] - index)
        elif upcoming is None and previous is not None:
            yield animate(previous[0], previous[1], index - previous[0])
        elif previous is not None and upcoming is not None:
            span = upcoming[0] - previous[0]
            weight = _smoothstep((index - previous[0]) / span)
            away = animate(previous[0], previous[1], index - previous[0])
            toward = animate(upcoming[0], upcoming[1], upcoming[0] - index)
            yield _blend(away, toward, weight)
