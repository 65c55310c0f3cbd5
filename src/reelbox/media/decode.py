"""Reading videos: uploads to validate and finished outputs to continue from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.codec.context import ThreadType
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from reelbox.media.frames import AudioTrack, Frame

_ISO_FORMATS = {"mov", "mp4"}
_MATROSKA_FORMATS = {"matroska", "webm"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = b"\x42\x82"
# FFmpeg's error text names the file, which is a server path: keep it out of user messages.
_UNDECODABLE = "the video stream is damaged or uses a codec this service cannot decode"
_MATROSKA_DURATION = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


class VideoRejected(ValueError):
    """A video cannot be used; the message says why in words fit to show the user."""


@dataclass(frozen=True, kw_only=True)
class VideoProbe:
    """What a video file holds, as the viewer sees it (rotation metadata already applied).

    `container` is "mp4", "mov" or "webm".
    """

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    has_audio: bool
    container: str


def probe_video(
    path: Path, *, max_seconds: float | None = None, max_pixels: int | None = None
) -> VideoProbe:
    """Check that `path` is an MP4, MOV or WebM video this service can read, and describe it.

    The container is recognised by content, not by file name, and the first frame is decoded to
    prove the video stream is usable. Raises VideoRejected, with a message for the user, for any
    other kind of file, a corrupt file, or one longer than `max_seconds` or larger than
    `max_pixels` per frame.
    """
    with _open(path) as container:
        kind = _container_kind(container, path)
        stream = _video_stream(container)
        # The header's size is known before any decoding: refuse huge frames up front.
        _check_pixels(stream.codec_context.width, stream.codec_context.height, max_pixels)
        first = _first_frame(container, stream)
        width, height = _display_size(first.width, first.height, first.rotation)
        _check_pixels(width, height, max_pixels)
        rate = stream.average_rate or stream.guessed_rate
        if not rate or rate <= 0:
            raise VideoRejected("the video's frame rate could not be determined")
        fps = float(rate)
        duration = _duration(container, stream)
        if duration is None:
            duration = _count_packets(path) / fps
        frame_count = stream.frames if stream.frames > 0 else max(1, round(duration * fps))
        has_audio = len(container.streams.audio) > 0
    if max_seconds is not None and duration > max_seconds + 0.5 / fps:
        # Half a frame of slack: containers round durations, and a clip cut to exactly the
        # limit must not be refused over that rounding.
        raise VideoRejected(
            f"the video lasts {duration:.2f} seconds; the limit is {max_seconds:g} seconds"
        )
    return VideoProbe(
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        duration=duration,
        has_audio=has_audio,
        container=kind,
    )


def verify_video(
    path: Path, *, max_seconds: float | None = None, max_pixels: int | None = None
) -> VideoProbe:
    """`probe_video`, then decode the whole file to prove that every frame is there.

    A probe reads the header and the first frame only, so a file cut short after its index
    (an MP4 written with faststart, a partial upload) passes it. Here every packet of the video
    stream and of the first audio stream is decoded (the pixels are not converted, so memory
    stays at one frame), and the file is refused when decoding fails, when fewer frames come
    out than the header lists, when a frame is larger than `max_pixels`, or when frames run
    past `max_seconds` whatever the header claims. Raises VideoRejected with a message that
    says which frame decoding stopped at.
    """
    probe = probe_video(path, max_seconds=max_seconds, max_pixels=max_pixels)
    with _open(path) as container:
        stream = _video_stream(container)
        stream.thread_type = ThreadType.AUTO
        streams: list[VideoStream | AudioStream] = [stream, *container.streams.audio[:1]]
        expected = stream.frames
        frames = 0
        first: float | None = None
        try:
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if not isinstance(frame, VideoFrame):
                        continue
                    frames += 1
                    _check_pixels(frame.width, frame.height, max_pixels)
                    if frame.time is not None:
                        first = frame.time if first is None else min(first, frame.time)
                        seconds = frame.time - first
                        if max_seconds is not None and seconds > max_seconds + 1.0:
                            raise VideoRejected(
                                f"the video runs past {max_seconds:g} seconds (frame {frames} "
                                f"is at {seconds:.2f} s), longer than its header says"
                            )
        except av.FFmpegError as error:
            raise VideoRejected(
                f"the video is truncated or damaged: decoding failed after {frames} of "
                f"{expected or probe.frame_count} frames"
            ) from error
    if frames == 0:
        raise VideoRejected("the video stream has no decodable frames")
    if expected > 0 and frames < expected - max(2, expected // 50):
        raise VideoRejected(
            f"the video is truncated: only {frames} of its {expected} frames could be decoded"
        )
    return probe


def iter_frames(
    path: Path, *, width: int | None = None, height: int | None = None, limit: int | None = None
) -> Iterator[Frame]:
    """Yield the frames of `path` one at a time as RGB uint8 arrays, upright.

    With `width` and `height`, frames are scaled to exactly that size (after rotation metadata
    is applied, so they describe the upright picture). `limit` stops after that many frames.
    The file stays open only while the iterator is being consumed.
    """
    # Checked here rather than in the generator so that bad arguments fail at the call.
    _check_target(width, height)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    return _frames(path, width=width, height=height, limit=limit)


def _frames(
    path: Path, *, width: int | None, height: int | None, limit: int | None
) -> Iterator[Frame]:
    if limit == 0:
        return
    with _open(path) as container:
        stream = _video_stream(container)
        stream.thread_type = ThreadType.AUTO
        converter = VideoReformatter()
        count = 0
        try:
            for frame in container.decode(stream):
                yield _to_rgb(frame, converter, width=width, height=height)
                count += 1
                if limit is not None and count >= limit:
                    return
        except av.FFmpegError as error:
            raise VideoRejected(_UNDECODABLE) from error


def last_frame(path: Path, *, width: int | None = None, height: int | None = None) -> Frame:
    """Return the final frame of `path` as RGB uint8, upright, optionally scaled.

    Seeks to the last keyframe instead of decoding the whole file, falling back to a full
    decode when the file cannot seek.
    """
    _check_target(width, height)
    with _open(path) as container:
        stream = _video_stream(container)
        stream.thread_type = ThreadType.AUTO
        final = None
        if container.duration:
            try:
                # Without a stream, the offset is in AV_TIME_BASE units, like container.duration.
                end = container.duration + (container.start_time or 0)
                container.seek(end, backward=True, any_frame=False)
                for frame in container.decode(stream):
                    final = frame
            except av.FFmpegError:
                final = None
        if final is None:
            container.seek(0)
            try:
                for frame in container.decode(stream):
                    final = frame
            except av.FFmpegError as error:
                raise VideoRejected(_UNDECODABLE) from error
        if final is None:
            raise VideoRejected("the video has no frames")
        return _to_rgb(final, VideoReformatter(), width=width, height=height)


def read_audio(path: Path, *, sample_rate: int = 48000) -> AudioTrack | None:
    """Decode the first audio stream of `path` to float32 stereo at `sample_rate`.

    Returns None when the file has no audio stream. Mono is copied to both channels at full
    level; more channels are downmixed by FFmpeg.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    with _open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        mono = stream.codec_context.channels == 1
        resampler = av.AudioResampler(
            format="fltp", layout="mono" if mono else "stereo", rate=sample_rate
        )
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks += [out.to_ndarray() for out in resampler.resample(frame)]
            chunks += [out.to_ndarray() for out in resampler.resample(None)]
        except av.FFmpegError as error:
            raise VideoRejected("the audio stream is damaged and cannot be decoded") from error
        channels = 1 if mono else 2
        samples = (
            np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
            if chunks
            else np.zeros((channels, 0), dtype=np.float32)
        )
        if stream.duration is not None and stream.time_base is not None:
            # AAC decoders emit the encoder's padding after the last real sample; the container
            # knows the true length, so cut back to it.
            expected = round(float(stream.duration * stream.time_base) * sample_rate)
            samples = samples[:, :expected]
    if mono:
        samples = np.repeat(samples, 2, axis=0)
    return AudioTrack(sample_rate=sample_rate, samples=np.ascontiguousarray(samples))


