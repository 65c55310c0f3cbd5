"""The media value types: a video frame and an audio track, as numpy arrays.

Engines produce them and the rest of `media` reads and writes them; they live here so that
`media` depends on nothing of Reelbox (`reelbox.engines.base` re-exports both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
"""One video frame: shape (height, width, 3), RGB, uint8."""


@dataclass(frozen=True, kw_only=True)
class AudioTrack:
    """Audio as float32 samples in [-1, 1], shape (channels, samples)."""

    sample_rate: int
    samples: npt.NDArray[np.float32]

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return float(self.samples.shape[1]) / self.sample_rate
