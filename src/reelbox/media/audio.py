"""Editing audio tracks held in memory: resampling, length fitting, joining and loudness."""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt

from reelbox.media.frames import AudioTrack

_LAYOUTS = {1: "mono", 2: "stereo"}

# How far ahead (and behind) the limiter looks for a peak. Short enough to follow drums, long
# enough that the gain changes smoothly instead of distorting individual waveform cycles.
_LIMITER_WINDOW_SECONDS = 0.005

# Below this RMS (about -120 dBFS) a track is treated as silence: normalising it would only
# amplify dither and rounding noise into a loud hiss.
_SILENCE_RMS = 1e-6


def silence(seconds: float, *, sample_rate: int = 48000, channels: int = 2) -> AudioTrack:
    """Return `seconds` of digital silence."""
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    _check_rate(sample_rate)
    if channels < 1:
        raise ValueError(f"channels must be at least 1, got {channels}")
    samples = np.zeros((channels, round(seconds * sample_rate)), dtype=np.float32)
    return AudioTrack(sample_rate=sample_rate, samples=samples)


def fit_duration(track: AudioTrack, seconds: float) -> AudioTrack:
    """Pad `track` with silence or cut it so that it lasts exactly `seconds` (to the sample)."""
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    wanted = round(seconds * track.sample_rate)
    have = track.samples.shape[1]
    if wanted == have:
        return track
    if wanted < have:
        samples = track.samples[:, :wanted].copy()
    else:
        samples = np.zeros((track.channels, wanted), dtype=np.float32)
        samples[:, :have] = track.samples
    return AudioTrack(sample_rate=track.sample_rate, samples=samples)


def resample(track: AudioTrack, *, sample_rate: int, channels: int = 2) -> AudioTrack:
    """Convert `track` to `sample_rate` and to mono or stereo.

    Mono becomes stereo by copying the channel to both sides at full level (FFmpeg's own upmix
    lowers it by 3 dB); stereo becomes mono by averaging. The result lasts as long as the input,
    to the sample.
    """
    _check_rate(sample_rate)
    if channels not in _LAYOUTS:
        raise ValueError(f"channels must be 1 or 2, got {channels}")
    if track.channels not in _LAYOUTS:
        raise ValueError(f"only mono and stereo audio is supported, got {track.channels} channels")
    samples = _as_float32(track.samples)
    if samples.shape[1] and track.sample_rate != sample_rate:
        samples = _resample_rate(samples, track.sample_rate, sample_rate)
    if channels == 2 and samples.shape[0] == 1:
        samples = np.repeat(samples, 2, axis=0)
    elif channels == 1 and samples.shape[0] == 2:
        samples = samples.mean(axis=0, keepdims=True, dtype=np.float32)
    if samples is track.samples:
        return track
    return AudioTrack(sample_rate=sample_rate, samples=samples)


def concat(first: AudioTrack, second: AudioTrack, *, crossfade: float = 0.05) -> AudioTrack:
    """Join two tracks as stereo at `first`'s sample rate, smoothing the cut.

    The last `crossfade` seconds of `first` fade out and the first `crossfade` seconds of
    `second` fade in along equal-power (cosine/sine) curves. The tracks are not overlapped, so
    the result lasts exactly as long as both together: callers line audio up with video segments
    and rely on that.
    """
    if crossfade < 0:
        raise ValueError(f"crossfade must not be negative, got {crossfade}")
    rate = first.sample_rate
    head = resample(first, sample_rate=rate).samples.copy()
    tail = resample(second, sample_rate=rate).samples.copy()
    fade = min(round(crossfade * rate), head.shape[1], tail.shape[1])
    if fade:
        # Sample centres, so neither curve reaches exactly 0 or 1 inside the fade.
        phase = (np.arange(fade, dtype=np.float64) + 0.5) / fade * (np.pi / 2)
        head[:, -fade:] *= np.cos(phase).astype(np.float32)
        tail[:, :fade] *= np.sin(phase).astype(np.float32)
    return AudioTrack(sample_rate=rate, samples=np.concatenate([head, tail], axis=1))


