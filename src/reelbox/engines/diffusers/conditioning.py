"""What one pipeline call starts from, as that pipeline's keyword arguments.

Frames arrive already at the render size. `context` holds the frames a call continues from (the
reference image for an image-to-video request, the last frames of the previous segment or of
the video being extended); `source` is the stretch of video a remix or edit re-makes;
`references` are character images (RGBA cut-outs) for families that take reference images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelbox.engines.base import Frame
from reelbox.engines.diffusers.presets import Conditioning, PipelineUse, Size

GRAY = 128  # VACE's "to be generated" fill, as in the diffusers VACE example


@dataclass(frozen=True, kw_only=True)
class CallInputs:
    size: Size
    frames: int
    context: Sequence[Frame] = ()
    source: Sequence[Frame] = ()
    references: Sequence[npt.NDArray[np.uint8]] = ()
    strength: float = 0.7


def conditioning_arguments(use: PipelineUse, inputs: CallInputs) -> dict[str, Any]:
    """Keyword arguments that condition `use.pipeline` on `inputs` (beyond prompt and sizes)."""
    kind = use.conditioning
    if kind is Conditioning.TEXT:
        return {}
    if kind is Conditioning.FIRST_FRAME:
        if not inputs.context:
            raise ValueError(f"{use.pipeline} needs an image to start from")
        return {"image": _picture(inputs.context[-1])}
    if kind is Conditioning.VIDEO:
        if len(inputs.source) != inputs.frames:
            raise ValueError(f"{use.pipeline} needs {inputs.frames} source frames")
        return {"video": [_picture(f) for f in inputs.source], "strength": inputs.strength}
    if kind is Conditioning.VACE:
        return _vace(inputs)
    if kind is Conditioning.LTX_CONDITIONS:
        return _ltx_conditions(use, inputs)
    raise ValueError(f"unknown conditioning {kind}")


def _vace(inputs: CallInputs) -> dict[str, Any]:
    width, height = inputs.size
    arguments: dict[str, Any] = {}
    if inputs.source:
        # Remix and edit: the source is the control video and every frame is made anew.
        arguments["video"] = [_picture(f) for f in inputs.source]
        arguments["mask"] = [Image.new("L", (width, height), 255)] * inputs.frames
    elif inputs.context:
        # Image and continuation: the known frames lead, the rest is made (white in the mask).
        known = len(inputs.context)
        gray = Image.new("RGB", (width, height), (GRAY, GRAY, GRAY))
        arguments["video"] = [_picture(f) for f in inputs.context] + [gray] * (
            inputs.frames - known
        )
        arguments["mask"] = [Image.new("L", (width, height), 0)] * known + [
            Image.new("L", (width, height), 255)
        ] * (inputs.frames - known)
    if inputs.references:
        arguments["reference_images"] = [_on_white(r) for r in inputs.references]
    return arguments


def _ltx_conditions(use: PipelineUse, inputs: CallInputs) -> dict[str, Any]:
    # The remix source is conditioning with partial strength: 1 keeps it, 0 ignores it.
    frames, strength = inputs.context, 1.0
    if inputs.source:
        frames, strength = inputs.source, 1.0 - inputs.strength
    if not frames:
        raise ValueError(f"{use.pipeline} needs frames to condition on")
    pictures = [_picture(f) for f in frames]
    if use.pipeline.startswith("LTX2"):
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        media: Any = pictures[0] if len(pictures) == 1 else pictures
        return {"conditions": [LTX2VideoCondition(frames=media, index=0, strength=strength)]}
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    if len(pictures) == 1:
        condition = LTXVideoCondition(image=pictures[0], frame_index=0, strength=strength)
    else:
        condition = LTXVideoCondition(video=pictures, frame_index=0, strength=strength)
    return {"conditions": [condition]}


def _picture(frame: Frame) -> Image.Image:
    return Image.fromarray(frame)


def _on_white(rgba: npt.NDArray[np.uint8]) -> Image.Image:
    """A character cut-out over white, the way VACE's subject references are prepared."""
    cutout = Image.fromarray(rgba)
    canvas = Image.new("RGBA", cutout.size, (255, 255, 255, 255))
    canvas.alpha_composite(cutout)
    return canvas.convert("RGB")
