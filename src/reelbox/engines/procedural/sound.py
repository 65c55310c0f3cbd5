"""Plan → soundtrack: ambience, subject sounds, thunder, named sound cues, music and speech.

48 kHz stereo float32, mixed on one bus in chunks (a two-minute clip needs the bus and a few
seconds of scratch). Quoted dialogue is spoken by espeak-ng (`media.speech`), placed line after
line from half a second in, panned toward its speaker, with the music ducked under it. The mix
is loudness-normalised to a fixed RMS and peak-limited below `PEAK` with a smooth gain (no
clipping). The result also says when each speaker talks, so the picture can move their lips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reelbox.engines.base import AudioTrack
from reelbox.engines.procedural.actors import Speaking
from reelbox.engines.procedural.ambience import ambience
from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.foley import cues, subject_sounds, thunder
from reelbox.engines.procedural.motion import Stage, place
from reelbox.engines.procedural.music import music
from reelbox.engines.procedural.plan import DialogueLine, ScenePlan
from reelbox.engines.procedural.synth import Bus
from reelbox.media import speech
from reelbox.media.audio import resample

SAMPLE_RATE = 48_000
TARGET_RMS = 0.1  # about -20 dBFS
PEAK = 0.95
_LIMIT_BLOCK = 512
_FIRST_LINE = 0.5  # seconds before the first line of dialogue
_LINE_GAP = 0.35
_SPEECH_RMS = 0.16
_LOUDNESS = {"quiet": 0.55, "normal": 1.0, "loud": 1.35}


Placed = tuple[float, F32, float, str | None]  # local start seconds, mono clip, pan, speaker


@dataclass
class Dialogue:
    """Speech already synthesized and placed in a clip, and when each speaker talks."""

    lines: list[Placed] = field(default_factory=list)
    speaking: Speaking = field(default_factory=dict)


def prepare_dialogue(
    plan: ScenePlan,
    *,
    samples: int,
    stage: Stage,
    sample_rate: int = SAMPLE_RATE,
    time_offset: float = 0.0,
    tempo: float = 1.0,
) -> Dialogue:
    """Speak the plan's dialogue (espeak-ng) and place it in the clip.

    Raises `speech.SpeechUnavailable` when the plan has dialogue and espeak-ng is missing.
    """
    bus = Bus(max(1, samples), sample_rate, start=round(time_offset * sample_rate), allocate=False)
    lines = _speak(plan, bus, stage, tempo)
    speaking: Speaking = {}
    for start, clip, _, speaker in lines:
        key = speaker or "narrator"
        speaking.setdefault(key, []).append(
            ((bus.t0 + start) * tempo, (bus.t0 + start + clip.size / bus.rate) * tempo)
        )
    return Dialogue(lines=lines, speaking=speaking)


def render_audio(
    plan: ScenePlan,
    *,
    samples: int,
    stage: Stage,
    dialogue: Dialogue | None = None,
    sample_rate: int = SAMPLE_RATE,
    time_offset: float = 0.0,
    tempo: float = 1.0,
) -> AudioTrack:
    """`samples` frames of stereo sound for `plan`, starting `time_offset` seconds into it."""
    bus = Bus(max(1, samples), sample_rate, start=round(time_offset * sample_rate))
    lines = dialogue.lines if dialogue is not None else []
    if plan.sound.ambience:
        ambience(plan, bus)
        subject_sounds(plan, bus, stage, tempo)
        if plan.weather == "storm" and plan.setting not in ("space", "underwater", "stage"):
            thunder(plan, bus)
        cues(plan, bus)
    if lines:
        _duck(bus, lines, amount=0.35, into_data=True)
        bus.duck = _duck(bus, lines, amount=0.75, into_data=False)
    if plan.sound.music:
        music(plan, bus)
    for start, clip, pan, _ in lines:
        bus.add(clip, bus.t0 + start, pan=pan)
    _master(bus, fade_in=True)
    return AudioTrack(sample_rate=sample_rate, samples=bus.data)


def estimate_speaking(plan: ScenePlan, *, seconds: float, tempo: float = 1.0) -> Speaking:
    """When each speaker talks, without synthesizing (for clips made without sound)."""
    speaking: Speaking = {}
    t = _FIRST_LINE
    for line in plan.sound.dialogue:
        length = len(line.text) / 14.0 + 0.3
        if t >= seconds:
            break
        speaking.setdefault(line.speaker or "narrator", []).append(
            (t * tempo, (t + length) * tempo)
        )
        t += length + _LINE_GAP
    return speaking


# -- speech ----------------------------------------------------------------------------------


def _speak(plan: ScenePlan, bus: Bus, stage: Stage, tempo: float) -> list[Placed]:
    dialogue = plan.sound.dialogue
    if not dialogue:
        return []
    language = plan.language
    clips = [_say(line, 1.0, bus.rate, language) for line in dialogue]
    total = _FIRST_LINE + sum(c.size / bus.rate + _LINE_GAP for c in clips)
    if total > 0.95 * bus.seconds:
        # Too much to say: speak faster (up to 1.6x) rather than be cut off.
        factor = min(1.6, total / max(0.5, 0.9 * bus.seconds))
        clips = [_say(line, factor, bus.rate, language) for line in dialogue]
    placed: list[Placed] = []
    t = min(_FIRST_LINE, 0.15 * bus.seconds)
    for line, clip in zip(dialogue, clips, strict=True):
        if t >= bus.seconds:
            break
        room = bus.seconds - t
        if clip.size / bus.rate > room:
            keep = max(1, int(room * bus.rate))
            clip = clip[:keep].copy()
            fade = min(keep, int(0.05 * bus.rate))
            clip[keep - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
        placed.append(
            (t, clip, _speaker_pan(plan, line, stage, (bus.t0 + t) * tempo), line.speaker)
        )
        t += clip.size / bus.rate + _LINE_GAP
    return placed


def line_voice(line: DialogueLine, language: str | None) -> speech.Voice:
    """The voice `line` is spoken in: its kind of voice, in the prompt's language."""
    return speech.in_language(speech.VOICES.get(line.voice, speech.VOICES["narrator"]), language)


