"""`ProceduralEngine`: the embedded CPU engine. It reads the prompt into a scene plan and paints
it with numpy and Pillow (no learned model is involved), producing frames lazily and a sound
track to match. Every mode of the API is served:

- text: the plan painted as a layered scene;
- image: the reference picture is frame 0, then the camera, light and weather animate it;
- remix: the source's plan kept (layout, camera path, subject paths) with the prompt's changes;
  a source without a plan of ours is transformed frame by frame instead;
- edit: the source's frames relit, regraded, restyled and re-weathered, timing preserved;
- extend: the source's own plan painted on from where it stopped (or, for other footage, its
  last frame brought to life), dissolving from the last frame so the seam does not show;
- inpaint: keyframes shown exactly at their indices, joined by camera moves and dissolves, and a
  conditioning video from its start index.

Sound is synthesized first (it says when people speak); frames are then painted by a
background thread a few frames ahead of the encoder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from reelbox.engines.base import (
    AudioTrack,
    CancelCheck,
    Capabilities,
    EngineError,
    Frame,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.engines.procedural.actors import Speaking
from reelbox.engines.procedural.footage import (
    ImageAnimator,
    crossfade,
    inpaint_frames,
    transform_frames,
)
from reelbox.engines.procedural.motion import Stage
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.planner import plan_scene, remix_plan
from reelbox.engines.procedural.prefetch import prefetch
from reelbox.engines.procedural.render import SceneRenderer
from reelbox.engines.procedural.scenery import horizon_fraction
from reelbox.engines.procedural.sound import (
    SAMPLE_RATE,
    Dialogue,
    estimate_speaking,
    prepare_dialogue,
    render_audio,
)
from reelbox.engines.procedural.vocabulary import TEMPO_FACTORS
from reelbox.engines.streaming import guarded_frames
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.timings import EngineTimings
from reelbox.media.speech import SpeechUnavailable

log = logging.getLogger(__name__)

SPEECH_WARNING = (
    "The dialogue was not spoken: speech synthesis is not available on this server. "
    "The video has its other sounds."
)
MAX_SIDE = 1920
MIN_SIDE = 16
MAX_SECONDS = 120.0
EXTEND_BLEND_SECONDS = 0.5  # extensions dissolve from the source's last frame over this long
PREFETCH_FRAMES = 3

_OPTIONS = frozenset({"fps", "prefetch"})
# Prompt aspects that change how an edited video should sound (others keep its soundtrack).
_SOUND_ASPECTS = frozenset({"sound", "weather", "setting", "mood", "style"})
# Plans of these modes describe a painted scene that can be painted on (extended, remixed).
_PAINTED_MODES = frozenset({"text", "remix"})


class ProceduralEngine:
    """Renders scenes described by prompts with procedural 2.5-D graphics and synthesized sound.

    Options: `fps` (frames per second it advertises, default 24) and `prefetch` (paint frames
    in a background thread ahead of the encoder, default true).
    """

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = dict(options or {})
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown procedural engine options: {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
        fps = options.get("fps", 24)
        if not isinstance(fps, int) or isinstance(fps, bool) or not 1 <= fps <= 120:
            raise ValueError(f"procedural engine option fps must be an integer 1..120, got {fps!r}")
        ahead = options.get("prefetch", True)
        if not isinstance(ahead, bool):
            raise ValueError(
                f"procedural engine option prefetch must be true or false, got {ahead!r}"
            )
        self.fps = fps
        self.prefetch = ahead

    def capabilities(self) -> Capabilities:
        return Capabilities(
            modes=frozenset(Mode),
            sizes=None,
            seconds=None,
            min_seconds=1.0,
            max_seconds=MAX_SECONDS,
            fps=self.fps,
            audio=True,
            max_pixels=MAX_SIDE * MAX_SIDE,
        )

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult:
        width, height, fps, count = spec.width, spec.height, spec.fps, spec.frame_count
        _check_size(width, height)
        if fps < 1:
            raise EngineError(f"fps must be positive, got {fps}")
        _check_inputs(spec, inputs)
        timings = EngineTimings()  # stages plan, sound and render; a step is a painted frame
        planning = time.time()
        plan, painted = self._plan(spec, inputs)
        seconds = count / fps
        offset = 0.0
        if painted and spec.mode is Mode.EXTEND and inputs.source_video is not None:
            offset = inputs.source_video.duration  # paint on from where the source stopped
        tempo = TEMPO_FACTORS[plan.camera.tempo]
        horizon = horizon_fraction(plan.setting, plan.camera.shot) * height
        stage = Stage(width=width, height=height, horizon=horizon)
        samples = round(count * SAMPLE_RATE / fps)
        sound = spec.audio and plan.audio
        dialogue = Dialogue()
        warnings: list[str] = []
        if sound and plan.sound.dialogue:
            try:
                dialogue = prepare_dialogue(
                    plan, samples=samples, stage=stage, time_offset=offset, tempo=tempo
                )
            except SpeechUnavailable as exc:
                # The picture and the sound bed are still worth having: say what is missing.
                log.warning("dialogue not spoken: %s", exc)
                warnings.append(SPEECH_WARNING)
        speaking = dialogue.speaking or estimate_speaking(plan, seconds=seconds, tempo=tempo)
        timings.add("plan", start=planning, end=time.time())
        # Start painting (the thread starts now and sets the scene up) before mixing the sound.
        frames_of = self._frames(
            spec, inputs, plan, painted=painted, offset=offset, speaking=speaking
        )

        def paint() -> Iterator[Frame]:
            return _timed(frames_of(), timings)

        frames = prefetch(paint, depth=PREFETCH_FRAMES) if self.prefetch else paint()
        audio: AudioTrack | None = None
        if sound:
            with timings.stage("sound"):
                audio = self._audio(spec, inputs, plan, samples, stage, dialogue, offset, tempo)
        result_plan = plan.to_json()
        result_plan["mode"] = spec.mode.value
        result_plan["painted"] = painted or spec.mode is Mode.TEXT
        if warnings:
            result_plan["warnings"] = warnings
        return GenerationResult(
            width=width,
            height=height,
            fps=fps,
            frame_count=count,
            frames=guarded_frames(
                frames, frame_count=count, on_progress=on_progress, should_cancel=should_cancel
            ),
            audio=audio,
            plan=result_plan,
            timings=timings,
        )

    # -- the plan ----------------------------------------------------------------------------

    @staticmethod
    def _plan(spec: GenerationSpec, inputs: GenerationInputs) -> tuple[ScenePlan, bool]:
        """The plan to render, and whether it continues a painted plan of the source."""
        names = [c.name for c in inputs.characters]
        fresh = plan_scene(spec.prompt, seed=spec.seed, characters=names)
        source = _source_plan(spec)
        if spec.mode in (Mode.REMIX, Mode.EXTEND, Mode.EDIT) and source is not None:
            plan = remix_plan(source, spec.prompt, seed=spec.seed, characters=names)
            painted = _painted(spec.source_plan or {})
            if spec.mode is Mode.EDIT:
                # Footage is graded only for what the edit prompt itself asks.
                return replace(plan, explicit=fresh.explicit), False
            if spec.mode is Mode.EXTEND and plan.time_change is not None:
                # The source ended at the later hour ('day turning to night'): carry on there.
                plan = replace(plan, time_of_day=plan.time_change, time_change=None)
            return plan, painted
        return fresh, spec.mode is Mode.TEXT

    # -- frames ------------------------------------------------------------------------------

    @staticmethod
    def _frames(
        spec: GenerationSpec,
        inputs: GenerationInputs,
        plan: ScenePlan,
        *,
        painted: bool,
        offset: float,
        speaking: Speaking,
    ) -> Callable[[], Iterator[Frame]]:
        """A function that sets the renderer up and yields the frames (run in the thread)."""
        width, height, fps, count = spec.width, spec.height, spec.fps, spec.frame_count
        characters = inputs.characters
        seconds = count / fps
        mode = spec.mode

        def scene() -> Iterator[Frame]:
            renderer = SceneRenderer(
                plan,
                width=width,
                height=height,
                fps=fps,
                duration=seconds,
                characters=characters,
                time_offset=offset,
                speaking=speaking,
            )
            if plan.time_change is None:
                yield from renderer.frames(count)
                return
            # 'day turning to night': the same scene at the later hour, dissolved in over the
            # middle of the clip.
            later = SceneRenderer(
                replace(plan, time_of_day=plan.time_change, time_change=None),
                width=width,
                height=height,
                fps=fps,
                duration=seconds,
                characters=characters,
                time_offset=offset,
                speaking=speaking,
            )
            yield from changing_light(renderer.frames(count), later.frames(count), count=count)

        def image() -> Iterator[Frame]:
            assert inputs.reference_image is not None
            animator = ImageAnimator(
                plan, inputs.reference_image, fps=fps, characters=characters, speaking=speaking
            )
            yield from animator.frames(count)

        def footage() -> Iterator[Frame]:
            from reelbox.media.decode import iter_frames

            assert inputs.source_video is not None
            source = iter_frames(inputs.source_video.path, width=width, height=height, limit=count)
            produced = 0
            for frame in transform_frames(
                plan,
                source,
                width=width,
                height=height,
                fps=fps,
                count=count,
                characters=characters,
                speaking=speaking,
            ):
                produced += 1
                yield frame
            if produced == 0:
                raise EngineError("the source video has no frames to transform")

        def extension() -> Iterator[Frame]:
            from reelbox.media.decode import last_frame

            assert inputs.source_video is not None
            seam = last_frame(inputs.source_video.path, width=width, height=height)
            if painted:
                # The source was painted from this plan: carry on painting where it stopped,
                # dissolving from its last decoded frame to hide encoding differences.
                renderer = SceneRenderer(
                    plan,
                    width=width,
                    height=height,
                    fps=fps,
                    duration=seconds,
                    characters=characters,
                    time_offset=offset,
                    speaking=speaking,
                )
                blend = max(1, min(count, round(EXTEND_BLEND_SECONDS * fps)))
                yield from crossfade(seam, renderer.frames(count), count=blend)
                return
            # Footage from elsewhere: keep filming it from its last frame. The first new frame
            # is one step after the seam, so the seam frame is not shown twice.
            animator = ImageAnimator(plan, seam, fps=fps, characters=characters, speaking=speaking)
            yield from animator.frames(count, start=1)

        def inpaint() -> Iterator[Frame]:
            video = None
            video_count = 0
            if inputs.source_video is not None:
                from reelbox.media.decode import iter_frames

                source = inputs.source_video
                video_count = max(1, round(source.duration * fps))
                video = _retimed(
                    iter_frames(source.path, width=width, height=height),
                    source_fps=source.fps,
                    fps=fps,
                    count=video_count,
                )
            in_range = [k for k in inputs.keyframes if 0 <= k.frame_index < count]
            if video is not None and spec.source_frame_index >= count:
                video = None  # it would start after the clip ends
            if not in_range and video is None:
                yield from scene()
                return
            yield from inpaint_frames(
                plan,
                inputs.keyframes,
                video,
                video_start=spec.source_frame_index,
                video_count=video_count,
                fps=fps,
                count=count,
            )

        if mode is Mode.IMAGE:
            return image
        if mode is Mode.EDIT:
            return footage
        if mode is Mode.EXTEND:
            return extension
        if mode is Mode.INPAINT:
            return inpaint
        if mode is Mode.REMIX and not painted and inputs.source_video is not None:
            return footage
        return scene

    # -- sound -------------------------------------------------------------------------------

    @staticmethod
    def _audio(
        spec: GenerationSpec,
        inputs: GenerationInputs,
        plan: ScenePlan,
        samples: int,
        stage: Stage,
        dialogue: Dialogue,
        offset: float,
        tempo: float,
    ) -> AudioTrack:
        source = inputs.source_video
        keep = (
            spec.mode is Mode.EDIT
            and source is not None
            and source.has_audio
            and not (_SOUND_ASPECTS & set(plan.explicit))
        )
        if keep and source is not None:
            # Only the picture changes: the video keeps its own soundtrack, timing preserved.
            from reelbox.media.audio import fit_duration, resample
            from reelbox.media.decode import read_audio

            track = read_audio(source.path)
            if track is not None:
                stereo = resample(track, sample_rate=SAMPLE_RATE, channels=2)
                return fit_duration(stereo, samples / SAMPLE_RATE)
        return render_audio(
            plan, samples=samples, stage=stage, dialogue=dialogue, time_offset=offset, tempo=tempo
        )


def changing_light(early: Iterator[Frame], late: Iterator[Frame], *, count: int) -> Iterator[Frame]:
    """Frames that go from `early` to `late` with an eased dissolve from 15 % to 85 % of the
    clip (integer arithmetic: 8-bit weights)."""
    import numpy as np

    for index, (a, b) in enumerate(zip(early, late, strict=True)):
        u = min(1.0, max(0.0, (index / max(1, count - 1) - 0.15) / 0.7))
        weight = round(256 * u * u * (3 - 2 * u))
        if weight <= 0:
            yield a
        elif weight >= 256:
            yield b
        else:
            mixed = a.astype(np.uint16) * (256 - weight) + b.astype(np.uint16) * weight
            yield (mixed >> 8).astype(np.uint8)


def _source_plan(spec: GenerationSpec) -> ScenePlan | None:
    if spec.source_plan is None:
        return None
    try:
        return ScenePlan.from_json(spec.source_plan)
    except ValueError:
        return None  # not one of ours (or damaged): start from the new prompt alone


def _painted(data: Mapping[str, Any]) -> bool:
    """Whether a stored plan describes a painted scene (one that can be painted on)."""
    painted = data.get("painted")
    if isinstance(painted, bool):
        return painted
    return str(data.get("mode", "text")) in _PAINTED_MODES


def _retimed(
    frames: Iterator[Frame], *, source_fps: float, fps: int, count: int
) -> Iterator[Frame]:
    """Exactly `count` frames at `fps`, each the source frame showing at that moment."""
    current: Frame | None = None
    shown = -1
    for i in range(count):
        wanted = int(i * source_fps / fps + 1e-6)
        while shown < wanted:
            nxt = next(frames, None)
            if nxt is None:
                break
            current, shown = nxt, shown + 1
        if current is None:
            return
        yield current


def _timed(frames: Iterator[Frame], timings: EngineTimings) -> Iterator[Frame]:
    """The frames, each one's painting recorded as a step of the `render` stage."""
    try:
        while True:
            start = time.time()
            frame = next(frames, None)
            end = time.time()
            if frame is None:
                return
            timings.add("render", start=start, end=end)
            timings.step(end - start)
            yield frame
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


def _check_inputs(spec: GenerationSpec, inputs: GenerationInputs) -> None:
    width, height = spec.width, spec.height
    if spec.mode is Mode.IMAGE:
        image = inputs.reference_image
        if image is None:
            raise EngineError("image mode needs a reference image")
        if image.shape != (height, width, 3):
            raise EngineError(
                f"the reference image is {image.shape[1]}x{image.shape[0]}, "
                f"expected exactly {width}x{height}"
            )
    if spec.mode in (Mode.EDIT, Mode.EXTEND) and inputs.source_video is None:
        raise EngineError(f"{spec.mode.value} mode needs a source video")
    for keyframe in inputs.keyframes:
        if keyframe.image.shape != (height, width, 3):
            raise EngineError(
                f"the keyframe at frame {keyframe.frame_index} is "
                f"{keyframe.image.shape[1]}x{keyframe.image.shape[0]}, "
                f"expected exactly {width}x{height}"
            )


def _check_size(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise EngineError(
            f"size {width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels per side"
        )
    if width % 2 or height % 2:
        raise EngineError(f"size {width}x{height} must have even width and height")
