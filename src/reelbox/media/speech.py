"""Offline text to speech through the `espeak-ng` program (Debian package `espeak-ng`).

`synthesize` runs `espeak-ng --stdout` as a subprocess, reads the WAV it writes and returns the
speech as a mono `AudioTrack`. Nothing is fetched at run time; when the program is missing,
`SpeechUnavailable` says how to install it. Voices are espeak-ng's English voice with one of
its variants (female, male, child-like, robotic), at a given speed and pitch.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass

import numpy as np

from reelbox.media.frames import AudioTrack

PROGRAM = "espeak-ng"
INSTALL_HINT = "install it with `apt-get install espeak-ng` (Debian/Ubuntu)"
_TIMEOUT_SECONDS = 30
_MAX_CHARACTERS = 600


class SpeechUnavailable(RuntimeError):
    """The speech program is not installed or failed."""


@dataclass(frozen=True, kw_only=True)
class Voice:
    """An espeak-ng voice: `name` is `language+variant`; speed in words per minute."""

    name: str = "en-us+m3"
    speed: int = 160
    pitch: int = 50  # 0..99
    amplitude: int = 120  # 0..200


VOICES: dict[str, Voice] = {
    "female": Voice(name="en-us+f3", speed=160, pitch=58),
    "male": Voice(name="en-us+m3", speed=155, pitch=42),
    "child": Voice(name="en-us+f4", speed=170, pitch=85),
    "robot": Voice(name="en-us+m1", speed=140, pitch=30),
    "narrator": Voice(name="en-gb+m2", speed=150, pitch=40),
}


def available() -> bool:
    """Whether the speech program can be found."""
    return shutil.which(PROGRAM) is not None


def synthesize(text: str, voice: Voice) -> AudioTrack:
    """`text` spoken by `voice`, as mono float32 samples at espeak-ng's own sample rate."""
    program = shutil.which(PROGRAM)
    if program is None:
        raise SpeechUnavailable(f"spoken dialogue needs the {PROGRAM} program; {INSTALL_HINT}")
    words = " ".join(text.split())[:_MAX_CHARACTERS]
    command = [
        program,
        "--stdout",
        "-v",
        voice.name,
        "-s",
        str(voice.speed),
        "-p",
        str(voice.pitch),
        "-a",
        str(voice.amplitude),
        "--",
        words,
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechUnavailable(f"{PROGRAM} could not run: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise SpeechUnavailable(f"{PROGRAM} failed with exit code {done.returncode}: {message}")
    return read_wav(done.stdout)


def read_wav(data: bytes) -> AudioTrack:
    """Decode 16-bit PCM WAV bytes (as espeak-ng streams them: the sizes may be unset)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechUnavailable("the speech program did not produce a WAV file")
    position = 12
    rate = channels = bits = 0
    while position + 8 <= len(data):
        chunk, size = (
            data[position : position + 4],
            struct.unpack("<I", data[position + 4 : position + 8])[0],
        )
        body = position + 8
        if chunk == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
        elif chunk == b"data":
            if bits != 16 or channels < 1 or rate <= 0:
                raise SpeechUnavailable("the speech program produced an unexpected WAV format")
            # A streamed WAV declares a huge size: the data runs to the end of the bytes.
            end = min(len(data), body + size)
            end -= (end - body) % (2 * channels)
            pcm = np.frombuffer(data[body:end], dtype="<i2").reshape(-1, channels)
            samples = (pcm.T.astype(np.float32) / np.float32(32768)).mean(axis=0, keepdims=True)
            return AudioTrack(sample_rate=rate, samples=samples.astype(np.float32))
        position = body + size + (size & 1)
    raise SpeechUnavailable("the speech program produced a WAV file without audio")