@contextmanager
def _open(path: Path) -> Iterator[InputContainer]:
    # A missing file is the caller's bug, not a bad upload: let FileNotFoundError through.
    if not path.is_file():
        raise FileNotFoundError(path)
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as error:
        raise VideoRejected(
            "the file is not a video this service can read (it is not an MP4, MOV or WebM file, "
            "or it is damaged)"
        ) from error
    try:
        yield container
    finally:
        container.close()


def _container_kind(container: InputContainer, path: Path) -> str:
    names = set(container.format.name.split(","))
    if names & _ISO_FORMATS:
        # MP4 and QuickTime share one demuxer; the major brand tells them apart, and QuickTime
        # files from before the ftyp box have none.
        brand = container.metadata.get("major_brand", "").strip()
        return "mov" if brand in ("", "qt") else "mp4"
    if names & _MATROSKA_FORMATS:
        doctype = _ebml_doctype(path)
        if doctype == "webm":
            return "webm"
        raise VideoRejected("Matroska (.mkv) videos are not supported; upload MP4, MOV or WebM")
    kind = container.format.long_name or container.format.name
    raise VideoRejected(f"the file is not an MP4, MOV or WebM video (it looks like {kind})")


def _ebml_doctype(path: Path) -> str | None:
    """The DocType ("webm" or "matroska") from the EBML header at the start of the file."""
    with path.open("rb") as file:
        head = file.read(4096)
    if not head.startswith(_EBML_MAGIC):
        return None
    at = head.find(_EBML_DOCTYPE_ID, len(_EBML_MAGIC))
    if at < 0 or at + 2 >= len(head):
        return None
    at += len(_EBML_DOCTYPE_ID)
    # EBML sizes are variable-length integers: the leading zero bits count the extra bytes.
    first = head[at]
    if first == 0:
        return None
    length = 8 - first.bit_length() + 1
    size = first & (0xFF >> length)
    for byte in head[at + 1 : at + length]:
        size = (size << 8) | byte
    start = at + length
    return head[start : start + size].decode("ascii", errors="replace").rstrip("\x00")


