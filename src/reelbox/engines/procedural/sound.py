"""Plan → sound: an ambience bed for the place and weather, and a soft chord pad for the mood.

48 kHz stereo float32, computed whole (a two-minute clip is about 46 MB). Noise beds are shaped
in the frequency domain (one FFT per layer, no sample loops); the pad is read from a small
wavetable. Everything random draws from the plan's layout seed, so the same plan always sounds
the same. The mix is normalised to a fixed loudness with peaks at most 0.95.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from reelbox.engines.base import AudioTrack
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.planner import ScenePlan
from reelbox.engines.procedural.seeding import rng_for

SAMPLE_RATE = 48_000
TARGET_RMS = 0.1
PEAK = 0.95

# Chord progressions per mood (MIDI notes, in C before transposition) and seconds per chord.
PROGRESSIONS: dict[str, tuple[float, tuple[tuple[int, ...], ...]]] = {
    "bright": (3.0, ((48, 60, 64, 67), (43, 59, 62, 67), (45, 60, 64, 69), (41, 57, 60, 65))),
    "calm": (5.0, ((48, 55, 62, 64), (41, 57, 60, 64), (45, 52, 59, 64), (43, 55, 62, 67))),
    "warm": (4.0, ((50, 57, 61, 66), (43, 55, 59, 66), (47, 54, 59, 62), (45, 52, 57, 61))),
    "melancholy": (4.5, ((45, 57, 60, 64), (41, 57, 60, 65), (48, 55, 60, 64), (43, 55, 59, 62))),
    "mysterious": (6.0, ((50, 57, 62, 65), (46, 53, 58, 62), (49, 52, 58, 61), (45, 57, 60, 64))),
    "tense": (2.5, ((40, 52, 55, 59), (41, 53, 56, 60), (40, 52, 55, 59), (38, 50, 53, 57))),
}

_TABLE_SIZE = 4096
_phase = np.arange(_TABLE_SIZE, dtype=np.float64) * (2 * math.pi / _TABLE_SIZE)
# A soft, slightly hollow pad voice: a fundamental and a few quiet harmonics.
_PAD_WAVE = (
    np.sin(_phase)
    + 0.28 * np.sin(2 * _phase)
    + 0.12 * np.sin(3 * _phase)
    + 0.05 * np.sin(5 * _phase)
).astype(np.float32) / np.float32(1.45)
del _phase


def render_audio(plan: ScenePlan, *, samples: int, sample_rate: int = SAMPLE_RATE) -> AudioTrack:
    """`samples` frames of stereo sound for `plan`."""
    n = max(1, samples)
    mix = np.zeros((2, n), dtype=np.float32)
    _ambience(plan, mix, sample_rate)
    _pad(plan, mix, sample_rate)
    _finish(mix, sample_rate)
    return AudioTrack(sample_rate=sample_rate, samples=mix)


# -- building blocks ------------------------------------------------------------------------


def _noise(
    rng: np.random.Generator, n: int, rate: int, *, lo: float, hi: float, tilt: float = 0.0
) -> F32:
    """Noise band-limited to lo..hi Hz (gentle 12 dB/octave skirts), unit RMS."""
    white = rng.standard_normal(n).astype(np.float32)
    spectrum = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / rate).astype(np.float32)
    f[0] = 1.0
    shape = 1 / np.sqrt(1 + (np.float32(lo) / f) ** 4) / np.sqrt(1 + (f / np.float32(hi)) ** 4)
    if tilt:
        shape *= (f / np.float32(1000)) ** np.float32(tilt)
    shape[0] = 0.0
    out = np.fft.irfft(spectrum * shape.astype(np.float32), n).astype(np.float32)
    rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    return out / np.float32(rms) if rms > 0 else out


def _stereo_noise(
    rng: np.random.Generator, n: int, rate: int, *, lo: float, hi: float, tilt: float = 0.0
) -> F32:
    return np.stack([_noise(rng, n, rate, lo=lo, hi=hi, tilt=tilt) for _ in range(2)])


def _swell(rng: np.random.Generator, n: int, rate: int, *, period: float, depth: float) -> F32:
    """A slow, irregular loudness curve between 1 - depth and 1."""
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    curve = np.zeros(n, dtype=np.float32)
    for k in (1.0, 1.7, 2.9):
        phase = float(rng.uniform(0, 2 * math.pi))
        curve += np.sin(t * np.float32(2 * math.pi * k / period) + np.float32(phase)) / k
    curve = (curve - curve.min()) / max(1e-6, float(curve.max() - curve.min()))
    return f32(1 - depth + depth * curve)


def _events(
    rng: np.random.Generator,
    mix: F32,
    rate: int,
    *,
    per_second: float,
    gain: float,
    make: Callable[[np.random.Generator, int], F32],
) -> None:
    """Scatter short sounds (`make(rng, rate)` → mono) over the clip, panned at random."""
    n = mix.shape[1]
    count = rng.poisson(per_second * n / rate)
    for _ in range(int(count)):
        sound = make(rng, rate) * np.float32(gain * rng.uniform(0.4, 1.0))
        start = int(rng.integers(0, n))
        end = min(n, start + sound.size)
        pan = float(rng.uniform(0.15, 0.85))
        mix[0, start:end] += sound[: end - start] * np.float32(math.sqrt(1 - pan))
        mix[1, start:end] += sound[: end - start] * np.float32(math.sqrt(pan))


def _drop(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.004, 0.012))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    freq = np.float32(rng.uniform(2000, 6000))
    return f32(np.sin(2 * np.pi * freq * t) * np.exp(-t * np.float32(600)))


def _chirp(rng: np.random.Generator, rate: int) -> F32:
    """A little bird call: two to four rising or falling whistles."""
    parts = []
    base = float(rng.uniform(2200, 4200))
    for _ in range(int(rng.integers(2, 5))):
        length = int(rate * rng.uniform(0.05, 0.12))
        t = np.arange(length, dtype=np.float32) / np.float32(rate)
        sweep = np.float32(rng.uniform(-1800, 2500))
        phase = 2 * np.pi * (np.float32(base) * t + sweep * t * t / 2)
        env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length) ** 2
        parts.append(np.sin(phase) * env)
        parts.append(np.zeros(int(rate * rng.uniform(0.03, 0.08)), dtype=np.float32))
    return np.concatenate(parts).astype(np.float32)


def _crickets(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.4, 0.9))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    carrier = np.sin(2 * np.pi * np.float32(rng.uniform(4200, 5200)) * t)
    gate = (np.sin(2 * np.pi * np.float32(rng.uniform(14, 22)) * t) > 0.3).astype(np.float32)
    env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length)
    return f32(carrier * gate * env)


def _bubble(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.03, 0.07))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    f0 = np.float32(rng.uniform(300, 700))
    phase = 2 * np.pi * (f0 * t + np.float32(6000) * t * t)
    return f32(np.sin(phase) * np.exp(-t * np.float32(60)))


def _car_pass(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(2.0, 4.0))
    hum = _noise(rng, length, rate, lo=80, hi=900, tilt=-0.5)
    env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length) ** 3
    return f32(hum * env)


# -- the bed -------------------------------------------------------------------------------


def _ambience(plan: ScenePlan, mix: F32, rate: int) -> None:
    rng = rng_for(plan.layout_seed, "sound:ambience")
    n = mix.shape[1]
    setting, weather = plan.setting, plan.weather
    night = plan.time_of_day in ("night", "dusk")
    indoors = setting == "room"

    if setting == "space":
        t = np.arange(n, dtype=np.float32) / np.float32(rate)
        for f, g in ((55.0, 0.3), (82.6, 0.2), (110.3, 0.12)):
            beat = 1 + 0.3 * np.sin(2 * np.pi * np.float32(0.07 * f / 55) * t)
            mix += (np.sin(2 * np.pi * np.float32(f) * t) * beat * np.float32(g))[None, :]
        mix += _stereo_noise(rng, n, rate, lo=30, hi=200) * np.float32(0.05)
        return
    if setting == "underwater":
        mix += _stereo_noise(rng, n, rate, lo=20, hi=280, tilt=-0.5) * np.float32(0.5)
        _events(rng, mix, rate, per_second=2.5, gain=0.25, make=_bubble)
        return

    # Wind: always a little, more in open places, muffled indoors and in snow or fog.
    wind = {"mountains": 0.45, "desert": 0.4, "snow": 0.35, "beach": 0.2}.get(setting, 0.15)
    hi = 300 if indoors or weather in ("snow", "fog") else 700
    bed = _stereo_noise(rng, n, rate, lo=40, hi=hi, tilt=-0.3)
    mix += bed * (_swell(rng, n, rate, period=11.0, depth=0.7) * np.float32(wind))[None, :]

    if setting in ("ocean", "beach"):
        waves = _stereo_noise(
            rng, n, rate, lo=80, hi=2500 if setting == "beach" else 1200, tilt=-0.4
        )
        swell = _swell(rng, n, rate, period=8.0, depth=0.85) ** 2
        mix += waves * (swell * np.float32(0.6))[None, :]
    if setting == "city":
        mix += _stereo_noise(rng, n, rate, lo=30, hi=250, tilt=-0.6) * np.float32(0.25)
        _events(rng, mix, rate, per_second=0.25, gain=0.35, make=_car_pass)
    if setting in ("forest", "meadow") and not indoors:
        leaves = _stereo_noise(rng, n, rate, lo=900, hi=6000)
        mix += leaves * (_swell(rng, n, rate, period=6.0, depth=0.8) * np.float32(0.05))[None, :]
        if night:
            _events(rng, mix, rate, per_second=1.2, gain=0.05, make=_crickets)
        elif weather in ("clear", "cloudy"):
            _events(rng, mix, rate, per_second=0.6, gain=0.12, make=_chirp)
    if indoors:
        mix *= np.float32(0.4)

    if weather == "rain":
        level = 0.25 if indoors else 0.55
        rain = _stereo_noise(
            rng,
            n,
            rate,
            lo=500 if not indoors else 200,
            hi=9000 if not indoors else 2500,
            tilt=-0.3,
        )
        mix += rain * np.float32(level)
        _events(rng, mix, rate, per_second=25.0 if not indoors else 6.0, gain=0.15, make=_drop)


# -- the pad -------------------------------------------------------------------------------


def _pad(plan: ScenePlan, mix: F32, rate: int) -> None:
    rng = rng_for(plan.layout_seed, "sound:pad")
    seconds, chords = PROGRESSIONS[plan.mood]
    transpose = int(rng.integers(-3, 4))
    start_chord = int(rng.integers(0, len(chords)))
    n = mix.shape[1]
    hop = int(seconds * rate)
    fade = int(hop * 0.45)
    pad = np.zeros((2, n), dtype=np.float32)
    segment = 0
    while segment * hop - fade < n:
        chord = chords[(start_chord + segment) % len(chords)]
        s0 = max(0, segment * hop - fade)
        s1 = min(n, (segment + 1) * hop + fade)
        length = s1 - s0
        # A raised-cosine window over the chord and both crossfades with its neighbours.
        pos = np.arange(s0, s1, dtype=np.float32) - np.float32(segment * hop - fade)
        span = np.float32(hop + 2 * fade)
        env = np.sin(np.pi * np.clip(pos / span, 0, 1)) ** 2
        t = np.arange(length, dtype=np.float32) / np.float32(rate)
        for voice, note in enumerate(chord):
            freq = 440.0 * 2 ** ((note + transpose - 69) / 12)
            pan = 0.5 + 0.3 * math.sin(voice * 2.1 + segment)
            level = 0.2 if voice == 0 else 0.13
            for channel, cents in ((0, -3.0), (1, 3.0)):
                f = freq * 2 ** (cents / 1200)
                index = (t * np.float32(f * _TABLE_SIZE)).astype(np.int64) & (_TABLE_SIZE - 1)
                gain = level * math.sqrt(pan if channel else 1 - pan)
                pad[channel, s0:s1] += _PAD_WAVE[index] * env * np.float32(gain)
        segment += 1
    # The pad sits behind the ambience, a little louder when the scene is otherwise quiet.
    level = 0.6 if plan.setting in ("room", "space") else 0.45
    mix += pad * np.float32(level)


def _finish(mix: F32, rate: int) -> None:
    """Loudness-normalise, keep peaks under `PEAK`, and fade the ends to avoid clicks."""
    rms = float(np.sqrt(np.mean(mix.astype(np.float64) ** 2)))
    if rms > 0:
        mix *= np.float32(TARGET_RMS / rms)
    peak = float(np.max(np.abs(mix)))
    if peak > PEAK:
        mix *= np.float32(PEAK / peak)
    ramp = min(mix.shape[1] // 2, int(0.05 * rate))
    if ramp > 0:
        curve = np.linspace(0, 1, ramp, dtype=np.float32)
        mix[:, :ramp] *= curve
        mix[:, mix.shape[1] - ramp :] *= curve[::-1]
