"""Offline speech through espeak-ng: WAV parsing, voices, and a clear error when it is missing."""

from __future__ import annotations

import os
import struct

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


def test_a_missing_program_is_reported_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    assert not speech.available()
    with pytest.raises(speech.SpeechUnavailable, match="apt-get install espeak-ng"):
        speech.synthesize("hello", speech.VOICES["male"])


@pytest.mark.skipif(
    not speech.available() and not os.environ.get("REELBOX_REQUIRE_SPEECH"),
    reason="espeak-ng is not installed (CI sets REELBOX_REQUIRE_SPEECH=1: then it must be)",
)
@pytest.mark.parametrize("voice", sorted(speech.VOICES))
def test_every_voice_speaks(voice: str) -> None:
    track = speech.synthesize("Hello there, this is a test.", speech.VOICES[voice])
    assert track.sample_rate > 8000
    assert 0.5 < track.duration < 5.0
    assert float(np.sqrt(np.mean(np.square(track.samples)))) > 0.01
