"""The music bed: a chord progression for the mood, played by an instrument for the style.

Moods choose chords, tempo and how busy the playing is; styles (or the prompt's own music
words) choose the instrument: a soft pad, piano arpeggios, strings with drums for epic or tense
scenes, a jazz trio for noir, chiptune for pixel art, an electronic groove, a strummed guitar
or a music box. Time is absolute, so an extension carries on the same progression. Music is
ducked under speech (`Bus.duck`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from reelbox.engines.procedural.ambience import tile
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.engines.procedural.seeding import rng_for
from reelbox.engines.procedural.synth import Bus, burst, midi, ramp_env

Chord = tuple[int, ...]

# Chord progressions per mood (MIDI notes in C, before transposition) and beats per minute.
PROGRESSIONS: dict[str, tuple[int, tuple[Chord, ...]]] = {
    "bright": (112, ((48, 60, 64, 67), (43, 59, 62, 67), (45, 60, 64, 69), (41, 57, 60, 65))),
    "calm": (72, ((48, 55, 62, 64), (41, 57, 60, 64), (45, 52, 59, 64), (43, 55, 62, 67))),
    "warm": (84, ((50, 57, 61, 66), (43, 55, 59, 66), (47, 54, 59, 62), (45, 52, 57, 61))),
    "melancholy": (70, ((45, 57, 60, 64), (41, 57, 60, 65), (48, 55, 60, 64), (43, 55, 59, 62))),
    "mysterious": (64, ((50, 57, 62, 65), (46, 53, 58, 62), (49, 52, 58, 61), (45, 57, 60, 64))),
    "tense": (120, ((40, 52, 55, 59), (41, 53, 56, 60), (40, 52, 55, 59), (38, 50, 53, 57))),
    "epic": (96, ((45, 57, 60, 64), (41, 53, 57, 60), (48, 55, 60, 64), (43, 55, 59, 62))),
}
BEATS_PER_CHORD = 8

_AUTO_BY_STYLE = {
    "cinematic": "strings",
    "anime": "piano",
    "watercolor": "piano",
    "noir": "jazz",
    "pixel_art": "chiptune",
    "vintage": "piano",
}
_AUTO_BY_MOOD = {
    "bright": "piano",
    "calm": "pad",
    "warm": "guitar",
    "melancholy": "piano",
    "mysterious": "pad",
    "tense": "strings",
    "epic": "strings",
}
_LEVELS = {
    "pad": 0.5,
    "piano": 0.55,
    "strings": 0.45,
    "jazz": 0.5,
    "chiptune": 0.3,
    "electronic": 0.45,
    "guitar": 0.5,
    "music_box": 0.45,
}


def instrument(plan: ScenePlan) -> str:
    """The instrument the music bed is played on."""
    style = plan.sound.music_style
    if style != "auto":
        return style
    return _AUTO_BY_STYLE.get(plan.style) or _AUTO_BY_MOOD[plan.mood]


class _Player:
    def __init__(self, plan: ScenePlan, bus: Bus) -> None:
        self.bus = bus
        self.rate = bus.rate
        rng = rng_for(plan.layout_seed, "music")
        self.bpm, self.chords = PROGRESSIONS[plan.mood]
        self.bpm = round(self.bpm * float(rng.uniform(0.94, 1.06)))
        self.beat = 60.0 / self.bpm
        self.transpose = int(rng.integers(-3, 4))
        self.first = int(rng.integers(0, len(self.chords)))
        self.level = 1.0
        self.vintage = plan.style == "vintage"

    def chord(self, k: int) -> Chord:
        notes = self.chords[(self.first + k) % len(self.chords)]
        return tuple(n + self.transpose for n in notes)

    def window_beats(self) -> range:
        """Beats that can sound in the window (a few seconds of ringing before it)."""
        first = math.floor((self.bus.t0 - 4.0) / self.beat)
        last = math.ceil((self.bus.t0 + self.bus.seconds) / self.beat)
        return range(max(0, first), last + 1)

    def note(self, sound: F32, at: float, *, gain: float, pan: float = 0.5) -> None:
        """Mix a note, ducked under speech."""
        bus = self.bus
        first = round(at * bus.rate) - bus.start
        begin, end = max(0, first), min(bus.n, first + sound.size)
        if begin >= end:
            return
        part = sound[begin - first : end - first] * np.float32(gain * self.level)
        if bus.duck is not None:
            part = part * bus.duck[begin:end]
        bus.data[0, begin:end] += part * np.float32(math.cos(pan * math.pi / 2))
        bus.data[1, begin:end] += part * np.float32(math.sin(pan * math.pi / 2))


def _voice(
    freq: float,
    seconds: float,
    rate: int,
    partials: tuple[tuple[float, float, float], ...],
    attack: float = 0.005,
) -> F32:
    """An additive tone: (ratio, level, decay per second) partials."""
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    out = np.zeros(n, dtype=np.float32)
    if all(decay == 0.0 and float(ratio).is_integer() for ratio, _, decay in partials):
        # Sustained harmonics (the strings' sawtooth): sin(k x) by the Chebyshev recurrence,
        # one sine and one cosine for all of them instead of a sine each.
        levels = {int(ratio): level for ratio, level, _ in partials if freq * ratio < rate / 2}
        if levels:
            angle = np.float32(2 * math.pi * freq) * t
            twice_cos = np.float32(2) * np.cos(angle)
            before, current = np.zeros(n, dtype=np.float32), np.sin(angle)
            for k in range(1, max(levels) + 1):
                if k in levels:
                    out += current * np.float32(levels[k])
                before, current = current, twice_cos * current - before
    else:
        for ratio, level, decay in partials:
            f = freq * ratio
            if f >= rate / 2:
                continue
            wave = np.sin(np.float32(2 * math.pi * f) * t) * np.float32(level)
            if decay:
                wave *= np.exp(-t * np.float32(decay))
            out += wave
    a = max(1, int(attack * rate))
    out[:a] *= np.linspace(0, 1, a, dtype=np.float32)
    return f32(out)


def _piano(freq: float, rate: int, dull: bool = False) -> F32:
    bright = 0.4 if dull else 1.0
    return _voice(
        freq,
        2.2,
        rate,
        (
            (1.0, 1.0, 1.6),
            (2.0, 0.45 * bright, 2.6),
            (3.0, 0.2 * bright, 3.8),
            (4.01, 0.1 * bright, 5.0),
        ),
    )


def play_piano(p: _Player, *, box: bool = False) -> None:
    pattern = (0, 1, 2, 3, 2, 1, 3, 1)
    for b in p.window_beats():
        chord = p.chord(b // BEATS_PER_CHORD)
        for half in (0, 1):
            step = (b % BEATS_PER_CHORD) * 2 + half
            note = chord[1 + pattern[step % len(pattern)] % 3] + (
                24 if box else 12 * (step % 4 == 3)
            )
            if box:
                sound = _voice(midi(note), 1.2, p.rate, ((1.0, 1.0, 3.0), (3.0, 0.4, 6.0)))
            else:
                sound = _piano(midi(note), p.rate, p.vintage)
            p.note(
                sound, b * p.beat + half * p.beat / 2, gain=0.22, pan=0.35 + 0.3 * (step % 3) / 2
            )
        if b % 4 == 0 and not box:
            p.note(_piano(midi(chord[0] - 12 + 12), p.rate, p.vintage), b * p.beat, gain=0.3)


def play_pad(p: _Player) -> None:
    span = BEATS_PER_CHORD * p.beat
    first = max(0, math.floor((p.bus.t0 - span) / span))
    last = math.ceil((p.bus.t0 + p.bus.seconds) / span)
    for k in range(first, last + 1):
        chord = p.chord(k)
        length = span * 1.5
        n = int(length * p.rate)
        env = np.sin(np.pi * np.arange(n, dtype=np.float32) / n) ** 2
        for voice, note in enumerate(chord):
            tone = _voice(
                midi(note),
                length,
                p.rate,
                ((1.0, 1.0, 0.0), (2.0, 0.28, 0.0), (3.0, 0.12, 0.0)),
                attack=0.0,
            )
            p.note(
                f32(tone * env),
                k * span - 0.25 * span,
                gain=0.2 if voice == 0 else 0.12,
                pan=0.5 + 0.3 * math.sin(voice * 2.1 + k),
            )


def play_strings(p: _Player, *, drums: bool) -> None:
    span = BEATS_PER_CHORD * p.beat
    first = max(0, math.floor((p.bus.t0 - span) / span))
    last = math.ceil((p.bus.t0 + p.bus.seconds) / span)
    saw = tuple((float(k), 1.0 / k, 0.0) for k in range(1, 9))
    for k in range(first, last + 1):
        chord = p.chord(k)
        length = span * 1.35
        n = int(length * p.rate)
        ramp = np.minimum(1, np.arange(n, dtype=np.float32) / np.float32(0.6 * p.rate))
        fade = np.minimum(1, (n - np.arange(n, dtype=np.float32)) / np.float32(0.5 * span * p.rate))
        for voice, note in enumerate(chord):
            body = _voice(
                midi(note) * (1 + 0.002 * math.sin(voice)), length, p.rate, saw, attack=0.0
            )
            p.note(
                f32(body * ramp * fade),
                k * span,
                gain=0.07 if voice else 0.1,
                pan=0.2 + 0.6 * voice / 3,
            )
    if drums:
        for b in p.window_beats():
            if b % 4 in (0, 2):
                p.note(_drum(p.rate, 62.0, 0.9), b * p.beat, gain=0.5 if b % 4 == 0 else 0.3)


def _drum(rate: int, freq: float, seconds: float) -> F32:
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    sweep = np.sin(2 * np.pi * np.float32(freq) * t * (1 - 0.35 * t / seconds))
    return f32(sweep * np.exp(-t * np.float32(6.0 / seconds)))


def play_jazz(p: _Player) -> None:
    for b in p.window_beats():
        chord = p.chord(b // BEATS_PER_CHORD)
        walk = (chord[0], chord[0] + 4, chord[0] + 7, chord[0] + 9)
        bass = _voice(midi(walk[b % 4] - 12), 0.6, p.rate, ((1.0, 1.0, 5.0), (2.0, 0.4, 7.0)))
        p.note(bass, b * p.beat, gain=0.4, pan=0.45)
        for swing in (0.0, 0.66):
            r = rng_for(b, f"ride:{swing}")
            ride = burst(r, p.rate, seconds=0.3, decay=18.0, color=1.0)
            p.note(ride, b * p.beat + swing * p.beat, gain=0.05 if swing else 0.07, pan=0.7)
        if b % 2 == 1:
            stab = sum(
                _voice(midi(n), 0.8, p.rate, ((1.0, 1.0, 3.0), (3.5, 0.15, 8.0))) for n in chord[1:]
            )
            p.note(f32(np.asarray(stab)), b * p.beat + 0.66 * p.beat, gain=0.12, pan=0.3)


def _square(freq: float, seconds: float, rate: int, duty: float = 0.25) -> F32:
    n = int(seconds * rate)
    phase = (np.arange(n, dtype=np.float64) * freq / rate) % 1.0
    wave = np.where(phase < duty, 1.0, -1.0).astype(np.float32)
    return f32(wave * ramp_env(n, 1, 3.0 / rate))


def play_chiptune(p: _Player) -> None:
    for b in p.window_beats():
        chord = p.chord(b // BEATS_PER_CHORD)
        for q in range(4):
            note = chord[1 + (q + b) % 3] + 12
            p.note(
                _square(midi(note), p.beat / 4 * 0.9, p.rate),
                b * p.beat + q * p.beat / 4,
                gain=0.12,
                pan=0.5,
            )
        n = int(p.beat * 0.9 * p.rate)
        phase = (np.arange(n) * midi(chord[0] - 12) / p.rate) % 1.0
        tri = f32((np.abs(phase * 4 - 2) - 1) * ramp_env(n, 1, 2.0 / p.rate))
        p.note(tri, b * p.beat, gain=0.25)
        p.note(
            burst(rng_for(b, "hat"), p.rate, seconds=0.04, decay=200.0, color=1.0),
            b * p.beat + p.beat / 2,
            gain=0.08,
        )


def play_electronic(p: _Player) -> None:
    play_pad(p)
    saw = tuple((float(k), 1.0 / k, 4.0 + k) for k in range(1, 6))
    for b in p.window_beats():
        chord = p.chord(b // BEATS_PER_CHORD)
        p.note(_drum(p.rate, 110.0, 0.35), b * p.beat, gain=0.55)
        p.note(
            burst(rng_for(b, "hat"), p.rate, seconds=0.05, decay=150.0, color=1.0),
            b * p.beat + p.beat / 2,
            gain=0.1,
            pan=0.6,
        )
        for half in (0, 1):
            p.note(
                _voice(midi(chord[0] - 12), p.beat / 2, p.rate, saw),
                b * p.beat + half * p.beat / 2,
                gain=0.16,
            )


def play_guitar(p: _Player) -> None:
    pluck = ((1.0, 1.0, 2.5), (2.0, 0.5, 4.0), (3.0, 0.3, 6.0), (4.0, 0.15, 8.0))
    for b in p.window_beats():
        chord = p.chord(b // BEATS_PER_CHORD)
        notes = (chord[0], *chord[1:], chord[1] + 12)
        down = b % 2 == 0
        order = notes if down else tuple(reversed(notes[1:]))
        for i, note in enumerate(order):
            p.note(
                _voice(midi(note), 1.6, p.rate, pluck),
                b * p.beat + i * 0.014,
                gain=0.11 if down else 0.07,
                pan=0.4 + 0.04 * i,
            )


_PLAYERS: dict[str, Callable[[_Player], None]] = {
    "pad": play_pad,
    "piano": play_piano,
    "strings": lambda p: play_strings(p, drums=False),
    "jazz": play_jazz,
    "chiptune": play_chiptune,
    "electronic": play_electronic,
    "guitar": play_guitar,
    "music_box": lambda p: play_piano(p, box=True),
}


def music(plan: ScenePlan, bus: Bus) -> None:
    """Mix the plan's music bed into `bus` (ducked where `bus.duck` says)."""
    player = _Player(plan, bus)
    name = instrument(plan)
    player.level = _LEVELS[name]
    if name == "strings":
        play_strings(player, drums=plan.mood in ("epic", "tense"))
    else:
        _PLAYERS[name](player)
    dancing = any(s.action == "dance" for s in plan.subjects)
    if dancing and name not in ("electronic", "chiptune"):
        for b in player.window_beats():
            player.note(_drum(bus.rate, 90.0, 0.3), b * player.beat, gain=0.35)
    if plan.style == "vintage":
        rate = bus.rate
        crackle = tile("crackle", rate, 1500, 9000)
        for begin, end in bus.chunks():
            block = crackle.read(bus.start + begin, end - begin)
            pops = np.abs(block) > 3.2
            bus.add_stereo(begin, f32(block * pops), 0.03)
