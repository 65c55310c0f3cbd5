"""Open-land settings: meadow (countryside), park, forest, mountains, desert, snow field, road."""

from __future__ import annotations

import math

import numpy as np

from reelbox.engines.procedural.arrays import f32
from reelbox.engines.procedural.canvas import Band
from reelbox.engines.procedural.palette import GROUND, RGB
from reelbox.engines.procedural.scenery import Paint, Painter
from reelbox.engines.procedural.sky import paint_clouds, paint_sky


def sky(p: Painter) -> None:
    paint_sky(p, bottom=p.cover(p.horizon))
    paint_clouds(p)


def _grass_tufts(p: Painter, *, color: RGB, parallax: float = 1.35) -> None:
    """Blades of grass along the bottom edge, in front of everything."""
    if p.plan.camera.shot == "aerial":
        return
    base = p.h + 0.02 * p.h
    band = p.band("tufts", base - 0.09 * p.h, p.y_max)
    top = band.peaks(
        "blades", base=base, tall=(0.01 * p.h, 0.075 * p.h), spacing=0.006 * p.w, flank=0.1
    )
    band.fill_below(top, p.lit(color))
    p.add(band, parallax=parallax, haze=False)


def meadow(p: Painter) -> None:
    sky(p)
    far = np.asarray(GROUND["meadow"][1], np.float32)
    hz, h = p.horizon, p.h
    band = p.band("hills", hz - 0.12 * h, p.cover(hz))
    hills = band.ridge("hills", base=hz - 0.03 * h, amp=0.05 * h, per_frame=1.2, frame_width=p.w)
    band.fill_below(hills, p.aerial(p.lit(far * 0.85), 0.4))
    p.add(band, parallax=0.12)
    band = p.band("rolling", hz - 0.06 * h, p.cover(hz + 0.02 * h))
    roll = band.ridge("roll", base=hz - 0.004 * h, amp=0.022 * h, per_frame=0.8, frame_width=p.w)
    band.fill_below(roll, p.aerial(p.lit(far * 0.95), 0.2))
    clumps = band.domes("clumps", base=hz, radius=(0.012 * h, 0.03 * h), spacing=0.22 * p.w)
    band.fill_below(clumps, p.aerial(p.lit((46, 92, 48)), 0.25), bottom=hz + 0.004 * h)
    p.add(band, parallax=0.25)

    def flowers(band: Band, index: int, top: float) -> None:
        if index == 0:
            return
        colors = [p.lit(c) for c in ((240, 140, 190), (245, 225, 80), (250, 250, 245))]
        band.speckle(
            "flowers", y0=top, y1=band.y1, density=1.6 * index, colors=colors, size=1.5 + index
        )

    p.ground("field", *GROUND["meadow"], decorate=flowers)
    _grass_tufts(p, color=(40, 95, 38))


