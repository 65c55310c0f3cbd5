"""Words about subjects: what they do, how many there are, their colour and size, and how
they speak. The planner attaches these to the subject nouns of `kinds.py` (see reading.py).
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


SIZE_WORDS: Final[dict[str, float]] = {
    "tiny": 0.5,
    "little": 0.7,
    "small": 0.7,
    "mini": 0.6,
    "big": 1.35,
    "large": 1.35,
    "tall": 1.25,
    "huge": 1.7,
    "giant": 1.9,
    "enormous": 1.9,
    "massive": 1.8,
    "gigantic": 1.9,
    "colossal": 2.0,
    "baby": 0.6,
}

# Verbs (and their forms) that say what a subject does.
_ACTION_VERBS: dict[str, str] = {  # action -> verbs, separated by |
    "walk": (
        "walk|walks|walking|stroll|strolls|strolling|wander|wanders|wandering|hike|hikes|hiking|"
        "march|"
        "marches|marching|steps|stepping|trot|trots|trotting|waddle|waddles|waddling|roam|roams|"
        "roaming|graze|grazes|grazing|crossing|crosses|pace|paces|pacing|strut|struts|strutting|"
        "prowl|"
        "prowls|prowling|explore|explores|exploring|patrols|patrolling|slides|sliding|cleaning|cleans|vacuuming|"
        "vacuums|mowing|sweeping|sweeps"
    ),
    "run": (
        "run|runs|running|jog|jogs|jogging|sprint|sprints|sprinting|race|races|gallop|gallops|"
        "galloping|chase|chases|chasing|dash|dashes|dashing|flee|flees|fleeing|rushing|rushes|"
        "charging|charges|hurries|scurries|scurrying"
    ),
    "fly": (
        "fly|flies|flying|soar|soars|soaring|glide|glides|gliding|flutter|flutters|fluttering|flew|"
        "flap|flaps|flapping|swoop|swoops|swooping|circle|circles|takes off|launches|launching|"
        "lifts off|lifting off|blasts off|airborne"
    ),
    "swim": (
        "swim|swims|swimming|dive|dives|diving|paddle|paddles|paddling|surfs|surfing|snorkeling"
    ),
    "drive": (
        "drive|drives|driving|ride|rides|riding|cruise|cruises|cruising|speeds|roll|rolls|rolling|"
        "skateboarding|skateboards|skating|skates|"
        "pedal|pedals|pedaling|pedalling|commute|travels|traveling|travelling|zooms|sail|sails|"
        "sailing|rows|rowing|steers|steering|chugs|chugging|passes|passing"
    ),
    "jump": (
        "jump|jumps|jumping|leap|leaps|leaping|hop|hops|hopping|bounce|bounces|bouncing|skip|skips|"
        "skipping|bound|bounds|pounce|pounces|vault|vaults|trampoline|plays|playing|play"
    ),
    "dance": (
        "dance|dances|dancing|twirl|twirls|twirling|groove|grooves|grooving|boogie|ballet|waltz|"
        "waltzes|waltzing|salsa|breakdance|breakdancing|tap dancing|sway|sways|swaying"
    ),
    "spin": (
        "spin|spins|spinning|rotate|rotates|rotating|whirl|whirls|whirling|pirouette|pirouettes|"
        "turns around|turning|revolves|spinning around|twist|twists"
    ),
    "fall": (
        "fall|falls|falling|drop|drops|dropping|tumble|tumbles|tumbling|plunge|plunges|plunging|"
        "plummet|plummets|plummeting|crash|crashes|crashing|descend|collapsing|topples|slips"
    ),
    "float": (
        "float|floats|floating|drift|drifts|drifting|hover|hovers|hovering|bob|bobs|bobbing|"
        "levitate|"
        "levitates|levitating|adrift|suspended|weightless|rises up|floats up|rises|rising|ascends"
    ),
    "wave": (
        "waving|waves hello|waves goodbye|wave hello|wave goodbye|waves at|waves to|greets|"
        "greeting|"
        "salutes|saluting"
    ),
    "sit": (
        "sit|sits|sitting|seated|rest|rests|resting|lie|lies|lying|sleep|sleeps|sleeping|nap|naps|"
        "napping|perched|perches|lounging|lounges|relaxing|relaxes|kneels|kneeling|curled|reading|"
        "reads|meditating|meditates|parked|docked|moored|anchored"
    ),
    "idle": (
        "stand|stands|standing|wait|waits|waiting|pose|poses|posing|stare|stares|staring|watches|"
        "watching|looks|looking|gazing|gazes|idles|stays|stops|still|frozen|talks|talking|speaks|"
        "speaking|says|sings|singing|cooking|cooks|flipping|flips|frying|fries|exploding|"
        "explode|explodes|bursting|bursts|burst|learning|learns|trying|tries|chatting|chats|"
        "eating|eats|drinking|drinks|laughing|laughs|smiling|smiles|cheering|cheers|howling|"
        "howls|barking|watching over|working|works|painting|paints|playing guitar|light up|"
        "lights up|lit up|illuminate|illuminates|glows|glowing|shines|shining|sparkles|"
        "sparkling|feeds|feeding|munches|munching|builds|building|grills|grilling|drinks"
    ),
}


def _build_actions() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for action, verbs in _ACTION_VERBS.items():
        for verb in verbs.split("|"):
            table.setdefault(tuple(verb.split()), action)
    return table


ACTION_PHRASES: Final = _build_actions()
MAX_ACTION_WORDS: Final = max(len(words) for words in ACTION_PHRASES)

# Multi-word subject names, matched before single nouns.
_KIND_PHRASES: dict[str, str] = {  # kind -> names of more than one word, separated by |
    "hot_air_balloon": "hot air balloon|hot air balloons|air balloon",
    "lamp": "street lamp|street lamps|street light|street lights",
    "palm": "palm tree|palm trees",
    "pine": "pine tree|pine trees|fir tree|christmas tree",
    "car": "sports car|race car|police car",
    "truck": "fire truck|ice cream truck",
    "bus": "school bus|double decker",
    "train": "steam train|bullet train",
    "rocket": "space shuttle",
    "ufo": "flying saucer|space station",
    "bear": "polar bear|teddy bear",
    "turtle": "sea turtle",
    "whale": "killer whale",
    "dog": "golden retriever|german shepherd",
    "dolphin": "sea lion",
    "seagull": "sea gull",
    "cup": "coffee cup|cup of coffee|cup of tea",
    "rowboat": "paper boat|fishing boat",
    "ship": "cruise ship|pirate ship|container ship",
    "airplane": "fighter jet|jet plane|paper plane",
    "ball": "soccer ball|beach ball|tennis ball",
    "clock": "grandfather clock|alarm clock",
    "windmill": "wind turbine",
    "lighthouse": "light house",
    "house": "tree house",
    "person": "old man|old woman|young woman|young man",
    "child": "little girl|little boy",
}
KIND_PHRASES: Final[dict[tuple[str, ...], str]] = {
    tuple(phrase.split()): kind
    for kind, phrases in _KIND_PHRASES.items()
    for phrase in phrases.split("|")
}
MAX_KIND_WORDS: Final = max(len(words) for words in KIND_PHRASES)

_NUMBERS: dict[int, str] = {  # count -> words, separated by |
    1: "a|an|one|single|lone|solitary|1",
    2: "two|pair|couple|both|twin|twins|some|2",
    3: "three|several|few|multiple|group|pack|fleet|3",
    4: "four|herd|row|4",
    5: "five|many|lots|numerous|flock|school|crowd|5",
    6: "six|dozens|countless|swarm|6",
    7: "seven|7",
    8: "eight|8",
}
NUMBER_WORDS: Final[dict[str, int]] = {
    word: count for count, words in _NUMBERS.items() for word in words.split("|")
}

_COLORS: dict[str, str] = {  # colour -> words, separated by |
    "red": "red|crimson|scarlet|ruby|maroon",
    "orange": "orange|ginger|tangerine|amber|copper",
    "yellow": "yellow|lemon|mustard",
    "green": "green|emerald|lime|olive|mint|jade",
    "blue": "blue|azure|cobalt|sapphire|sky-blue",
    "navy": "navy|indigo",
    "teal": "teal|turquoise|cyan|aqua",
    "purple": "purple|violet|lavender|lilac",
    "pink": "magenta|pink|rose|fuchsia",
    "white": "white|ivory|snowy|cream",
    "black": "black|ebony|jet|dark",
    "gray": "gray|grey|stone|concrete|granite|steel|iron|slate|cobblestone|cobbled",
    "brown": "brown|tan|chocolate|beige|bronze|wooden|wood|timber|rusty",
    "gold": "gold|golden",
    "silver": "silver|metallic|chrome",
}
COLOR_WORDS: Final[dict[str, str]] = {
    word: color for color, words in _COLORS.items() for word in words.split("|")
}

ARTICLES: Final = frozenset({"a", "an", "the", "one", "some", "this", "that", "his", "her"})
SPEECH_VERBS: Final = _words(
    "adds|announced|announces|answered|answers|asked|asks|called|calls|cried|cries|declared|"
    "declares|exclaimed|exclaims|laughs|murmured|murmurs|muttered|mutters|narrates|narrator|"
    "replied|replies|said|sang|say|saying|says|screamed|screams|shout|shouted|shouting|shouts|"
    "sings|speaks|tells|told|voiceover|whisper|whispered|whispering|whispers|yelled|yelling|"
    "yells"
)
LOUD_VERBS: Final = _words(
    "announced|announces|calls|declares|exclaimed|exclaims|screamed|screams|shout|shouted|"
    "shouting|shouts|yelled|yelling|yells"
)
QUIET_VERBS: Final = _words(
    "murmured|murmurs|muttered|mutters|whisper|whispered|whispering|whispers"
)

# Names whose colour goes without saying ("a golden retriever" is golden).
KIND_PHRASE_COLORS: Final[dict[str, str]] = {
    "golden retriever": "gold",
    "polar bear": "white",
    "killer whale": "black",
    "fire truck": "red",
    "school bus": "yellow",
    "police car": "navy",
}

# Words with no picture of their own: they are never reported as not understood.
STOP_WORDS: Final = _words(
    "a|an|the|this|that|these|those|some|any|each|every|all|both|another|other|its|it|his|her|"
    "their|they|them|he|she|him|we|us|our|you|your|i|me|my|who|whom|whose|which|what|where|when|"
    "while|as|is|are|was|were|be|been|being|am|has|have|had|having|do|does|did|will|would|can|"
    "could|should|may|might|must|shall|and|or|but|nor|so|yet|then|than|also|too|very|really|just|"
    "quite|rather|almost|only|even|still|again|ever|of|in|on|at|to|from|by|for|with|without|"
    "about|above|across|after|against|along|alongside|amid|among|around|before|behind|below|"
    "beneath|beside|besides|between|beyond|down|during|inside|into|near|nearby|next|off|onto|"
    "out|outside|over|past|through|throughout|toward|towards|under|underneath|up|upon|within|"
    "there|here|s|t|d|ll|re|ve|m|not|no|don|doesn|isn|one|ones|own|same|such|way|like|just|"
    "scene|shot|video|clip|footage|film|image|picture|view|frame|moment|seconds|second|"
    "beautiful|lovely|nice|pretty|gorgeous|stunning|amazing|realistic|photorealistic|detailed|"
    "high|quality|hd|4k|8k|ultra|hyper|highly|style|shown|showing|shows|seen|visible|"
    "background|foreground|distance|side|left|right|middle|center|centre|front|back|top|bottom|"
    "together|each|other|toward|slowly|gently|softly|then|now|later|first|finally|begins|starts|"
    "continues|keeps|while|as|it|its|itself|themselves|himself|herself|everything|something|"
    "someone|somebody|anyone|nobody|nothing|sky|skies|ground|horizon|air|distant|far|away"
)
