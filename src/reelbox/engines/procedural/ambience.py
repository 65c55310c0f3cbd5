"""The sound of a place and its weather: wind, rain, surf, leaves, birds, crickets, traffic,
room tone, a murmuring audience, the hush under water and the hum of space."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.synth import Bus, NoiseTile, bed, burst, events, ramp_env, swell

_OPEN = {"mountains": 0.45, "desert": 0.42, "snow": 0.35, "beach": 0.25, "road": 0.2}


@lru_cache(maxsize=16)
def tile(purpose: str, rate: int, lo: float, hi: float, tilt: float = 0.0) -> NoiseTile:
    """A noise tile of a given colour; the same for every scene (scenes differ in how they use
    them), so a worker process builds each one once."""
    return NoiseTile(0, purpose, rate, lo=lo, hi=hi, tilt=tilt, seconds=4.0)


def chirp(rng: np.random.Generator, rate: int) -> F32:
    """A little bird call: two to four rising or falling whistles."""
    parts = []
    base = float(rng.uniform(2200, 4200))
    for _ in range(int(rng.integers(2, 5))):
        length = int(rate * rng.uniform(0.05, 0.12))
        t = np.arange(length, dtype=np.float32) / np.float32(rate)
        sweep = np.float32(rng.uniform(-1800, 2500))
        phase = 2 * np.pi * (np.float32(base) * t + sweep * t * t / 2)
        env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length) ** 2
        parts.append(f32(np.sin(phase) * env))
        parts.append(np.zeros(int(rate * rng.uniform(0.03, 0.08)), dtype=np.float32))
    return f32(np.concatenate(parts))


def crickets(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.4, 0.9))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    carrier = np.sin(2 * np.pi * np.float32(rng.uniform(4200, 5200)) * t)
    gate = (np.sin(2 * np.pi * np.float32(rng.uniform(14, 22)) * t) > 0.3).astype(np.float32)
    env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length)
    return f32(carrier * gate * env)


def bubble(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.03, 0.07))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    f0 = np.float32(rng.uniform(300, 700))
    return f32(
        np.sin(2 * np.pi * (f0 * t + np.float32(6000) * t * t)) * np.exp(-t * np.float32(60))
    )


def drop(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(0.004, 0.012))
    t = np.arange(length, dtype=np.float32) / np.float32(rate)
    freq = np.float32(rng.uniform(2000, 6000))
    return f32(np.sin(2 * np.pi * freq * t) * np.exp(-t * np.float32(600)))


def car_pass(rng: np.random.Generator, rate: int) -> F32:
    length = int(rate * rng.uniform(2.0, 4.0))
    start = int(rng.integers(0, rate * 3))
    hum = tile("traffic", rate, 80, 900, -0.5).read(start, length)[0]
    env = np.sin(np.pi * np.arange(length, dtype=np.float32) / length) ** 3
    return f32(hum * env)


def ambience(plan: ScenePlan, bus: Bus) -> None:
    """Mix the setting's and the weather's background sound into `bus`."""
    rate, seed = bus.rate, plan.layout_seed
    setting, weather = plan.setting, plan.weather
    night = plan.time_of_day in ("night", "dusk")
    indoors = setting in ("room", "stage")

    if setting == "space":
        for begin, end in bus.chunks():
            t = bus.times(begin, end)
            block = np.zeros(end - begin, dtype=np.float32)
            for freq, gain in ((55.0, 0.3), (82.6, 0.2), (110.3, 0.12)):
                beat = 1 + 0.3 * np.sin(2 * np.pi * np.float32(0.07 * freq / 55) * t)
                block += np.sin(2 * np.pi * np.float32(freq) * t) * beat * np.float32(gain)
            bus.add_stereo(begin, np.stack([block, block]))
        bed(bus, tile("space", rate, 30, 200), gain=0.05)
        return
    if setting == "underwater":
        bed(bus, tile("deep", rate, 20, 280, -0.5), gain=0.5)
        events(bus, seed, "bubbles", per_second=2.5, make=lambda r: bubble(r, rate), gain=0.25)
        return

    # Wind: always a little, more in open places and with the wind; muffled indoors.
    level = (_OPEN.get(setting, 0.15) + 0.6 * plan.wind) * (0.3 if indoors else 1.0)
    muffled = indoors or weather in ("snow", "fog")
    wind = tile("wind-soft" if muffled else "wind", rate, 40, 300 if muffled else 800, -0.3)
    depth = min(0.9, 0.55 + 0.4 * plan.wind)
    bed(bus, wind, gain=level, envelope=lambda t: swell(t, seed, "wind", period=10.0, depth=depth))

    if setting in ("ocean", "beach"):
        surf = tile(
            "surf" if setting == "beach" else "sea",
            rate,
            80,
            2500 if setting == "beach" else 1200,
            -0.4,
        )
        bed(
            bus,
            surf,
            gain=0.6,
            envelope=lambda t: swell(t, seed, "surf", period=8.0, depth=0.85) ** 2,
        )
    elif setting == "lake":
        bed(
            bus,
            tile("lapping", rate, 200, 1500),
            gain=0.12,
            envelope=lambda t: swell(t, seed, "lap", period=2.6, depth=0.8) ** 3,
        )
    if setting in ("city", "skyline", "road"):
        hum = 0.25 if setting == "city" else 0.1
        bed(bus, tile("city", rate, 30, 250, -0.6), gain=hum)
        per = {"city": 0.3, "road": 0.12, "skyline": 0.05}[setting]
        events(bus, seed, "cars", per_second=per, make=lambda r: car_pass(r, rate), gain=0.35)
    if setting in ("forest", "meadow", "park"):
        bed(
            bus,
            tile("leaves", rate, 900, 6000),
            gain=0.05 + 0.08 * plan.wind,
            envelope=lambda t: swell(t, seed, "leaves", period=6.0, depth=0.8),
        )
        if night:
            events(
                bus, seed, "crickets", per_second=1.2, make=lambda r: crickets(r, rate), gain=0.05
            )
        elif weather in ("clear", "cloudy"):
            events(bus, seed, "birds", per_second=0.7, make=lambda r: chirp(r, rate), gain=0.1)
    if setting == "room":
        bed(bus, tile("room", rate, 40, 220, -0.4), gain=0.05)
    if setting == "stage":
        babble(bus, seed, gain=0.08)

    if weather in ("rain", "storm"):
        heavy = weather == "storm"
        rain = tile(
            "rain-in" if indoors else "rain",
            rate,
            200 if indoors else 500,
            2500 if indoors else 9000,
            -0.3,
        )
        bed(bus, rain, gain=(0.25 if indoors else 0.5) * (1.35 if heavy else 1.0))
        events(
            bus,
            seed,
            "drops",
            per_second=6.0 if indoors else 22.0,
            make=lambda r: drop(r, rate),
            gain=0.12,
        )


def babble(bus: Bus, seed: int, *, gain: float) -> None:
    """A crowd talking: speech-coloured noise that comes and goes at the pace of syllables."""
    voices = tile("babble", bus.rate, 300, 3000, -0.2)

    def envelope(t: F32) -> F32:
        syllables = 0.6 + 0.4 * np.abs(
            np.sin(t * np.float32(2 * math.pi * 2.3))
            * np.sin(t * np.float32(2 * math.pi * 1.7) + 1)
        )
        return f32(syllables * swell(t, seed, "babble", period=7.0, depth=0.4))

    bed(bus, voices, gain=gain, envelope=envelope)


def clap(rng: np.random.Generator, rate: int) -> F32:
    return burst(rng, rate, seconds=0.03, decay=180.0, color=0.8)


def tick(rng: np.random.Generator, rate: int) -> F32:
    n = int(0.01 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    return f32(np.sin(2 * np.pi * np.float32(3200) * t) * ramp_env(n, 1, 800 / rate))
