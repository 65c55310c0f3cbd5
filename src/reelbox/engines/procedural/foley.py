"""Sounds tied to what happens in the picture, and the sounds a prompt asks for by name.

Footsteps land when the figure's feet do (`motion.footfalls`), wings beat with the flapping,
engines hum louder and higher the faster and nearer a vehicle is and pan with it across the
frame, thunder follows each lightning flash after a delay that grows with its distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from reelbox.engines.procedural.ambience import babble, chirp, clap, tick, tile
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.kinds import KINDS
from reelbox.engines.procedural.motion import Stage, footfalls, place
from reelbox.engines.procedural.particles import lightning_strikes
from reelbox.engines.procedural.plan import ScenePlan, SubjectPlan
from reelbox.engines.procedural.seeding import rng_for
from reelbox.engines.procedural.synth import (
    Bus,
    NoiseTile,
    bed,
    burst,
    events,
    ramp_env,
    swell,
    tone,
)

_SOFT_GROUND = frozenset({"beach", "snow", "desert", "meadow", "park", "forest"})


def _pan(subject: SubjectPlan, stage: Stage, t: float) -> tuple[float, float]:
    """(pan 0..1, gain) for a subject at time t: panned by screen side, quieter far away."""
    spot = place(subject, stage, t)
    x = spot.x / max(1, stage.width)
    pan = min(0.95, max(0.05, 0.5 + 0.45 * (x - 0.5) * 2))
    on_screen = 1.0 if -0.1 <= x <= 1.1 else 0.35
    return pan, (1 - 0.7 * subject.depth) * on_screen


def subject_sounds(plan: ScenePlan, bus: Bus, stage: Stage, tempo: float) -> None:
    """Footsteps, hooves, wings, engines, rotors and the like for every moving subject."""
    rate = bus.rate
    soft = plan.setting in _SOFT_GROUND
    start, end = bus.t0, bus.t0 + bus.seconds
    for index, subject in enumerate(plan.subjects):
        kind = KINDS.get(subject.kind)
        if kind is None:
            continue
        rng = rng_for(plan.layout_seed, f"foley:{index}")
        foley = kind.foley
        if subject.action == "fly" and kind.category in ("animal", "person"):
            foley = "wings" if kind.category == "animal" else "none"
        if foley in ("steps", "paws", "hooves"):
            if subject.action in ("walk", "run", "jump", "dance"):
                for ts in footfalls(subject, stage, start * tempo, end * tempo):
                    t = ts / tempo
                    pan, gain = _pan(subject, stage, ts)
                    bus.add(_step(rng, rate, foley, soft), t, gain=0.32 * gain, pan=pan)
        elif foley == "wings" and subject.action == "fly":
            _wings(bus, subject, stage, rng, tempo)
        elif foley in ("engine", "motor", "jet", "rotor", "hum") and subject.action != "sit":
            _drone(bus, subject, stage, foley, tempo)
        elif foley == "flame":
            events(
                bus,
                plan.layout_seed,
                f"crackle:{index}",
                per_second=9.0,
                make=lambda r: burst(r, rate, seconds=0.012, decay=900.0, color=1.0),
                gain=0.18,
            )
        elif foley == "splash" and subject.action in ("swim", "float", "jump"):
            events(
                bus,
                plan.layout_seed,
                f"splash:{index}",
                per_second=0.6,
                make=lambda r: _splash(r, rate),
                gain=0.2,
            )
        elif foley == "bell" and subject.action == "drive":
            events(
                bus,
                plan.layout_seed,
                f"bell:{index}",
                per_second=0.12,
                make=lambda r: _ring(rate),
                gain=0.2,
            )


def _step(rng: np.random.Generator, rate: int, foley: str, soft: bool) -> F32:
    if foley == "hooves":
        n = int(0.06 * rate)
        knock = tone(float(rng.uniform(600, 900)), 0.06, rate) * ramp_env(n, 1, 120 / rate)
        return f32(knock * 0.6 + burst(rng, rate, seconds=0.06, decay=150.0, color=0.6)[:n] * 0.5)
    color = 0.25 if soft else 0.65
    seconds = 0.07 if soft else 0.05
    level = 0.6 if foley == "paws" else 1.0
    return f32(burst(rng, rate, seconds=seconds, decay=90.0, color=color) * np.float32(level))


def _splash(rng: np.random.Generator, rate: int) -> F32:
    n = int(rate * rng.uniform(0.3, 0.6))
    start = int(rng.integers(0, rate))
    water = tile("splash", rate, 300, 6000).read(start, n)[0]
    return f32(water * ramp_env(n, int(0.01 * rate), 9 / rate))


def _ring(rate: int) -> F32:
    ring = tone(2100.0, 0.9, rate) + tone(2650.0, 0.9, rate) * np.float32(0.5)
    return f32(ring * ramp_env(ring.size, 2, 6 / rate) * np.float32(0.5))


def _wings(
    bus: Bus, subject: SubjectPlan, stage: Stage, rng: np.random.Generator, tempo: float
) -> None:
    rate = bus.rate
    flaps = {"bird": 7.0, "eagle": 2.2, "seagull": 3.2, "owl": 4.0, "butterfly": 0.0}.get(
        subject.kind, 3.0
    )
    if flaps <= 0:
        return
    # Small birds flutter (too fast for single beats); big ones whoosh once per beat.
    step = 1.0 / flaps
    k = math.ceil(bus.t0 * tempo / step)
    while k * step < (bus.t0 + bus.seconds) * tempo:
        ts = k * step
        pan, gain = _pan(subject, stage, ts)
        n = int(rate * min(0.2, step * 0.8))
        start = int(rng.integers(0, rate))
        whoosh = tile("wing", rate, 150, 1800).read(start, n)[0]
        env = np.sin(np.pi * np.arange(n, dtype=np.float32) / n) ** 2
        bus.add(
            f32(whoosh * env), ts / tempo, gain=0.06 * gain * (0.6 if flaps > 5 else 1.0), pan=pan
        )
        k += 1


def _drone(bus: Bus, subject: SubjectPlan, stage: Stage, foley: str, tempo: float) -> None:
    """A continuous machine sound whose loudness and pan follow the subject."""
    rate = bus.rate
    speed = subject.speed * (2.0 if subject.action == "run" else 1.0)
    base = {"engine": 45.0, "motor": 32.0, "jet": 0.0, "rotor": 0.0, "hum": 110.0}[foley]
    pitch = base * (1 + 2.5 * min(1.0, speed / 0.3))
    noise = tile(
        "jet" if foley in ("jet", "rotor") else "engine",
        rate,
        80 if foley != "jet" else 200,
        1500 if foley != "jet" else 5000,
    )
    for begin, end in bus.chunks():
        t = bus.times(begin, end)
        # Loudness and pan at a few points across the chunk, interpolated.
        marks = np.linspace(float(t[0]), float(t[-1]), 9)
        values = [_pan(subject, stage, float(m) * tempo) for m in marks]
        pan = np.interp(t, marks, [v[0] for v in values]).astype(np.float32)
        gain = np.interp(t, marks, [v[1] for v in values]).astype(np.float32)
        block = noise.read(bus.start + begin, end - begin)[0] * np.float32(0.3)
        if base:
            hum = (
                np.sin(2 * np.pi * np.float32(pitch) * t)
                + 0.5 * np.sin(2 * np.pi * np.float32(pitch * 2.01) * t)
                + 0.25 * np.sin(2 * np.pi * np.float32(pitch * 3.02) * t)
            )
            block = block + f32(hum) * np.float32(0.35)
        if foley == "rotor":
            block = block * f32(np.abs(np.sin(np.pi * np.float32(5.5) * t)) ** 4 * 1.8)
        if foley == "hum":
            block = block * np.float32(0.3) + f32(
                np.sin(2 * np.pi * np.float32(165) * t + 2 * np.sin(t * 3))
            ) * np.float32(0.3)
        level = gain * np.float32(0.22)
        left = np.cos(pan * np.float32(math.pi / 2)) * level
        right = np.sin(pan * np.float32(math.pi / 2)) * level
        bus.data[0, begin:end] += block * left
        bus.data[1, begin:end] += block * right


def thunder(plan: ScenePlan, bus: Bus) -> None:
    """Thunder after every lightning strike of a storm (and now and then when asked for)."""
    rate = bus.rate
    strikes = lightning_strikes(plan.layout_seed, bus.seconds, offset=bus.t0)
    heard = [s for s in strikes if s.time + 0.15 + 2.6 * s.distance < bus.t0 + bus.seconds]
    if not heard and bus.t0 == 0:
        # No flash early enough to be heard in this clip: a distant roll all the same.
        start = min(0.3, 0.2 * bus.seconds)
        bus.add(_boom(rng_for(plan.layout_seed, "roll"), rate), start, gain=0.7, pan=0.4)
    for strike in strikes:
        rng = rng_for(plan.layout_seed, f"thunder:{strike.time:.3f}")
        delay = 0.15 + 2.6 * strike.distance
        pan = 0.15 + 0.7 * strike.x
        near = 1 - strike.distance
        if near > 0.45:
            bus.add(
                burst(rng, rate, seconds=0.35, decay=14.0, color=0.9),
                strike.time + delay * 0.4,
                gain=0.5 * near,
                pan=pan,
            )
        n = int(rate * (2.5 + 2.0 * strike.distance))
        rumble = tile("thunder", rate, 25, 300 + 500 * near, -0.3).read(
            int(rng.integers(0, rate * 3)), n
        )[0]
        t = np.arange(n, dtype=np.float32) / np.float32(rate)
        env = (
            (1 - np.exp(-t * 12))
            * np.exp(-t / np.float32(0.9 + strike.distance))
            * (0.7 + 0.3 * np.sin(t * 5.1) * np.sin(t * 2.3))
        )
        bus.add(f32(rumble * env), strike.time + delay, gain=0.9 * (0.5 + 0.5 * near), pan=pan)


def cues(plan: ScenePlan, bus: Bus) -> None:
    """The sounds the prompt names: bells, applause, sirens, a ticking clock..."""
    rate, seed = bus.rate, plan.layout_seed
    for cue in plan.sound.cues:
        if cue == "thunder" and plan.weather != "storm":
            thunder(plan, bus)  # (a storm's thunder is part of the storm)
        elif cue == "birdsong":
            _first(bus, seed, "birds", lambda r: chirp(r, rate), gain=0.4, every=0.35, count=3)
            events(bus, seed, "cue-birds", per_second=1.6, make=lambda r: chirp(r, rate), gain=0.4)
        elif cue == "bells":
            _bells(bus, seed)
        elif cue == "applause":
            events(
                bus,
                seed,
                "claps",
                per_second=40.0,
                make=lambda r: clap(r, rate),
                gain=0.36,
                spread=(0.05, 0.95),
            )
        elif cue == "crowd":
            babble(bus, seed, gain=0.15)
        elif cue == "traffic":
            bed(bus, tile("city", rate, 30, 250, -0.6), gain=0.3)
        elif cue == "siren":
            _siren(bus)
        elif cue == "horn":
            _first(bus, seed, "horn", lambda r: _horn(r, rate), gain=0.8)
            events(bus, seed, "horns", per_second=0.35, make=lambda r: _horn(r, rate), gain=0.8)
        elif cue == "bark":
            _first(bus, seed, "bark", lambda r: _bark(r, rate), gain=1.4, every=0.3, count=2)
            events(bus, seed, "barks", per_second=0.5, make=lambda r: _bark(r, rate), gain=1.4)
        elif cue == "waves":
            bed(
                bus,
                tile("surf", rate, 80, 2500, -0.4),
                gain=0.75,
                envelope=lambda t: swell(t, seed, "cue-surf", period=7.0, depth=0.85) ** 2,
            )
        elif cue == "wind":
            bed(
                bus,
                tile("wind", rate, 40, 800, -0.3),
                gain=0.35,
                envelope=lambda t: swell(t, seed, "cue-wind", period=6.0, depth=0.8),
            )
        elif cue == "rain":
            bed(bus, tile("rain", rate, 500, 9000, -0.3), gain=0.35)
        elif cue == "fire":
            bed(bus, tile("roar", rate, 40, 400), gain=0.12)
            events(
                bus,
                seed,
                "cue-crackle",
                per_second=12.0,
                make=lambda r: burst(r, rate, seconds=0.01, decay=1000.0, color=1.0),
                gain=0.2,
            )
        elif cue == "footsteps":
            for k in range(math.ceil(bus.t0 * 1.8), math.floor((bus.t0 + bus.seconds) * 1.8) + 1):
                r = rng_for(seed, f"cue-step:{k}")
                bus.add(
                    burst(r, rate, seconds=0.06, decay=80.0, color=0.5),
                    k / 1.8,
                    gain=0.85,
                    pan=0.4 + 0.2 * (k % 2),
                )
        elif cue == "clock":
            for k in range(math.ceil(bus.t0), math.floor(bus.t0 + bus.seconds) + 1):
                bus.add(tick(rng_for(seed, "tick"), rate), float(k), gain=1.5)
        elif cue == "heartbeat":
            beat = 60 / 70
            for k in range(math.ceil(bus.t0 / beat), math.floor((bus.t0 + bus.seconds) / beat) + 1):
                for offset, level in ((0.0, 0.6), (0.22, 0.4)):
                    bus.add(_thump(rate), k * beat + offset, gain=level)
        elif cue == "explosion":
            for t, pan in _burst_times(plan, bus):
                bus.add(_boom(rng_for(seed, f"boom:{t:.3f}"), rate), t, gain=0.8, pan=pan)
        elif cue == "whistle":
            for t in cue_times(plan, cue, start=bus.t0, end=bus.t0 + bus.seconds):
                bus.add(_whistle(rate), t, gain=1.4, pan=_pan_of(plan, "train", bus, t))
        elif cue == "sizzle":
            bed(bus, tile("sizzle", rate, 2500, 12000, 0.2), gain=0.3, envelope=_sputter(seed))
            events(
                bus,
                seed,
                "spits",
                per_second=9.0,
                make=lambda r: burst(r, rate, seconds=0.008, decay=1400.0, color=1.0),
                gain=0.25,
                spread=(0.4, 0.6),
            )
        elif cue == "howl":
            for t in cue_times(plan, cue, start=bus.t0, end=bus.t0 + bus.seconds):
                bus.add(_howl(rate), t, gain=1.6, pan=_pan_of(plan, "wolf", bus, t))
        elif cue == "cheer":
            babble(bus, seed, gain=0.12)
            for t in cue_times(plan, cue, start=bus.t0, end=bus.t0 + bus.seconds):
                bus.add(_cheer(rng_for(seed, f"cheer:{t:.3f}"), rate), t, gain=1.6)
            events(
                bus,
                seed,
                "cheer-claps",
                per_second=30.0,
                make=lambda r: clap(r, rate),
                gain=0.1,
                spread=(0.05, 0.95),
            )
        elif cue == "hum":
            bed(bus, _hum(rate), gain=0.3)


# Sounds that happen at moments, not all the time: when the first one starts, and how often
# it comes back. Each named one happens at least once in any clip of a second or more.
_MOMENTS = {"whistle": (0.6, 4.5), "howl": (0.5, 4.0), "cheer": (0.4, 3.5)}


def cue_times(plan: ScenePlan, cue: str, *, start: float, end: float) -> list[float]:
    """When a momentary named sound plays within [start, end) seconds of scene time."""
    if cue == "explosion":
        return [t for t, _ in _bursts(plan, start, end)]
    first, period = _MOMENTS[cue]
    first = min(first, 0.25 * max(0.0, end - start) + start) if start == 0 else first
    times, k = [], max(0, math.ceil((start - first) / period))
    while first + k * period < end:
        times.append(first + k * period)
        k += 1
    return times


def _bursts(plan: ScenePlan, start: float, end: float) -> list[tuple[float, float]]:
    """(time, pan) of each firework bursting on screen, or a boom every 4 s without any."""
    from reelbox.engines.procedural.figures.extras import BURST_SECONDS

    found: list[tuple[float, float]] = []
    for index, subject in enumerate(plan.subjects):
        if subject.kind != "fireworks":
            continue
        variant = index * 7 + 3  # as the actors draw it
        for shell in range(3):
            # The burst is at phase 0.2 of each shell's cycle (see figures/extras.py).
            offset = ((0.2 - 0.37 * shell - 0.21 * variant) % 1.0) * BURST_SECONDS
            k = max(0, math.ceil((start - offset) / BURST_SECONDS))
            while offset + k * BURST_SECONDS < end:
                found.append((offset + k * BURST_SECONDS, (0.25, 0.5, 0.75)[shell]))
                k += 1
    if not found:
        first, period = min(0.8, 0.3 * (end - start)) if start == 0 else 0.8, 4.0
        k = max(0, math.ceil((start - first) / period))
        while first + k * period < end:
            found.append((first + k * period, 0.5))
            k += 1
    return sorted(found)


def _first(
    bus: Bus,
    seed: int,
    purpose: str,
    make: Callable[[np.random.Generator], F32],
    *,
    gain: float,
    every: float = 0.0,
    count: int = 1,
) -> None:
    """A named sound that would otherwise come at random: once early in the clip for sure."""
    if bus.t0 > 0:
        return  # an extension's window: the clip it continues already had it
    start = min(0.35, 0.2 * bus.seconds)
    for k in range(count):
        bus.add(make(rng_for(seed, f"first:{purpose}:{k}")), start + k * every, gain=gain)


def _burst_times(plan: ScenePlan, bus: Bus) -> list[tuple[float, float]]:
    return _bursts(plan, bus.t0, bus.t0 + bus.seconds)


def _pan_of(plan: ScenePlan, kind: str, bus: Bus, t: float) -> float:
    for subject in plan.subjects:
        if subject.kind == kind and subject.motion == "still":
            return min(0.85, max(0.15, subject.x0))
    return 0.5


def _sputter(seed: int) -> Callable[[F32], F32]:
    def envelope(t: F32) -> F32:
        return f32(0.6 + 0.4 * swell(t, seed, "sizzle", period=1.3, depth=0.7))

    return envelope


def _howl(rate: int) -> F32:
    n = int(2.2 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    # A rising then falling glide with a little vibrato, like a wolf's howl.
    f = 420 + 260 * np.clip(np.sin(np.pi * np.minimum(1.0, t / 2.0)), 0, 1) ** 0.7
    f = f * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f) / np.float32(rate)
    voice = np.sin(phase) + 0.25 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
    env = np.minimum(1, t * 3) * np.minimum(1, (2.2 - t) * 2.5)
    return f32(voice * env * 0.5)


def _cheer(rng: np.random.Generator, rate: int) -> F32:
    n = int(1.6 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    crowd = tile("cheer", rate, 250, 4000, -0.1).read(int(rng.integers(0, rate)), n)[0]
    voices = sum(
        np.sin(2 * np.pi * np.float32(f) * t * (1 + 0.08 * t)) for f in (330.0, 415.0, 495.0)
    )
    env = np.minimum(1, t * 5) * np.exp(-np.maximum(0, t - 0.6) * 2.5)
    return f32((crowd * 0.8 + 0.15 * voices) * env)


def _hum(rate: int) -> NoiseTile:
    return tile("hum", rate, 90, 700, -0.8)


def _bells(bus: Bus, seed: int) -> None:
    rate = bus.rate
    notes = (392.0, 330.0, 294.0, 262.0)
    period = 1.4
    for k in range(math.ceil(bus.t0 / period), math.floor((bus.t0 + bus.seconds) / period) + 1):
        freq = notes[k % len(notes)]
        n = int(3.0 * rate)
        strike = np.zeros(n, dtype=np.float32)
        for ratio, level, decay in (
            (1.0, 1.0, 1.2),
            (2.0, 0.5, 2.0),
            (2.4, 0.35, 2.6),
            (3.0, 0.25, 3.0),
            (4.2, 0.15, 4.0),
        ):
            strike += (
                tone(freq * ratio, 3.0, rate)[:n] * ramp_env(n, 2, decay / rate) * np.float32(level)
            )
        bus.add(strike, k * period, gain=0.18, pan=0.35 + 0.3 * (k % 2))


def _siren(bus: Bus) -> None:
    omega = 2 * math.pi / 3.5
    for begin, end in bus.chunks():
        t = bus.times(begin, end).astype(np.float64)
        # The phase of a tone sweeping 950 +- 320 Hz, integrated exactly (no seams).
        phase = 2 * np.pi * (950 * t - 320 / omega * np.cos(omega * t))
        wail = f32(np.sin(phase) + 0.3 * np.sin(2 * phase))
        level = f32(0.09 + 0.08 * (1 + np.sin(t * 0.4)))
        block = f32(wail * level)
        bus.add_stereo(begin, np.stack([block, block * np.float32(0.8)]))


def _horn(rng: np.random.Generator, rate: int) -> F32:
    seconds = float(rng.uniform(0.2, 0.5))
    blare = tone(410.0, seconds, rate) + tone(520.0, seconds, rate)
    blare = np.sign(blare) * np.minimum(np.abs(blare), 0.8)
    env = np.ones(blare.size, np.float32)
    ramp = int(0.01 * rate)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[-ramp:] = np.linspace(1, 0, ramp)
    return f32(blare * env * 0.5)


def _bark(rng: np.random.Generator, rate: int) -> F32:
    n = int(0.16 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    f0 = float(rng.uniform(380, 560))
    voice = np.sign(np.sin(2 * np.pi * np.float32(f0) * t * (1 - 0.6 * t)))
    noise = burst(rng, rate, seconds=0.16, decay=20.0, color=0.6)[:n]
    env = ramp_env(n, int(0.005 * rate), 18 / rate)
    return f32((voice * 0.4 + noise * 0.6) * env)


def _thump(rate: int) -> F32:
    n = int(0.15 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    return f32(np.sin(2 * np.pi * 55 * t * (1 - 1.5 * t)) * np.exp(-t * 30))


def _boom(rng: np.random.Generator, rate: int) -> F32:
    n = int(2.5 * rate)
    low = tile("boom", rate, 20, 500, -0.5).read(int(rng.integers(0, rate)), n)[0]
    return f32(low * ramp_env(n, int(0.005 * rate), 2.2 / rate))


def _whistle(rate: int) -> F32:
    n = int(1.4 * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    vibrato = 1 + 0.004 * np.sin(2 * np.pi * 6 * t)
    chord = sum(np.sin(2 * np.pi * np.float32(f) * t * vibrato) for f in (587.0, 740.0, 880.0))
    env = np.minimum(1, t * 8) * np.minimum(1, (1.4 - t) * 6)
    return f32(chord * env * 0.3)
