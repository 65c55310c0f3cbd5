"""`FakeEngine`: a tiny, fast engine for testing the job system, with switchable failures.

Frames are solid colours (a deterministic function of the seed and frame index) with a moving
bar and the frame index written as a row of black/white cells, so tests can check order and
content after encoding. A reference image (image mode) is frame 0 and keyframes (inpaint mode)
are shown exactly at their frame indices. Failures can be configured per profile (options) or
per job (a "[fail:KIND]" tag in the prompt):

- "raise":  raise `EngineError("fake engine failure")`
- "exit":   end the whole process with `os._exit(3)` (a crashing engine)
- "hang":   sleep forever (a stuck engine; never checks for cancellation)
- "memory": allocate 64 MB blocks, keeping them, until `MemoryError` (a leaking engine); the
            blocks are released before the error propagates

each when `fail_at` (fraction of the frames, default 0.5) of the clip has been produced. These are
a documented feature for testing clients (docs/fake-engine.md): never serve a fake profile to
untrusted clients.

With `frames_first = true` it says, like a diffusion model, that it computes every frame
before the first comes out (`computes_frames_first`), so workers store its videos while the
next job runs (executors/stages.py).

Like an engine with weights, it has a `warm_up()` that workers call when they start: it sleeps
`warm_up_delay` seconds (default 0) once. With `warm = false` workers skip it and the first
`generate` pays the delay instead (a profile that loads lazily).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any, Final

import numpy as np

from reelbox.engines.base import (
    AudioTrack,
    CancelCheck,
    Capabilities,
    EngineError,
    Frame,
    GenerationCancelled,
    GenerationInputs,
    GenerationResult,
    ProgressCallback,
)
from reelbox.jobs.spec import GenerationSpec, Mode

FAILURES: Final = ("raise", "exit", "hang", "memory")
EXIT_CODE: Final = 3
SAMPLE_RATE: Final = 48_000
_BLOCK = 64 * 1024 * 1024
_OPTIONS: Final = frozenset(
    {"fps", "audio", "frame_delay", "fail", "fail_at", "warm_up_delay", "warm", "frames_first"}
)
_TRIGGER = re.compile(r"\[fail:(raise|exit|hang|memory)\]")
_INDEX_CELLS = 16


class FakeEngine:
    """A deterministic stand-in engine; see the module docstring for its options."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = dict(options or {})
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown fake engine options: {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
        fps = options.get("fps", 8)
        if not isinstance(fps, int) or isinstance(fps, bool) or fps < 1:
            raise ValueError(f"fake engine option fps must be a positive integer, got {fps!r}")
        audio = options.get("audio", True)
        if not isinstance(audio, bool):
            raise ValueError(f"fake engine option audio must be true or false, got {audio!r}")
        delay = options.get("frame_delay", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"fake engine option frame_delay must be >= 0, got {delay!r}")
        fail = options.get("fail")
        if fail is not None and fail not in FAILURES:
            raise ValueError(f"fake engine option fail must be one of {FAILURES}, got {fail!r}")
        fail_at = options.get("fail_at", 0.5)
        if (
            isinstance(fail_at, bool)
            or not isinstance(fail_at, int | float)
            or not (0.0 <= fail_at <= 1.0)
        ):
            raise ValueError(f"fake engine option fail_at must be within 0..1, got {fail_at!r}")
        warm_up_delay = options.get("warm_up_delay", 0.0)
        if (
            isinstance(warm_up_delay, bool)
            or not isinstance(warm_up_delay, int | float)
            or warm_up_delay < 0
        ):
            raise ValueError(
                f"fake engine option warm_up_delay must be >= 0, got {warm_up_delay!r}"
            )
        warm = options.get("warm", True)
        if not isinstance(warm, bool):
            raise ValueError(f"fake engine option warm must be true or false, got {warm!r}")
        frames_first = options.get("frames_first", False)
        if not isinstance(frames_first, bool):
            raise ValueError(
                f"fake engine option frames_first must be true or false, got {frames_first!r}"
            )
        self.computes_frames_first: bool = frames_first
        self.fps: int = fps
        self.audio: bool = audio
        self.frame_delay = float(delay)
        self.fail: str | None = fail
        self.fail_at = float(fail_at)
        self.warm_up_delay = float(warm_up_delay)
        self.warm_at_start: bool = warm
        self.warmed = False  # warm_up() has run

    def warm_up(self) -> None:
        """Stand-in for loading weights: sleep `warm_up_delay` seconds, once."""
        if not self.warmed:
            time.sleep(self.warm_up_delay)
            self.warmed = True

    def capabilities(self) -> Capabilities:
        return Capabilities(
            modes=frozenset(Mode),
            sizes=None,
            seconds=None,
            min_seconds=1.0,
            max_seconds=120.0,
            fps=self.fps,
            audio=True,
        )

    def generate(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        *,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> GenerationResult:
        self.warm_up()  # a lazily loading profile loads on its first job
        trigger = _TRIGGER.search(spec.prompt)
        fail = trigger.group(1) if trigger else self.fail
        count = spec.frame_count
        audio = _tone(spec.seed, count, spec.fps) if self.audio and spec.audio else None
        return GenerationResult(
            width=spec.width,
            height=spec.height,
            fps=spec.fps,
            frame_count=count,
            frames=self._frames(spec, inputs, fail, on_progress, should_cancel),
            audio=audio,
            plan={
                "engine": "fake",
                "prompt": spec.prompt,
                "seed": spec.seed,
                "mode": spec.mode.value,
                "fail": fail,
            },
        )

    def _frames(
        self,
        spec: GenerationSpec,
        inputs: GenerationInputs,
        fail: str | None,
        on_progress: ProgressCallback,
        should_cancel: CancelCheck,
    ) -> Iterator[Frame]:
        count = spec.frame_count
        fail_index = min(count - 1, int(self.fail_at * count)) if fail else -1
        # INPAINT: keyframes are shown exactly at their frame indices.
        keyframes = {
            k.frame_index: k.image
            for k in inputs.keyframes
            if k.image.shape == (spec.height, spec.width, 3)
        }
        for index in range(count):
            if should_cancel():
                raise GenerationCancelled
            if index == fail_index and fail is not None:
                _fail(fail)
            if self.frame_delay:
                time.sleep(self.frame_delay)
            reference = inputs.reference_image
            if (
                index == 0
                and reference is not None
                and reference.shape
                == (
                    spec.height,
                    spec.width,
                    3,
                )
            ):
                frame = reference.copy()
            elif index in keyframes:
                frame = keyframes[index].copy()
            else:
                frame = fake_frame(spec.seed, index, width=spec.width, height=spec.height)
            on_progress((index + 1) / count)
            yield frame


def fake_frame(seed: int, index: int, *, width: int, height: int) -> Frame:
    """The fake engine's frame `index` for `seed`: solid colour, a moving bar, index cells."""
    mixed = (seed * 0x9E3779B1 + index * 0x85EBCA77) & 0xFFFFFFFF
    mixed ^= mixed >> 15
    mixed = (mixed * 0x2C1B3C6D) & 0xFFFFFFFF
    color = (40 + (mixed & 0xFF) % 176, 40 + (mixed >> 8 & 0xFF) % 176, 40 + (mixed >> 16) % 176)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[...] = color
    bar = max(1, width // 16)
    x = (index * bar) % max(1, width - bar)
    frame[:, x : x + bar] = 255
    # The frame index in binary across the bottom eighth: white cell = 1.
    cell = max(1, width // _INDEX_CELLS)
    top = height - max(1, height // 8)
    for bit in range(_INDEX_CELLS):
        frame[top:, bit * cell : (bit + 1) * cell] = 255 if index >> bit & 1 else 0
    return frame


def _tone(seed: int, frame_count: int, fps: int) -> AudioTrack:
    """A stereo sine whose pitch follows the seed (one of twelve semitones from A3)."""
    n = round(frame_count * SAMPLE_RATE / fps)
    freq = 220.0 * 2 ** ((seed % 12) / 12)
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    wave = (0.3 * np.sin(2 * math.pi * freq * t)).astype(np.float32)
    return AudioTrack(sample_rate=SAMPLE_RATE, samples=np.stack([wave, wave]))


def _fail(kind: str) -> None:
    if kind == "raise":
        raise EngineError("fake engine failure")
    if kind == "exit":
        os._exit(EXIT_CODE)
    if kind == "hang":
        while True:
            time.sleep(3600)
    if kind == "memory":
        hoard: list[bytearray] = []
        try:
            while True:
                hoard.append(bytearray(_BLOCK))  # zero-filled, so the pages are really used
        except MemoryError:
            hoard.clear()  # give the memory back so the error can be handled
            raise
