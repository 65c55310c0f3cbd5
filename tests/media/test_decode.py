"""probe_video, iter_frames, last_frame and read_audio on real files of each container."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from reelbox.engines.base import AudioTrack, Frame
from reelbox.media.decode import (
    VideoProbe,
    VideoRejected,
    iter_frames,
    last_frame,
    probe_video,
    read_audio,
    verify_video,
)
from reelbox.media.encode import write_mp4

FrameMaker = Callable[[int, int, int], Iterator[Frame]]
ToneMaker = Callable[..., AudioTrack]
VideoMaker = Callable[..., Path]

W, H, FPS, COUNT = 96, 64, 24, 24


def _has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


@pytest.fixture
def mp4(tmp_path: Path, frames: FrameMaker, make_tone: ToneMaker) -> Path:
    path = tmp_path / "clip.mp4"
    write_mp4(
        path,
        frames(W, H, COUNT),
        width=W,
        height=H,
        fps=FPS,
        frame_count=COUNT,
        audio=make_tone(COUNT / FPS),
    )
    return path


def test_probe_of_an_mp4_with_audio(mp4: Path) -> None:
    assert probe_video(mp4) == VideoProbe(
        width=W,
        height=H,
        fps=24.0,
        frame_count=COUNT,
        duration=pytest.approx(1.0),  # type: ignore[arg-type]
        has_audio=True,
        container="mp4",
    )


def test_probe_of_a_quicktime_mov(make_video: VideoMaker) -> None:
    probe = probe_video(make_video("clip.mov", container="mov", count=12, fps=24))
    assert probe.container == "mov"
    assert (probe.width, probe.height, probe.frame_count) == (64, 48, 12)
    assert probe.duration == pytest.approx(0.5)
    assert not probe.has_audio


@pytest.mark.skipif(not _has_encoder("libvpx-vp9"), reason="this FFmpeg build has no libvpx-vp9")
def test_probe_of_a_vp9_webm(make_video: VideoMaker) -> None:
    path = make_video(
        "clip.webm",
        container="webm",
        codec="libvpx-vp9",
        count=12,
        options={"deadline": "realtime", "cpu-used": "8"},
    )
    probe = probe_video(path)
    assert probe.container == "webm"
    assert (probe.width, probe.height) == (64, 48)
    assert probe.fps == pytest.approx(24)
    # WebM records no frame count: it is estimated from the duration.
    assert probe.frame_count == 12
    assert probe.duration == pytest.approx(0.5, abs=1 / 24)


def test_the_container_is_recognised_by_content_not_name(
    make_video: VideoMaker, tmp_path: Path
) -> None:
    source = make_video("clip.mov", container="mov")
    disguised = tmp_path / "clip.webm"
    disguised.write_bytes(source.read_bytes())
    assert probe_video(disguised).container == "mov"


def test_matroska_is_refused(make_video: VideoMaker) -> None:
    with pytest.raises(VideoRejected, match=r"Matroska \(\.mkv\)"):
        probe_video(make_video("clip.mkv", container="matroska"))


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some notes, not a video\n" * 40, "notes.mp4"),
        (b"", "empty.mp4"),
        (bytes(range(256)) * 64, "noise.mov"),
    ],
)
def test_non_videos_are_refused(content: bytes, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoRejected, match="not a video this service can read"):
        probe_video(path)


def test_an_image_is_refused_as_a_video(tmp_path: Path) -> None:
    path = tmp_path / "still.mp4"
    from PIL import Image

    Image.new("RGB", (32, 32), (10, 20, 30)).save(path, format="PNG")
    with pytest.raises(VideoRejected, match="not an MP4, MOV or WebM"):
        probe_video(path)


def test_a_truncated_mp4_is_refused(mp4: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(mp4.read_bytes()[:300])
    with pytest.raises(VideoRejected):
        probe_video(cut)


def test_verify_video_accepts_a_whole_file(mp4: Path, make_video: VideoMaker) -> None:
    assert verify_video(mp4, max_seconds=2, max_pixels=W * H) == probe_video(mp4)
    mov = make_video("clip.mov", container="mov", count=12, fps=24)
    assert verify_video(mov) == probe_video(mov)


@pytest.mark.parametrize("kept", [0.5, 0.8, 0.97])
def test_verify_video_refuses_a_file_cut_short_that_the_probe_lets_through(
    mp4: Path, tmp_path: Path, kept: float
) -> None:
    """An MP4 written with faststart has its index first: cut anywhere after it, the header and
    the first frame still read fine, and only decoding everything shows the missing frames."""
    data = mp4.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * kept)])
    assert probe_video(cut).frame_count == COUNT  # the probe alone is fooled
    with pytest.raises(VideoRejected, match=r"truncated.* of (its )?24 frames"):
        verify_video(cut)


def test_verify_video_keeps_the_probes_limits(mp4: Path) -> None:
    with pytest.raises(VideoRejected, match=r"the limit is 0\.5 seconds"):
        verify_video(mp4, max_seconds=0.5)
    with pytest.raises(VideoRejected, match="pixels per frame"):
        verify_video(mp4, max_pixels=W * H - 1)


def test_audio_only_file_is_refused(tmp_path: Path, make_tone: ToneMaker) -> None:
    path = tmp_path / "sound.m4a"
    track = make_tone(0.2)
    with av.open(str(path), mode="w", format="mp4") as output:
        stream = output.add_stream("aac", rate=48000, layout="stereo")
        for start in range(0, track.samples.shape[1], 1024):
            chunk = np.ascontiguousarray(track.samples[:, start : start + 1024])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = 48000
            frame.pts = start
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    with pytest.raises(VideoRejected, match="no video stream"):
        probe_video(path)


def test_limits_on_length_and_size(mp4: Path) -> None:
    assert probe_video(mp4, max_seconds=1.0, max_pixels=W * H).duration == pytest.approx(1.0)
    with pytest.raises(VideoRejected, match=r"lasts 1\.00 seconds; the limit is 0\.5 seconds"):
        probe_video(mp4, max_seconds=0.5)
    with pytest.raises(VideoRejected, match=f"{W}x{H}"):
        probe_video(mp4, max_pixels=W * H - 1)


def test_a_missing_file_is_a_programming_error_not_a_rejection(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_video(tmp_path / "nope.mp4")


def test_iter_frames_streams_every_frame_close_to_the_original(
    mp4: Path, frames: FrameMaker
) -> None:
    originals = list(frames(W, H, COUNT))
    decoded = list(iter_frames(mp4))
    assert len(decoded) == COUNT
    for original, frame in zip(originals, decoded, strict=True):
        assert frame.shape == (H, W, 3) and frame.dtype == np.uint8
        assert np.abs(frame.astype(int) - original.astype(int)).mean() < 4


def test_iter_frames_rescales_and_stops_at_the_limit(mp4: Path) -> None:
    decoded = list(iter_frames(mp4, width=48, height=32, limit=5))
    assert len(decoded) == 5
    assert all(frame.shape == (32, 48, 3) for frame in decoded)


def test_iter_frames_checks_arguments_at_the_call(mp4: Path) -> None:
    with pytest.raises(ValueError, match="both width and height"):
        iter_frames(mp4, width=10)


def test_last_frame_matches_a_full_decode(mp4: Path, frames: FrameMaker) -> None:
    final = list(iter_frames(mp4))[-1]
    assert np.array_equal(last_frame(mp4), final)
    original = list(frames(W, H, COUNT))[-1]
    assert np.abs(final.astype(int) - original.astype(int)).mean() < 4
    assert last_frame(mp4, width=48, height=32).shape == (32, 48, 3)


def test_last_frame_of_a_long_gop_file(tmp_path: Path, frames: FrameMaker) -> None:
    """More frames than one keyframe interval: the seek must still find the final frame."""
    path = tmp_path / "long.mp4"
    count = 300  # x264's default keyframe interval is 250
    write_mp4(
        path, frames(32, 32, count), width=32, height=32, fps=FPS, frame_count=count, audio=None
    )
    assert np.array_equal(last_frame(path), list(iter_frames(path))[-1])


def test_rotation_metadata_is_applied(make_video: VideoMaker) -> None:
    """A phone's portrait clip: landscape pixels plus a 90° display rotation."""
    path = make_video("phone.mov", container="mov", width=64, height=48, rotation=90, count=3)
    probe = probe_video(path)
    assert (probe.width, probe.height) == (48, 64)
    upright = next(iter_frames(path))
    assert upright.shape == (64, 48, 3)
    # Stored red rises left to right; turned a quarter counter-clockwise, it rises bottom to top.
    assert upright[-1, :, 0].mean() < upright[0, :, 0].mean()
    assert next(iter_frames(path, width=24, height=32)).shape == (32, 24, 3)
    assert last_frame(path).shape == (64, 48, 3)


def test_read_audio_round_trip(mp4: Path, make_tone: ToneMaker) -> None:
    track = read_audio(mp4)
    assert track is not None
    assert track.sample_rate == 48000
    assert track.samples.dtype == np.float32
    assert track.samples.shape == (2, 48000)
    original = make_tone(1.0).samples
    # AAC is lossy, but a pure tone comes back aligned and close.
    middle = slice(4800, 43200)
    error = track.samples[:, middle] - original[:, middle]
    assert float(np.sqrt(np.mean(error**2))) < 0.05
    correlation = np.corrcoef(track.samples[0, middle], original[0, middle])[0, 1]
    assert correlation > 0.99


def test_read_audio_resamples(mp4: Path) -> None:
    track = read_audio(mp4, sample_rate=16000)
    assert track is not None
    assert track.samples.shape == (2, 16000)


def test_read_audio_without_an_audio_stream(make_video: VideoMaker) -> None:
    assert read_audio(make_video("clip.mov", container="mov")) is None


def test_rejections_are_value_errors() -> None:
    assert issubclass(VideoRejected, ValueError)
