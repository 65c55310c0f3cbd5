"""Measurable adherence: what the prompt says shows in the picture and in the sound."""

from __future__ import annotations

import os
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest

from engines.procedural_support import frames, generate, luma, shift, spec, vertical_shift
from reelbox.engines.base import Frame
from reelbox.engines.procedural.particles import LIGHTNING_FLASH, lightning_strikes
from reelbox.engines.procedural.planner import plan_scene
from reelbox.media import speech

# -- light, weather and colour -------------------------------------------------------------


def test_night_is_darker_than_noon() -> None:
    night = frames("a meadow at night", seconds=0.25)[0]
    noon = frames("a meadow at noon", seconds=0.25)[0]
    assert luma(night).mean() < 0.5 * luma(noon).mean()


def test_snow_scenes_are_brighter_and_bluer_than_desert_ones() -> None:
    snow = frames("a snow field at noon", seconds=0.25)[0].astype(float)
    desert = frames("the desert at noon", seconds=0.25)[0].astype(float)
    assert luma(snow).mean() > luma(desert).mean() + 15
    ground = slice(snow.shape[0] // 2, None)
    blueness = [f[ground, :, 2].mean() / f[ground, :, 0].mean() for f in (snow, desert)]
    assert blueness[0] > blueness[1] * 1.3


def _changed_pixels(pictures: list[Frame]) -> float:
    """Pixels that change a lot from frame to frame (moving particles; the scene is still)."""
    counts = [
        np.count_nonzero(np.abs(b.astype(int) - a.astype(int)).max(axis=2) > 20)
        for a, b in pairwise(pictures)
    ]
    return float(np.mean(counts))


@pytest.mark.parametrize("weather", ["rain", "snow"])
def test_rain_and_snow_produce_particles(weather: str) -> None:
    clear = frames("an empty meadow at noon", width=320, height=180, seconds=0.25)
    wet = frames(f"an empty meadow at noon in the {weather}", width=320, height=180, seconds=0.25)
    assert _changed_pixels(clear) < 5
    assert _changed_pixels(wet) > 80


def test_colours_named_in_the_prompt_show() -> None:
    def share(frame: Frame, channel: int) -> float:
        f = frame[frame.shape[0] // 2 :].astype(int)  # below the sky
        others = [c for c in range(3) if c != channel]
        strong = f[..., channel] > f[..., others].max(axis=2) + 60
        return float(strong.mean())

    red = frames("a big red car, close-up, on a country road", seconds=0.25)[0]
    blue = frames("a big blue car, close-up, on a country road", seconds=0.25)[0]
    assert share(red, 0) > 0.02 and share(red, 0) > 5 * share(blue, 0)
    assert share(blue, 2) > 0.02 and share(blue, 2) > 5 * share(red, 2)


def test_styles_show() -> None:
    noir = frames("a city street, film noir", seconds=0.25)[0].astype(int)
    assert np.percentile(noir.max(axis=2) - noir.min(axis=2), 99) <= 3
    cinematic = frames("a beach, cinematic", width=160, height=90, seconds=0.25)[0]
    assert cinematic[:2].max() == 0 and cinematic[-2:].max() == 0  # letterbox bars
    pixels = frames("a forest, pixel art", width=160, height=90, seconds=0.25)[0]
    assert (
        np.array_equal(pixels[0:3:2], pixels[1:4:2])
        or len(np.unique(pixels.reshape(-1, 3), axis=0)) < 120
    )


# -- the camera ----------------------------------------------------------------------------


def test_pans_move_the_picture_in_opposite_directions() -> None:
    left = frames("a city skyline at noon, pan left", seconds=0.5)
    right = frames("a city skyline at noon, pan right", seconds=0.5)
    still = frames("a city skyline at noon", seconds=0.5)
    # Panning left turns the camera left: the scene slides right across the frame.
    assert shift(left[0], left[8]) > 0
    assert shift(right[0], right[8]) < 0
    assert shift(still[0], still[8]) == 0


def test_tilts_move_the_picture_vertically() -> None:
    up = frames("mountains at noon, tilt up", seconds=2.0, fps=6)
    down = frames("mountains at noon, tilt down", seconds=2.0, fps=6)
    assert vertical_shift(up[0], up[-1]) > 0  # looking up: the scene slides down
    assert vertical_shift(down[0], down[-1]) < 0


def test_a_tracking_shot_has_parallax() -> None:
    pictures = frames("a meadow with flowers at noon, tracking shot", width=256, height=144)
    a, b = pictures[0], pictures[12]
    near = shift(a, b, rows=slice(120, 144), limit=30)
    far = shift(a, b, rows=slice(70, 86), limit=30)
    assert near < far <= 0  # everything slides left, the near ground fastest


def _magnification(a: Frame, b: Frame) -> float:
    """How much `b` is `a` magnified about the centre (matching their column means)."""
    ca, cb = luma(a).mean(axis=0), luma(b).mean(axis=0)
    x = np.arange(ca.size) + 0.5
    centre = ca.size / 2

    def error(scale: float) -> float:
        predicted = np.interp(centre + (x - centre) / scale, x, ca)
        inner = slice(ca.size // 8, -ca.size // 8)
        return float(np.mean((predicted[inner] - cb[inner]) ** 2))

    return float(min(np.linspace(0.8, 1.4, 61), key=error))


@pytest.mark.parametrize(("move", "growing"), [("zoom in", True), ("zoom out", False)])
def test_zooms_magnify_and_shrink(move: str, growing: bool) -> None:
    pictures = frames(f"a city skyline at noon, {move}", fps=4, seconds=8.0)
    scale = _magnification(pictures[0], pictures[-1])
    if growing:
        assert 1.08 <= scale <= 1.3
    else:
        assert 0.8 <= scale <= 0.97


def test_no_flicker_in_a_calm_scene() -> None:
    pictures = frames("a dog walks in a park at noon", seconds=1.0)
    means = [float(luma(f).mean()) for f in pictures]
    assert max(abs(b - a) for a, b in pairwise(means)) < 0.6


# -- subjects and actions ------------------------------------------------------------------


def _centroid_rows(pictures: list[Frame], color: tuple[int, int, int]) -> list[float]:
    rows = []
    for f in pictures:
        match = np.all(np.abs(f.astype(int) - np.asarray(color)) < 40, axis=2)
        rows.append(float(np.nonzero(match)[0].mean()) if match.any() else np.nan)
    return rows


def test_a_jumping_ball_goes_up_and_down_and_a_flying_bird_stays_up() -> None:
    ball = frames("a big red ball jumps in a meadow", seconds=1.0, width=160, height=90)
    rows = _centroid_rows(ball, (205, 40, 40))
    assert np.nanmax(rows) - np.nanmin(rows) > 6
    bird = frames("a big purple bird flying over the sea", seconds=2.0, width=160, height=90)
    rows = _centroid_rows(bird, (130, 60, 170))
    assert np.count_nonzero(~np.isnan(rows)) > 5
    assert np.nanmean(rows) < 0.5 * 90  # above the horizon


# -- sound ---------------------------------------------------------------------------------


def _band_power(samples: npt.NDArray[np.float32], lo: float, hi: float, rate: int) -> float:
    mono = samples.mean(axis=0).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / rate)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum())


def _band_energy(samples: npt.NDArray[np.float32], lo: float, hi: float, rate: int) -> float:
    mono = samples.mean(axis=0).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / rate)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum() / spectrum.sum())


