"""Sound for diffusers profiles: LTX-2's own track, or a text-to-audio model for silent families.

`TextToAudio` runs Stable Audio Open or AudioLDM 2 on the video's prompt, in as many calls as
the model's longest clip requires, joined with a short cross-fade and cut to the video's exact
length. The pipeline is loaded on first use (or at worker warm-up) and kept. These pipelines
predate the interrupt flag, so cancellation is raised from their per-step callback.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from reelbox.engines.base import AudioTrack, EngineError
from reelbox.engines.diffusers.options import AudioOptions
from reelbox.engines.diffusers.progress import StepMonitor
from reelbox.engines.diffusers.weights import check_weights
from reelbox.media import audio as audio_ops

_BOUNDS_WARNING = r"Should have t[ab][<>]=t[01] but got"


class TextToAudio:
    """A text-to-audio pipeline that scores a video from its prompt."""

    def __init__(self, options: AudioOptions) -> None:
        self.options = options
        self._pipe: Any = None

    @property
    def loaded(self) -> bool:
        return self._pipe is not None

    def calls(self, seconds: float) -> int:
        return max(1, math.ceil(seconds / self.options.family.max_seconds - 1e-9))

    def units(self, seconds: float) -> float:
        """Planned progress units: one per denoising step."""
        return float(self.options.steps * self.calls(seconds))

    def check_weights(self) -> None:
        check_weights(
            self.options.family, self.options.path, allow_download=self.options.allow_download
        )

    def load(self) -> None:
        if self._pipe is not None:
            return
        import diffusers
        import torch

        family = self.options.family
        try:
            pipe = getattr(diffusers, family.pipeline).from_pretrained(
                self.options.path,
                dtype=getattr(torch, self.options.dtype),
                local_files_only=not self.options.allow_download,
            )
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise EngineError(
                f"cannot load {family.name} audio weights from {self.options.path}: {exc}"
            ) from exc
        pipe.set_progress_bar_config(disable=True)
        self._pipe = pipe.to(self.options.device)

    def generate(
        self, *, prompt: str, seconds: float, seed: int, monitor: StepMonitor
    ) -> AudioTrack:
        """`seconds` of sound for `prompt`, deterministic for `seed`."""
        import torch

        self.load()
        family = self.options.family
        chunk = min(family.max_seconds, self._longest())
        track: AudioTrack | None = None
        calls = max(1, math.ceil(seconds / chunk - 1e-9))
        for index in range(calls):
            length = min(chunk, seconds - index * chunk)
            generator = torch.Generator(device="cpu").manual_seed(seed + index)
            with warnings.catch_warnings():
                # Stable Audio's scheduler queries torchsde's Brownian tree at its float32
                # sigma bounds (0.29999998 for 0.3), which torchsde reports on every step.
                warnings.filterwarnings("ignore", message=_BOUNDS_WARNING, category=UserWarning)
                output = self._pipe(
                    prompt=prompt,
                    negative_prompt="low quality, distorted",
                    num_inference_steps=self.options.steps,
                    guidance_scale=self.options.guidance,
                    generator=generator,
                    output_type="np",
                    callback=monitor.legacy_callback,
                    callback_steps=1,
                    **{family.length_argument: max(length, 0.1)},
                )
            piece = to_track(output.audios[0], self._sample_rate())
            track = piece if track is None else audio_ops.concat(track, piece)
        assert track is not None
        return audio_ops.fit_duration(track, seconds)

    def _sample_rate(self) -> int:
        pipe = self._pipe
        if hasattr(pipe, "vocoder"):
            return int(pipe.vocoder.config.sampling_rate)
        return int(pipe.vae.config.sampling_rate)

    def _longest(self) -> float:
        """Stable Audio's longest clip follows from its configuration; others use the preset."""
        pipe = self._pipe
        try:
            samples = pipe.transformer.config.sample_size * pipe.vae.hop_length
            return float(samples / pipe.vae.config.sampling_rate)
        except AttributeError:
            return self.options.family.max_seconds


def to_track(samples: Any, sample_rate: int) -> AudioTrack:
    """A pipeline's waveform (numpy or torch; (samples,), (channels, samples) or batched)."""
    if hasattr(samples, "detach"):
        samples = samples.detach().float().cpu().numpy()
    array = np.asarray(samples, dtype=np.float32)
    while array.ndim > 2:
        array = array[0]
    if array.ndim == 1:
        array = array[None, :]
    if array.shape[0] > 2:
        array = array.mean(axis=0, keepdims=True, dtype=np.float32)
    return AudioTrack(sample_rate=sample_rate, samples=np.clip(array, -1.0, 1.0))
