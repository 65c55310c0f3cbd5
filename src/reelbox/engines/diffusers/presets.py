"""Family presets: each open video model's truths, as diffusers runs it.

A profile names a family (`family = "wan2.1-t2v"`) and a local copy of its weights; the preset
says everything else: which diffusers pipeline class serves each request mode, the resolutions
the model was trained at, its frame rate and frame-count rule, the published step and guidance
defaults, whether it makes its own sound, and how (if at all) it can continue from frames so
that longer clips are made in segments. Plain data: nothing here imports torch or diffusers.

Sources for the numbers are cited per family in docs/models.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reelbox.jobs.spec import Mode

Size = tuple[int, int]  # (width, height)


class Conditioning(enum.StrEnum):
    """How a pipeline call is told what to start from."""

    TEXT = "text"  # the prompt only
    FIRST_FRAME = "first_frame"  # an image becomes frame 0 (image-to-video pipelines)
    VIDEO = "video"  # a whole video is re-noised and denoised again (video-to-video, `strength`)
    VACE = "vace"  # Wan VACE: a control video, a mask of frames to make, reference images
    LTX_CONDITIONS = "ltx_conditions"  # LTX condition pipelines: frames placed at an index


@dataclass(frozen=True)
class PipelineUse:
    """A diffusers pipeline class (by name) and how its calls are conditioned."""

    pipeline: str
    conditioning: Conditioning


@dataclass(frozen=True)
class FrameRule:
    """Frame counts a family can make in one call: `step * k + 1` (the VAE's temporal stride)."""

    step: int

    def valid(self, frames: int) -> bool:
        return frames >= 1 and (frames - 1) % self.step == 0

    def at_least(self, frames: int) -> int:
        """The smallest valid count that is at least `frames`."""
        return max(0, -(-(frames - 1) // self.step)) * self.step + 1

    def at_most(self, frames: int) -> int:
        """The largest valid count that is at most `frames` (never below 1)."""
        return max(0, (frames - 1) // self.step) * self.step + 1

    def __str__(self) -> str:
        return f"{self.step}k+1"


@dataclass(frozen=True, kw_only=True)
class Family:
    """One model family's truths. See the module docstring."""

    name: str
    title: str
    weights: tuple[str, ...]  # the published diffusers-format checkpoints of this family
    pipeline: str  # the class the weights are loaded with; other uses share its components
    uses: Mapping[Mode, PipelineUse]
    resolutions: Mapping[str, tuple[Size, ...]]  # tier ("480p") → native sizes
    default_resolutions: tuple[str, ...]
    multiple: int  # width and height must be multiples of this (VAE stride x patch size)
    fps: int
    frame_rule: FrameRule
    max_frames: int  # the longest clip one call makes (the model's native length)
    steps: int
    guidance: float
    guidance_2: float | None = None  # Wan 2.2 A14B: the low-noise expert's guidance
    continuation: PipelineUse | None = None  # how a segment continues from earlier frames
    context_frames: int = 1  # frames of the previous segment a continuation is conditioned on
    audio: bool = False  # the pipeline makes its own synchronised sound track
    characters: bool = False  # character images can condition the scene (reference images)
    strength: float = 0.7  # video-to-video: how much of the source is re-imagined
    callback: bool = True  # the pipeline takes `callback_on_step_end`
    # model_index.json entries that tell this family's weights apart from a sibling's with the
    # same pipeline class: key → whether it must be set (a component present, a flag true).
    index_flags: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def modes(self) -> frozenset[Mode]:
        return frozenset(self.uses)

    @property
    def pipeline_classes(self) -> frozenset[str]:
        """Every pipeline class this family uses; weights saved by any of them are accepted."""
        classes = {self.pipeline, *(use.pipeline for use in self.uses.values())}
        if self.continuation is not None:
            classes.add(self.continuation.pipeline)
        return frozenset(classes)

    @property
    def segment_seconds(self) -> int:
        """Whole seconds one call can always make at the family's frame rate."""
        return self.max_frames // self.fps


def _uses(**pairs: PipelineUse) -> Mapping[Mode, PipelineUse]:
    return MappingProxyType({Mode(name.lower()): use for name, use in pairs.items()})


def _flags(**flags: bool) -> Mapping[str, bool]:
    return MappingProxyType(flags)


_WAN_480 = ((832, 480), (480, 832))
_WAN_720 = ((1280, 720), (720, 1280))

_WAN_T2V = PipelineUse("WanPipeline", Conditioning.TEXT)
_WAN_V2V = PipelineUse("WanVideoToVideoPipeline", Conditioning.VIDEO)
_WAN_I2V = PipelineUse("WanImageToVideoPipeline", Conditioning.FIRST_FRAME)
_WAN_VACE = PipelineUse("WanVACEPipeline", Conditioning.VACE)
_LTX_T2V = PipelineUse("LTXPipeline", Conditioning.TEXT)
_LTX_I2V = PipelineUse("LTXImageToVideoPipeline", Conditioning.FIRST_FRAME)
_LTX_COND = PipelineUse("LTXConditionPipeline", Conditioning.LTX_CONDITIONS)
_LTX2_T2V = PipelineUse("LTX2Pipeline", Conditioning.TEXT)
_LTX2_I2V = PipelineUse("LTX2ImageToVideoPipeline", Conditioning.FIRST_FRAME)
_LTX2_COND = PipelineUse("LTX2ConditionPipeline", Conditioning.LTX_CONDITIONS)
_HY15_T2V = PipelineUse("HunyuanVideo15Pipeline", Conditioning.TEXT)
_HY15_I2V = PipelineUse("HunyuanVideo15ImageToVideoPipeline", Conditioning.FIRST_FRAME)
_COG_T2V = PipelineUse("CogVideoXPipeline", Conditioning.TEXT)
_COG_V2V = PipelineUse("CogVideoXVideoToVideoPipeline", Conditioning.VIDEO)
_COG_I2V = PipelineUse("CogVideoXImageToVideoPipeline", Conditioning.FIRST_FRAME)

_WAN4 = FrameRule(4)
_LTX8 = FrameRule(8)

FAMILIES: Mapping[str, Family] = MappingProxyType(
    {
        family.name: family
        for family in (
            Family(
                name="wan2.1-t2v",
                title="Wan 2.1 text-to-video (1.3B, 14B)",
                weights=("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "Wan-AI/Wan2.1-T2V-14B-Diffusers"),
                pipeline="WanPipeline",
                uses=_uses(text=_WAN_T2V, remix=_WAN_V2V, edit=_WAN_V2V),
                resolutions={"480p": _WAN_480, "720p": _WAN_720},
                default_resolutions=("480p",),
                multiple=16,
                fps=16,
                frame_rule=_WAN4,
                max_frames=81,
                steps=50,
                guidance=5.0,
                index_flags=_flags(expand_timesteps=False, transformer_2=False),
            ),
            Family(
                name="wan2.1-i2v",
                title="Wan 2.1 image-to-video (14B 480P, 14B 720P)",
                weights=(
                    "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
                    "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers",
                ),
                pipeline="WanImageToVideoPipeline",
                uses=_uses(image=_WAN_I2V, extend=_WAN_I2V),
                continuation=_WAN_I2V,
                resolutions={"480p": _WAN_480, "720p": _WAN_720},
                default_resolutions=("480p",),
                multiple=16,
                fps=16,
                frame_rule=_WAN4,
                max_frames=81,
                steps=50,
                guidance=5.0,
                index_flags=_flags(image_encoder=True, transformer_2=False),
            ),
            Family(
                name="wan2.1-vace",
                title="Wan 2.1 VACE all-in-one video creation and editing (1.3B, 14B)",
                weights=("Wan-AI/Wan2.1-VACE-1.3B-diffusers", "Wan-AI/Wan2.1-VACE-14B-diffusers"),
                pipeline="WanVACEPipeline",
                uses=_uses(
                    text=_WAN_VACE,
                    image=_WAN_VACE,
                    remix=_WAN_VACE,
                    edit=_WAN_VACE,
                    extend=_WAN_VACE,
                    inpaint=_WAN_VACE,
                ),
                continuation=_WAN_VACE,
                context_frames=9,
                characters=True,
                resolutions={"480p": _WAN_480, "720p": _WAN_720},
                default_resolutions=("480p",),
                multiple=16,
                fps=16,
                frame_rule=_WAN4,
                max_frames=81,
                steps=50,
                guidance=5.0,
                index_flags=_flags(transformer_2=False),
            ),
            Family(
                name="wan2.2-ti2v-5b",
                title="Wan 2.2 text-and-image-to-video 5B (720p at 24 fps)",
                weights=("Wan-AI/Wan2.2-TI2V-5B-Diffusers",),
                pipeline="WanPipeline",
                uses=_uses(text=_WAN_T2V, image=_WAN_I2V, extend=_WAN_I2V),
                continuation=_WAN_I2V,
                resolutions={"720p": ((1280, 704), (704, 1280))},
                default_resolutions=("720p",),
                multiple=32,
                fps=24,
                frame_rule=_WAN4,
                max_frames=121,
                steps=50,
                guidance=5.0,
                index_flags=_flags(expand_timesteps=True),
            ),
            Family(
                name="wan2.2-t2v-a14b",
                title="Wan 2.2 text-to-video A14B (two-expert MoE)",
                weights=("Wan-AI/Wan2.2-T2V-A14B-Diffusers",),
                pipeline="WanPipeline",
                uses=_uses(text=_WAN_T2V),
                resolutions={"480p": _WAN_480, "720p": _WAN_720},
                default_resolutions=("480p", "720p"),
                multiple=16,
                fps=16,
                frame_rule=_WAN4,
                max_frames=81,
                steps=40,
                guidance=4.0,
                guidance_2=3.0,
                index_flags=_flags(transformer_2=True, expand_timesteps=False),
            ),
            Family(
                name="wan2.2-i2v-a14b",
                title="Wan 2.2 image-to-video A14B (two-expert MoE)",
                weights=("Wan-AI/Wan2.2-I2V-A14B-Diffusers",),
                pipeline="WanImageToVideoPipeline",
                uses=_uses(image=_WAN_I2V, extend=_WAN_I2V),
                continuation=_WAN_I2V,
                resolutions={"480p": _WAN_480, "720p": _WAN_720},
                default_resolutions=("480p", "720p"),
                multiple=16,
                fps=16,
                frame_rule=_WAN4,
                max_frames=81,
                steps=40,
                guidance=3.5,
                guidance_2=3.5,
                index_flags=_flags(transformer_2=True, image_encoder=False),
            ),
            Family(
                name="ltx-video",
                title="LTX-Video 0.9.x (2B, 13B): text, image and condition pipelines",
                weights=(
                    "Lightricks/LTX-Video",
                    "Lightricks/LTX-Video-0.9.5",
                    "Lightricks/LTX-Video-0.9.7-dev",
                ),
                pipeline="LTXPipeline",
                uses=_uses(
                    text=_LTX_T2V,
                    image=_LTX_I2V,
                    remix=_LTX_COND,
                    edit=_LTX_COND,
                    extend=_LTX_COND,
                    inpaint=_LTX_COND,
                ),
                continuation=_LTX_COND,
                context_frames=9,
                resolutions={"512p": ((768, 512), (512, 768)), "704p": ((1216, 704), (704, 1216))},
                default_resolutions=("512p",),
                multiple=32,
                fps=24,
                frame_rule=_LTX8,
                max_frames=161,
                steps=50,
                guidance=3.0,
            ),
            Family(
                name="ltx-2",
                title="LTX-2: video with synchronised audio",
                weights=("Lightricks/LTX-2",),
                pipeline="LTX2Pipeline",
                uses=_uses(
                    text=_LTX2_T2V,
                    image=_LTX2_I2V,
                    remix=_LTX2_COND,
                    edit=_LTX2_COND,
                    extend=_LTX2_COND,
                    inpaint=_LTX2_COND,
                ),
                continuation=_LTX2_COND,
                context_frames=9,
                audio=True,
                resolutions={"512p": ((768, 512), (512, 768)), "704p": ((1280, 704), (704, 1280))},
                default_resolutions=("512p",),
                multiple=32,
                fps=24,
                frame_rule=_LTX8,
                max_frames=121,
                steps=30,
                guidance=3.0,
            ),
            Family(
                name="hunyuanvideo1.5-t2v",
                title="HunyuanVideo 1.5 text-to-video (8.3B; 480p or 720p weights)",
                weights=(
                    "hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v",
                    "hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-720p_t2v",
                ),
                pipeline="HunyuanVideo15Pipeline",
                uses=_uses(text=_HY15_T2V),
                resolutions={
                    "480p": ((848, 480), (480, 848), (640, 640)),
                    "720p": ((1280, 720), (720, 1264), (960, 960)),
                },
                default_resolutions=("480p",),
                multiple=16,
                fps=24,
                frame_rule=_WAN4,
                max_frames=121,
                steps=50,
                guidance=6.0,
                callback=False,
            ),
            Family(
                name="hunyuanvideo1.5-i2v",
                title="HunyuanVideo 1.5 image-to-video (8.3B; 480p or 720p weights)",
                weights=(
                    "hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_i2v",
                    "hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-720p_i2v",
                ),
                pipeline="HunyuanVideo15ImageToVideoPipeline",
                uses=_uses(image=_HY15_I2V, extend=_HY15_I2V),
                continuation=_HY15_I2V,
                resolutions={
                    "480p": ((848, 480), (480, 848), (640, 640)),
                    "720p": ((1280, 720), (720, 1264), (960, 960)),
                },
                default_resolutions=("480p",),
                multiple=16,
                fps=24,
                frame_rule=_WAN4,
                max_frames=121,
                steps=50,
                guidance=6.0,
                callback=False,
            ),
            Family(
                name="cogvideox",
                title="CogVideoX text-to-video and video-to-video (2B, 5B)",
                weights=("THUDM/CogVideoX-2b", "THUDM/CogVideoX-5b"),
                pipeline="CogVideoXPipeline",
                uses=_uses(text=_COG_T2V, remix=_COG_V2V, edit=_COG_V2V),
                resolutions={"480p": ((720, 480),)},
                default_resolutions=("480p",),
                multiple=16,
                fps=8,
                frame_rule=_WAN4,
                max_frames=49,
                steps=50,
                guidance=6.0,
            ),
            Family(
                name="cogvideox-i2v",
                title="CogVideoX image-to-video (5B-I2V)",
                weights=("THUDM/CogVideoX-5b-I2V",),
                pipeline="CogVideoXImageToVideoPipeline",
                uses=_uses(image=_COG_I2V, extend=_COG_I2V),
                continuation=_COG_I2V,
                resolutions={"480p": ((720, 480),)},
                default_resolutions=("480p",),
                multiple=16,
                fps=8,
                frame_rule=_WAN4,
                max_frames=49,
                steps=50,
                guidance=6.0,
            ),
        )
    }
)


@dataclass(frozen=True, kw_only=True)
class AudioFamily:
    """A text-to-audio model that scores silent video families from the prompt."""

    name: str
    title: str
    weights: tuple[str, ...]
    pipeline: str
    length_argument: str  # the call's duration keyword
    max_seconds: float  # the longest clip one call makes
    steps: int
    guidance: float


AUDIO_FAMILIES: Mapping[str, AudioFamily] = MappingProxyType(
    {
        family.name: family
        for family in (
            AudioFamily(
                name="stable-audio-open",
                title="Stable Audio Open 1.0 (44.1 kHz stereo)",
                weights=("stabilityai/stable-audio-open-1.0",),
                pipeline="StableAudioPipeline",
                length_argument="audio_end_in_s",
                max_seconds=47.0,
                steps=100,
                guidance=7.0,
            ),
            AudioFamily(
                name="audioldm2",
                title="AudioLDM 2 (16 kHz mono)",
                weights=("cvssp/audioldm2", "cvssp/audioldm2-large", "cvssp/audioldm2-music"),
                pipeline="AudioLDM2Pipeline",
                length_argument="audio_length_in_s",
                max_seconds=30.0,
                steps=200,
                guidance=3.5,
            ),
        )
    }
)
