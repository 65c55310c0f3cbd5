"""What one pipeline call starts from, as that pipeline's keyword arguments.

Frames arrive already at the render size. `context` holds the frames a call continues from (the
reference image for an image-to-video request, the last frames of the previous segment or of
the video being extended); `source` is the stretch of video a remix or edit re-makes;
`anchors` are frames placed further into the call (inpainting); `references` are character
images (RGBA cut-outs) for families that take reference images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelbox.engines.base import Frame
from reelbox.engines.diffusers.anchors import Anchor
from reelbox.engines.diffusers.presets import Conditioning, FrameRule, PipelineUse, Size

GRAY = 128  # VACE's "to be generated" fill, as in the diffusers VACE example


@dataclass(frozen=True, kw_only=True)
class CallInputs:
    size: Size
    frames: int
    context: Sequence[Frame] = ()
    source: Sequence[Frame] = ()
    anchors: Sequence[Anchor] = ()
    references: Sequence[npt.NDArray[np.uint8]] = ()
    strength: float = 0.7
    stride: int = 1  # the VAE's temporal compression: LTX conditions are made of 1 + k·stride


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
    else:
        # Image, continuation and inpainting: the known frames (the context leading, anchors
        # further in) are kept (black in the mask), the rest is made (white, over gray).
        known = dict(enumerate(inputs.context))
        for anchor in inputs.anchors:
            known.update((anchor.index + i, frame) for i, frame in enumerate(anchor.frames))
        if known:
            gray = Image.new("RGB", (width, height), (GRAY, GRAY, GRAY))
            keep, make = Image.new("L", (width, height), 0), Image.new("L", (width, height), 255)
            indices = range(inputs.frames)
            arguments["video"] = [_picture(known[i]) if i in known else gray for i in indices]
            arguments["mask"] = [keep if i in known else make for i in indices]
    if inputs.references:
        arguments["reference_images"] = [_on_white(r) for r in inputs.references]
    return arguments


def _ltx_conditions(use: PipelineUse, inputs: CallInputs) -> dict[str, Any]:
    if inputs.source:
        # The remix source is conditioning with partial strength: 1 keeps it, 0 ignores it.
        placed, strength = [Anchor(index=0, frames=inputs.source)], 1.0 - inputs.strength
    else:
        placed = [Anchor(index=0, frames=inputs.context)] if inputs.context else []
        placed += inputs.anchors
        strength = 1.0
    # A condition of several frames must be 1 + k·stride long: longer runs are cut in pieces.
    rule = FrameRule(max(1, inputs.stride))
    pieces: list[tuple[int, list[Image.Image]]] = []
    for anchor in placed:
        done = 0
        while done < len(anchor.frames):
            length = rule.at_most(len(anchor.frames) - done)
            frames = anchor.frames[done : done + length]
            pieces.append((anchor.index + done, [_picture(f) for f in frames]))
            done += length
    if use.pipeline.startswith("LTX2"):
        return {"conditions": _ltx2_conditions(pieces, inputs, strength)}
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    conditions = [
        LTXVideoCondition(image=pictures[0], frame_index=index, strength=strength)
        if len(pictures) == 1
        else LTXVideoCondition(video=pictures, frame_index=index, strength=strength)
        for index, pictures in pieces
    ]
    return {"conditions": conditions} if conditions else {}


def _ltx2_conditions(
    pieces: Sequence[tuple[int, list[Image.Image]]], inputs: CallInputs, strength: float
) -> list[Any]:
    """LTX-2 places conditions on latent frames: frame 0, or 1 + (L - 1)·stride for L ≥ 1, so
    a piece moves to the nearest such frame (one per latent frame, the first piece wins)."""
    from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

    stride = max(1, inputs.stride)
    latent_frames = (inputs.frames - 1) // stride + 1
    conditions: dict[int, Any] = {}
    for index, pictures in pieces:
        nearest = int((index - 1) / stride + 0.5) + 1  # halves round up, not to even
        latent = 0 if index == 0 else min(latent_frames - 1, nearest)
        media: Any = pictures[0] if len(pictures) == 1 else pictures
        conditions.setdefault(
            latent, LTX2VideoCondition(frames=media, index=latent, strength=strength)
        )
    return list(conditions.values())


def _picture(frame: Frame) -> Image.Image:
    return Image.fromarray(frame)


def _on_white(rgba: npt.NDArray[np.uint8]) -> Image.Image:
    """A character cut-out over white, the way VACE's subject references are prepared."""
    cutout = Image.fromarray(rgba)
    canvas = Image.new("RGBA", cutout.size, (255, 255, 255, 255))
    canvas.alpha_composite(cutout)
    return canvas.convert("RGB")