def loudness_normalise(
    track: AudioTrack, *, target_rms_db: float = -20.0, peak: float = 0.95
) -> AudioTrack:
    """Scale `track` to an RMS level of `target_rms_db` dBFS, limiting peaks to `peak`.

    The limiter looks a few milliseconds ahead and lowers the gain smoothly around any sample
    that would exceed `peak`, so loud transients are tamed without hard clipping. A silent track
    is returned unchanged.
    """
    if not 0 < peak <= 1:
        raise ValueError(f"peak must be in (0, 1], got {peak}")
    samples = track.samples.astype(np.float64)
    if samples.size == 0:
        return track
    rms = float(np.sqrt(np.mean(np.square(samples))))
    if rms < _SILENCE_RMS:
        return track
    samples *= 10 ** (target_rms_db / 20) / rms
    window = max(1, round(_LIMITER_WINDOW_SECONDS * track.sample_rate))
    samples *= _limiter_gain(np.abs(samples).max(axis=0), peak=peak, window=window)
    # The gain curve guarantees the ceiling in exact arithmetic; the clip only absorbs rounding.
    np.clip(samples, -peak, peak, out=samples)
    return AudioTrack(sample_rate=track.sample_rate, samples=samples.astype(np.float32))


def _limiter_gain(
    level: npt.NDArray[np.float64], *, peak: float, window: int
) -> npt.NDArray[np.float64]:
    """Per-sample gain that keeps `level * gain <= peak` and changes smoothly.

    The gain each sample needs on its own is spread to its neighbours with a running minimum
    over 2*window+1 samples, then smoothed with a moving average over the same span. Every
    average then only includes minima that already covered the sample itself, so smoothing can
    never raise the gain above what that sample needs.
    """
    needed = np.minimum(1.0, peak / np.maximum(level, 1e-12))
    span = 2 * window + 1
    floor = _running_min(needed, span)
    padded = np.pad(floor, window, mode="edge")
    sums = np.concatenate([[0.0], np.cumsum(padded)])
    gain: npt.NDArray[np.float64] = (sums[span:] - sums[:-span]) / span
    return gain


def _running_min(values: npt.NDArray[np.float64], span: int) -> npt.NDArray[np.float64]:
    """Minimum over the `span` samples centred on each sample (van Herk/Gil-Werman, O(n))."""
    half = span // 2
    count = values.shape[0]
    blocks = -(-(count + 2 * half) // span)
    padded = np.full(blocks * span, np.inf)
    padded[half : half + count] = values
    grid = padded.reshape(blocks, span)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    # The window starting at i spans the end of one block (suffix) and the start of the next.
    result: npt.NDArray[np.float64] = np.minimum(
        suffix[:count], prefix[span - 1 : span - 1 + count]
    )
    return result


def _resample_rate(
    samples: npt.NDArray[np.float32], source_rate: int, target_rate: int
) -> npt.NDArray[np.float32]:
    layout = _LAYOUTS[samples.shape[0]]
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
    frame.sample_rate = source_rate
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=target_rate)
    chunks = [out.to_ndarray() for out in [*resampler.resample(frame), *resampler.resample(None)]]
    converted = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    # swresample may round the length by a sample or two; durations must stay exact.
    wanted = round(samples.shape[1] * target_rate / source_rate)
    if converted.shape[1] >= wanted:
        return converted[:, :wanted]
    return np.pad(converted, ((0, 0), (0, wanted - converted.shape[1])))


def _as_float32(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if samples.ndim != 2:
        raise ValueError(f"audio samples must have shape (channels, samples), got {samples.shape}")
    return samples if samples.dtype == np.float32 else samples.astype(np.float32)


def _check_rate(sample_rate: int) -> None:
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
