"""Sound building blocks: noise beds, short events, tones, envelopes and the mix bus.

Everything is float32 and works in chunks, so a two-minute track never needs more than the mix
buffer itself plus a few seconds of scratch. Continuous beds read from `NoiseTile`s: a few
seconds of noise shaped in the frequency domain, which loops seamlessly (the filtering is
circular) and is indexed by the absolute sample number, so a clip's extension continues the
very same sound. Random choices come from the plan's layout seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.seeding import rng_for

CHUNK = 48_000  # samples per chunk for continuous sounds
TILE_SECONDS = 6.0


class Bus:
    """The stereo mix: a (2, samples) float32 buffer for the clip's time window.

    `start` is the absolute sample of the window's first sample (an extension's window
    starts where its source ended), so sounds are placed by absolute time.
    """

    def __init__(self, samples: int, rate: int, start: int = 0, *, allocate: bool = True) -> None:
        self.rate = rate
        self.start = start
        self.n = samples
        self.data = np.zeros((2, samples if allocate else 0), dtype=np.float32)
        self.duck: F32 | None = None  # per-sample music gain (speech ducking), when set

    @property
    def seconds(self) -> float:
        return self.n / self.rate

    @property
    def t0(self) -> float:
        return self.start / self.rate

    def chunks(self) -> Iterator[tuple[int, int]]:
        """(begin, end) local sample ranges of CHUNK samples."""
        for begin in range(0, self.n, CHUNK):
            yield begin, min(self.n, begin + CHUNK)

    def times(self, begin: int, end: int) -> F32:
        """Absolute times in seconds of local samples begin..end."""
        return f32((np.arange(begin, end, dtype=np.float64) + self.start) / self.rate)

    def add(self, sound: F32, at: float, *, gain: float = 1.0, pan: float = 0.5) -> None:
        """Mix a mono `sound` starting at absolute time `at` (clipped to the window)."""
        first = round(at * self.rate) - self.start
        begin, end = max(0, first), min(self.n, first + sound.size)
        if begin >= end:
            return
        part = sound[begin - first : end - first]
        left = np.float32(gain * math.cos(pan * math.pi / 2))
        right = np.float32(gain * math.sin(pan * math.pi / 2))
        self.data[0, begin:end] += part * left
        self.data[1, begin:end] += part * right

    def add_stereo(self, begin: int, block: F32, gain: float | F32 = 1.0) -> None:
        """Mix a (2, k) block at local sample `begin`."""
        end = begin + block.shape[1]
        self.data[:, begin:end] += block * gain


class NoiseTile:
    """Seamlessly looping noise, band-limited to lo..hi Hz (12 dB/octave skirts), unit RMS."""

    def __init__(
        self,
        seed: int,
        purpose: str,
        rate: int,
        *,
        lo: float,
        hi: float,
        tilt: float = 0.0,
        seconds: float = TILE_SECONDS,
    ) -> None:
        rng = rng_for(seed, f"noise:{purpose}")
        n = int(seconds * rate)
        spectrum = np.fft.rfft(rng.standard_normal((2, n)).astype(np.float32), axis=1)
        f = np.fft.rfftfreq(n, 1 / rate).astype(np.float32)
        f[0] = 1.0
        shape = 1 / np.sqrt(1 + (np.float32(lo) / f) ** 4) / np.sqrt(1 + (f / np.float32(hi)) ** 4)
        if tilt:
            shape *= (f / np.float32(1000)) ** np.float32(tilt)
        shape[0] = 0.0
        tile = np.fft.irfft(spectrum * shape[None, :].astype(np.complex64), n, axis=1)
        rms = float(np.sqrt(np.mean(np.square(tile, dtype=np.float64))))
        self.tile = f32(tile / (rms if rms > 0 else 1.0))
        self.n = n

    def read(self, start: int, count: int) -> F32:
        """(2, count) samples from absolute sample `start` (wrapping around the tile)."""
        index = (np.arange(start, start + count) % self.n).astype(np.intp)
        return f32(self.tile[:, index])


def swell(times: F32, seed: int, purpose: str, *, period: float, depth: float) -> F32:
    """A slow, irregular loudness curve between 1 - depth and 1, a function of absolute time."""
    rng = rng_for(seed, f"swell:{purpose}")
    curve = np.zeros(times.shape, dtype=np.float32)
    total = 0.0
    for k in (1.0, 1.7, 2.9):
        phase = float(rng.uniform(0, 2 * math.pi))
        curve += np.sin(times * np.float32(2 * math.pi * k / period) + np.float32(phase)) / k
        total += 1 / k
    return f32(1 - depth + depth * (curve / np.float32(total) * 0.5 + 0.5))


def bed(
    bus: Bus,
    tile: NoiseTile,
    *,
    gain: float,
    envelope: Callable[[F32], F32] | None = None,
) -> None:
    """Mix a looping noise bed over the whole window, shaped by `envelope(times)`."""
    for begin, end in bus.chunks():
        block = tile.read(bus.start + begin, end - begin)
        level: float | F32 = gain
        if envelope is not None:
            level = envelope(bus.times(begin, end)) * np.float32(gain)
        bus.add_stereo(begin, block, level)


def events(
    bus: Bus,
    seed: int,
    purpose: str,
    *,
    per_second: float,
    make: Callable[[np.random.Generator], F32],
    gain: float,
    spread: tuple[float, float] = (0.15, 0.85),
) -> None:
    """Scatter short sounds over the window at random times (by absolute time, so the same
    scene always places them the same way), panned at random."""
    rng = rng_for(seed, f"events:{purpose}")
    # Walk the timeline from zero so an extension window sees the same events.
    t = 0.0
    end_t = bus.t0 + bus.seconds
    while True:
        t += float(rng.exponential(1.0 / per_second))
        if t >= end_t:
            return
        sound_rng = rng_for(seed, f"events:{purpose}:{t:.4f}")
        if t + 6.0 < bus.t0:
            continue
        sound = make(sound_rng)
        bus.add(
            sound,
            t,
            gain=gain * float(sound_rng.uniform(0.4, 1.0)),
            pan=float(sound_rng.uniform(*spread)),
        )


# -- little sounds ----------------------------------------------------------------------------


def ramp_env(length: int, attack: int, rate_per_sample: float) -> F32:
    """A fast attack then an exponential decay."""
    i = np.arange(length, dtype=np.float32)
    env = np.exp(-i * np.float32(rate_per_sample))
    if attack > 0:
        env[:attack] *= np.linspace(0, 1, attack, dtype=np.float32)
    return f32(env)


def burst(
    rng: np.random.Generator, rate: int, *, seconds: float, decay: float, color: float
) -> F32:
    """A short noise burst (a click, a step, a clap); `color` 0 dark .. 1 bright."""
    n = max(8, int(seconds * rate))
    noise = rng.standard_normal(n).astype(np.float32)
    if color < 1:
        # A cheap low-pass: average neighbouring samples (more for darker sounds).
        width = max(1, int(1 + (1 - color) * 24))
        noise = np.convolve(noise, np.ones(width, np.float32) / np.float32(width), mode="same")
    return f32(noise * ramp_env(n, max(1, int(0.002 * rate)), decay / rate))


def tone(freq: float | F32, seconds: float, rate: int, *, phase: float = 0.0) -> F32:
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    return f32(
        np.sin(np.float32(2 * math.pi) * np.asarray(freq, np.float32) * t + np.float32(phase))
    )


def midi(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)
