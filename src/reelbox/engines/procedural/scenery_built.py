"""Built and other-worldly settings: city street, skyline, interior room, stage, space."""

from __future__ import annotations

import numpy as np

from reelbox.engines.procedural.arrays import F32, f32
from reelbox.engines.procedural.canvas import Band
from reelbox.engines.procedural.palette import GROUND, NEON
from reelbox.engines.procedural.scenery import Paint, Painter
from reelbox.engines.procedural.scenery_land import sky
from reelbox.engines.procedural.sky import paint_sky, paint_starfields


def _lit_share(p: Painter) -> float:
    if p.plan.lighting == "neon":
        return 0.45
    return {"night": 0.4, "dusk": 0.3, "sunset": 0.2, "golden hour": 0.08}.get(
        p.plan.time_of_day, 0.0
    )


def _windows(p: Painter, band: Band, top: F32, *, bottom: float, scale: float = 1.0) -> None:
    """A grid of windows over buildings whose roofs follow `top`; some lit at night."""
    cell_w = max(4, round(p.w / 110 * scale))
    cell_h = max(5, round(p.h / 50 * scale))
    rows = band.rows(float(top.min()), bottom - cell_h)
    if rows.start >= rows.stop:
        return
    xs = np.arange(band.width)
    ys = np.arange(band.y0 + rows.start, band.y0 + rows.stop)
    inside = (
        (ys[:, None] > top[None, :] + cell_h)
        & ((xs % cell_w) < cell_w * 0.55)[None, :]
        & ((ys % cell_h) < cell_h * 0.55)[:, None]
    )
    cell = (ys // cell_h)[:, None] * 7919 + (xs // cell_w)[None, :] * 104729
    hashed = (cell * 2654435761 + (p.plan.layout_seed & 0xFFFF)) % 1000
    glowing = inside & (hashed < _lit_share(p) * 1000)
    region = band.rgb[rows]
    region[inside] = p.lit((105, 125, 150)) * band.alpha[rows][inside][:, None]
    region[glowing] = np.asarray((255, 205, 125), np.float32) * band.alpha[rows][glowing][:, None]


def _neon_signs(p: Painter, band: Band, top: F32, *, bottom: float) -> None:
    if p.plan.lighting != "neon":
        return
    rng = band.rng("signs")
    for i in range(round(6 * band.width / p.w)):
        x = float(rng.uniform(0, band.width))
        roof = float(top[int(x) % band.width])
        if bottom - roof < 0.08 * p.h:
            continue
        y = float(rng.uniform(roof + 0.03 * p.h, bottom - 0.04 * p.h))
        color = np.asarray(NEON[i % len(NEON)], np.float32)
        w, h = float(rng.uniform(0.02, 0.05)) * p.w, float(rng.uniform(0.012, 0.04)) * p.h
        band.rect(x - w * 1.6, y - h * 1.6, x + w * 1.6, y + h * 1.6, f32(color * 0.35), soft=h)
        band.rect(x - w, y - h, x + w, y + h, f32(color))
        band.glow(x, y, 2 * w, f32(color), strength=0.35)


def city(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    band = p.band("far skyline", hz - 0.5 * h, p.cover(hz))
    far = band.blocks("far", base=hz, tall=(0.12 * h, 0.36 * h), wide=(0.03 * p.w, 0.07 * p.w))
    band.fill_below(far, p.aerial(p.lit((95, 102, 120)), 0.5))
    _windows(p, band, far, bottom=hz, scale=0.7)
    p.add(band, parallax=0.08)
    band = p.band("buildings", hz - 0.36 * h, p.cover(hz))
    near = band.blocks("near", base=hz, tall=(0.08 * h, 0.3 * h), wide=(0.06 * p.w, 0.13 * p.w))
    band.fill_below(near, p.lit((64, 62, 70)))
    _windows(p, band, near, bottom=hz)
    _neon_signs(p, band, near, bottom=hz)
    p.add(band, parallax=0.25)
    span = h - hz
    p.road = (hz + 0.3 * span, hz + 0.95 * span)
    neon = p.plan.lighting == "neon"
    wet = p.plan.weather in ("rain", "storm") or neon

    def street(band: Band, index: int, top: float) -> None:
        if index == 0:
            kerb = hz + 0.22 * span
            band.rect(0, kerb - 0.006 * h, band.width, kerb + 0.004 * h, p.lit((120, 118, 115)))
            return
        lane = hz + 0.62 * span
        period = band.width / band.cycles(1 / 0.14, p.w)
        dashes = np.mod(band.x, np.float32(period)) < period * 0.5
        rows = band.rows(lane - 0.006 * h, lane + 0.006 * h)
        band.rgb[rows][:, dashes] = p.lit((225, 222, 210))
        if wet:
            rng = band.rng("reflections")
            colors = NEON if neon else ((255, 205, 125),)
            for _ in range(round(10 * band.width / p.w)):
                x = float(rng.uniform(0, band.width))
                c = np.asarray(colors[int(rng.integers(len(colors)))], np.float32)
                band.rect(
                    x - 0.006 * p.w, top, x + 0.006 * p.w, band.y1, f32(c * 0.3), soft=0.01 * p.w
                )

    p.ground("street", (52, 54, 58), (150, 148, 145), parts=(0.0, 0.3, 0.65), decorate=street)


def skyline(p: Painter) -> None:
    sky(p)
    hz, h = p.horizon, p.h
    specs = (
        ("towers far", (0.2, 0.5), (0.02, 0.05), 0.55, (92, 100, 122), 0.04),
        ("towers mid", (0.12, 0.38), (0.03, 0.06), 0.3, (70, 76, 94), 0.1),
        ("towers near", (0.05, 0.24), (0.05, 0.1), 0.05, (40, 44, 56), 0.2),
    )
    for name, tall, wide, haze, color, parallax in specs:
        band = p.band(name, hz - tall[1] * h - 2, p.cover(hz))
        top = band.blocks(
            name, base=hz, tall=(tall[0] * h, tall[1] * h), wide=(wide[0] * p.w, wide[1] * p.w)
        )
        band.fill_below(top, p.aerial(p.lit(color), haze))
        _windows(p, band, top, bottom=hz, scale=0.5 + parallax * 2)
        _neon_signs(p, band, top, bottom=hz)
        p.add(band, parallax=parallax)
    water = p.band("river", hz - 1, p.y_max)
    top = np.full(water.width, hz, np.float32)
    deep = np.asarray(p.day.zenith, np.float32) * np.float32(0.5) + p.lit(GROUND["skyline"][0])
    water.fill_below(top, water.gradient(p.sky_horizon * np.float32(0.6), f32(deep * 0.6), hz, h))
    rng = water.rng("lights")
    if _lit_share(p) > 0:
        for _ in range(round(40 * water.width / p.w)):
            x = float(rng.uniform(0, water.width))
            y = float(rng.uniform(hz, h))
            length = float(rng.uniform(0.005, 0.03)) * p.w
            c = (255.0, 210.0, 140.0) if p.plan.lighting != "neon" else NEON[int(rng.integers(4))]
            water.rect(x - length, y, x + length, y + 1.2, f32(np.asarray(c) * 0.7))
    p.add(water, parallax=0.45)
    p.water = (hz, float(h))


def room(p: Painter) -> None:
    hz, h, w = p.horizon, p.h, p.w
    night = p.plan.time_of_day in ("night", "dusk") or p.plan.lighting == "candlelight"
    # The outside, seen through the window: painted first, at parallax 0.
    paint_sky(p, bottom=p.cover(hz))
    if night:
        light = np.asarray((0.8, 0.66, 0.5), np.float32)
    else:
        light = np.float32(0.55) + np.float32(0.45) * p.light
    if p.plan.lighting == "candlelight":
        light = np.asarray((0.75, 0.5, 0.3), np.float32)
    p.subject_light = f32(light)
    wall = p.band("wall", p.y_min, p.cover(hz))
    paper = np.asarray((214, 198, 172), np.float32) * light
    wall.fill_below(
        np.full(wall.width, p.y_min, np.float32),
        wall.gradient(f32(paper * 0.82), f32(paper), 0, hz),
    )
    stripes = np.sin(wall.x * np.float32(2 * np.pi / (0.035 * w))) > 0.6
    wall.rgb[:, stripes] *= np.float32(0.95)
    wx0, wx1 = 0.56 * w, 0.86 * w
    wy0, wy1 = 0.14 * h, 0.5 * h
    rows = wall.rows(wy0, wy1)
    cols = slice(int(wx0), int(wx1))
    wall.rgb[rows, cols] = 0.0
    wall.alpha[rows, cols] = 0.0
    frame_color = f32(np.asarray((238, 234, 226), np.float32) * light)
    t = max(2.0, 0.012 * h)
    for x0, y0, x1, y1 in (
        (wx0 - t, wy0 - t, wx1 + t, wy0),
        (wx0 - t, wy1, wx1 + t, wy1 + t),
        (wx0 - t, wy0, wx0, wy1),
        (wx1, wy0, wx1 + t, wy1),
        ((wx0 + wx1) / 2 - t / 2, wy0, (wx0 + wx1) / 2 + t / 2, wy1),
        (wx0, (wy0 + wy1) / 2 - t / 2, wx1, (wy0 + wy1) / 2 + t / 2),
    ):
        wall.rect(x0, y0, x1, y1, frame_color)
    # Pictures on the wall and a shelf of books.
    rng = wall.rng("pictures")
    for x, y, pw, ph in ((0.12, 0.22, 0.12, 0.16), (0.3, 0.28, 0.08, 0.1)):
        x0, y0 = x * w, y * h
        wall.rect(x0, y0, x0 + pw * w, y0 + ph * h, f32(np.asarray((70, 50, 35)) * light))
        art = np.asarray((rng.uniform(60, 220), rng.uniform(60, 220), rng.uniform(60, 220)))
        wall.rect(
            x0 + 0.008 * w,
            y0 + 0.012 * h,
            x0 + (pw - 0.008) * w,
            y0 + (ph - 0.012) * h,
            f32(art * light),
        )
    skirting = hz - 0.02 * h
    wall.rect(0, skirting, wall.width, hz + 2, f32(np.asarray((235, 230, 220)) * light))
    p.add(wall, parallax=0.25, haze=False)
    p.window = (wx0, wy0, wx1, wy1, 0.25)
    _furniture(p, light, night)
    wood = np.asarray(GROUND["room"][0], np.float32)

    def boards(band: Band, index: int, top: float) -> None:
        span = h - hz
        for k in range(1, 9):
            y = hz + span * (k / 8) ** 1.6
            if top <= y < band.y1:
                band.rect(0, y, band.width, y + max(1.0, 0.002 * h), f32(wood * light * 0.6))

    saved = p.light
    p.light = f32(light)
    p.ground("floor", wood, f32(wood * 0.8), parts=(0.0, 0.5), amp=0.0, decorate=boards)
    p.light = saved


def _furniture(p: Painter, light: F32, night: bool) -> None:
    hz, h, w = p.horizon, p.h, p.w
    band = p.band("furniture", hz - 0.4 * h, p.cover(hz + 0.02 * h))
    base = hz + 0.015 * h
    sofa = f32(np.asarray((120, 60, 60), np.float32) * light)
    band.rect(0.08 * w, base - 0.13 * h, 0.42 * w, base - 0.02 * h, sofa)
    band.rect(0.08 * w, base - 0.2 * h, 0.42 * w, base - 0.12 * h, f32(sofa * 0.85))
    band.rect(0.06 * w, base - 0.16 * h, 0.1 * w, base, f32(sofa * 0.8))
    band.rect(0.4 * w, base - 0.16 * h, 0.44 * w, base, f32(sofa * 0.8))
    # A standing lamp; at night it glows.
    lx = 0.5 * w
    band.rect(
        lx - 0.003 * h, base - 0.3 * h, lx + 0.003 * h, base, f32(np.asarray((50, 50, 50)) * light)
    )
    shade = f32((255, 220, 160)) if night else f32(np.asarray((220, 200, 170)) * light)
    band.rect(lx - 0.025 * h, base - 0.36 * h, lx + 0.025 * h, base - 0.3 * h, shade)
    if night:
        band.glow(lx, base - 0.33 * h, 0.14 * h, (255, 190, 120), strength=0.45)
    if p.plan.lighting == "candlelight":
        tx = 0.75 * w
        band.rect(
            tx - 0.08 * w,
            base - 0.1 * h,
            tx + 0.08 * w,
            base - 0.09 * h,
            f32(np.asarray((90, 60, 40)) * light),
        )
        for dx in (-0.04, 0.0, 0.035):
            cx = tx + dx * w
            band.rect(
                cx - 0.004 * h,
                base - 0.14 * h,
                cx + 0.004 * h,
                base - 0.1 * h,
                (240.0, 235.0, 220.0),
            )
            band.disc(cx, base - 0.15 * h, 0.004 * h + 0.5, 0.009 * h + 0.5, (255.0, 200.0, 90.0))
            band.glow(cx, base - 0.15 * h, 0.06 * h, (255, 170, 80), strength=0.5)
    p.add(band, parallax=0.4, haze=False)


def stage(p: Painter) -> None:
    hz, h, w = p.horizon, p.h, p.w
    band = p.band("backdrop", p.y_min, p.cover(hz))
    band.fill((0.0, 0.0, 0.0))
    band.rgb[...] = band.gradient((14, 10, 18), (40, 26, 34), p.y_min, hz)
    p.add(band, parallax=0.05, haze=False)
    curtain = p.band("curtains", p.y_min, p.cover(hz))
    folds = 0.6 + 0.4 * np.sin(curtain.x * np.float32(2 * np.pi / (0.03 * w))) ** 2
    red = np.asarray((150, 18, 30), np.float32)
    side = np.minimum(np.mod(curtain.x, curtain.width), curtain.width) / np.float32(w)
    drapes = (np.mod(side, 1.0) < 0.14) | (np.mod(side, 1.0) > 0.86)
    cover = np.where(drapes, 1.0, 0.0).astype(np.float32)
    valance = curtain.y < 0.14 * h
    cover = np.maximum(cover[None, :], valance[:, None].astype(np.float32))
    curtain.over(
        curtain.rows(curtain.y0, curtain.y1),
        f32(cover),
        f32(red[None, None, :] * folds[None, :, None]),
    )
    p.add(curtain, parallax=0.12, haze=False)
    beams = p.band("spotlights", p.y_min, hz + 0.15 * h)
    colors = ((255, 240, 210), (255, 120, 200), (120, 200, 255))
    for i, x in enumerate((0.3, 0.5, 0.7)):
        top_x = x * w + (i - 1) * 0.12 * w
        rows = beams.rows(beams.y0, beams.y1)
        ys = beams.y[rows, None]
        t = np.clip((ys - np.float32(0.0)) / np.float32(hz + 0.1 * h), 0, 1)
        centre = np.float32(top_x) + (np.float32(x * w) - np.float32(top_x)) * t
        half = np.float32(0.01 * w) + t * np.float32(0.08 * w)
        d = np.abs(beams.x[None, :] - centre) / half
        cone = np.clip(1 - d, 0, 1) ** 1.5 * np.float32(0.28) * (0.4 + 0.6 * t)
        beams.over(rows, f32(cone), f32(np.asarray(colors[i], np.float32)))
    p.add(beams, parallax=0.3, haze=False)
    p.subject_light = f32(np.asarray((1.05, 0.98, 0.92), np.float32))
    wood = GROUND["stage"]

    def boards(band: Band, index: int, top: float) -> None:
        for x in (0.3, 0.5, 0.7):
            band.disc(
                x * w,
                hz + 0.25 * (h - hz),
                0.09 * w,
                0.03 * h,
                (230.0, 200.0, 160.0),
                soft=0.03 * h,
            )

    saved = p.light
    p.light = f32(np.full(3, 0.9, np.float32))
    p.ground("stage floor", *wood, parts=(0.0, 0.55), amp=0.0, decorate=boards)
    p.light = saved
    crowd = p.band("audience", h - 0.2 * h, p.y_max)
    heads = crowd.domes("heads", base=h - 0.06 * h, radius=(0.035 * h, 0.05 * h), spacing=0.07 * w)
    crowd.fill_below(heads, (14.0, 12.0, 16.0))
    shoulders = crowd.domes(
        "shoulders", base=h + 0.04 * h, radius=(0.07 * h, 0.09 * h), spacing=0.07 * w
    )
    crowd.fill_below(shoulders, (10.0, 9.0, 12.0))
    p.add(crowd, parallax=1.4, haze=False)


def space(p: Painter) -> None:
    paint_starfields(p)
    h = p.h
    p.subject_light = f32(np.full(3, 0.95, np.float32))

    def craters(band: Band, index: int, top: float) -> None:
        rng = band.rng("craters")
        for _ in range(round((4 + 6 * index) * band.width / p.w)):
            x = float(rng.uniform(0, band.width))
            y = float(rng.uniform(top + 0.02 * h, min(band.y1, h)))
            r = float(rng.uniform(0.01, 0.04)) * p.w * (0.5 + index)
            band.disc(x, y, r, r * 0.3, shade[0])
            band.disc(x, y - r * 0.06, r * 0.85, r * 0.24, shade[1])
        band.speckle("regolith", y0=top, y1=band.y1, density=6.0, colors=shade[2:], size=1)

    mars = p.plan.world == "mars"
    shade: list[tuple[float, float, float]] = (
        [(120.0, 55.0, 35.0), (165.0, 85.0, 55.0), (110.0, 50.0, 30.0), (205.0, 120.0, 80.0)]
        if mars
        else [(95.0, 93.0, 98.0), (125.0, 123.0, 128.0), (90.0, 88.0, 92.0), (170.0, 168.0, 172.0)]
    )
    near, far = ((185, 95, 60), (150, 75, 45)) if mars else ((150, 148, 150), (110, 108, 112))
    saved = p.light
    p.light = f32(np.full(3, 1.0, np.float32))
    p.ground("regolith", near, far, amp=0.01, decorate=craters)
    p.light = saved


PAINTERS: dict[str, Paint] = {
    "city": city,
    "skyline": skyline,
    "room": room,
    "stage": stage,
    "space": space,
}
