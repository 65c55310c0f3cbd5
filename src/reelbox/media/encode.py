"""Writing frames and an audio track into an H.264/AAC MP4."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc, VideoReformatter

from reelbox.media.audio import fit_duration, resample
from reelbox.media.frames import AudioTrack, Frame

AUDIO_SAMPLE_RATE = 48000
"""Sample rate of the AAC track in every MP4 this module writes."""

_AAC_FRAME_SIZE = 1024
_AAC_BIT_RATE = 192_000

# FFmpeg's AVColorSpace value for BT.709 (AVCOL_SPC_BT709). PyAV exposes only the swscale enum,
# whose ITU709 member happens to be 1 as well, so name the codec-side value explicitly.
_AVCOL_SPC_BT709 = 1


@dataclass(frozen=True, kw_only=True)
class EncodedVideo:
    """What `write_mp4` wrote, plus copies of the frames the caller asked to keep."""

    path: Path
    width: int
    height: int
    fps: int
    frame_count: int
    duration: float
    has_audio: bool
    kept: dict[int, Frame]


def write_mp4(
    path: Path,
    frames: Iterable[Frame],
    *,
    width: int,
    height: int,
    fps: int,
    frame_count: int,
    audio: AudioTrack | None,
    keep: Collection[int] = (),
    on_frame: Callable[[int], None] | None = None,
    preset: str = "veryfast",
    crf: int = 20,
) -> EncodedVideo:
    """Encode `frames` (RGB uint8, shape (height, width, 3)) and `audio` into an MP4 at `path`.

    Video is H.264 yuv420p (BT.709, limited range) at a constant `fps`, so the file lasts exactly
    `frame_count / fps` seconds. Audio, when given, is converted to 48 kHz stereo, padded or cut
    to that duration and encoded as AAC. The moov atom is placed first so players can start
    before the download finishes.

    Frames are pulled and encoded one at a time; only the indices in `keep` are copied and
    returned in `EncodedVideo.kept` (for thumbnails and sprite sheets). `on_frame(i)` is called
    after frame `i` went to the encoder.

    Raises ValueError for odd or non-positive dimensions, a frame of the wrong shape or dtype,
    or a number of frames other than `frame_count`. On any error the partial file is removed.
    """
    _check_settings(width=width, height=height, fps=fps, frame_count=frame_count, crf=crf)
    duration = frame_count / fps
    audio_samples = None if audio is None else _conform_audio(audio, duration)
    wanted = frozenset(keep)
    kept: dict[int, Frame] = {}

    container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        video = container.add_stream(
            "libx264", rate=fps, options={"preset": preset, "crf": str(crf)}
        )
        video.width = width
        video.height = height
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, fps)
        # Tag what the converter below produces. Untagged HD video is decoded as BT.601 by some
        # players and as BT.709 by others, which shifts colours visibly.
        video.codec_context.colorspace = _AVCOL_SPC_BT709
        video.codec_context.color_primaries = ColorPrimaries.BT709
        video.codec_context.color_trc = ColorTrc.BT709
        video.codec_context.color_range = ColorRange.MPEG
        feed = None if audio_samples is None else _AudioFeed(container, audio_samples)

        # One converter for the whole file, so swscale sets up its tables once.
        converter = VideoReformatter()
        count = 0
        for index, frame in enumerate(frames):
            if index >= frame_count:
                raise ValueError(f"frames yielded more than frame_count={frame_count} frames")
            _check_frame(frame, width=width, height=height, index=index)
            if index in wanted:
                kept[index] = frame.copy()
            # Wrap the engine's buffer without copying; the conversion below copies anyway.
            rgb = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(frame), format="rgb24")
            yuv = converter.reformat(
                rgb,
                format="yuv420p",
                dst_colorspace=Colorspace.ITU709,
                dst_color_range=ColorRange.MPEG,
            )
            yuv.pts = index
            container.mux(video.encode(yuv))
            if feed is not None:
                # Keep audio level with video so the muxer interleaves them in small chunks.
                feed.until((index + 1) * AUDIO_SAMPLE_RATE // fps)
            count += 1
            if on_frame is not None:
                on_frame(index)
        if count != frame_count:
            raise ValueError(f"frames yielded {count} frames, expected frame_count={frame_count}")
        container.mux(video.encode(None))
        if feed is not None:
            feed.finish()
    except BaseException:
        # Closing may fail again on a half-written file; the original error is the one to report.
        with contextlib.suppress(Exception):
            container.close()
        path.unlink(missing_ok=True)
        raise
    container.close()
    return EncodedVideo(
        path=path,
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        duration=duration,
        has_audio=audio_samples is not None,
        kept=kept,
    )


class _AudioFeed:
    """Hands a fixed stereo track to the AAC encoder in 1024-sample frames, on demand."""

    def __init__(self, container: OutputContainer, samples: npt.NDArray[np.float32]) -> None:
        self._container = container
        self._samples = samples
        self._position = 0
        self._stream: AudioStream = container.add_stream(
            "aac", rate=AUDIO_SAMPLE_RATE, layout="stereo"
        )
        self._stream.format = "fltp"
        self._stream.bit_rate = _AAC_BIT_RATE
        self._stream.time_base = Fraction(1, AUDIO_SAMPLE_RATE)

    def until(self, sample: int) -> None:
        """Encode every whole AAC frame that ends at or before `sample`."""
        total = self._samples.shape[1]
        limit = min(sample, total)
        while self._position < limit:
            end = self._position + _AAC_FRAME_SIZE
            # Only the track's very last frame may be short: AAC cannot take one mid-stream.
            if end > limit and limit < total:
                return
            self._encode(self._position, min(end, total))

    def finish(self) -> None:
        """Encode what is left and drain the encoder."""
        self.until(self._samples.shape[1])
        self._container.mux(self._stream.encode(None))

    def _encode(self, start: int, end: int) -> None:
        chunk = np.ascontiguousarray(self._samples[:, start:end])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.time_base = Fraction(1, AUDIO_SAMPLE_RATE)
        frame.pts = start
        self._container.mux(self._stream.encode(frame))
        self._position = end


def _conform_audio(track: AudioTrack, duration: float) -> npt.NDArray[np.float32]:
    stereo = resample(track, sample_rate=AUDIO_SAMPLE_RATE, channels=2)
    fitted = fit_duration(stereo, duration).samples
    # The encoder expects [-1, 1]; engines are trusted, but a stray overshoot should clip here
    # rather than wrap or distort inside the encoder.
    return np.clip(fitted, -1.0, 1.0).astype(np.float32, copy=False)


def _check_settings(*, width: int, height: int, fps: int, frame_count: int, crf: int) -> None:
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"width and height must be positive and even, got {width}x{height}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if frame_count <= 0:
        raise ValueError(f"frame_count must be positive, got {frame_count}")
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be between 0 and 51, got {crf}")


def _check_frame(frame: Frame, *, width: int, height: int, index: int) -> None:
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame {index} is a {type(frame).__name__}, not a numpy array")
    if frame.shape != (height, width, 3):
        raise ValueError(
            f"frame {index} has shape {frame.shape}, expected {(height, width, 3)} (RGB)"
        )
    if frame.dtype != np.uint8:
        raise ValueError(f"frame {index} has dtype {frame.dtype}, expected uint8")
