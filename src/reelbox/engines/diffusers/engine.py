"""`DiffusersEngine`: open video models (Wan, LTX-Video, LTX-2, HunyuanVideo 1.5, CogVideoX)
run through diffusers pipelines on the engine seam.

Building the engine only checks its options (the API process builds one per profile to ask its
capabilities); torch and diffusers are imported, and the weights loaded, on `warm_up()` (called
when a worker starts) or on the first `generate`. One pipeline is loaded per engine, and the
other pipeline classes of the family share its components.

A request becomes pipeline calls in four steps: its size picks the native resolution to render
at (sizing), its seconds become frame counts per call (segments), its mode picks the pipeline
and what each call is conditioned on (conditioning; for inpainting, the frames placed at indices:
anchors), and every frame made is resampled to the requested size on its way to the encoder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

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
from reelbox.engines.diffusers.anchors import (
    Run,
    anchor_frames,
    anchored_indices,
    call_anchors,
    call_runs,
)
from reelbox.engines.diffusers.audio import TextToAudio, to_track
from reelbox.engines.diffusers.conditioning import CallInputs, conditioning_arguments
from reelbox.engines.diffusers.options import ProfileOptions, parse_options
from reelbox.engines.diffusers.presets import Conditioning, PipelineUse, Size
from reelbox.engines.diffusers.progress import LOAD_UNITS, StepMonitor, decode_units
from reelbox.engines.diffusers.segments import Segment, TooLong, plan_chunks, plan_segments
from reelbox.engines.diffusers.sizing import fit_frame, render_size, served_sizes
from reelbox.engines.diffusers.sources import retimed_frames, tail_frames
from reelbox.engines.diffusers.weights import check_weights
from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.media import audio as audio_ops

_REMAKES = (Mode.REMIX, Mode.EDIT)


@dataclass(frozen=True, kw_only=True)
class _Plan:
    """How one request is made: the pipeline, the render size and the calls."""

    use: PipelineUse
    render: Size
    output: Size
    segments: tuple[Segment, ...]
    steps: int
    runs: tuple[tuple[Run, ...], ...] | None = None  # inpainting: each call's anchored frames

    def to_json(self) -> dict[str, Any]:
        calls: list[dict[str, Any]] = [
            {"frames": s.frames, "skip": s.skip, "keep": s.keep, "start": s.start}
            for s in self.segments
        ]
        for call, runs in zip(calls, self.runs or (), strict=False):
            call["anchors"] = [[run.index, run.length] for run in runs]
        return {
            "pipeline": self.use.pipeline,
            "render_size": f"{self.render[0]}x{self.render[1]}",
            "steps": self.steps,
            "calls": calls,
        }


class DiffusersEngine:
    """A profile of a diffusers video family; see `options.py` for its settings."""

    # Denoising ends before the first frame is yielded (the decode may go on chunk by chunk):
    # a worker may store this job's video while the next job denoises (executors/stages.py).
    computes_frames_first = True

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: ProfileOptions = parse_options(dict(options or {}))
        self._natives = self.options.resolutions
        self._sizes = served_sizes(self._natives, self.options.sizes)
        self._audio = TextToAudio(self.options.audio) if self.options.audio else None
        self._pipelines: dict[str, Any] = {}
        self._offloaded: Any = None  # the pipeline object model offload hooks belong to

    def capabilities(self) -> Capabilities:
        family = self.options.family
        return Capabilities(
            modes=family.modes,
            sizes=self._sizes,
            seconds=None,
            min_seconds=1.0,
            max_seconds=self.options.max_seconds,
            fps=family.fps,
            audio=family.audio or self._audio is not None,
            characters=family.characters,
        )

    def check_weights(self) -> None:
        """Refuse, before serving, weights that are missing or of another family (no torch)."""
        options = self.options
        check_weights(options.family, options.path, allow_download=options.allow_download)
        if self._audio is not None:
            self._audio.check_weights()

    @property
    def warm_at_start(self) -> bool:
        """Whether workers call `warm_up()` when they start (the profile's `warm`)."""
        return self.options.warm

    def warm_up(self) -> None:
        """Load the weights now (a worker calls this when it starts, unless `warm = false`)."""
        self._pipeline(self.options.family.pipeline)
        if self._audio is not None:
            self._audio.load()

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult:
        plan = self._plan(spec, inputs)
        family = self.options.family
        scorer = self._audio if spec.audio and not family.audio else None
        seconds = spec.frame_count / spec.fps
        load = 0.0 if family.pipeline in self._pipelines else LOAD_UNITS
        units = load + sum(self._call_units(plan, s) for s in plan.segments)
        if scorer is not None:
            units += scorer.units(seconds) + (0.0 if scorer.loaded else LOAD_UNITS)
        monitor = StepMonitor(
            total_units=units, on_progress=on_progress, should_cancel=should_cancel
        )
        # Weights load here, not in the frame stream, so a load failure fails the job at once.
        if load:
            with monitor.timings.stage("load"):
                self._pipeline(family.pipeline)
        monitor.advance(load)
        audio: AudioTrack | None = None
        if scorer is not None:
            if not scorer.loaded:
                with monitor.timings.stage("load"):
                    scorer.load()
                monitor.advance(LOAD_UNITS)
            monitor.check()
            planned = monitor.done + scorer.units(seconds)
            with monitor.timings.stage("sound"):
                audio = scorer.generate(
                    prompt=spec.prompt, seconds=seconds, seed=spec.seed, monitor=monitor
                )
            monitor.advance_to(planned)
        parts = self._render(spec, inputs, plan, monitor)
        if family.audio:
            # LTX-2 makes picture and sound together: the whole clip is made before encoding.
            frames: list[Frame] = []
            track: AudioTrack | None = None
            for kept, sound in parts:
                frames += kept
                if sound is not None:
                    track = sound if track is None else audio_ops.concat(track, sound)
            if track is not None and spec.audio:
                audio = audio_ops.fit_duration(track, spec.frame_count / spec.fps)
            stream: Iterator[Frame] = iter(frames)
        else:
            stream = (frame for kept, _ in parts for frame in kept)
        return GenerationResult(
            width=spec.width,
            height=spec.height,
            fps=spec.fps,
            frame_count=spec.frame_count,
            frames=stream,
            audio=audio,
            plan={
                "engine": "diffusers",
                "family": family.name,
                "mode": spec.mode.value,
                "seed": spec.seed,
                "guidance": self.options.guidance,
                **plan.to_json(),
            },
            timings=monitor.timings,
        )

    # -- planning -------------------------------------------------------------------------

    def _plan(self, spec: GenerationSpec, inputs: GenerationInputs) -> _Plan:
        """Check the request against the family (a safety net behind create-time checks)."""
        family, options = self.options.family, self.options
        use = family.uses.get(spec.mode)
        if use is None:
            modes = ", ".join(sorted(m.value for m in family.modes))
            raise EngineError(
                f"{family.name} cannot make {spec.mode.value} videos; it makes {modes}"
            )
        if spec.characters and not family.characters and spec.mode in (Mode.TEXT, Mode.IMAGE):
            raise EngineError(f"{family.name} cannot place characters in a video")
        try:
            render = render_size((spec.width, spec.height), self._natives)
        except ValueError as exc:
            raise EngineError(str(exc)) from None
        total = spec.frame_count
        if spec.mode in _REMAKES:
            segments = plan_chunks(total, rule=family.frame_rule, max_frames=family.max_frames)
        else:
            context = family.context_frames if family.continuation is not None else None
            try:
                segments = plan_segments(
                    total,
                    rule=family.frame_rule,
                    max_frames=family.max_frames,
                    context=context,
                    extends=spec.mode is Mode.EXTEND,
                )
            except TooLong:
                raise EngineError(
                    f"{family.name} makes at most {family.segment_seconds} s in one piece and "
                    f"cannot continue from frames; ask for at most {family.segment_seconds} s"
                ) from None
        runs = None
        if spec.mode is Mode.INPAINT:
            anchored = anchored_indices(spec, inputs)
            runs = tuple(call_runs(anchored, segment) for segment in segments)
        return _Plan(
            use=use,
            render=render,
            output=(spec.width, spec.height),
            segments=segments,
            steps=options.steps,
            runs=runs,
        )

    def _call_units(self, plan: _Plan, segment: Segment) -> float:
        steps = plan.steps
        if plan.use.conditioning is Conditioning.VIDEO:
            steps = max(1, int(steps * self.options.strength))
        return steps + decode_units(steps)

    # -- rendering ------------------------------------------------------------------------

    def _render(
        self, spec: GenerationSpec, inputs: GenerationInputs, plan: _Plan, monitor: StepMonitor
    ) -> Iterator[tuple[list[Frame], AudioTrack | None]]:
        """Each call's kept frames at the output size, and its sound (LTX-2), in order."""
        family = self.options.family
        context: list[Frame] = []
        if spec.mode is Mode.IMAGE:
            if inputs.reference_image is None:
                raise EngineError("an image-to-video request arrived without its image")
            context = [fit_frame(inputs.reference_image, plan.render)]
        elif spec.mode is Mode.EXTEND:
            if inputs.source_video is None:
                raise EngineError("an extension arrived without the video to extend")
            context = tail_frames(
                inputs.source_video, count=family.context_frames, size=plan.render
            )
        source: Iterator[Frame] | None = None
        if spec.mode in _REMAKES:
            if inputs.source_video is None:
                raise EngineError(f"a {spec.mode.value} request arrived without its source video")
            source = retimed_frames(
                inputs.source_video, fps=spec.fps, count=spec.frame_count, size=plan.render
            )
        references = [c.image for c in inputs.characters] if family.characters else []
        anchored = anchor_frames(spec, inputs, size=plan.render) if plan.runs else {}
        done = monitor.done
        for index, segment in enumerate(plan.segments):
            monitor.check()
            use = plan.use
            if index > 0 and segment.continues and family.continuation is not None:
                use = family.continuation
            stretch: list[Frame] = []
            if source is not None:
                stretch = [next(source) for _ in range(segment.keep)]
                stretch += [stretch[-1]] * (segment.frames - segment.keep)
            call = CallInputs(
                size=plan.render,
                frames=segment.frames,
                context=context if (segment.continues or spec.mode is Mode.IMAGE) else [],
                source=stretch,
                anchors=call_anchors(plan.runs[index], anchored) if plan.runs else (),
                references=references,
                strength=self.options.strength,
            )
            chunks, sound = self._call(spec, use, call, seed=spec.seed + index, monitor=monitor)
            # Frames come in chunks as the VAE decodes (decoding.py) or all at once; each chunk
            # goes on to the encoder before the next is decoded.
            wanted = segment.skip + segment.keep
            made = 0
            tail: list[Frame] = []  # the frames the next segment continues from
            for chunk in chunks:
                start, made = made, made + len(chunk)
                kept = chunk[max(0, segment.skip - start) : max(0, wanted - start)]
                tail = (tail + chunk[: max(0, wanted - start)])[-family.context_frames :]
                if kept:
                    yield [fit_frame(frame, plan.output) for frame in kept], None
            done += self._call_units(plan, segment)
            monitor.advance_to(done)
            if made < wanted:
                raise EngineError(f"{use.pipeline} made {made} frames, expected {segment.frames}")
            context = tail
            if sound is not None:
                sound = _audio_window(sound, spec.fps, skip=segment.skip, keep=segment.keep)
                yield [], sound

    def _call(
        self,
        spec: GenerationSpec,
        use: PipelineUse,
        call: CallInputs,
        *,
        seed: int,
        monitor: StepMonitor,
    ) -> tuple[Iterator[list[Frame]], AudioTrack | None]:
        """One pipeline call: its frames at the render size in chunks, and its sound if any.

        Where the family's VAE decodes in temporal chunks (decoding.py) the pipeline stops at
        its latents and each chunk is decoded as it is pulled; otherwise there is one chunk.
        """
        import torch

        from reelbox.engines.diffusers.decoding import decodes_in_chunks, leading_latents
        from reelbox.engines.diffusers.loading import call_parameters, place, recover_device

        options, family = self.options, self.options.family
        pipe = self._pipeline(use.pipeline)
        stride = getattr(pipe, "vae_temporal_compression_ratio", None)
        call = replace(call, stride=int(stride or family.frame_rule.step))
        if options.offload == "model" and self._offloaded is not pipe:
            place(pipe, options)
            self._offloaded = pipe
        accepted = call_parameters(pipe)
        width, height = call.size
        chunked = decodes_in_chunks(pipe, options)
        arguments: dict[str, Any] = {
            "prompt": spec.prompt,
            "num_inference_steps": options.steps,
            "generator": torch.Generator(device="cpu").manual_seed(seed),
            "output_type": "latent" if chunked else "np",
        }
        optional = {
            "negative_prompt": options.negative_prompt or None,
            "height": height,
            "width": width,
            "num_frames": call.frames,
            "guidance_scale": options.guidance,
            "guidance_scale_2": options.guidance_2,
            "frame_rate": spec.fps,
        }
        arguments.update({k: v for k, v in optional.items() if k in accepted and v is not None})
        if family.callback:
            arguments["callback_on_step_end"] = monitor.step_end
        try:
            arguments.update(conditioning_arguments(use, call))
            monitor.call_started()
            if family.callback:
                output = pipe(**arguments)
            else:
                with monitor.following_scheduler(pipe):
                    output = pipe(**arguments)
        except Exception as exc:
            # The engine's boundary: a pipeline error fails this job with a message, and the
            # device is cleaned up for the next one.
            recover_device(options.device)
            raise self._failure(exc, use, call) from exc
        monitor.call_ended()  # with latents out, the decode is timed chunk by chunk below
        if monitor.cancelled:
            monitor.check()
        if chunked:
            skip = leading_latents(pipe, arguments)
            return self._decoded(
                pipe, output.frames, skip=skip, use=use, call=call, monitor=monitor
            ), None
        frames = _uint8_frames(output.frames[0])
        sound = None
        if family.audio and getattr(output, "audio", None) is not None:
            sound = to_track(output.audio, int(pipe.vocoder.config.output_sampling_rate))
        return iter([frames]), sound

    def _decoded(
        self,
        pipe: Any,
        latents: Any,
        *,
        skip: int,
        use: PipelineUse,
        call: CallInputs,
        monitor: StepMonitor,
    ) -> Iterator[list[Frame]]:
        """A call's frames decoded chunk by chunk, each step of the decode shown as progress."""
        from reelbox.engines.diffusers.decoding import decoded_chunks
        from reelbox.engines.diffusers.loading import recover_device

        count = max(1, int(latents.shape[2]) - skip)
        share = decode_units(self.options.steps) / count
        with contextlib.closing(decoded_chunks(pipe, latents, skip=skip)) as chunks:
            while True:
                monitor.check()
                try:
                    with monitor.timings.stage("decode"):
                        chunk = next(chunks, None)
                except Exception as exc:  # the same boundary as the pipeline call's
                    recover_device(self.options.device)
                    raise self._failure(exc, use, call) from exc
                if chunk is None:
                    return
                monitor.advance(share)
                yield _uint8_frames(chunk)

    def _failure(self, exc: Exception, use: PipelineUse, call: CallInputs) -> EngineError:
        """The message a failed pipeline call (or decode) fails its job with."""
        from reelbox.engines.diffusers.loading import is_out_of_memory

        device = self.options.device
        if is_out_of_memory(exc):
            width, height = call.size
            return EngineError(
                f"out of memory on {device} making {width}x{height} x {call.frames} "
                "frames: set offload = 'model' (or 'group'), vae_tiling = true, a smaller "
                "resolution tier, or fewer seconds"
            )
        return EngineError(f"{use.pipeline} failed: {type(exc).__name__}: {exc}")

    def _pipeline(self, name: str) -> Any:
        """The loaded pipeline of class `name`, sharing the family pipeline's components."""
        found = self._pipelines.get(name)
        if found is not None:
            return found
        from reelbox.engines.diffusers.loading import derive_pipeline, load_pipeline

        base = self._pipelines.get(self.options.family.pipeline)
        if base is None:
            base = self._pipelines[self.options.family.pipeline] = load_pipeline(self.options)
        if name not in self._pipelines:
            self._pipelines[name] = derive_pipeline(name, base)
        return self._pipelines[name]


def _uint8_frames(video: Any) -> list[Frame]:
    """A pipeline's `np` output for one video, (frames, h, w, 3) floats in [0, 1], as frames."""
    array = np.asarray(video)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise EngineError(f"the pipeline returned frames of shape {array.shape}")
    return list(np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8))


def _audio_window(track: AudioTrack, fps: int, *, skip: int, keep: int) -> AudioTrack:
    """The sound under a call's kept frames (a continuation's first frames repeat earlier ones)."""
    start = round(skip / fps * track.sample_rate)
    length = round(keep / fps * track.sample_rate)
    samples = track.samples[:, start : start + length]
    return audio_ops.fit_duration(
        AudioTrack(sample_rate=track.sample_rate, samples=np.ascontiguousarray(samples)),
        keep / fps,
    )
