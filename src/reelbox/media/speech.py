"""Offline text to speech with espeak-ng: the library bundled by the `espeakng-loader` wheel.

`synthesize` speaks through libespeak-ng loaded with ctypes from the `espeakng-loader` package
(a plain pip dependency that ships the library and its voice data), so `pip install` alone is
enough. When that package is missing or its library cannot load, the `espeak-ng` program on
PATH (Debian package `espeak-ng`) is run instead, reading the WAV it writes. Nothing is fetched
at run time; with neither, `SpeechUnavailable` says how to get one. Voices are espeak-ng's
English voice with one of its variants (female, male, child-like, robotic), at a given speed
and pitch. The library keeps global state, so one lock serialises every call into it.
"""

from __future__ import annotations

import ctypes
import importlib
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reelbox.media.frames import AudioTrack

PROGRAM = "espeak-ng"
PACKAGE = "espeakng-loader"
INSTALL_HINT = (
    f"install the Python package with `pip install {PACKAGE}`, "
    "or the program with `apt-get install espeak-ng` (Debian/Ubuntu)"
)
_TIMEOUT_SECONDS = 30
_MAX_CHARACTERS = 600

# espeak-ng's C API (speak_lib.h): output mode, parameters, flags.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_RATE, _VOLUME, _PITCH = 1, 2, 3
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechUnavailable(RuntimeError):
    """Neither the bundled speech library nor the speech program can speak."""


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
    "narrator": Voice(name="en+m2", speed=150, pitch=40),
}


# espeak-ng's voice for each language the prompt reader knows (ISO 639-1 code -> voice).
LANGUAGE_VOICES: dict[str, str] = {
    "es": "es",
    "fr": "fr",
    "de": "de",
    "pt": "pt",
    "ja": "ja",
    "zh": "cmn",
}


def in_language(voice: Voice, language: str | None) -> Voice:
    """`voice` (its variant, speed and pitch) speaking `language`; English when None or unknown."""
    name = LANGUAGE_VOICES.get(language or "")
    if name is None:
        return voice
    _, _, variant = voice.name.partition("+")
    return replace(voice, name=f"{name}+{variant}" if variant else name)


class _Library:
    """libespeak-ng from the `espeakng-loader` wheel, initialised once per process."""

    def __init__(self, library: Any, rate: int) -> None:
        self.lib = library
        self.rate = rate
        self.chunks: list[np.ndarray] = []
        self.callback = _CALLBACK(self._collect)  # kept alive as long as the library
        library.espeak_SetSynthCallback(self.callback)

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # carry on

    def speak(self, words: str, voice: Voice) -> AudioTrack:
        lib = self.lib
        language, _, variant = voice.name.partition("+")
        base = language.split("-")[0] + (f"+{variant}" if variant else "")
        if all(lib.espeak_SetVoiceByName(n.encode()) != _EE_OK for n in (voice.name, base)):
            raise SpeechUnavailable(f"the speech library has no voice {voice.name!r}")
        lib.espeak_SetParameter(_RATE, voice.speed, 0)
        lib.espeak_SetParameter(_PITCH, voice.pitch, 0)
        lib.espeak_SetParameter(_VOLUME, voice.amplitude, 0)
        self.chunks = []
        text = words.encode("utf-8")
        status = lib.espeak_Synth(
            text, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        lib.espeak_Synchronize()
        if status != _EE_OK:
            raise SpeechUnavailable(f"the speech library failed with status {status}")
        pcm = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int16)
        self.chunks = []
        samples = (pcm.astype(np.float32) / np.float32(32768))[None, :]
        return AudioTrack(sample_rate=self.rate, samples=samples)


_LOCK = threading.Lock()
_loaded: list[_Library | None] = []  # empty until tried; [None] when the library is unusable


def _library() -> _Library | None:
    """The bundled library, loaded on first use; None when it is not installed or fails."""
    if _loaded:
        return _loaded[0]
    library: _Library | None = None
    try:
        loader: Any = importlib.import_module("espeakng_loader")
    except ImportError:
        loader = None
    if loader is not None:
        try:
            lib = ctypes.CDLL(loader.get_library_path())
            lib.espeak_Initialize.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
            ]
            lib.espeak_Synth.argtypes = [
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.c_uint,
                ctypes.c_int,
                ctypes.c_uint,
                ctypes.c_uint,
                ctypes.c_void_p,
                ctypes.c_void_p,
            ]
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            data = loader.get_data_path().encode()
            rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
            if rate > 0:
                library = _Library(lib, rate)
        except (OSError, RuntimeError, AttributeError):
            library = None
    _loaded.append(library)
    return library


def library_available() -> bool:
    """Whether the bundled speech library (from `espeakng-loader`) can speak."""
    with _LOCK:
        return _library() is not None


def program_available() -> bool:
    """Whether the `espeak-ng` program can be found on PATH."""
    return shutil.which(PROGRAM) is not None


def available() -> bool:
    """Whether speech can run at all: the bundled library or the program."""
    return library_available() or program_available()


def synthesize(text: str, voice: Voice) -> AudioTrack:
    """`text` spoken by `voice`, as mono float32 samples at espeak-ng's own sample rate.

    The bundled library speaks when it is installed; otherwise the `espeak-ng` program.
    """
    words = " ".join(text.split())[:_MAX_CHARACTERS]
    with _LOCK:
        library = _library()
        if library is not None:
            return library.speak(words, voice)
    return _run_program(words, voice)


def _run_program(words: str, voice: Voice) -> AudioTrack:
    program = shutil.which(PROGRAM)
    if program is None:
        raise SpeechUnavailable(f"spoken dialogue needs espeak-ng; {INSTALL_HINT}")
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
