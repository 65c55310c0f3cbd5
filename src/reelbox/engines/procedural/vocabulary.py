"""The words the planner understands, and what each one means.

Phrases are matched longest first on lower-case word tokens ("golden hour" before "golden").
Everything not listed here is ignored. Growing the planner mostly means growing these tables.
"""

from __future__ import annotations

from typing import Final

TIMES_OF_DAY: Final = ("dawn", "morning", "noon", "golden hour", "sunset", "dusk", "night")
WEATHERS: Final = ("clear", "cloudy", "rain", "snow", "fog")
SETTINGS: Final = (
    "meadow",
    "city",
    "forest",
    "beach",
    "ocean",
    "mountains",
    "desert",
    "snow",
    "space",
    "underwater",
    "room",
)
CAMERA_MOVES: Final = ("static", "pan_left", "pan_right", "zoom_in", "zoom_out")
GRADES: Final = ("none", "mono", "sepia", "vivid", "faded")
MOODS: Final = ("bright", "calm", "warm", "melancholy", "mysterious", "tense")

# aspect -> value -> phrases that mean it
_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "time_of_day": {
        "dawn": ("dawn", "sunrise", "daybreak", "first light"),
        "morning": ("morning", "early morning"),
        "noon": ("noon", "midday", "daytime", "afternoon", "broad daylight", "high noon"),
        "golden hour": ("golden hour", "late afternoon"),
        "sunset": ("sunset", "sundown", "setting sun"),
        "dusk": ("dusk", "twilight", "evening", "blue hour"),
        "night": ("night", "nighttime", "midnight", "moonlit", "moonlight", "starry", "at night"),
    },
    "weather": {
        "clear": ("clear", "sunny", "clear sky", "cloudless"),
        "cloudy": ("cloudy", "overcast", "clouds", "cloud", "grey sky", "gray sky"),
        "rain": (
            "rain",
            "rainy",
            "raining",
            "rainfall",
            "drizzle",
            "storm",
            "stormy",
            "thunderstorm",
            "downpour",
            "showers",
        ),
        "snow": ("snow", "snowy", "snowing", "snowfall", "snowflakes", "blizzard", "flurries"),
        "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy"),
    },
    "setting": {
        "meadow": (
            "meadow",
            "field",
            "fields",
            "grass",
            "grassland",
            "park",
            "hills",
            "countryside",
            "garden",
        ),
        "city": (
            "city",
            "street",
            "streets",
            "downtown",
            "urban",
            "skyline",
            "town",
            "avenue",
            "road",
        ),
        "forest": ("forest", "woods", "woodland", "jungle", "trees"),
        "beach": ("beach", "shore", "seashore", "coast", "seaside", "sand"),
        "ocean": ("ocean", "sea", "waves", "open water", "lake", "harbor", "harbour"),
        "mountains": ("mountains", "mountain", "alps", "peaks", "valley", "cliffs"),
        "desert": ("desert", "dunes", "sand dunes", "sahara", "canyon"),
        "snow": ("arctic", "tundra", "snowfield", "glacier", "snowy field", "winter landscape"),
        "space": (
            "space",
            "outer space",
            "galaxy",
            "nebula",
            "planet",
            "orbit",
            "cosmos",
            "starfield",
        ),
        "underwater": (
            "underwater",
            "under water",
            "under the sea",
            "reef",
            "coral reef",
            "seabed",
            "sea floor",
        ),
        "room": (
            "room",
            "bedroom",
            "kitchen",
            "office",
            "indoors",
            "indoor",
            "living room",
            "studio",
        ),
    },
    "camera": {
        "static": ("static", "static shot", "locked off", "tripod", "fixed camera", "still camera"),
        "pan_left": (
            "pan left",
            "pans left",
            "panning left",
            "pan to the left",
            "pans to the left",
            "panning to the left",
            "tracking left",
        ),
        "pan_right": (
            "pan right",
            "pans right",
            "panning right",
            "pan to the right",
            "pans to the right",
            "panning to the right",
            "tracking right",
        ),
        "zoom_in": (
            "zoom in",
            "zooms in",
            "zooming in",
            "push in",
            "pushes in",
            "dolly in",
            "close in",
            "slow zoom",
        ),
        "zoom_out": (
            "zoom out",
            "zooms out",
            "zooming out",
            "pull back",
            "pulls back",
            "pull out",
            "pulls out",
            "dolly out",
        ),
    },
    "grade": {
        "mono": ("black and white", "noir", "monochrome", "grayscale", "greyscale", "b w"),
        "sepia": ("sepia", "vintage", "old film", "retro", "old fashioned"),
        "vivid": ("vivid", "vibrant", "saturated", "colorful", "colourful"),
        "faded": ("faded", "pastel", "washed out", "muted colors", "muted colours"),
    },
    "mood": {
        "bright": ("happy", "joyful", "cheerful", "playful", "fun", "upbeat"),
        "calm": ("calm", "peaceful", "serene", "tranquil", "quiet", "gentle", "relaxing"),
        "warm": ("warm", "cozy", "cosy", "romantic", "nostalgic", "dreamy"),
        "melancholy": ("sad", "melancholy", "melancholic", "lonely", "somber", "gloomy"),
        "mysterious": ("mysterious", "eerie", "spooky", "haunting", "ominous", "dark"),
        "tense": ("tense", "dramatic", "epic", "intense", "action", "chase", "suspense"),
    },
    "speed": {
        "slow": ("slow", "slowly", "gently", "leisurely", "lazy"),
        "fast": ("fast", "quick", "quickly", "rapid", "rapidly", "racing", "speeding"),
    },
    "silent": {
        "silent": (
            "silent",
            "silence",
            "no sound",
            "no audio",
            "without sound",
            "without audio",
            "muted",
            "mute",
            "no music",
        ),
    },
}

