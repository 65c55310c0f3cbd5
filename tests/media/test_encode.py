"""write_mp4: the files users download, checked by decoding them back with PyAV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from reelbox.engines.base import AudioTrack, Frame
from reelbox.media.encode import EncodedVideo, write_mp4

FrameMaker = Callable[[int, int, int], Iterator[Frame]]
ToneMaker = Callable[..., AudioTrack]

W, H, FPS, COUNT = 96, 64, 24, 30


def test_video_only_mp4_decodes_with_exact_size_count_and_duration(
    tmp_path: Path, frames: FrameMaker
) -> None:
    path = tmp_path / "out.mp4"
    result = write_mp4(
        path, frames(W, H, COUNT), width=W, height=H, fps=FPS, frame_count=COUNT, audio=None
    )

    assert result == EncodedVideo(
        path=path,
        width=W,
        height=H,
        fps=FPS,
        frame_count=COUNT,
        duration=COUNT / FPS,
        has_audio=False,
        kept={},
    )
    with av.open(str(path)) as container:
        assert container.format.name.startswith("mov,mp4")
        assert container.metadata["major_brand"] == "isom"
        assert not container.streams.audio
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.codec_context.width, video.codec_context.height) == (W, H)
        assert video.average_rate == FPS
        assert video.duration is not None and video.time_base is not None
        assert float(video.duration * video.time_base) == pytest.approx(COUNT / FPS, abs=1 / FPS)
        decoded = list(container.decode(video=0))
    assert len(decoded) == COUNT
    # Constant frame rate: every frame exactly 1/fps after the previous one.
    times = [float(f.time) for f in decoded]
    assert np.allclose(np.diff(times), 1 / FPS)
    assert decoded[0].colorspace == 1  # BT.709, as tagged and converted


def test_moov_atom_comes_first_for_progressive_playback(tmp_path: Path, frames: FrameMaker) -> None:
    path = tmp_path / "out.mp4"
    write_mp4(path, frames(W, H, 4), width=W, height=H, fps=FPS, frame_count=4, audio=None)
    data = path.read_bytes()
    assert 0 < data.index(b"moov") < data.index(b"mdat")


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    """Conversion and tags agree: a decoder honouring the tags gets the colours back."""
    colours = [(200, 40, 40), (30, 160, 90), (20, 60, 220), (128, 128, 128)]
    source = [np.full((H, W, 3), colour, dtype=np.uint8) for colour in colours]
    path = tmp_path / "flat.mp4"
    write_mp4(path, iter(source), width=W, height=H, fps=FPS, frame_count=4, audio=None)
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for want, got in zip(source, decoded, strict=True):
        assert np.abs(got.astype(int) - want.astype(int)).mean() < 3


def test_audio_is_stereo_aac_at_48k_and_as_long_as_the_video(
    tmp_path: Path, frames: FrameMaker, make_tone: ToneMaker
) -> None:
    # Mono, 44.1 kHz and too short: must be upmixed, resampled and padded.
    audio = make_tone(0.7, sample_rate=44100, channels=1)
    path = tmp_path / "out.mp4"
    result = write_mp4(
        path, frames(W, H, COUNT), width=W, height=H, fps=FPS, frame_count=COUNT, audio=audio
    )

    assert result.has_audio
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        assert stream.codec_context.sample_rate == 48000
        assert stream.codec_context.channels == 2
        assert stream.duration is not None and stream.time_base is not None
        audio_seconds = float(stream.duration * stream.time_base)
        decoded_samples = sum(f.samples for f in container.decode(audio=0))
        container.seek(0)
        video_frames = sum(1 for _ in container.decode(video=0))
    assert audio_seconds == pytest.approx(COUNT / FPS, abs=1 / FPS)
    # Decoders also emit the encoder's trailing padding: at most one AAC frame more.
    assert 0 <= decoded_samples - round(COUNT / FPS * 48000) <= 1024
    assert video_frames == COUNT


def test_audio_longer_than_the_video_is_cut(
    tmp_path: Path, frames: FrameMaker, make_tone: ToneMaker
) -> None:
    path = tmp_path / "out.mp4"
    write_mp4(
        path,
        frames(W, H, COUNT),
        width=W,
        height=H,
        fps=FPS,
        frame_count=COUNT,
        audio=make_tone(5.0),
    )
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        assert float(stream.duration * stream.time_base) == pytest.approx(COUNT / FPS, abs=1e-3)


def test_kept_frames_are_copies_of_the_requested_indices(
    tmp_path: Path, frames: FrameMaker
) -> None:
    # An engine may reuse one buffer for every frame; kept frames must not change with it.
    buffer = np.zeros((H, W, 3), dtype=np.uint8)
    originals = list(frames(W, H, COUNT))

    def reusing() -> Iterator[Frame]:
        for frame in originals:
            buffer[...] = frame
            yield buffer

    result = write_mp4(
        tmp_path / "out.mp4",
        reusing(),
        width=W,
        height=H,
        fps=FPS,
        frame_count=COUNT,
        audio=None,
        keep=[0, 7, COUNT - 1, 999],
    )
    assert sorted(result.kept) == [0, 7, COUNT - 1]
    for index, frame in result.kept.items():
        assert np.array_equal(frame, originals[index])


def test_frames_are_pulled_one_at_a_time_and_progress_is_reported(
    tmp_path: Path, frames: FrameMaker
) -> None:
    events: list[tuple[str, int]] = []

    def source() -> Iterator[Frame]:
        for index, frame in enumerate(frames(W, H, 5)):
            events.append(("made", index))
            yield frame

    write_mp4(
        tmp_path / "out.mp4",
        source(),
        width=W,
        height=H,
        fps=FPS,
        frame_count=5,
        audio=None,
        on_frame=lambda index: events.append(("encoded", index)),
    )
    assert events == [(kind, i) for i in range(5) for kind in ("made", "encoded")]


@pytest.mark.parametrize(("width", "height"), [(95, 64), (96, 63), (0, 64)])
def test_odd_or_empty_dimensions_are_refused(width: int, height: int, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        write_mp4(
            tmp_path / "out.mp4",
            iter([]),
            width=width,
            height=height,
            fps=FPS,
            frame_count=1,
            audio=None,
        )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((H, W + 2, 3), dtype=np.uint8), "shape"),
        (np.zeros((H, W), dtype=np.uint8), "shape"),
        (np.zeros((H, W, 4), dtype=np.uint8), "shape"),
        (np.zeros((H, W, 3), dtype=np.float32), "dtype"),
    ],
)
def test_a_malformed_frame_is_refused_and_the_partial_file_removed(
    bad: Frame, message: str, tmp_path: Path, frames: FrameMaker
) -> None:
    path = tmp_path / "out.mp4"
    stream = [*frames(W, H, 3), bad]
    with pytest.raises(ValueError, match=message):
        write_mp4(path, iter(stream), width=W, height=H, fps=FPS, frame_count=4, audio=None)
    assert not path.exists()


@pytest.mark.parametrize(("produced", "declared"), [(3, 4), (5, 4)])
def test_a_wrong_frame_count_is_refused(
    produced: int, declared: int, tmp_path: Path, frames: FrameMaker
) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="frame_count"):
        write_mp4(
            path,
            frames(W, H, produced),
            width=W,
            height=H,
            fps=FPS,
            frame_count=declared,
            audio=None,
        )
    assert not path.exists()


def test_an_error_from_the_frame_source_propagates(tmp_path: Path, frames: FrameMaker) -> None:
    class EngineBroke(Exception):
        pass

    def failing() -> Iterator[Frame]:
        yield from frames(W, H, 2)
        raise EngineBroke

    path = tmp_path / "out.mp4"
    with pytest.raises(EngineBroke):
        write_mp4(path, failing(), width=W, height=H, fps=FPS, frame_count=4, audio=None)
    assert not path.exists()


def test_silent_track_still_gives_an_audio_stream(tmp_path: Path, frames: FrameMaker) -> None:
    silent = AudioTrack(sample_rate=48000, samples=np.zeros((2, 0), dtype=np.float32))
    path = tmp_path / "out.mp4"
    result = write_mp4(
        path, frames(W, H, 6), width=W, height=H, fps=FPS, frame_count=6, audio=silent
    )
    assert result.has_audio
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.channels == 2


def test_non_contiguous_frames_are_accepted(tmp_path: Path, frames: FrameMaker) -> None:
    """Engines may hand over views (flipped, sliced); the encoder must not read them as raw."""
    originals = list(frames(W, H, 3))
    views = [frame[::-1, ::-1] for frame in originals]
    path = tmp_path / "out.mp4"
    write_mp4(path, views, width=W, height=H, fps=FPS, frame_count=3, audio=None)
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for view, frame in zip(views, decoded, strict=True):
        assert np.abs(frame.astype(int) - view.astype(int)).mean() < 4
