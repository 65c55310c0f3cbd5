"""Settings with water: beach, ocean, lake and underwater."""

from __future__ import annotations

import math

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.canvas import Band
from reelbox.engines.procedural.palette import GROUND
from reelbox.engines.procedural.scenery import Paint, Painter
from reelbox.engines.procedural.scenery_land import sky

_SHORE = 0.42  # beach: where the sea meets the sand, as a fraction of the ground below the horizon


def _sea(p: Painter, band: Band, y0: float, y1: float) -> None:
    """Open water from world row y0 to y1: sky reflected far off, deeper colour up close."""
    near, far = (np.asarray(c, np.float32) for c in GROUND["ocean"])
    sky = p.sky_horizon * np.float32(0.85)
    far_c = p.lit(far) * np.float32(0.45) + sky * np.float32(0.55)
    zenith = np.asarray(p.day.zenith, np.float32)
    near_c = p.lit(near) * np.float32(0.6) + zenith * np.float32(0.4)
    top = np.full(band.width, y0, dtype=np.float32)
    band.fill_below(top, band.gradient(far_c, near_c, y0, p.h), bottom=y1)
    rows = band.rows(y0, y1)
    ys = band.y[rows, None]
    # Wave bands crowd together toward the horizon (a cheap perspective).
    depth = np.float32(0.6 * p.h) / (ys - np.float32(y0) + np.float32(6))
    k = band.cycles(3, p.w)
    wobble = np.sin(band.x * np.float32(2 * math.pi * k / band.width))[None, :]
    bands = np.sin(np.float32(2 * math.pi) * depth + wobble)
    region = band.rgb[rows]
    region *= (1 + np.float32(0.06) * bands)[..., None]
    # The sun's (or moon's) path on the water.
    sx = p.day.sun_pos[0] * p.w if p.plan.lighting != "backlit" else 0.5 * p.w
    if p.day.sun_pos[1] <= 1.0:
        spread = np.float32(0.04 * p.w) * (1 + (ys - np.float32(y0)) / np.float32(p.h))
        d = np.abs(band.x[None, :] - np.float32(sx))
        d = np.minimum(d, np.float32(band.width) - d)
        path = np.exp(-((d / spread) ** 2)) * np.clip(bands, 0, 1)
        strength = np.float32(0.55 * (0.3 + 0.7 * p.look.sun_visible))
        sun = np.asarray(p.day.sun, np.float32)
        region += (sun - region) * (path * strength)[..., None] * band.alpha[rows][..., None]