PHRASES: Final[dict[tuple[str, ...], tuple[str, str]]] = {
    tuple(phrase.split()): (aspect, value)
    for aspect, values in _PHRASES.items()
    for value, phrases in values.items()
    for phrase in phrases
}
MAX_PHRASE_WORDS: Final = max(len(words) for words in PHRASES)

# word -> (subject kind, how many a bare plural means)
SUBJECT_WORDS: Final[dict[str, tuple[str, int]]] = {
    "cat": ("cat", 1),
    "cats": ("cat", 2),
    "kitten": ("cat", 1),
    "kittens": ("cat", 2),
    "dog": ("dog", 1),
    "dogs": ("dog", 2),
    "puppy": ("dog", 1),
    "puppies": ("dog", 2),
    "bird": ("bird", 1),
    "birds": ("bird", 3),
    "seagull": ("bird", 1),
    "seagulls": ("bird", 3),
    "car": ("car", 1),
    "cars": ("car", 2),
    "taxi": ("car", 1),
    "truck": ("car", 1),
    "person": ("person", 1),
    "people": ("person", 2),
    "man": ("person", 1),
    "woman": ("person", 1),
    "men": ("person", 2),
    "women": ("person", 2),
    "girl": ("person", 1),
    "boy": ("person", 1),
    "child": ("person", 1),
    "children": ("person", 2),
    "kid": ("person", 1),
    "kids": ("person", 2),
    "astronaut": ("person", 1),
    "runner": ("person", 1),
    "diver": ("person", 1),
    "boat": ("boat", 1),
    "boats": ("boat", 2),
    "ship": ("boat", 1),
    "sailboat": ("boat", 1),
    "tree": ("tree", 1),
    "oak": ("tree", 1),
    "ball": ("ball", 1),
    "balls": ("ball", 2),
    "balloon": ("ball", 1),
    "fish": ("fish", 2),
    "goldfish": ("fish", 1),
}

NUMBER_WORDS: Final[dict[str, int]] = {
    "one": 1,
    "single": 1,
    "lone": 1,
    "two": 2,
    "pair": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "several": 3,
    "many": 4,
    "flock": 4,
    "school": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
}

COLOR_WORDS: Final[dict[str, str]] = {
    "red": "red",
    "crimson": "red",
    "scarlet": "red",
    "orange": "orange",
    "ginger": "orange",
    "yellow": "yellow",
    "green": "green",
    "blue": "blue",
    "azure": "blue",
    "navy": "navy",
    "teal": "teal",
    "turquoise": "teal",
    "cyan": "teal",
    "purple": "purple",
    "violet": "purple",
    "pink": "pink",
    "white": "white",
    "black": "black",
    "gray": "gray",
    "grey": "gray",
    "brown": "brown",
    "tan": "brown",
    "gold": "gold",
    "golden": "gold",
    "silver": "silver",
}

NEGATIONS: Final = frozenset({"no", "not", "without", "never"})

SPEED_FACTORS: Final[dict[str, float]] = {"slow": 0.5, "fast": 2.0}
