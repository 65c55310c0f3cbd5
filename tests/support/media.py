"""Decoding produced media back, to check what users actually receive."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Mp4Facts:
    video_codec: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    fps: float
    duration: float
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    audio_duration: float | None


def probe_mp4(data: bytes | Path) -> Mp4Facts:
    """Decode every frame and audio packet, so a broken file cannot pass."""
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(source) as container:
        assert container.format.name.startswith("mov,mp4")
        video = container.streams.video[0]
        frames = 0
        last_time = 0.0
        for frame in container.decode(video=0):
            frames += 1
            last_time = float(frame.time or 0.0)
        fps = float(video.average_rate or video.guessed_rate or 0)
        audio_codec = sample_rate = channels = None
        audio_duration = None
        if container.streams.audio:
            container.seek(0)
            stream = container.streams.audio[0]
            audio_codec = stream.codec_context.name
            sample_rate = stream.codec_context.sample_rate
            channels = stream.codec_context.channels
            samples = sum(f.samples for f in container.decode(audio=0))
            audio_duration = samples / sample_rate
        return Mp4Facts(
            video_codec=video.codec_context.name,
            pix_fmt=video.codec_context.pix_fmt,
            width=video.codec_context.width,
            height=video.codec_context.height,
            frames=frames,
            fps=fps,
            duration=last_time + 1 / fps if fps else 0.0,
            audio_codec=audio_codec,
            sample_rate=sample_rate,
            channels=channels,
            audio_duration=audio_duration,
        )


def image_facts(data: bytes) -> tuple[str, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return str(image.format), image.width, image.height


def decode_frames(data: bytes) -> np.ndarray:  # type: ignore[type-arg]
    """Every frame of an MP4 as one (frames, height, width, 3) uint8 array."""
    with av.open(io.BytesIO(data)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def first_frame(data: bytes) -> np.ndarray:  # type: ignore[type-arg]
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")  # type: ignore[no-any-return]


def png_bytes(width: int, height: int, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