def _video_stream(container: InputContainer) -> VideoStream:
    if not container.streams.video:
        raise VideoRejected("the file has no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None:
        raise VideoRejected("the video uses a codec this service cannot decode")
    return stream


def _first_frame(container: InputContainer, stream: VideoStream) -> VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as error:
        raise VideoRejected(_UNDECODABLE) from error
    raise VideoRejected("the video stream has no decodable frames")


def _check_pixels(width: int, height: int, max_pixels: int | None) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise VideoRejected(
            f"the video is {width}x{height} ({width * height} pixels per frame); the limit is "
            f"{max_pixels} pixels"
        )


def _duration(container: InputContainer, stream: VideoStream) -> float | None:
    """Seconds of video: the stream's own length first, since audio may run a little longer."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    # Matroska keeps per-track durations in a tag written by the muxer.
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag and (match := _MATROSKA_DURATION.match(tag.strip())):
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if container.duration:
        return container.duration / av.time_base
    return None


def _count_packets(path: Path) -> int:
    """Video packets in the file: the frame count when the container records no duration."""
    with _open(path) as container:
        stream = _video_stream(container)
        try:
            return sum(1 for packet in container.demux(stream) if packet.size)
        except av.FFmpegError as error:
            raise VideoRejected(_UNDECODABLE) from error


def _check_target(width: int | None, height: int | None) -> None:
    if (width is None) != (height is None):
        raise ValueError("give both width and height, or neither")
    if width is not None and height is not None and (width <= 0 or height <= 0):
        raise ValueError(f"width and height must be positive, got {width}x{height}")


def _display_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if _quarter_turns(rotation) % 2 else (width, height)


def _quarter_turns(rotation: int) -> int:
    # Phones record portrait video as landscape plus a rotation tag; only right angles occur.
    return round(rotation / 90) % 4


def _to_rgb(
    frame: VideoFrame, converter: VideoReformatter, *, width: int | None, height: int | None
) -> Frame:
    turns = _quarter_turns(frame.rotation)
    if width is not None and height is not None and turns % 2:
        width, height = height, width
    rgb = converter.reformat(
        frame, width=width, height=height, format="rgb24", interpolation="BICUBIC"
    )
    pixels = np.asarray(rgb.to_ndarray(), dtype=np.uint8)
    if turns:
        # The tag gives the counter-clockwise turn that makes the picture upright, as rot90 does.
        pixels = np.rot90(pixels, turns)
    return np.ascontiguousarray(pixels)


def sample_frames(path: Path, count: int) -> list[Frame]:
    """`count` frames spread evenly over a video (first and last included), in one pass."""
    total = probe_video(path).frame_count
    if total <= 0 or count <= 0:
        return []
    step = (total - 1) / (count - 1) if count > 1 else 0.0
    wanted = {round(i * step) for i in range(count)}
    frames: list[Frame] = []
    for index, frame in enumerate(iter_frames(path, limit=max(wanted) + 1)):
        if index in wanted:
            frames.append(frame)
    return frames
