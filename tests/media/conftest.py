"""Fixtures for the media tests: synthetic frames, tones and videos written with PyAV directly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from av.video.stream import VideoStream

from reelbox.engines.base import AudioTrack, Frame

FrameMaker = Callable[[int, int, int], Iterator[Frame]]
ToneMaker = Callable[..., AudioTrack]
VideoMaker = Callable[..., Path]


def gradient(width: int, height: int, index: int) -> Frame:
    """A colourful frame that changes with `index`, so frames can be told apart."""
    ys = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    xs = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[..., 0] = ((xs + index * 8) % 256).astype(np.uint8)
    frame[..., 1] = np.broadcast_to(ys, (height, width)).astype(np.uint8)
    frame[..., 2] = ((xs + ys) / 2).astype(np.uint8)
    return frame


def tone(
    seconds: float, *, sample_rate: int = 48000, channels: int = 2, hz: float = 440.0
) -> AudioTrack:
    """A sine tone at -10 dBFS-ish amplitude 0.3, the same on every channel."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave: npt.NDArray[np.float32] = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return AudioTrack(sample_rate=sample_rate, samples=np.tile(wave, (channels, 1)))


@pytest.fixture
def make_tone() -> ToneMaker:
    """`make_tone(seconds, sample_rate=..., channels=..., hz=...)`: a sine tone track."""
    return tone


@pytest.fixture
def frames() -> FrameMaker:
    """`frames(width, height, count)`: a generator of distinct gradient frames."""

    def make(width: int, height: int, count: int) -> Iterator[Frame]:
        return (gradient(width, height, i) for i in range(count))

    return make


@pytest.fixture
def make_video(tmp_path: Path) -> VideoMaker:
    """Write a small video with PyAV itself, in a container and codec of the test's choosing."""

    def make(
        name: str,
        *,
        container: str,
        codec: str = "libx264",
        width: int = 64,
        height: int = 48,
        fps: int = 24,
        count: int = 12,
        rotation: int = 0,
        options: dict[str, str] | None = None,
    ) -> Path:
        path = tmp_path / name
        with av.open(str(path), mode="w", format=container) as output:
            stream = output.add_stream(codec, rate=fps, options=options or {})
            assert isinstance(stream, VideoStream)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            if rotation:
                stream.set_display_rotation(rotation)
            for index in range(count):
                frame = av.VideoFrame.from_ndarray(gradient(width, height, index), format="rgb24")
                frame.pts = index
                output.mux(stream.encode(frame))
            output.mux(stream.encode(None))
        return path

    return make
