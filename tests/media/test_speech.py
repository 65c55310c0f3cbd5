"""Offline speech: the bundled espeak-ng library, the program fallback, WAV parsing, voices, and a
clear error when neither is there."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from reelbox.media import speech


def _wav(samples: np.ndarray, rate: int = 22_050, *, streamed: bool = True) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    size = 0x7FFFF000 if streamed else len(pcm)  # espeak-ng streams with an unknown length
    header = b"RIFF" + struct.pack("<I", size + 36) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", size) + pcm


def test_read_wav_accepts_streamed_sizes() -> None:
    tone = np.sin(np.arange(2205) / 10).astype(np.float32) * 0.5
    track = speech.read_wav(_wav(tone))
    assert track.sample_rate == 22_050
    assert track.samples.shape == (1, 2205) and track.samples.dtype == np.float32
    assert np.allclose(track.samples[0], tone, atol=1e-3)
    assert speech.read_wav(_wav(tone, streamed=False)).samples.shape == (1, 2205)


@pytest.mark.parametrize("data", [b"", b"not a wav file at all", _wav(np.zeros(4))[:40]])
def test_read_wav_rejects_other_data(data: bytes) -> None:
    with pytest.raises(speech.SpeechUnavailable):
        speech.read_wav(data)


def test_with_neither_library_nor_program_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(speech, "_loaded", [None])
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    assert not speech.available()
    with pytest.raises(speech.SpeechUnavailable, match="pip install espeakng-loader"):
        speech.synthesize("hello", speech.VOICES["male"])


def test_the_bundled_library_is_a_plain_pip_dependency() -> None:
    """`pip install` alone gives speech: CI no longer installs Debian's espeak-ng."""
    assert speech.library_available()


@pytest.mark.parametrize("voice", sorted(speech.VOICES))
def test_every_voice_speaks_without_the_program(
    voice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    assert not speech.program_available()
    track = speech.synthesize("Hello there, this is a test.", speech.VOICES[voice])
    assert track.sample_rate > 8000
    assert 0.5 < track.duration < 5.0
    assert float(np.sqrt(np.mean(np.square(track.samples)))) > 0.01


def test_voices_differ_in_pitch_and_speed() -> None:
    child = speech.synthesize("Hello there, this is a test.", speech.VOICES["child"])
    robot = speech.synthesize("Hello there, this is a test.", speech.VOICES["robot"])
    assert robot.duration > child.duration  # the robot speaks slower
    assert not np.array_equal(child.samples[:, :1000], robot.samples[:, :1000])


_FAKE_PROGRAM = """#!{python}
import struct, sys
args = sys.argv[1:]
assert args[:3] == ["--stdout", "-v", "en-us+m3"], args
pcm = struct.pack("<4h", 0, 8000, -8000, 0) * 2205
sys.stdout.buffer.write(
    b"RIFF" + struct.pack("<I", 0x7FFFF000) + b"WAVE"
    + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16)
    + b"data" + struct.pack("<I", 0x7FFFF000) + pcm
)
"""


def test_the_program_speaks_when_the_library_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fallback runs `espeak-ng --stdout` from PATH (here a stand-in program) and reads it."""
    program = tmp_path / "espeak-ng"
    program.write_text(_FAKE_PROGRAM.format(python=sys.executable))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(speech, "_loaded", [None])
    assert speech.available() and not speech.library_available()
    track = speech.synthesize("Hello there.", speech.VOICES["male"])
    assert track.sample_rate == 22_050
    assert track.samples.shape == (1, 4 * 2205)


@pytest.mark.parametrize("language", sorted(speech.LANGUAGE_VOICES))
def test_every_language_voice_speaks(language: str) -> None:
    voice = speech.in_language(speech.VOICES["female"], language)
    assert voice.name == f"{speech.LANGUAGE_VOICES[language]}+f3"
    assert voice.speed == speech.VOICES["female"].speed
    assert speech.synthesize("hola", voice).samples.size > 0


def test_an_unknown_language_keeps_the_english_voice() -> None:
    assert speech.in_language(speech.VOICES["male"], None) == speech.VOICES["male"]
    assert speech.in_language(speech.VOICES["male"], "xx") == speech.VOICES["male"]
