"""The sky: a gradient for the time of day, stars, the sun or moon with its glow, and clouds.

The sky band is opaque and sits behind everything (parallax 0). Clouds are their own layer,
drifting with the wind. Space scenes have no sky but star fields at three depths instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.canvas import BLOCK_ROWS, Band, smoothstep

if TYPE_CHECKING:
    from reelbox.engines.procedural.scenery import Painter


def sun_position(painter: Painter) -> tuple[float, float]:
    """World (x, y) of the sun or moon: backlit scenes put it low behind the subjects."""
    day = painter.day
    if painter.plan.lighting == "backlit" and not day.moon:
        return 0.5 * painter.w, painter.horizon - 0.14 * painter.h
    return day.sun_pos[0] * painter.w, day.sun_pos[1] * painter.horizon


def paint_sky(painter: Painter, *, bottom: float) -> None:
    """The sky band (world rows from the top of what the camera sees down to `bottom`)."""
    band = painter.band("sky", painter.y_min, bottom)
    zenith = painter.mix_haze(np.asarray(painter.day.zenith, np.float32), 0.85)
    horizon_color = painter.sky_horizon
    t = np.clip(band.y / np.float32(max(1.0, painter.horizon)), 0, 1) ** np.float32(0.85)
    grad = zenith[None, :] * (1 - t[:, None]) + horizon_color[None, :] * t[:, None]
    band.rgb[...] = grad[:, None, :]
    band.alpha[...] = 1.0
    if painter.day.stars > 0 and painter.look.sun_visible > 0.05:
        _stars(band, painter.day.stars * painter.look.sun_visible, painter.horizon)
    _sun(painter, band)
    if painter.plan.aurora:
        _aurora(painter, band)
    if painter.plan.lighting == "neon":
        # A city's glow along the horizon.
        glow = np.exp(-np.abs(band.y - np.float32(painter.horizon)) / np.float32(0.12 * painter.h))
        pink = np.asarray((200, 60, 170), np.float32)
        for start in range(0, band.alpha.shape[0], BLOCK_ROWS):
            block = slice(start, start + BLOCK_ROWS)
            region = band.rgb[block]
            region += (pink - region) * (glow[block, None, None] * np.float32(0.35))
    painter.add(band, parallax=0.0, haze=False)


_AURORA_GREEN = (70.0, 235.0, 150.0)
_AURORA_VIOLET = (150.0, 80.0, 210.0)


def _aurora(painter: Painter, band: Band) -> None:
    """The northern lights: curtains of green light, bright along a wavy lower hem and fading
    upwards into violet, with faint vertical rays. Painted into the sky once; the pattern
    repeats a whole number of times across the band, so the wrap does not show."""
    rng = band.rng("aurora")
    h = np.float32(painter.h)
    top = np.float32(max(painter.y_min, painter.horizon - 0.95 * painter.h))
    span = np.float32(painter.horizon) - top
    # Darker skies show it brighter; a daytime sky (asked for at noon) only faintly.
    strength = np.float32(0.25 + 0.65 * min(1.0, painter.day.stars) * painter.look.sun_visible)
    green = np.asarray(_AURORA_GREEN, np.float32)
    violet = np.asarray(_AURORA_VIOLET, np.float32)
    x = band.x * np.float32(2 * np.pi / band.width)
    for curtain in range(2):
        waves = band.cycles(0.8 + 0.5 * curtain, painter.w)
        phase = np.float32(rng.uniform(0, 2 * np.pi))
        hem = (
            top
            + span * np.float32(0.45 + 0.15 * curtain)
            + np.float32(0.06)
            * h
            * (
                np.sin(x * np.float32(waves) + phase)
                + np.float32(0.5) * np.sin(x * np.float32(2 * waves + 1) + phase * 2)
            )
        )
        rays = (
            np.float32(0.55)
            + np.float32(0.45) * np.sin(x * np.float32(band.cycles(9.0, painter.w)) + phase) ** 2
        )
        height = np.float32((0.28 - 0.08 * curtain) * painter.h)
        level = strength * np.float32(1.0 - 0.35 * curtain)
        for start in range(0, band.alpha.shape[0], BLOCK_ROWS):
            block = slice(start, start + BLOCK_ROWS)
            dy = hem[None, :] - band.y[block, None]  # > 0 above the hem
            glow = np.where(
                dy >= 0,
                np.exp(-dy / height * np.float32(2.2)),
                np.exp(dy / np.float32(0.012 * painter.h)),
            )
            cover = f32(glow * rays[None, :] * level)
            up = np.clip(dy / height, 0, 1)[..., None]
            color = green * (1 - up) + violet * up
            region = band.rgb[block]
            region += (color - region) * cover[..., None]


def paint_clouds(painter: Painter) -> None:
    """Soft cloud banks over the sky, drifting with the wind."""
    bottom = painter.horizon - 0.02 * painter.h
    if bottom <= painter.y_min:
        return
    band = painter.band("clouds", painter.y_min, bottom)
    rng = band.rng("banks")
    density = np.zeros(band.alpha.shape, dtype=np.float32)
    banks = round(painter.look.clouds * band.width / painter.w)
    if painter.plan.style == "anime":
        banks = max(banks, 3)
    for _ in range(banks):
        cx = float(rng.uniform(0, band.width))
        cy = float(rng.uniform(0.05, 0.6)) * painter.horizon
        bank_w = float(rng.uniform(0.12, 0.3)) * painter.w
        for _ in range(int(rng.integers(5, 10))):
            px = cx + float(rng.normal(0, bank_w * 0.35))
            py = cy + float(rng.normal(0, bank_w * 0.06))
            rx = bank_w * float(rng.uniform(0.15, 0.3))
            ry = rx * float(rng.uniform(0.4, 0.6))
            rows = band.rows(py - 2 * ry, py + 2 * ry)
            if rows.start >= rows.stop:
                continue
            cols = np.arange(int(px - 2 * rx), int(px + 2 * rx) + 1)
            dx = ((cols + 0.5 - px) / rx).astype(np.float32)
            dy = (band.y[rows] - np.float32(py)) / np.float32(ry)
            puff = np.exp(np.float32(-2.0) * (dy[:, None] ** 2 + dx[None, :] ** 2))
            density[rows, cols % band.width] += f32(puff)
    if not np.any(density > 0.3):
        return
    hard = painter.plan.style in ("anime", "pixel_art")
    cover = smoothstep(0.45, 0.55, density) if hard else smoothstep(0.3, 0.8, density)
    tint = np.asarray(painter.look.cloud_tint, np.float32) / 255
    light = painter.light.clip(0.15, 1.0)
    lit = tint * (painter.sky_horizon * 0.45 + 255 * 0.55 * light)
    # Light comes from above: the more cloud just above a point, the deeper its shade.
    drop = max(1, round(0.035 * painter.h))
    dark = np.float32(0.4 if painter.plan.weather in ("rain", "snow", "storm") else 0.22)
    count = density.shape[0]
    for start in range(0, count, BLOCK_ROWS):
        block = slice(start, min(count, start + BLOCK_ROWS))
        above = np.zeros((block.stop - block.start, density.shape[1]), dtype=np.float32)
        first = max(start, drop)
        if first < block.stop:
            above[first - start :] = density[first - drop : block.stop - drop]
        shade = smoothstep(0.4, 2.0, above)[..., None]
        band.rgb[block] = lit * (1 - dark * shade) * cover[block, :, None]
        band.alpha[block] = cover[block] * np.float32(0.95)
    drift = (0.004 + 0.03 * painter.plan.wind) * painter.w
    painter.add(band, parallax=0.03, haze=False, drift=drift)


def _stars(band: Band, amount: float, horizon: float) -> None:
    rng = band.rng("stars")
    rows = band.rows(band.y0, horizon * 0.92)
    n = int(amount * band.width * (rows.stop - rows.start) / 900)
    if n == 0:
        return
    xs = rng.integers(0, band.width, n)
    ys = rng.integers(rows.start, max(rows.start + 1, rows.stop), n)
    bright = rng.uniform(90, 255, n).astype(np.float32)
    band.rgb[ys, xs] = np.maximum(band.rgb[ys, xs], bright[:, None])


def _sun(painter: Painter, band: Band) -> None:
    day, look = painter.day, painter.look
    sx, sy = sun_position(painter)
    color = np.asarray(day.sun, np.float32)
    dx = band.x[None, :] - np.float32(sx)
    dx = np.minimum(np.abs(dx), np.float32(band.width) - np.abs(dx)) * np.sign(dx)
    visible = look.sun_visible
    backlit = painter.plan.lighting == "backlit" and not day.moon
    radius = (0.035 if day.moon else 0.045) * painter.h
    glow_size = (0.12 if day.moon else 0.3) * painter.h * (1.8 if backlit else 1.0)
    glow_strength = (0.35 if day.moon else 0.55) * (0.4 + 0.6 * visible) * (1.6 if backlit else 1)
    for start in range(0, band.alpha.shape[0], BLOCK_ROWS):
        rows = slice(start, min(band.alpha.shape[0], start + BLOCK_ROWS))
        dy = band.y[rows, None] - np.float32(sy)
        dist = np.sqrt(dx * dx + dy * dy)
        glow = np.exp(-dist / np.float32(glow_size)) * np.float32(min(0.95, glow_strength))
        region = band.rgb[rows]
        region += (color - region) * (glow[..., None] * np.float32(0.9))
        disc = np.clip(np.float32(radius) - dist + 0.5, 0, 1) * np.float32(visible)
        if not np.any(disc):
            continue
        region += (color - region) * disc[..., None]
        if day.moon:
            for ox, oy, r in ((-0.3, -0.2, 0.35), (0.25, 0.15, 0.3), (-0.1, 0.4, 0.2)):
                d = np.sqrt((dx - ox * radius) ** 2 + (dy - oy * radius) ** 2)
                spot = np.clip(np.float32(r * radius) - d + 0.5, 0, 1) * disc * np.float32(0.15)
                region *= (1 - spot)[..., None]


def paint_starfields(painter: Painter) -> None:
    """Space: a deep gradient with nebulae, then stars at three depths (they parallax)."""
    band = painter.band("void", painter.y_min, painter.y_max)
    band.fill((0.0, 0.0, 0.0))
    top, bottom = np.asarray((2, 2, 10), np.float32), np.asarray((14, 12, 34), np.float32)
    band.rgb[...] = band.gradient(top, bottom, painter.y_min, painter.y_max)
    rng = band.rng("nebula")
    for _ in range(round(6 * band.width / painter.w)):
        cx, cy = float(rng.uniform(0, band.width)), float(rng.uniform(0, painter.horizon))
        r = float(rng.uniform(0.08, 0.25)) * painter.h
        choice = int(rng.integers(3))
        color = np.asarray(((120, 50, 160), (40, 120, 160), (170, 60, 90))[choice], np.float32)
        band.disc(cx, cy, r, r * 0.7, color * np.float32(0.22), soft=r)
    painter.add(band, parallax=0.0, haze=False)
    for depth, (amount, parallax) in enumerate(((2.0, 0.02), (1.0, 0.06), (0.35, 0.14))):
        stars = painter.band(f"stars{depth}", painter.y_min, painter.y_max)
        srng = stars.rng("stars")
        n = int(amount * stars.width * stars.alpha.shape[0] / 1600)
        xs = srng.integers(0, stars.width, n)
        ys = srng.integers(0, stars.alpha.shape[0], n)
        level = srng.uniform(100, 255, n).astype(np.float32)
        stars.rgb[ys, xs] = level[:, None] * np.float32(1.0)
        stars.alpha[ys, xs] = 1.0
        if depth == 2:  # the nearest stars are a little bigger
            stars.rgb[ys, (xs + 1) % stars.width] = level[:, None] * np.float32(0.5)
            stars.alpha[ys, (xs + 1) % stars.width] = 0.5
        painter.add(stars, parallax=parallax, haze=False)
    # A planet hanging in the sky.
    planet = painter.band("planet", painter.y_min, painter.horizon)
    px, py, pr = 0.22 * painter.w, 0.3 * painter.h, 0.13 * painter.h
    rows = planet.rows(py - pr - 2, py + pr + 2)
    dx = planet.x[None, :] - np.float32(px)
    dy = planet.y[rows, None] - np.float32(py)
    disc = np.clip(np.float32(pr) - np.sqrt(dx * dx + dy * dy) + 0.5, 0, 1)
    light = np.clip(0.25 + 0.9 * (dx + dy * 0.5) / -np.float32(pr), 0.05, 1.0)
    earth = painter.plan.earth_in_sky
    tone = (70, 125, 205) if earth else (190, 140, 100)
    body: F32 = f32(np.asarray(tone, np.float32) * light[..., None])
    if earth:
        # Continents and clouds on the blue marble.
        swirl = np.sin(dx * np.float32(9 / pr)) * np.cos(dy * np.float32(7 / pr) + dx / pr)
        land = np.clip((swirl - 0.35) * 4, 0, 1)[..., None]
        body = f32(
            body * (1 - land) + np.asarray((80, 150, 70), np.float32) * light[..., None] * land
        )
    planet.over(rows, f32(disc), body)
    painter.add(planet, parallax=0.05, haze=False)