def park(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("town", hz - 0.3 * h, p.cover(hz))
    top = band.blocks("town", base=hz, tall=(0.05 * h, 0.2 * h), wide=(0.03 * p.w, 0.07 * p.w))
    band.fill_below(top, p.aerial(p.lit((120, 126, 140)), 0.6))
    p.add(band, parallax=0.08)
    band = p.band("trees", hz - 0.3 * h, p.cover(hz + 0.01 * h))
    hedge = band.domes(
        "hedge", base=hz + 0.005 * h, radius=(0.02 * h, 0.045 * h), spacing=0.05 * p.w
    )
    band.fill_below(hedge, p.aerial(p.lit((52, 100, 50)), 0.3))
    _trees(p, band, "park", base=hz + 0.01 * h, tall=(0.14, 0.26), spacing=0.16, round_=True)
    _lamps(p, band, base=hz + 0.012 * h, spacing=0.33)
    p.add(band, parallax=0.3)
    near, far = GROUND["park"]

    def path(band: Band, index: int, top: float) -> None:
        if index != 1:
            return
        span = p.h - p.horizon
        y0 = top + 0.08 * span
        y1 = y0 + 0.12 * span
        edge = np.full(band.width, y0, np.float32)
        band.fill_below(edge, p.lit((196, 178, 140)), bottom=y1, soft=1.5)
        band.speckle("gravel", y0=y0, y1=y1, density=4, colors=[p.lit((150, 135, 105))], size=1)

    p.ground("lawn", near, far, decorate=path)
    band = p.band("bushes", p.h - 0.14 * h, p.y_max)
    bushes = band.domes("bush", base=p.h + 0.04 * h, radius=(0.05 * h, 0.1 * h), spacing=0.5 * p.w)
    band.fill_below(bushes, p.lit((38, 90, 40)))
    p.add(band, parallax=1.35, haze=False)


def _trees(
    p: Painter,
    band: Band,
    purpose: str,
    *,
    base: float,
    tall: tuple[float, float],
    spacing: float,
    round_: bool,
) -> None:
    """Free-standing trees (trunk and crown) along `base`."""
    rng = band.rng(purpose)
    count = max(1, round(band.width / (spacing * p.w)))
    for i in range(count):
        x = (i + float(rng.uniform(-0.3, 0.3))) * band.width / count
        height = float(rng.uniform(*tall)) * p.h
        trunk = max(1.5, 0.04 * height)
        band.rect(x - trunk, base - 0.45 * height, x + trunk, base, p.lit((92, 64, 44)))
        green = p.aerial(p.lit((48 + 20 * float(rng.uniform()), 110, 52)), 0.2)
        if round_:
            r = 0.3 * height
            band.disc(x, base - 0.62 * height, r, r * 0.9, green)
            band.disc(x - 0.45 * r, base - 0.5 * height, r * 0.7, r * 0.6, green * np.float32(0.85))
            band.disc(
                x + 0.5 * r, base - 0.52 * height, r * 0.65, r * 0.55, green * np.float32(0.9)
            )
        else:
            top = np.full(band.width, np.inf, np.float32)
            d = np.abs(band.x - np.float32(x))
            d = np.minimum(d, np.float32(band.width) - d)
            top = np.minimum(top, np.float32(base - height) + d * np.float32(1 / 0.3))
            band.fill_below(f32(top), green, bottom=base - 0.12 * height)


def _lamps(p: Painter, band: Band, *, base: float, spacing: float) -> None:
    rng = band.rng("lamps")
    count = max(1, round(band.width / (spacing * p.w)))
    night = p.plan.time_of_day in ("night", "dusk") or p.plan.lighting == "neon"
    for i in range(count):
        x = (i + 0.5 + float(rng.uniform(-0.1, 0.1))) * band.width / count
        height = 0.2 * p.h
        band.rect(x - 0.0025 * p.h, base - height, x + 0.0025 * p.h, base, p.lit((40, 42, 46)))
        head = f32((255, 225, 160)) if night else p.lit((70, 72, 78))
        band.disc(x, base - height, 0.012 * p.h, 0.009 * p.h, head)
        if night:
            band.glow(x, base - height, 0.05 * p.h, (255, 200, 120), strength=0.6)


def forest(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    layers = (
        ("far", 0.0, (0.12, 0.22), 0.025, 0.5, (40, 85, 60), 0.1),
        ("mid", 0.015, (0.2, 0.34), 0.045, 0.25, (30, 70, 45), 0.22),
        ("near", 0.035, (0.32, 0.52), 0.08, 0.05, (22, 52, 32), 0.4),
    )
    for name, drop, tall, spacing, haze, color, parallax in layers:
        base = hz + drop * h
        band = p.band(name, base - tall[1] * h - 2, p.cover(base))
        top = band.peaks(
            name, base=base, tall=(tall[0] * h, tall[1] * h), spacing=spacing * p.w, flank=0.28
        )
        band.fill_below(top, p.aerial(p.lit(color), haze))
        p.add(band, parallax=parallax)

    def floor(band: Band, index: int, top: float) -> None:
        leaves = [p.lit(c) for c in ((120, 80, 40), (70, 100, 40), (150, 110, 50))]
        band.speckle("litter", y0=top, y1=band.y1, density=2.0 + index, colors=leaves, size=2)

    p.ground("floor", (48, 78, 36), (62, 92, 50), decorate=floor)
    if p.plan.camera.shot != "aerial":
        band = p.band("trunks", p.y_min, p.y_max)
        rng = band.rng("trunks")
        count = max(1, round(band.width / (0.75 * p.w)))
        for i in range(count):
            x = (i + float(rng.uniform(0.1, 0.4))) * band.width / count
            half = float(rng.uniform(0.03, 0.05)) * p.w
            band.rect(x - half, p.y_min, x + half, p.y_max, p.lit((52, 38, 30)), soft=1.5)
            band.rect(x - half * 0.6, p.y_min, x - half * 0.2, p.y_max, p.lit((70, 52, 40)))
        p.add(band, parallax=1.45, haze=False)


def mountains(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("peaks", hz - 0.5 * h, p.cover(hz))
    ridge = band.ridge(
        "far",
        base=hz - 0.12 * h,
        amp=0.16 * h,
        per_frame=0.9,
        frame_width=p.w,
        octaves=4,
        sharp=True,
    )
    band.fill_below(ridge, p.aerial(p.lit((108, 118, 142)), 0.45))
    snowline = band.ridge(
        "snowline", base=hz - 0.26 * h, amp=0.02 * h, per_frame=4, frame_width=p.w
    )
    rows = band.rows(band.y0, hz)
    ys = band.y[rows, None]
    cap = np.clip(snowline[None, :] - ys, 0, 1) * np.clip(ys - ridge[None, :] + 0.5, 0, 1)
    band.over(rows, f32(cap), p.aerial(p.lit((240, 244, 250)), 0.3))
    p.add(band, parallax=0.05)
    band = p.band("ridge", hz - 0.2 * h, p.cover(hz + 0.01 * h))
    mid = band.ridge(
        "mid", base=hz - 0.03 * h, amp=0.06 * h, per_frame=1.6, frame_width=p.w, sharp=True
    )
    band.fill_below(mid, p.aerial(p.lit((66, 84, 78)), 0.25))
    p.add(band, parallax=0.15)
    band = p.band("pines", hz - 0.12 * h, p.cover(hz + 0.03 * h))
    pines = band.peaks(
        "pines", base=hz + 0.02 * h, tall=(0.03 * h, 0.09 * h), spacing=0.03 * p.w, flank=0.3
    )
    band.fill_below(pines, p.aerial(p.lit((34, 62, 44)), 0.15))
    p.add(band, parallax=0.3)
    p.ground("alp", *GROUND["mountains"], start=0.02)


def _dunes(p: Painter, name: str, colors: tuple[RGB, RGB], shadow: RGB) -> None:
    near, far = (np.asarray(c, np.float32) for c in colors)
    hz, h = p.horizon, p.h
    layers = ((-0.03, 0.04, 0.3, 0.2), (0.05, 0.05, 0.12, 0.45), (0.2, 0.06, 0.0, 0.75))
    toward_sun = np.float32(1 if p.day.sun_pos[0] > 0.5 else -1)
    for i, (drop, amp, haze, parallax) in enumerate(layers):
        base = hz + drop * h
        last = i == len(layers) - 1
        band = p.band(
            f"{name}{i}",
            base - 2.2 * amp * h,
            p.y_max if last else p.cover(hz + layers[i + 1][0] * h + 0.1 * h),
        )
        top = band.ridge(
            f"{name}:{i}", base=base, amp=amp * h, per_frame=1.0 + 0.4 * i, frame_width=p.w
        )
        lit = p.aerial(p.lit(far + (near - far) * np.float32(i / 2)), haze)
        dark = p.aerial(p.lit(shadow), haze)
        lift = np.clip(-np.gradient(top) * toward_sun * np.float32(p.w / p.h / 3.0), -0.35, 0.25)
        below = np.maximum(band.y[:, None] - top[None, :], 0)
        reach = np.exp(-below / np.float32(0.06 * h))[..., None]
        bright = lit * (1 + np.maximum(lift, 0)[None, :, None] * reach)
        shaded = (dark - lit) * (np.minimum(lift, 0)[None, :, None] * np.float32(-1.5) * reach)
        band.fill_below(top, f32(bright + shaded))
        p.add(band, parallax=parallax)


def desert(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("mesas", hz - 0.25 * h, p.cover(hz))
    top = band.blocks("mesas", base=hz, tall=(0.0, 0.14 * h), wide=(0.08 * p.w, 0.3 * p.w))
    kernel = max(3, round(0.03 * p.w)) | 1
    padded = np.concatenate([top[-kernel:], top, top[:kernel]])
    smooth = np.convolve(padded, np.ones(kernel, np.float32) / kernel, mode="same")
    top = f32(np.maximum(smooth[kernel:-kernel], top))
    band.fill_below(top, p.aerial(p.lit((186, 120, 86)), 0.45))
    p.add(band, parallax=0.06)
    _dunes(p, "desert", GROUND["desert"], (165, 110, 80))
    _sprinkle_cacti(p)


def _sprinkle_cacti(p: Painter) -> None:
    if p.plan.camera.shot == "aerial":
        return
    band = p.band("cacti", p.h - 0.3 * p.h, p.y_max)
    rng = band.rng("cacti")
    green = p.lit((58, 110, 62))
    count = max(1, round(band.width / (0.9 * p.w)))
    for i in range(count):
        x = (i + float(rng.uniform(0.0, 0.3))) * band.width / count
        tall = float(rng.uniform(0.16, 0.26)) * p.h
        r = 0.018 * p.h
        base = p.h + 0.02 * p.h
        band.rect(x - r, base - tall, x + r, base, green, soft=1)
        band.disc(x, base - tall, r, r, green)
        for side in (-1, 1):
            arm = tall * float(rng.uniform(0.35, 0.6))
            ax = x + side * 2.6 * r
            band.rect(min(x, ax), base - arm - r * 0.5, max(x, ax), base - arm + r * 0.9, green)
            band.rect(ax - r * 0.8, base - arm - 0.25 * tall, ax + r * 0.8, base - arm, green)
            band.disc(ax, base - arm - 0.25 * tall, r * 0.8, r * 0.8, green)
    p.add(band, parallax=1.4, haze=False)


def snow(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("white peaks", hz - 0.35 * h, p.cover(hz))
    ridge = band.ridge(
        "far",
        base=hz - 0.06 * h,
        amp=0.1 * h,
        per_frame=0.8,
        frame_width=p.w,
        octaves=4,
        sharp=True,
    )
    band.fill_below(ridge, p.aerial(p.lit((222, 230, 244)), 0.35))
    p.add(band, parallax=0.06)
    band = p.band("snowy pines", hz - 0.15 * h, p.cover(hz + 0.02 * h))
    pines = band.peaks(
        "pines", base=hz + 0.02 * h, tall=(0.05 * h, 0.12 * h), spacing=0.05 * p.w, flank=0.3
    )
    band.fill_below(pines, p.aerial(p.lit((38, 64, 56)), 0.3))
    rows = band.rows(band.y0, hz + 0.02 * h)
    ys = band.y[rows, None]
    frost = np.clip(1 - np.abs(np.mod(ys - pines[None, :], 0.025 * h) - 0.006 * h) / 2, 0, 1)
    frost *= np.clip(ys - pines[None, :], 0, 1)
    band.over(rows, f32(frost * 0.8), p.lit((236, 242, 250)))
    p.add(band, parallax=0.25)
    _dunes(p, "snow", GROUND["snow"], (165, 180, 215))


def road(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("hills", hz - 0.12 * h, p.cover(hz))
    hills = band.ridge("hills", base=hz - 0.02 * h, amp=0.045 * h, per_frame=1.0, frame_width=p.w)
    band.fill_below(hills, p.aerial(p.lit((110, 150, 100)), 0.45))
    p.add(band, parallax=0.1)
    band = p.band("poles", hz - 0.25 * h, p.cover(hz + 0.02 * h))
    line = band.ridge("field", base=hz + 0.005 * h, amp=0.008 * h, per_frame=1, frame_width=p.w)
    band.fill_below(line, p.aerial(p.lit((120, 160, 80)), 0.2))
    _trees(p, band, "roadside", base=hz + 0.01 * h, tall=(0.08, 0.16), spacing=0.3, round_=True)
    spacing = 0.28 * p.w
    count = max(1, round(band.width / spacing))
    pole_top = hz - 0.17 * h
    for i in range(count):
        x = (i + 0.5) * band.width / count
        band.rect(x - 0.003 * h, pole_top, x + 0.003 * h, hz + 0.01 * h, p.lit((80, 60, 45)))
        band.rect(
            x - 0.02 * h,
            pole_top + 0.01 * h,
            x + 0.02 * h,
            pole_top + 0.016 * h,
            p.lit((80, 60, 45)),
        )
    sag = np.float32(0.018 * h) * np.sin(
        np.mod(band.x, band.width / count) / (band.width / count) * np.float32(math.pi)
    )
    for k in (0.0, 0.012):
        wire = f32(pole_top + (0.012 + k) * h + sag)
        rows = band.rows(float(wire.min()) - 2, float(wire.max()) + 2)
        d = np.abs(band.y[rows, None] - wire[None, :])
        band.over(rows, f32(np.clip(1.2 - d, 0, 1) * 0.8), p.lit((40, 40, 44)))
    p.add(band, parallax=0.32)
    span = h - hz
    road_top, road_bottom = hz + 0.42 * span, hz + 0.74 * span
    p.road = (road_top, road_bottom)
    near, far = GROUND["road"]

    def tarmac(band: Band, index: int, top: float) -> None:
        if index != 1:
            return
        edge = np.full(band.width, road_top, np.float32)
        band.fill_below(edge, p.lit((66, 68, 72)), bottom=road_bottom, soft=1.2)
        for y in (road_top + 0.05 * span, road_bottom - 0.05 * span):
            band.rect(0, y - 0.004 * h, band.width, y + 0.004 * h, p.lit((225, 222, 210)))
        mid = (road_top + road_bottom) / 2
        period = band.width / band.cycles(1 / 0.16, p.w)
        dashes = np.mod(band.x, np.float32(period)) < period * 0.5
        rows = band.rows(mid - 0.005 * h, mid + 0.005 * h)
        band.rgb[rows][:, dashes] = p.lit((240, 200, 60))

    p.ground("verge", near, far, parts=(0.0, 0.4, 0.78), decorate=tarmac)


PAINTERS: dict[str, Paint] = {
    "meadow": meadow,
    "park": park,
    "forest": forest,
    "mountains": mountains,
    "desert": desert,
    "snow": snow,
    "road": road,
}
