"""Colours: named colours, sky and light by time of day, and the materials of each setting.

All colours are RGB in 0..255 floats; the renderer turns them into arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[float, float, float]

NAMED_COLORS: dict[str, RGB] = {
    "red": (205, 40, 40),
    "orange": (235, 130, 40),
    "yellow": (240, 210, 50),
    "green": (60, 160, 70),
    "blue": (50, 100, 210),
    "navy": (25, 40, 100),
    "teal": (30, 150, 150),
    "purple": (130, 60, 170),
    "pink": (240, 130, 170),
    "white": (240, 240, 235),
    "black": (30, 30, 34),
    "gray": (128, 128, 132),
    "brown": (125, 80, 45),
    "gold": (225, 180, 60),
    "silver": (190, 195, 205),
}

# Sign colours for neon-lit scenes.
NEON: tuple[RGB, ...] = ((255, 60, 200), (40, 230, 255), (255, 170, 40), (140, 90, 255))


@dataclass(frozen=True, kw_only=True)
class Daylight:
    """How a time of day looks: sky gradient, the light on things, and the sun or moon."""

    zenith: RGB
    horizon: RGB
    light: RGB  # multiplier (0..1+) for lit surfaces
    sun: RGB  # colour of the sun (or moon) disc
    sun_pos: tuple[float, float]  # (x, y) as fractions of width / of the sky height
    moon: bool = False
    stars: float = 0.0  # star density, 0..1


DAYLIGHT: dict[str, Daylight] = {
    "dawn": Daylight(
        zenith=(70, 90, 150),
        horizon=(250, 175, 145),
        light=(0.85, 0.75, 0.78),
        sun=(255, 215, 170),
        sun_pos=(0.22, 0.92),
        stars=0.1,
    ),
    "morning": Daylight(
        zenith=(85, 145, 225),
        horizon=(205, 225, 245),
        light=(1.0, 0.98, 0.95),
        sun=(255, 245, 220),
        sun_pos=(0.28, 0.4),
    ),
    "noon": Daylight(
        zenith=(55, 125, 230),
        horizon=(180, 212, 245),
        light=(1.05, 1.05, 1.05),
        sun=(255, 253, 240),
        sun_pos=(0.62, 0.12),
    ),
    "golden hour": Daylight(
        zenith=(95, 130, 200),
        horizon=(255, 200, 125),
        light=(1.05, 0.88, 0.66),
        sun=(255, 215, 140),
        sun_pos=(0.76, 0.68),
    ),
    "sunset": Daylight(
        zenith=(60, 60, 135),
        horizon=(255, 125, 60),
        light=(0.9, 0.62, 0.5),
        sun=(255, 150, 70),
        sun_pos=(0.55, 0.95),
    ),
    "dusk": Daylight(
        zenith=(25, 30, 78),
        horizon=(185, 105, 125),
        light=(0.45, 0.4, 0.55),
        sun=(255, 140, 110),
        sun_pos=(0.4, 1.1),
        stars=0.4,
    ),
    "night": Daylight(
        zenith=(5, 8, 26),
        horizon=(24, 34, 70),
        light=(0.22, 0.26, 0.4),
        sun=(235, 235, 220),
        sun_pos=(0.74, 0.22),
        moon=True,
        stars=1.0,
    ),
}


@dataclass(frozen=True, kw_only=True)
class WeatherLook:
    """How weather changes the light: the sky is mixed toward `haze`, light is scaled."""

    haze: RGB
    haze_amount: float  # 0..1 mix of the sky toward `haze`
    light: float  # multiplier on the daylight
    clouds: int  # cloud banks across one frame width
    cloud_tint: RGB  # cloud colour before lighting
    sun_visible: float  # how much of the sun disc shows through


WEATHER_LOOKS: dict[str, WeatherLook] = {
    "clear": WeatherLook(
        haze=(200, 215, 235),
        haze_amount=0.0,
        light=1.0,
        clouds=2,
        cloud_tint=(250, 250, 250),
        sun_visible=1.0,
    ),
    "cloudy": WeatherLook(
        haze=(170, 175, 185),
        haze_amount=0.45,
        light=0.8,
        clouds=9,
        cloud_tint=(225, 228, 235),
        sun_visible=0.35,
    ),
    "rain": WeatherLook(
        haze=(105, 110, 122),
        haze_amount=0.7,
        light=0.6,
        clouds=12,
        cloud_tint=(120, 124, 135),
        sun_visible=0.0,
    ),
    "snow": WeatherLook(
        haze=(200, 205, 215),
        haze_amount=0.6,
        light=0.85,
        clouds=10,
        cloud_tint=(215, 218, 225),
        sun_visible=0.1,
    ),
    "fog": WeatherLook(
        haze=(196, 200, 206),
        haze_amount=0.55,
        light=0.8,
        clouds=3,
        cloud_tint=(225, 228, 232),
        sun_visible=0.3,
    ),
    "storm": WeatherLook(
        haze=(70, 74, 88),
        haze_amount=0.8,
        light=0.45,
        clouds=14,
        cloud_tint=(85, 88, 100),
        sun_visible=0.0,
    ),
}

# Ground and scenery materials per setting: (near, far) colours before lighting.
GROUND: dict[str, tuple[RGB, RGB]] = {
    "meadow": ((70, 135, 55), (120, 165, 90)),
    "park": ((62, 140, 58), (105, 160, 85)),
    "skyline": ((40, 60, 80), (70, 90, 110)),
    "lake": ((30, 80, 100), (80, 130, 150)),
    "road": ((90, 140, 60), (140, 165, 95)),
    "stage": ((120, 80, 50), (90, 60, 40)),
    "city": ((70, 72, 78), (105, 108, 115)),
    "forest": ((40, 80, 38), (70, 110, 60)),
    "beach": ((225, 200, 150), (205, 180, 135)),
    "ocean": ((20, 70, 120), (60, 120, 160)),
    "mountains": ((85, 120, 65), (120, 140, 100)),
    "desert": ((215, 170, 110), (230, 195, 140)),
    "snow": ((235, 240, 248), (215, 225, 240)),
    "space": ((120, 110, 100), (90, 80, 75)),
    "underwater": ((200, 180, 130), (120, 140, 140)),
    "room": ((150, 102, 62), (120, 80, 50)),
}
