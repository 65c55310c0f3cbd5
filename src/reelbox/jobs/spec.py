"""`GenerationSpec`: the validated, normalised description of one generation request.

The HTTP layer builds it once at the edge; it is stored with the job (as JSON) and handed,
unchanged, to the engine. Engines trust it.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

RENDITION_LOW = "low"
"""In `GenerationSpec.options["renditions"]`: also store a half-size video."""


class Mode(enum.StrEnum):
    """What the generation starts from."""

    TEXT = "text"  # prompt only
    IMAGE = "image"  # prompt + reference image that becomes frame 0
    REMIX = "remix"  # prompt + a finished video whose structure is kept
    EDIT = "edit"  # prompt + a video transformed with its timing preserved
    EXTEND = "extend"  # prompt + a video continued; the engine makes the new segment only
    INPAINT = "inpaint"  # prompt + images and/or a video placed at frame indices (Azure Sora 1)


@dataclass(frozen=True, kw_only=True)
class CharacterRef:
    """A character placed in the scene: its id, name and the blob key of its RGBA cut-out."""

    id: str
    name: str
    image_key: str


@dataclass(frozen=True, kw_only=True)
class KeyframeRef:
    """An image the output must show at `frame_index` (already cropped and fitted to size)."""

    frame_index: int
    image_key: str


@dataclass(frozen=True, kw_only=True)
class GenerationSpec:
    """Everything an engine needs to know about one generation.

    `seconds` is the length the engine must produce. For `Mode.EXTEND` that is the new segment
    only; the job runner stitches it after the source video.
    Blob keys (`input_image_key`, `source_video_key`, `CharacterRef.image_key`) are resolved to
    decoded inputs by the job runner before the engine is called.
    """

    mode: Mode
    prompt: str
    width: int
    height: int
    seconds: float
    seed: int
    profile: str
    fps: int = 24
    variants: int = 1
    audio: bool = True
    input_image_key: str | None = None
    source_video_key: str | None = None
    source_plan: dict[str, Any] | None = None
    characters: tuple[CharacterRef, ...] = field(default_factory=tuple)
    keyframes: tuple[KeyframeRef, ...] = field(default_factory=tuple)
    source_frame_index: int = 0  # INPAINT: the output frame where the source video starts
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        """Frames of the generated segment: exactly `seconds * fps`, at least one."""
        return max(1, round(self.seconds * self.fps))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = self.mode.value
        data["characters"] = [asdict(c) for c in self.characters]
        data["keyframes"] = [asdict(k) for k in self.keyframes]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationSpec:
        values = dict(data)
        values["mode"] = Mode(values["mode"])
        values["characters"] = tuple(CharacterRef(**c) for c in values.get("characters", ()))
        values["keyframes"] = tuple(KeyframeRef(**k) for k in values.get("keyframes", ()))
        return cls(**values)