@pytest.mark.skipif(
    not speech.available() and not os.environ.get("REELBOX_REQUIRE_SPEECH"),
    reason="speech (espeakng-loader) is not installed; CI sets REELBOX_REQUIRE_SPEECH=1",
)
def test_quoted_dialogue_puts_speech_band_energy_in_the_track() -> None:
    quiet = generate(spec("an empty room at noon, no music", seconds=3.0))
    talking = generate(
        spec(
            'an empty room at noon, no music. A man says "hello there, how are you today"',
            seconds=3.0,
        )
    )
    assert quiet.audio is not None and talking.audio is not None
    window = slice(int(0.6 * 48_000), int(2.2 * 48_000))
    before = _band_energy(quiet.audio.samples[:, window], 300, 3400, 48_000)
    after = _band_energy(talking.audio.samples[:, window], 300, 3400, 48_000)
    assert after > 0.5 and after > 2 * before


def test_thunder_follows_the_lightning() -> None:
    prompt = "a thunderstorm over the ocean at dusk"
    plan = plan_scene(prompt, seed=7)
    result = generate(spec(prompt, seconds=4.0, fps=12, width=96, height=54))
    pictures = list(result.frames)
    assert result.audio is not None
    strike = lightning_strikes(plan.layout_seed, 4.0)[0]
    at = int(strike.time * 12) + 1
    assert luma(pictures[at]).mean() > luma(pictures[at - 3]).mean() + 8  # the flash
    samples = result.audio.samples
    delay = 0.15 + 2.6 * strike.distance
    rumble_at = int((strike.time + delay + 0.3) * 48_000)
    quiet_at = int((strike.time - 0.5) * 48_000)
    if rumble_at + 24_000 < samples.shape[1] and quiet_at >= 0:
        low_before = _band_power(samples[:, quiet_at : quiet_at + 24_000], 20, 200, 48_000)
        low_after = _band_power(samples[:, rumble_at : rumble_at + 24_000], 20, 200, 48_000)
        assert low_after > 2 * low_before  # the rumble, after a delay that grows with distance
    assert LIGHTNING_FLASH < 1.0
