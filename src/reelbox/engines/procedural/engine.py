"""`ProceduralEngine`: the embedded CPU engine. It reads the prompt into a scene plan and paints
it with numpy (no learned model is involved), producing frames lazily and a matching sound bed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from reelbox.engines.base import (
    CancelCheck,
    Capabilities,
    CharacterInput,
    EngineError,
    Frame,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.engines.procedural.planner import ScenePlan, plan_scene, remix_plan
from reelbox.engines.procedural.render import (
    ImageAnimator,
    SceneRenderer,
    crossfade,
    regrade_frames,
)
from reelbox.engines.procedural.sound import SAMPLE_RATE, render_audio
from reelbox.engines.streaming import guarded_frames
from reelbox.jobs.spec import GenerationSpec, Mode

MAX_SIDE = 1920
MIN_SIDE = 16
MAX_SECONDS = 120.0
EXTEND_BLEND_SECONDS = 0.5  # extensions dissolve from the source's last frame over this long

_OPTIONS = frozenset({"fps"})


class ProceduralEngine:
    """Renders scenes described by prompts with procedural 2-D graphics and synthesized sound.

    Options: `fps` (frames per second it advertises, default 24).
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
        self.fps = fps

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
        plan, continued = self._plan(spec, inputs)
        frames = self._frames(spec, inputs, plan, continued=continued)
        audio = None
        if spec.audio and plan.audio:
            samples = round(count * SAMPLE_RATE / fps)
            audio = render_audio(plan, samples=samples)
        result_plan = plan.to_json()
        result_plan["mode"] = spec.mode.value
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
        )

    @staticmethod
    def _plan(spec: GenerationSpec, inputs: GenerationInputs) -> tuple[ScenePlan, bool]:
        """The plan to render, and whether it continues the source's plan."""
        names = [c.name for c in inputs.characters]
        if spec.mode in (Mode.REMIX, Mode.EXTEND) and spec.source_plan is not None:
            try:
                source = ScenePlan.from_json(spec.source_plan)
            except ValueError:
                source = None  # not one of ours: start from the new prompt alone
            if source is not None:
                plan = remix_plan(source, spec.prompt, seed=spec.seed, characters=names)
                return plan, True
        return plan_scene(spec.prompt, seed=spec.seed, characters=names), False

    @staticmethod
    def _frames(
        spec: GenerationSpec, inputs: GenerationInputs, plan: ScenePlan, *, continued: bool
    ) -> Iterator[Frame]:
        width, height, fps, count = spec.width, spec.height, spec.fps, spec.frame_count
        characters = inputs.characters
        if spec.mode is Mode.IMAGE:
            image = inputs.reference_image
            if image is None:
                raise EngineError("image mode needs a reference image")
            if image.shape != (height, width, 3):
                raise EngineError(
                    f"the reference image is {image.shape[1]}x{image.shape[0]}, "
                    f"expected exactly {width}x{height}"
                )
            return ImageAnimator(plan, image, fps=fps, characters=characters).frames(count)
        if spec.mode is Mode.EDIT:
            source = inputs.source_video
            if source is None:
                raise EngineError("edit mode needs a source video")
            return _edited(spec, plan, source.path, characters)
        if spec.mode is Mode.EXTEND:
            source = inputs.source_video
            if source is None:
                raise EngineError("extend mode needs a source video")
            return _extended(
                spec,
                plan,
                source.path,
                characters,
                continue_from=source.duration if continued else None,
            )
        renderer = SceneRenderer(plan, width=width, height=height, fps=fps, characters=characters)
        return renderer.frames(count)


def _edited(
    spec: GenerationSpec, plan: ScenePlan, path: Path, characters: Sequence[CharacterInput]
) -> Iterator[Frame]:
    # Imported here: the media package is only needed for modes that read videos.
    from reelbox.media.decode import iter_frames

    source = iter_frames(path, width=spec.width, height=spec.height, limit=spec.frame_count)
    produced = 0
    for frame in regrade_frames(
        plan,
        source,
        width=spec.width,
        height=spec.height,
        fps=spec.fps,
        count=spec.frame_count,
        characters=characters,
    ):
        produced += 1
        yield frame
    if produced == 0:
        raise EngineError("the source video has no frames to edit")


def _extended(
    spec: GenerationSpec,
    plan: ScenePlan,
    path: Path,
    characters: Sequence[CharacterInput],
    *,
    continue_from: float | None,
) -> Iterator[Frame]:
    from reelbox.media.decode import last_frame

    width, height, fps, count = spec.width, spec.height, spec.fps, spec.frame_count
    seam = last_frame(path, width=width, height=height)
    if continue_from is not None:
        # The source was painted from a plan: carry on painting it where it stopped, and
        # dissolve from the last decoded frame to hide encoding differences.
        renderer = SceneRenderer(
            plan,
            width=width,
            height=height,
            fps=fps,
            characters=characters,
            time_offset=continue_from,
        )
        blend = max(1, min(count, round(EXTEND_BLEND_SECONDS * fps)))
        yield from crossfade(seam, renderer.frames(count), count=blend)
        return
    # Footage from elsewhere: keep filming it from its last frame. The first new frame is one
    # step after the seam, so the seam frame is not shown twice.
    animator = ImageAnimator(plan, seam, fps=fps, characters=characters)
    yield from animator.frames(count, start=1)


def _check_size(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise EngineError(
            f"size {width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels per side"
        )
    if width % 2 or height % 2:
        raise EngineError(f"size {width}x{height} must have even width and height")
