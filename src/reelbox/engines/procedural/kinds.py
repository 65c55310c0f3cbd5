"""Subject kinds: what the planner knows about each kind of thing a scene can show.

Drawing lives in `figures/`; this table is what a plan needs (size, speed, where it lives, what
it does when the prompt does not say, its usual colour, the sound it makes), so the planner stays
free of rendering code. `KIND_WORDS` maps the nouns of a prompt to kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Habitat = Literal["ground", "air", "water", "swim", "space"]
Category = Literal[
    "person", "animal", "bird", "sea", "vehicle", "boat", "aircraft", "plant", "building", "object"
]
Foley = Literal[
    "steps",
    "paws",
    "hooves",
    "wings",
    "engine",
    "bell",
    "motor",
    "jet",
    "rotor",
    "flame",
    "splash",
    "hum",
    "none",
]


@dataclass(frozen=True, kw_only=True)
class KindTraits:
    category: Category
    size: float  # height as a fraction of the frame height, in the foreground of a wide shot
    speed: float  # frame widths per second when it moves at its own pace
    habitat: Habitat
    action: str  # what it does when the prompt does not say (see `vocabulary.ACTIONS`)
    color: str  # default colour name (see `palette.NAMED_COLORS`)
    aspect: float  # width / height, for culling, shadows and spacing
    foley: Foley = "none"


def _split(text: str) -> list[str]:
    return text.split("|")


def _k(
    category: Category,
    size: float,
    speed: float,
    habitat: Habitat,
    action: str,
    color: str,
    aspect: float,
    foley: Foley = "none",
) -> KindTraits:
    return KindTraits(
        category=category,
        size=size,
        speed=speed,
        habitat=habitat,
        action=action,
        color=color,
        aspect=aspect,
        foley=foley,
    )


KINDS: Final[dict[str, KindTraits]] = {
    # people
    "person": _k("person", 0.42, 0.05, "ground", "walk", "blue", 0.45, "steps"),
    "child": _k("person", 0.28, 0.06, "ground", "walk", "yellow", 0.45, "steps"),
    "astronaut": _k("person", 0.42, 0.04, "ground", "walk", "white", 0.55, "steps"),
    "robot": _k("person", 0.4, 0.04, "ground", "walk", "silver", 0.55, "motor"),
    # animals
    "cat": _k("animal", 0.16, 0.07, "ground", "walk", "orange", 1.5, "paws"),
    "dog": _k("animal", 0.2, 0.1, "ground", "walk", "brown", 1.55, "paws"),
    "horse": _k("animal", 0.4, 0.12, "ground", "walk", "brown", 1.35, "hooves"),
    "cow": _k("animal", 0.32, 0.03, "ground", "walk", "white", 1.6, "hooves"),
    "sheep": _k("animal", 0.2, 0.03, "ground", "walk", "white", 1.45, "hooves"),
    "pig": _k("animal", 0.17, 0.04, "ground", "walk", "pink", 1.6, "hooves"),
    "deer": _k("animal", 0.34, 0.1, "ground", "walk", "brown", 1.2, "hooves"),
    "rabbit": _k("animal", 0.1, 0.06, "ground", "jump", "gray", 1.2, "paws"),
    "fox": _k("animal", 0.16, 0.09, "ground", "walk", "orange", 1.7, "paws"),
    "wolf": _k("animal", 0.22, 0.1, "ground", "walk", "gray", 1.6, "paws"),
    "bear": _k("animal", 0.3, 0.05, "ground", "walk", "brown", 1.5, "paws"),
    "lion": _k("animal", 0.28, 0.07, "ground", "walk", "gold", 1.55, "paws"),
    "tiger": _k("animal", 0.26, 0.07, "ground", "walk", "orange", 1.65, "paws"),
    "elephant": _k("animal", 0.5, 0.04, "ground", "walk", "gray", 1.3, "hooves"),
    "giraffe": _k("animal", 0.65, 0.05, "ground", "walk", "gold", 0.75, "hooves"),
    # birds and insects
    "bird": _k("bird", 0.07, 0.16, "air", "fly", "blue", 1.3, "wings"),
    "eagle": _k("bird", 0.13, 0.1, "air", "fly", "brown", 2.0, "wings"),
    "seagull": _k("bird", 0.08, 0.12, "air", "fly", "white", 1.8, "wings"),
    "owl": _k("bird", 0.12, 0.08, "air", "sit", "brown", 0.8, "wings"),
    "duck": _k("bird", 0.1, 0.03, "water", "swim", "white", 1.2, "splash"),
    "swan": _k("bird", 0.16, 0.02, "water", "swim", "white", 1.1, "splash"),
    "penguin": _k("bird", 0.18, 0.03, "ground", "walk", "black", 0.6, "steps"),
    "chicken": _k("bird", 0.11, 0.05, "ground", "walk", "white", 1.0, "steps"),
    "butterfly": _k("bird", 0.05, 0.06, "air", "fly", "purple", 1.2, "none"),
    # sea creatures
    "fish": _k("sea", 0.09, 0.08, "swim", "swim", "orange", 1.6, "none"),
    "shark": _k("sea", 0.16, 0.09, "swim", "swim", "gray", 2.6, "none"),
    "whale": _k("sea", 0.3, 0.03, "swim", "swim", "navy", 2.6, "splash"),
    "dolphin": _k("sea", 0.14, 0.12, "swim", "swim", "gray", 2.2, "splash"),
    "jellyfish": _k("sea", 0.14, 0.02, "swim", "float", "pink", 0.7, "none"),
    "turtle": _k("sea", 0.12, 0.04, "swim", "swim", "green", 1.6, "none"),
    "octopus": _k("sea", 0.15, 0.03, "swim", "float", "red", 0.9, "none"),
    # vehicles
    "car": _k("vehicle", 0.2, 0.22, "ground", "drive", "red", 2.1, "engine"),
    "taxi": _k("vehicle", 0.2, 0.2, "ground", "drive", "yellow", 2.1, "engine"),
    "truck": _k("vehicle", 0.3, 0.15, "ground", "drive", "white", 2.4, "engine"),
    "bus": _k("vehicle", 0.32, 0.12, "ground", "drive", "yellow", 2.9, "engine"),
    "bicycle": _k("vehicle", 0.34, 0.11, "ground", "drive", "teal", 1.3, "bell"),
    "motorcycle": _k("vehicle", 0.3, 0.24, "ground", "drive", "black", 1.6, "engine"),
    "train": _k("vehicle", 0.3, 0.2, "ground", "drive", "red", 7.0, "engine"),
    # boats
    "sailboat": _k("boat", 0.3, 0.03, "water", "float", "white", 1.3, "splash"),
    "ship": _k("boat", 0.3, 0.02, "water", "float", "navy", 3.0, "motor"),
    "rowboat": _k("boat", 0.1, 0.03, "water", "float", "brown", 2.6, "splash"),
    "submarine": _k("boat", 0.13, 0.04, "swim", "swim", "yellow", 2.8, "motor"),
    # aircraft
    "airplane": _k("aircraft", 0.1, 0.12, "air", "fly", "white", 3.0, "jet"),
    "helicopter": _k("aircraft", 0.12, 0.06, "air", "fly", "red", 2.2, "rotor"),
    "hot_air_balloon": _k("aircraft", 0.28, 0.015, "air", "float", "red", 0.8, "flame"),
    "rocket": _k("aircraft", 0.3, 0.0, "ground", "fly", "white", 0.35, "jet"),
    "ufo": _k("aircraft", 0.1, 0.05, "air", "float", "silver", 2.2, "hum"),
    # plants
    "tree": _k("plant", 0.5, 0.0, "ground", "idle", "green", 0.8),
    "pine": _k("plant", 0.55, 0.0, "ground", "idle", "green", 0.45),
    "palm": _k("plant", 0.6, 0.0, "ground", "idle", "green", 0.7),
    "flower": _k("plant", 0.08, 0.0, "ground", "idle", "pink", 0.6),
    "cactus": _k("plant", 0.3, 0.0, "ground", "idle", "green", 0.6),
    # buildings
    "house": _k("building", 0.42, 0.0, "ground", "idle", "red", 1.2),
    "lighthouse": _k("building", 0.7, 0.0, "ground", "idle", "white", 0.35),
    "castle": _k("building", 0.55, 0.0, "ground", "idle", "gray", 1.4),
    "barn": _k("building", 0.4, 0.0, "ground", "idle", "red", 1.3),
    "windmill": _k("building", 0.6, 0.0, "ground", "spin", "white", 0.8),
    "tent": _k("building", 0.22, 0.0, "ground", "idle", "orange", 1.4),
    # objects
    "ball": _k("object", 0.07, 0.14, "ground", "jump", "red", 1.0),
    "balloon": _k("object", 0.14, 0.02, "air", "float", "red", 0.5),
    "kite": _k("object", 0.1, 0.03, "air", "float", "yellow", 0.8),
    "umbrella": _k("object", 0.2, 0.0, "ground", "idle", "red", 1.0),
    "lamp": _k("object", 0.5, 0.0, "ground", "idle", "black", 0.25),
    "bench": _k("object", 0.12, 0.0, "ground", "idle", "brown", 2.2),
    "chair": _k("object", 0.16, 0.0, "ground", "idle", "brown", 0.7),
    "table": _k("object", 0.15, 0.0, "ground", "idle", "brown", 1.6),
    "guitar": _k("object", 0.18, 0.0, "ground", "idle", "brown", 0.4),
    "book": _k("object", 0.06, 0.0, "ground", "idle", "red", 1.4),
    "cup": _k("object", 0.06, 0.0, "ground", "idle", "white", 1.1),
    "clock": _k("object", 0.12, 0.0, "ground", "idle", "white", 1.0),
    "candle": _k("object", 0.08, 0.0, "ground", "idle", "white", 0.3, "flame"),
    "campfire": _k("object", 0.12, 0.0, "ground", "idle", "orange", 1.2, "flame"),
    "snowman": _k("object", 0.28, 0.0, "ground", "idle", "white", 0.6),
    # kinds where a stand-in would mislead (see stand_ins.py)
    "fireworks": _k("object", 0.55, 0.0, "air", "float", "gold", 1.6, "none"),
    "flag": _k("object", 0.45, 0.0, "ground", "idle", "red", 0.6),
    "bridge": _k("building", 0.3, 0.0, "ground", "idle", "gray", 4.0),
    "waterfall": _k("building", 0.65, 0.0, "ground", "idle", "gray", 1.0),
    "sofa": _k("object", 0.16, 0.0, "ground", "idle", "teal", 2.1),
    "pan": _k("object", 0.07, 0.0, "ground", "idle", "gray", 2.2),
    "vacuum": _k("object", 0.05, 0.05, "ground", "walk", "gray", 3.6, "hum"),
    # a user-supplied cut-out (`GenerationInputs.characters`), matched by name
    "character": _k("person", 0.42, 0.05, "ground", "walk", "white", 0.6, "steps"),
}

# noun -> (kind, how many a bare mention means). Plurals mean two or three.
_NOUNS: dict[str, str] = {  # kind -> nouns, separated by |
    "person": (
        "person|man|woman|lady|guy|gentleman|pedestrian|stranger|figure|dancer|runner|jogger|hiker|"
        "traveler|traveller|tourist|surfer|skier|swimmer|diver|chef|musician|singer|detective|"
        "soldier|knight|farmer|girlfriend|boyfriend|mother|father|grandmother|grandfather|teacher|"
        "student|worker|businessman|businesswoman|dancer|wizard|queen|king|princess|prince|"
        "explorer|"
        "cowboy|pirate|ninja|athlete|player|photographer|policeman|policewoman|doctor|nurse|sailor|"
        "fisherman|couple"
    ),
    "child": "child|kid|boy|girl|toddler|baby|schoolgirl|schoolboy",
    "astronaut": "astronaut|cosmonaut|spaceman",
    "robot": "robot|android|cyborg|droid",
    "cat": "cat|kitten|kitty|tabby",
    "dog": (
        "dog|puppy|pup|doggy|corgi|retriever|labrador|poodle|terrier|husky|beagle|hound|dachshund|"
        "shepherd"
    ),
    "horse": "horse|pony|stallion|mare|foal|unicorn|zebra|donkey",
    "cow": "cow|cattle|bull|ox|calf",
    "sheep": "sheep|lamb|goat|ram",
    "pig": "pig|piglet|hog|boar",
    "deer": "deer|stag|doe|fawn|reindeer|elk|moose|antelope",
    "rabbit": "rabbit|bunny|hare",
    "fox": "fox",
    "wolf": "wolf|coyote",
    "bear": "bear|grizzly|panda|polar",
    "lion": "lion|lioness|cheetah|leopard|jaguar",
    "tiger": "tiger",
    "elephant": "elephant|mammoth|rhino|hippo",
    "giraffe": "giraffe",
    "bird": (
        "bird|sparrow|robin|parrot|pigeon|dove|crow|raven|swallow|hummingbird|songbird|bluebird|"
        "finch|canary|flamingo"
    ),
    "eagle": "eagle|hawk|falcon|vulture|condor",
    "seagull": "seagull|gull|albatross|pelican",
    "owl": "owl",
    "duck": "duck|duckling|goose",
    "swan": "swan",
    "penguin": "penguin",
    "chicken": "chicken|hen|rooster|chick",
    "butterfly": "butterfly|moth|bee|dragonfly|firefly|ladybug",
    "fish": "fish|goldfish|clownfish|salmon|trout|koi|tuna",
    "shark": "shark",
    "whale": "whale|orca",
    "dolphin": "dolphin|porpoise|seal",
    "jellyfish": "jellyfish|jelly",
    "turtle": "turtle|tortoise",
    "octopus": "octopus|squid",
    "car": (
        "car|sedan|convertible|jeep|suv|automobile|racecar|coupe|van|limousine|limo|vehicle|"
        "sportscar"
    ),
    "taxi": "taxi|cab|taxicab",
    "truck": "truck|lorry|pickup|tractor|firetruck|ambulance",
    "bus": "bus|tram|trolley|streetcar|minibus",
    "bicycle": "bicycle|bike|cyclist|biker",
    "motorcycle": "motorcycle|motorbike|scooter|moped",
    "train": "train|locomotive|subway",
    "sailboat": "sailboat|yacht|boat|catamaran",
    "ship": "ship|ferry|steamship|freighter|liner|battleship|galleon",
    "rowboat": "rowboat|canoe|kayak|raft|dinghy|gondola",
    "submarine": "submarine|sub",
    "airplane": "airplane|aeroplane|plane|jet|airliner|aircraft|glider",
    "helicopter": "helicopter|chopper",
    "hot_air_balloon": "zeppelin|airship|blimp",
    "rocket": "rocket|spaceship|spacecraft|shuttle",
    "ufo": "ufo|saucer",
    "tree": "tree|oak|maple|willow|birch|sapling",
    "pine": "pine|fir|spruce|evergreen|conifer",
    "palm": "palm",
    "flower": "flower|rose|tulip|sunflower|daisy|lily|poppy|bouquet",
    "cactus": "cactus|cacti",
    "house": "house|home|cottage|cabin|hut|villa|shack|chalet",
    "lighthouse": "lighthouse",
    "castle": "castle|palace|fortress|cathedral|church|temple",
    "barn": "barn|farmhouse|shed",
    "windmill": "windmill|turbine",
    "tent": "tent|teepee",
    "ball": "ball|football|soccer|basketball|beachball",
    "balloon": "balloon",
    "kite": "kite",
    "umbrella": "umbrella|parasol",
    "lamp": "lamp|streetlight|lamppost|streetlamp|lantern",
    "bench": "bench",
    "chair": "chair|armchair|stool|throne",
    "table": "table|desk",
    "guitar": "guitar|violin|cello|ukulele",
    "book": "book|notebook|novel",
    "cup": "cup|mug|coffee|tea|teacup",
    "clock": "clock",
    "candle": "candle",
    "campfire": "campfire|bonfire|fireplace",
    "snowman": "snowman",
    "fireworks": "fireworks|firework",
    "flag": "flag|banner",
    "bridge": "bridge|footbridge",
    "waterfall": "waterfall|waterfalls|cascade|cascades",
    "sofa": "sofa|couch",
    "pan": "pan|skillet",
    "vacuum": "vacuum",
}

# Irregular plurals (plural=singular) and words whose plain plural is not word + "s".
_PLURALS: dict[str, str] = dict(
    pair.split("=", 1)
    for pair in _split(
        "men=man|women=woman|people=person|persons=person|children=child|kids=kid|ladies=lady|"
        "babies=baby|puppies=puppy|ponies=pony|mice=mouse|geese=goose|fish=fish|fishes=fish|"
        "sheep=sheep|deer=deer|wolves=wolf|foxes=fox|butterflies=butterfly|jellyfishes=jellyfish|"
        "buses=bus|taxis=taxi|bushes=bush|cacti=cactus|cactuses=cactus|octopuses=octopus|"
        "octopi=octopus|benches=bench|lamps=lamp|candles=candle|flowers=flower|knives=knife|"
        "leaves=leaf|cattle=cattle|dancers=dancer|dolphins=dolphin|hippos=hippo|rhinos=rhino|"
        "cherries=cherry|families=family|fireflies=firefly|dragonflies=dragonfly|ufos=ufo|"
        "couples=couple|skis=ski|lorries=lorry|yachts=yacht"
    )
)

# How many a plural means, for the plural of each kind (a flock of birds is more than two).
_PLURAL_COUNT: dict[str, int] = {"bird": 4, "seagull": 3, "fish": 4, "butterfly": 3, "flower": 5}

# Groups that name several subjects at once.
_GROUPS: dict[str, tuple[str, int]] = {
    "crowd": ("person", 5),
    "family": ("person", 3),
    "couple": ("person", 2),
    "herd": ("cow", 4),
    "flock": ("bird", 5),
    "school": ("fish", 5),
    "pack": ("wolf", 3),
}


def _build_words() -> dict[str, tuple[str, int]]:
    words: dict[str, tuple[str, int]] = {}
    for kind, nouns in _NOUNS.items():
        for noun in _split(nouns):
            words.setdefault(noun, (kind, 1))
    for noun, (kind, _) in list(words.items()):
        plural = noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")
        words.setdefault(plural, (kind, _PLURAL_COUNT.get(kind, 2)))
    for plural, singular in _PLURALS.items():
        if singular in words and plural not in ("fish", "sheep", "deer", "cattle"):
            kind = words[singular][0]
            words[plural] = (kind, _PLURAL_COUNT.get(kind, 2))
    # Words that are both singular and plural: a bare mention means one.
    words["couple"] = ("person", 2)
    words["cattle"] = ("cow", 3)
    return words


KIND_WORDS: Final[dict[str, tuple[str, int]]] = _build_words()
GROUP_WORDS: Final[dict[str, tuple[str, int]]] = _GROUPS

# Words that name a kind but also mean something else in a scene, read as subjects only when a
# number, article or colour stands right before them ("a jet", "two subs").
AMBIGUOUS_NOUNS: Final = frozenset(
    _split(
        "coffee|figure|home|hound|jelly|jet|player|polar|ram|seal|shepherd|soccer|sub|subway|tea|pan|"
        "vehicle"
    )
)

_VOICES: dict[str, str] = {  # voice -> words that suggest it, separated by |
    "female": (
        "woman|lady|girlfriend|mother|grandmother|queen|princess|she|her|businesswoman|policewoman|"
        "nurse|lioness|hen"
    ),
    "male": (
        "man|guy|gentleman|boyfriend|father|grandfather|king|prince|he|his|businessman|policeman|"
        "cowboy|pirate|wizard|fisherman|sailor|detective|soldier|knight"
    ),
    "child": "child|kid|boy|girl|toddler|baby|schoolgirl|schoolboy",
    "robot": "robot|android|cyborg|droid",
    "narrator": "narrator|voiceover|announcer",
}
VOICE_HINTS: Final[dict[str, str]] = {
    word: voice for voice, words in _VOICES.items() for word in _split(words)
}
