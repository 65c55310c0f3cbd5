"""Audio track editing: exact lengths, smooth joins and loudness."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from reelbox.engines.base import AudioTrack
from reelbox.media.audio import concat, fit_duration, loudness_normalise, resample, silence

ToneMaker = Callable[..., AudioTrack]


def _rms_db(track: AudioTrack) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(track.samples.astype(np.float64))))))


def test_silence() -> None:
    track = silence(1.5)
    assert track.sample_rate == 48000
    assert track.samples.shape == (2, 72000)
    assert track.samples.dtype == np.float32
    assert not track.samples.any()
    assert silence(0.1, sample_rate=16000, channels=1).samples.shape == (1, 1600)


def test_fit_duration_pads_and_trims_to_the_sample(make_tone: ToneMaker) -> None:
    track = make_tone(1.0)
    longer = fit_duration(track, 1.25)
    assert longer.samples.shape == (2, 60000)
    assert np.array_equal(longer.samples[:, :48000], track.samples)
    assert not longer.samples[:, 48000:].any()
    shorter = fit_duration(track, 0.5)
    assert shorter.samples.shape == (2, 24000)
    assert np.array_equal(shorter.samples, track.samples[:, :24000])
    assert fit_duration(track, 1.0).duration == 1.0


def test_resample_keeps_duration_and_pitch(make_tone: ToneMaker) -> None:
    mono = make_tone(0.5, sample_rate=22050, channels=1, hz=1000.0)
    stereo = resample(mono, sample_rate=48000)
    assert stereo.samples.shape == (2, 24000)
    assert np.array_equal(stereo.samples[0], stereo.samples[1])
    # Still a 1 kHz tone at the same level: compare with one generated at 48 kHz.
    expected = make_tone(0.5, hz=1000.0).samples[0]
    assert np.abs(stereo.samples[0, 100:-100] - expected[100:-100]).max() < 0.01
    back = resample(stereo, sample_rate=48000, channels=1)
    assert back.samples.shape == (1, 24000)


def test_concat_keeps_the_total_length_and_fades_the_join(make_tone: ToneMaker) -> None:
    first = AudioTrack(sample_rate=48000, samples=np.full((2, 48000), 0.5, dtype=np.float32))
    second = AudioTrack(sample_rate=48000, samples=np.full((1, 24000), 0.5, dtype=np.float32))
    joined = concat(first, second, crossfade=0.05)
    assert joined.sample_rate == 48000
    assert joined.samples.shape == (2, 72000)
    assert joined.duration == pytest.approx(first.duration + second.duration)
    fade = 2400
    # Untouched away from the join; fading out, then in, across it.
    assert np.allclose(joined.samples[:, : 48000 - fade], 0.5)
    assert np.allclose(joined.samples[:, 48000 + fade :], 0.5)
    assert joined.samples[0, 47999] < 0.01 and joined.samples[0, 48000] < 0.01
    assert np.all(np.diff(joined.samples[0, 48000 - fade : 48000]) <= 0)
    assert np.all(np.diff(joined.samples[0, 48000 : 48000 + fade]) >= 0)
    # Equal power: at each step of the fade, the two gains squared add up to one.
    out = joined.samples[0, 48000 - fade : 48000] / 0.5
    into = joined.samples[0, 48000 : 48000 + fade] / 0.5
    assert np.allclose(out**2 + into**2, 1.0, atol=1e-5)


def test_concat_converts_the_second_track_to_the_firsts_rate(make_tone: ToneMaker) -> None:
    joined = concat(make_tone(0.5), make_tone(0.25, sample_rate=16000, channels=1))
    assert joined.samples.shape == (2, 36000)


def test_concat_with_tracks_shorter_than_the_crossfade() -> None:
    tiny = AudioTrack(sample_rate=48000, samples=np.ones((2, 10), dtype=np.float32))
    assert concat(tiny, tiny, crossfade=1.0).samples.shape == (2, 20)
    assert concat(silence(0), tiny).samples.shape == (2, 10)
    assert np.array_equal(concat(tiny, tiny, crossfade=0).samples, np.ones((2, 20)))


def test_loudness_normalise_reaches_the_target(make_tone: ToneMaker) -> None:
    quiet = AudioTrack(sample_rate=48000, samples=make_tone(1.0).samples * 0.05)
    louder = loudness_normalise(quiet, target_rms_db=-20.0)
    assert _rms_db(louder) == pytest.approx(-20.0, abs=0.05)
    assert louder.samples.dtype == np.float32


def test_loudness_normalise_limits_peaks_smoothly(make_tone: ToneMaker) -> None:
    samples = make_tone(1.0).samples * 0.1
    samples[:, 24000] = 1.0  # one click, far above the rest
    track = loudness_normalise(
        AudioTrack(sample_rate=48000, samples=samples), target_rms_db=-12.0, peak=0.95
    )
    assert np.abs(track.samples).max() <= 0.95
    # Away from the click the gain is untouched: the tone keeps its normalised shape.
    gain = track.samples[0, :20000].std() / samples[0, :20000].std()
    assert track.samples[0, 30000:].std() / samples[0, 30000:].std() == pytest.approx(gain)


def test_loudness_normalise_leaves_silence_alone() -> None:
    quiet = silence(0.5)
    assert loudness_normalise(quiet) is quiet