def beach(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    span = h - hz
    shore = hz + _SHORE * span
    band = p.band("sea", hz - 1, p.cover(shore + 0.05 * h))
    _sea(p, band, hz, p.cover(shore + 0.05 * h))
    p.add(band, parallax=0.1)
    p.water = (hz, shore)
    band = p.band("surf", shore - 0.06 * h, shore + 0.05 * h)
    crest = band.ridge("surf", base=shore - 0.012 * h, amp=0.006 * h, per_frame=3, frame_width=p.w)
    rows = band.rows(band.y0, band.y1)
    d = band.y[rows, None] - crest[None, :]
    foam = np.exp(-((d / np.float32(max(1.5, 0.01 * h))) ** 2)) * np.float32(0.9)
    foam += np.clip(d / np.float32(0.02 * h), 0, 1) * np.float32(0.35) * (d < 0.03 * h)
    band.over(rows, f32(np.clip(foam, 0, 1)), p.lit((245, 245, 240)))
    p.add(band, parallax=0.45, bob=(0.008 * h, 0.11))
    near, far = GROUND["beach"]

    def sand(band: Band, index: int, top: float) -> None:
        if index == 0:
            wet = np.full(band.width, top, np.float32)
            band.fill_below(wet, p.lit((170, 150, 115)), bottom=top + 0.06 * span, soft=3)
        grains = [p.lit(tuple(np.asarray(near) * 0.88)), p.lit(tuple(np.asarray(near) * 1.05))]
        band.speckle("sand", y0=top, y1=band.y1, density=5.0, colors=grains, size=1)

    p.ground("sand", near, far, start=_SHORE, parts=(0.0, 0.4, 0.75), decorate=sand)
    if p.plan.camera.shot != "aerial":
        band = p.band("dune grass", h - 0.16 * h, p.y_max)
        top = band.peaks(
            "blades", base=h + 0.02 * h, tall=(0.02 * h, 0.13 * h), spacing=0.005 * p.w, flank=0.08
        )
        mask = np.cos(band.x * np.float32(2 * math.pi / (0.9 * p.w))) > 0.55
        top = f32(np.where(mask, top, np.float32(p.y_max + 10)))
        band.fill_below(top, p.lit((150, 150, 80)))
        p.add(band, parallax=1.35, haze=False)


def ocean(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("sea", hz - 1, p.y_max)
    _sea(p, band, hz, p.y_max)
    p.add(band, parallax=0.1)
    p.water = (hz, float(h))
    span = h - hz
    rows_of = ((0.18, 0.3, 0.35), (0.45, 0.55, 0.65), (0.78, 0.85, 1.0))
    for i, (start, darkness, parallax) in enumerate(rows_of):
        base = hz + start * span
        band = p.band(f"swell{i}", base - 0.05 * h, p.y_max)
        crest = band.ridge(
            f"swell{i}",
            base=base,
            amp=(0.006 + 0.006 * i) * h,
            per_frame=2.5 - 0.5 * i,
            frame_width=p.w,
            sharp=True,
        )
        deep = p.lit(GROUND["ocean"][0]) * np.float32(0.55 + 0.1 * darkness) + np.asarray(
            p.day.zenith, np.float32
        ) * np.float32(0.3)
        band.fill_below(crest, band.gradient(deep * np.float32(1.15), deep, base, p.y_max))
        rows = band.rows(base - 0.05 * h, base + 0.03 * h)
        d = band.y[rows, None] - crest[None, :]
        foam = np.exp(-((d / np.float32(0.004 * h + 1)) ** 2)) * np.float32(0.6)
        band.over(rows, f32(foam), p.lit((235, 240, 242)))
        drift = (0.01 + 0.02 * p.plan.wind) * p.w * (1 + i)
        p.add(band, parallax=parallax, drift=drift, bob=((0.004 + 0.003 * i) * h, 0.13 + 0.04 * i))


def lake(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    span = h - hz
    shore = hz + 0.72 * span
    band = p.band("far shore", hz - 0.3 * h, p.cover(hz))
    far = band.ridge(
        "far", base=hz - 0.05 * h, amp=0.09 * h, per_frame=0.9, frame_width=p.w, octaves=4
    )
    band.fill_below(far, p.aerial(p.lit((96, 112, 128)), 0.45))
    p.add(band, parallax=0.05)
    band = p.band("treeline", hz - 0.12 * h, p.cover(hz))
    trees = band.peaks("trees", base=hz, tall=(0.025 * h, 0.08 * h), spacing=0.018 * p.w, flank=0.3)
    band.fill_below(trees, p.aerial(p.lit((38, 72, 52)), 0.2))
    p.add(band, parallax=0.12)
    # Still water mirrors the shore: the same shapes upside down, darker, broken by ripples.
    water = p.band("water", hz - 1, p.cover(shore))
    top = np.full(water.width, hz, np.float32)
    sky_low = p.sky_horizon * np.float32(0.8)
    zenith = np.asarray(p.day.zenith, np.float32) * np.float32(0.7)
    water.fill_below(top, water.gradient(sky_low, zenith, hz, hz + 0.6 * span))
    mirrored = 2 * hz - trees
    rows = water.rows(hz, float(mirrored.max()) + 2)
    ys = water.y[rows, None]
    cover = np.clip(mirrored[None, :] - ys + 0.5, 0, 1)
    water.over(rows, f32(cover * 0.85), p.aerial(p.lit((30, 56, 42)), 0.25))
    rows = water.rows(hz, shore)
    ys = water.y[rows, None]
    ripple = np.sin(ys * np.float32(1.7) + np.sin(water.x[None, :] * np.float32(0.05)) * 2)
    water.rgb[rows] *= (1 + np.float32(0.05) * f32(ripple))[..., None]
    p.add(water, parallax=0.3)
    p.water = (hz, shore)

    def bank(band: Band, index: int, top: float) -> None:
        if index == 0:
            mud = np.full(band.width, top, np.float32)
            band.fill_below(mud, p.lit((90, 80, 60)), bottom=top + 0.03 * span, soft=2)

    p.ground("bank", (70, 120, 50), (90, 130, 70), start=0.72, parts=(0.0, 0.5), decorate=bank)
    if p.plan.camera.shot != "aerial":
        band = p.band("reeds", h - 0.25 * h, p.y_max)
        top = band.peaks(
            "reeds", base=h + 0.02 * h, tall=(0.05 * h, 0.22 * h), spacing=0.004 * p.w, flank=0.04
        )
        mask = np.cos(band.x * np.float32(2 * math.pi / (1.1 * p.w)) + 1.0) > 0.6
        top = f32(np.where(mask, top, np.float32(p.y_max + 10)))
        band.fill_below(top, p.lit((80, 96, 50)))
        p.add(band, parallax=1.35, haze=False)


def underwater(p: Painter) -> None:
    hz, h = p.horizon, p.h
    dim = np.float32(0.35 if p.plan.time_of_day in ("night", "dusk") else 1.0)
    band = p.band("water", p.y_min, p.y_max)
    band.fill((0.0, 0.0, 0.0))
    top, bottom = np.asarray((40, 150, 180), np.float32) * dim, np.asarray((5, 35, 75)) * dim
    band.rgb[...] = band.gradient(top, f32(bottom), p.y_min, h)
    p.add(band, parallax=0.0, haze=False)
    rays = p.band("rays", p.y_min, hz)
    rng = rays.rng("rays")
    fade = np.clip(1 - rays.y / np.float32(0.85 * h), 0, 1)[:, None]
    for _ in range(round(7 * rays.width / p.w)):
        x0 = float(rng.uniform(0, rays.width))
        slant = float(rng.uniform(0.15, 0.35))
        width = float(rng.uniform(0.01, 0.04)) * p.w
        centre = np.float32(x0) + rays.y[:, None] * np.float32(slant)
        d = np.mod(rays.x[None, :] - centre, np.float32(rays.width))
        d = np.minimum(d, np.float32(rays.width) - d)
        ray = np.exp(-((d / np.float32(width)) ** 2)) * fade * np.float32(0.22) * dim
        rays.over(rays.rows(rays.y0, rays.y1), f32(ray), (235.0, 250.0, 255.0))
    p.add(rays, parallax=0.02, haze=False, drift=0.004 * p.w)
    band = p.band("rocks", hz - 0.3 * h, p.cover(hz))
    rocks = band.ridge("rocks", base=hz - 0.06 * h, amp=0.08 * h, per_frame=1.3, frame_width=p.w)
    band.fill_below(rocks, f32(np.asarray((20, 70, 95), np.float32) * dim))
    p.add(band, parallax=0.12, haze=False)
    band = p.band("reef", hz - 0.2 * h, p.cover(hz + 0.03 * h))
    reef = band.domes("reef", base=hz + 0.02 * h, radius=(0.03 * h, 0.07 * h), spacing=0.07 * p.w)
    band.fill_below(reef, f32(np.asarray((70, 80, 90), np.float32) * dim))
    _corals(p, band, base=hz + 0.02 * h, dim=float(dim))
    p.add(band, parallax=0.4, haze=False)
    sand = np.asarray(GROUND["underwater"][0], np.float32) * dim
    light = p.light
    p.light = f32(np.full(3, float(dim), np.float32))
    p.ground("seabed", f32(sand * 0.85 / dim), f32(sand * 0.55 / dim), start=0.05)
    p.light = light
    p.subject_light = f32(np.asarray((0.75, 0.9, 1.0), np.float32) * dim)


def _corals(p: Painter, band: Band, *, base: float, dim: float) -> None:
    rng = band.rng("corals")
    colors = ((240, 110, 120), (250, 170, 70), (180, 90, 200), (90, 200, 190), (250, 230, 120))
    for _ in range(round(14 * band.width / p.w)):
        x = float(rng.uniform(0, band.width))
        r = float(rng.uniform(0.01, 0.035)) * p.h
        y = base - float(rng.uniform(0.0, 0.05)) * p.h
        color = np.asarray(colors[int(rng.integers(len(colors)))], np.float32) * np.float32(dim)
        band.disc(x, y, r, r * 0.8, f32(color))
        band.disc(x - 0.3 * r, y - 0.3 * r, r * 0.35, r * 0.3, f32(color * np.float32(1.15)))
    for _ in range(round(10 * band.width / p.w)):
        x = float(rng.uniform(0, band.width))
        tall = float(rng.uniform(0.06, 0.18)) * p.h
        green = np.asarray((40, 130, 80), np.float32) * np.float32(dim)
        for s in range(6):
            y_a = base - tall * s / 6
            x_a = x + math.sin(s * 0.9) * 0.008 * p.w
            band.disc(x_a, y_a - tall / 12, 0.004 * p.h + 1, tall / 10, f32(green))


PAINTERS: dict[str, Paint] = {
    "beach": beach,
    "ocean": ocean,
    "lake": lake,
    "underwater": underwater,
}
_unused: F32 | None = None
