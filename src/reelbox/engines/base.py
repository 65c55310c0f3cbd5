"""The engine seam.

An engine renders a `GenerationSpec` into a lazily produced stream of RGB frames plus an optional
audio track. Frames are pulled one at a time by the media encoder, so an engine never holds a
whole video in memory. Engines report progress through `on_progress` and stop cooperatively when
`should_cancel()` turns true by raising `GenerationCancelled`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from reelbox.jobs.spec import GenerationSpec, Mode
from reelbox.jobs.timings import EngineTimings
from reelbox.media.frames import AudioTrack, Frame

__all__ = [
    "AudioTrack",
    "CancelCheck",
    "Capabilities",
    "CharacterInput",
    "Engine",
    "EngineError",
    "EngineTimings",
    "Frame",
    "GenerationCancelled",
    "GenerationInputs",
    "GenerationResult",
    "Keyframe",
    "ProgressCallback",
    "SourceVideo",
]

ProgressCallback = Callable[[float], None]
"""Called with the fraction of the work done, 0.0 to 1.0."""

CancelCheck = Callable[[], bool]
"""Returns True once the job has been cancelled."""


class EngineError(Exception):
    """An engine could not produce the requested generation; the job fails with `engine_error`."""


class GenerationCancelled(Exception):
    """Raised by an engine when `should_cancel()` returned True."""


@dataclass(frozen=True, kw_only=True)
class SourceVideo:
    """A finished video that a remix, edit or extension starts from (a local MP4 file)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    has_audio: bool


@dataclass(frozen=True, kw_only=True)
class CharacterInput:
    """A character the scene must show: its name and an RGBA cut-out of it."""

    id: str
    name: str
    image: npt.NDArray[np.uint8]  # (h, w, 4) RGBA


@dataclass(frozen=True, kw_only=True)
class Keyframe:
    """An image the output must show at `frame_index`, exactly (spec.height, spec.width, 3)."""

    frame_index: int
    image: Frame


@dataclass(frozen=True, kw_only=True)
class GenerationInputs:
    """Decoded inputs, resolved from blob keys by the job runner.

    `reference_image` (IMAGE mode) is frame 0. `keyframes` (INPAINT mode) are images placed at
    output frame indices, sorted by index: with two, the video moves from the first to the
    second. `source_video` is the video a REMIX, EDIT or EXTEND starts from, or (INPAINT) a video
    that conditions the output from `spec.source_frame_index` on.
    """

    reference_image: Frame | None = None  # exactly (spec.height, spec.width, 3)
    source_video: SourceVideo | None = None
    characters: tuple[CharacterInput, ...] = ()
    keyframes: tuple[Keyframe, ...] = ()


@dataclass(kw_only=True)
class GenerationResult:
    """What an engine returns: frames still to be rendered, audio, and the plan it followed.

    `frames` must yield exactly `frame_count` frames of shape (height, width, 3).
    `audio`, when present, lasts `frame_count / fps` seconds.
    """

    width: int
    height: int
    fps: int
    frame_count: int
    frames: Iterator[Frame]
    audio: AudioTrack | None
    plan: dict[str, Any] = field(default_factory=dict)
    # The engine's own stages and steps, if it reports them (filled while `frames` is taken).
    timings: EngineTimings | None = None


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a profile can serve; shown by `GET /v1/models` and enforced at create time."""

    modes: frozenset[Mode]
    sizes: tuple[tuple[int, int], ...] | None  # None: any size within max_pixels
    seconds: tuple[float, ...] | None  # None: anything from min_seconds to max_seconds
    min_seconds: float = 1.0
    max_seconds: float = 20.0
    fps: int = 24
    audio: bool = True
    max_pixels: int = 1920 * 1920
    characters: bool = True  # character references can appear in the scene

    def to_json(self) -> dict[str, Any]:
        return {
            "modes": sorted(m.value for m in self.modes),
            "sizes": None if self.sizes is None else [f"{w}x{h}" for w, h in self.sizes],
            "seconds": None if self.seconds is None else [_num(s) for s in self.seconds],
            "min_seconds": _num(self.min_seconds),
            "max_seconds": _num(self.max_seconds),
            "fps": self.fps,
            "audio": self.audio,
            "characters": self.characters,
        }


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class Engine(Protocol):
    """A video generator. Built once per worker process; `generate` is called once per job."""

    def capabilities(self) -> Capabilities: ...

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult: ...