def _say(line: DialogueLine, faster: float, rate: int, language: str | None) -> F32:
    voice = line_voice(line, language)
    words_per_minute = voice.speed * faster
    if line.loudness == "loud":
        words_per_minute *= 1.08
    elif line.loudness == "quiet":
        words_per_minute *= 0.92
    voice = speech.Voice(
        name=voice.name,
        speed=round(words_per_minute),
        pitch=voice.pitch + (6 if line.loudness == "loud" else 0),
        amplitude=voice.amplitude,
    )
    track = resample(speech.synthesize(line.text, voice), sample_rate=rate, channels=1)
    mono = track.samples[0]
    rms = float(np.sqrt(np.mean(np.square(mono, dtype=np.float64)))) if mono.size else 0.0
    if rms > 0:
        mono = mono * np.float32(_SPEECH_RMS * _LOUDNESS[line.loudness] / rms)
    return f32(mono)


def _speaker_pan(plan: ScenePlan, line: DialogueLine, stage: Stage, t: float) -> float:
    for subject in plan.subjects:
        if line.speaker is not None and line.speaker in (subject.name, subject.kind):
            x = place(subject, stage, t).x / max(1, stage.width)
            return min(0.8, max(0.2, 0.5 + 0.3 * (x - 0.5) * 2))
    return 0.5


def _duck(bus: Bus, lines: list[Placed], *, amount: float, into_data: bool) -> F32:
    """A gain curve that dips by `amount` while anyone speaks (80 ms in, 400 ms out)."""
    rate = bus.rate
    step = max(1, rate // 100)  # work at 100 points per second, then interpolate
    points = bus.n // step + 2
    presence = np.zeros(points, dtype=np.float32)
    for start, clip, _, _ in lines:
        a = int(start * rate) // step
        b = int((start * rate + clip.size) // step) + 1
        presence[max(0, a) : min(points, b)] = 1.0
    attack, release = 8, 40  # in points
    smooth = np.zeros_like(presence)
    level = 0.0
    for i, target in enumerate(presence):
        rate_ = 1 / attack if target > level else 1 / release
        level += (float(target) - level) * rate_
        smooth[i] = level
    # Look ahead so the dip is in place when the first word starts.
    smooth = np.maximum(smooth, np.concatenate([smooth[attack:], np.zeros(attack, np.float32)]))
    curve = f32(np.interp(np.arange(bus.n) / step, np.arange(points), 1 - amount * smooth))
    if into_data:
        bus.data *= curve[None, :]
    return curve


# -- mastering -------------------------------------------------------------------------------


def _master(bus: Bus, *, fade_in: bool) -> None:
    """Normalise to TARGET_RMS and limit peaks to PEAK, in place, chunk by chunk."""
    data = bus.data
    total = 0.0
    for begin, end in bus.chunks():
        total += float(np.sum(np.square(data[:, begin:end], dtype=np.float64)))
    rms = math.sqrt(total / max(1, data.size))
    if rms < 1e-7:
        return
    gain = TARGET_RMS / rms
    n = data.shape[1]
    blocks = -(-n // _LIMIT_BLOCK)
    peaks = np.zeros(blocks, dtype=np.float32)
    for begin, end in bus.chunks():
        part = np.abs(data[:, begin:end]).max(axis=0)
        first = begin // _LIMIT_BLOCK
        pad = (-part.size) % _LIMIT_BLOCK
        block_peaks = np.pad(part, (0, pad)).reshape(-1, _LIMIT_BLOCK).max(axis=1)
        peaks[first : first + block_peaks.size] = np.maximum(
            peaks[first : first + block_peaks.size], block_peaks
        )
    need = np.minimum(1.0, PEAK / np.maximum(peaks * np.float32(gain), np.float32(1e-9)))
    padded = np.concatenate([need[:1], need, need[-1:]])
    smooth = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:]) * np.float32(gain)
    centres = (np.arange(blocks) + 0.5) * _LIMIT_BLOCK
    for begin, end in bus.chunks():
        curve = np.interp(np.arange(begin, end), centres, smooth).astype(np.float32)
        data[:, begin:end] *= curve[None, :]
    np.clip(data, -PEAK, PEAK, out=data)
    ramp = min(n // 2, int(0.02 * bus.rate))
    if ramp > 0:
        curve = np.linspace(0, 1, ramp, dtype=np.float32)
        if fade_in:
            data[:, :ramp] *= curve
        data[:, n - ramp :] *= curve[::-1]
