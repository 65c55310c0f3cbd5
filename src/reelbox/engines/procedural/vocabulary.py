"""The scene words the planner understands, and what each one means.

Phrases are matched longest first on lower-case word tokens ("golden hour" before "golden").
A phrase can mean several things at once ("blizzard" is snow and a gale); meanings listed in
`_ALSO` are implied: they only fill an aspect the prompt does not state itself ("neon" suggests
night, but "neon signs at noon" stays at noon). Everything not listed here is ignored. Subject
nouns live in `kinds.py`, words about subjects (verbs, numbers, colours) in `subject_words.py`.
Growing the planner mostly means growing these tables.
"""

from __future__ import annotations

from typing import Final

TIMES_OF_DAY: Final = ("dawn", "morning", "noon", "golden hour", "sunset", "dusk", "night")
WEATHERS: Final = ("clear", "cloudy", "rain", "snow", "fog", "storm")
SETTINGS: Final = (
    "meadow",
    "park",
    "city",
    "skyline",
    "forest",
    "beach",
    "ocean",
    "lake",
    "mountains",
    "desert",
    "snow",
    "road",
    "space",
    "underwater",
    "room",
    "stage",
)
SHOTS: Final = ("wide", "medium", "close_up", "aerial", "low_angle", "pov")
CAMERA_MOVES: Final = (
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "dolly_in",
    "dolly_out",
    "zoom_in",
    "zoom_out",
    "tracking",
    "orbit",
    "crane_up",
    "crane_down",
)
LIGHTINGS: Final = ("natural", "soft", "dramatic", "neon", "candlelight", "backlit")
STYLES: Final = (
    "none",
    "cinematic",
    "anime",
    "watercolor",
    "noir",
    "pixel_art",
    "vintage",
    "vivid",
    "pastel",
)
MOODS: Final = ("bright", "calm", "warm", "melancholy", "mysterious", "tense", "epic")
MUSIC_STYLES: Final = (
    "auto",
    "piano",
    "strings",
    "jazz",
    "chiptune",
    "electronic",
    "guitar",
    "music_box",
    "pad",
)
ACTIONS: Final = (
    "walk",
    "run",
    "fly",
    "swim",
    "drive",
    "jump",
    "dance",
    "spin",
    "fall",
    "float",
    "wave",
    "sit",
    "idle",
)
SOUND_CUES: Final = (
    "thunder",
    "birdsong",
    "bells",
    "applause",
    "crowd",
    "traffic",
    "siren",
    "horn",
    "bark",
    "waves",
    "wind",
    "rain",
    "fire",
    "footsteps",
    "clock",
    "heartbeat",
    "explosion",
    "whistle",
    "sizzle",
    "howl",
    "cheer",
    "hum",
)
TEMPOS: Final = ("normal", "slow_motion", "time_lapse")
WIND_LEVELS: Final[dict[str, float]] = {"calm": 0.0, "breeze": 0.4, "windy": 0.75, "gale": 1.0}

# aspect -> value -> phrases that mean it
_PHRASES: dict[str, dict[str, str]] = {  # aspect -> value -> phrases, separated by |
    "time_of_day": {
        "dawn": "dawn|sunrise|daybreak|first light|early dawn",
        "morning": "morning|early morning|breakfast time",
        "noon": (
            "noon|midday|daytime|afternoon|broad daylight|high noon|day|during the day|lunchtime"
        ),
        "golden hour": "golden hour|late afternoon|magic hour|golden light",
        "sunset": "sunset|sundown|setting sun|sunsets",
        "dusk": "dusk|twilight|evening|blue hour|nightfall|gloaming",
        "night": (
            "night|nighttime|night time|midnight|moonlit|moonlight|starry|at night|moon|stars|"
            "starry night|night sky|tonight|full moon|under the moon|moonrise"
        ),
    },
    "weather": {
        "clear": "clear|sunny|clear sky|cloudless|blue sky|sunshine|bright sun|sunlit|sun drenched",
        "cloudy": "cloudy|overcast|clouds|cloud|grey sky|gray sky|gloomy sky",
        "rain": (
            "rain|rainy|raining|rainfall|drizzle|drizzling|downpour|showers|pouring|wet|rains|"
            "rainstorm|monsoon"
        ),
        "snow": "snow|snowing|snowfall|snowflakes|flurries|snows|snowstorm|falling snow|snow falls",
        "fog": "fog|foggy|mist|misty|haze|hazy|smog|fogbank",
        "storm": (
            "storm|stormy|thunderstorm|lightning|thunder|tempest|lightning storm|lightning strikes|"
            "lightning strike|lightning bolts|lightning bolt|"
            "thunder and lightning|hurricane|typhoon"
        ),
    },
    "wind": {
        "breeze": "breeze|breezy|gentle wind|light wind",
        "windy": "windy|wind|gusty|gusts|blustery|wind blowing|strong wind",
        "gale": "gale|gale force|howling wind",
    },
    "setting": {
        "meadow": (
            "meadow|field|fields|grass|grassland|countryside|hill|hills|hillside|farm|farmland|prairie|"
            "pasture|savanna|savannah|valley|village|orchard|vineyard|flower field|rolling hills|"
            "open field|plains|steppe|vineyards|wheat|wheat field|wheat fields|cornfield|cornfields"
        ),
        "park": (
            "park|garden|gardens|playground|lawn|backyard|city park|courtyard|picnic|central park|"
            "zen garden|rock garden"
        ),
        "city": (
            "city|street|streets|downtown|urban|avenue|alley|alleyway|sidewalk|town|crosswalk|"
            "intersection|city street|boulevard|market|marketplace|square|neighborhood|"
            "neighbourhood|"
            "tokyo|paris|new york|london"
        ),
        "skyline": (
            "skyline|cityscape|skyscrapers|skyscraper|rooftop|rooftops|city lights|metropolis|"
            "city skyline|towers|high rise"
        ),
        "forest": (
            "forest|woods|woodland|jungle|rainforest|trees|grove|pine forest|the woods|redwoods|"
            "thicket|tropical jungle|tropical forest|lush jungle|lush forest|lush tropical jungle"
        ),
        "beach": (
            "beach|shore|seashore|coast|coastline|seaside|sand|bay|tropical beach|sandy beach|"
            "shoreline|surf|boardwalk|pier"
        ),
        "ocean": (
            "ocean|sea|open water|harbor|harbour|high seas|open sea|port|marina|ocean waves|"
            "sea waves|"
            "the waves|open ocean|waves"
        ),
        "lake": (
            "lake|pond|river|lagoon|riverbank|lakeside|canal|stream|creek|lakeshore|waterfront|"
            "reservoir|fjord|calm water|still water|dock|jetty|wooden dock"
        ),
        "mountains": (
            "mountains|mountain|alps|peaks|peak|cliffs|cliff|summit|himalayas|mountain range|ridge|"
            "volcano|highlands"
        ),
        "desert": "desert|dunes|sand dunes|sahara|canyon|mesa|badlands|wasteland|oasis|arid",
        "snow": (
            "arctic|tundra|snowfield|snow field|glacier|winter landscape|snowy field|ski slope|"
            "antarctica|north pole|frozen lake|icy|ice|ice floe|iceberg|snowy landscape|"
            "winter wonderland|igloo|snowy|powdery slope|powder snow|snowy slope|ski run|"
            "snow covered|snow-covered|wintry|winter|frosty|frozen|snowy hill|snowy field"
        ),
        "road": (
            "road|highway|country road|dirt road|freeway|motorway|road trip|open road|racetrack|"
            "race track|desert road|lane|railway|railroad|train tracks|coastal road|coast road|"
            "mountain road|winding road"
        ),
        "space": (
            "space|outer space|galaxy|nebula|cosmos|in orbit|starfield|mars|on the moon|lunar|"
            "planet|"
            "asteroid|asteroids|solar system|alien planet|spaceship interior|deep space|milky way"
        ),
        "underwater": (
            "underwater|under water|under the sea|reef|coral reef|coral|seabed|sea floor|seafloor|"
            "ocean floor|aquarium|deep sea|kelp forest|beneath the waves|scuba|deep ocean|"
            "ocean depths|the deep"
        ),
        "room": (
            "room|bedroom|kitchen|office|indoors|indoor|living room|studio|cafe|coffee shop|"
            "library|"
            "classroom|apartment|inside|interior|bar|restaurant|diner|attic|hallway|home office|"
            "cozy room|shop|bakery|café|lab|laboratory|cafe table|café table|living room floor|"
            "kitchen counter|"
            "lounge|den|hotel room|museum|gallery|workshop|garage|basement|cellar|windowsill|"
            "window sill|window seat"
        ),
        "stage": (
            "stage|concert|theater|theatre|on stage|auditorium|concert hall|opera|performance|"
            "spotlight|circus|nightclub|ballroom|gig|recital|stadium|arena"
        ),
    },
    "shot": {
        "wide": (
            "wide shot|wide angle|establishing shot|long shot|panorama|panoramic|extreme wide|wide|"
            "full shot|landscape shot"
        ),
        "medium": "medium shot|mid shot|waist shot|medium close|medium wide|cowboy shot|two shot",
        "close_up": (
            "close up|closeup|close shot|macro|detail shot|extreme close up|portrait|headshot|"
            "tight shot|up close"
        ),
        "aerial": (
            "aerial|aerial shot|aerial view|drone|drone shot|bird s eye|birds eye|bird s eye view|"
            "birds eye view|overhead|from above|top down|flyover|fly over|overhead shot|high angle"
        ),
        "low_angle": (
            "low angle|low angle shot|worm s eye|worms eye|from below|looking up|ground level|"
            "hero shot"
        ),
        "pov": (
            "pov|point of view|first person|through the eyes|gopro|first person view|pov shot|"
            "subjective camera"
        ),
    },
    "camera": {
        "static": (
            "static|static shot|locked off|tripod|fixed camera|still camera|stationary camera|"
            "locked shot|static camera"
        ),
        "pan_left": (
            "pan left|pans left|panning left|pan to the left|pans to the left|panning to the left|"
            "camera pans left|pan leftward|whip pan left|swish pan left"
        ),
        "pan_right": (
            "pan right|pans right|panning right|pan to the right|pans to the right|"
            "panning to the right|pan|pans|panning|panoramic pan|pans across|panning across|"
            "whip pan"
        ),
        "tilt_up": (
            "tilt up|tilts up|tilting up|camera tilts up|tilt upward|tilts upward|pan up|pans up|"
            "looks up to the sky|tilting upward|camera looks up"
        ),
        "tilt_down": (
            "tilt down|tilts down|tilting down|camera tilts down|tilt downward|tilts downward|"
            "pan down|pans down|camera looks down|tilting downward"
        ),
        "dolly_in": (
            "dolly in|dolly forward|dollies in|push in|pushes in|pushing in|moves closer|"
            "moving closer|camera moves forward|moving forward|dolly|dolly shot|dolly zoom|"
            "camera approaches"
        ),
        "dolly_out": (
            "dolly out|dolly back|dollies out|pull back|pulls back|pulling back|pull out|pulls out|"
            "moves away|moving away|camera retreats|backs away|reveal|reveals"
        ),
        "zoom_in": (
            "zoom in|zooms in|zooming in|slow zoom|zoom|zooms|zooming|close in|closes in|"
            "crash zoom|"
            "punch in"
        ),
        "zoom_out": "zoom out|zooms out|zooming out|slow zoom out|zoomed out|widens",
        "tracking": (
            "tracking|tracking shot|tracks|follows|following|follow shot|follow cam|side scrolling|"
            "side view tracking|camera follows|trucking|truck left|truck right|travelling shot|"
            "traveling shot|moving camera"
        ),
        "orbit": (
            "orbit|orbits|orbiting|arc shot|360|revolving camera|orbital shot|camera circles|"
            "orbits around|orbit shot|camera orbits|circling camera"
        ),
        "crane_up": (
            "crane|crane shot|crane up|cranes up|jib up|boom up|camera rises|rising shot|"
            "craning up|"
            "camera lifts"
        ),
        "crane_down": (
            "crane down|cranes down|jib down|boom down|camera descends|craning down|camera lowers|"
            "descending shot"
        ),
    },
    "handheld": {
        "on": (
            "handheld|hand held|shaky cam|shaky|camera shake|shaky camera|documentary style|"
            "found footage|vlog|wobbly"
        ),
    },
    "tempo": {
        "slow_motion": (
            "slow motion|slow mo|slowmo|slo mo|in slow motion|super slow motion|slowed down|"
            "high speed camera|bullet time"
        ),
        "time_lapse": "time lapse|timelapse|time-lapse|hyperlapse|sped up|fast forward",
    },
    "lighting": {
        "soft": (
            "soft light|soft lighting|diffused|diffused light|gentle light|soft|softly lit|"
            "even lighting|overcast light|natural light|flat lighting|soft glow"
        ),
        "dramatic": (
            "dramatic lighting|dramatic light|chiaroscuro|high contrast|moody lighting|harsh light|"
            "hard light|dramatic shadows|moody|low key|rembrandt lighting|spotlit|dramatic|"
            "dimly lit|dim light|dim lighting|dimly|dim"
        ),
        "neon": (
            "neon|neon lights|neon lit|neon signs|cyberpunk|synthwave|vaporwave|neon glow|"
            "blade runner|glowing signs|neon city"
        ),
        "candlelight": (
            "candlelight|candlelit|candle light|candles|firelight|lantern light|by candlelight|"
            "warm glow|fire light|torchlight|candle lit"
        ),
        "backlit": (
            "backlit|backlight|backlighting|silhouette|silhouetted|silhouettes|rim light|"
            "rim lighting|"
            "against the sun|against the light|contre jour|lens flare"
        ),
    },
    "style": {
        "cinematic": (
            "cinematic|film still|movie|filmic|anamorphic|widescreen|blockbuster|hollywood|"
            "cinematography|movie scene|film look|35mm|imax|epic film|cinematic shot"
        ),
        "anime": (
            "anime|manga|cartoon|animated|cel shaded|cel shading|ghibli|studio ghibli|animation|"
            "toon|"
            "comic|comic book|pixar|disney|kawaii|chibi|illustration|illustrated"
        ),
        "watercolor": (
            "watercolor|watercolour|painting|painted|aquarelle|impressionist|oil painting|gouache|"
            "painterly|sketch|storybook|pastel painting|ink wash|hand painted"
        ),
        "noir": "noir|film noir|black and white|monochrome|b w|grayscale|greyscale|black white",
        "pixel_art": (
            "pixel art|pixelated|8 bit|16 bit|8bit|16bit|retro game|pixel|pixels|video game|arcade|"
            "retro video game|sprite"
        ),
        "vintage": (
            "vintage|vintage film|old film|super 8|8mm|16mm|sepia|retro|old fashioned|old movie|"
            "home movie|1920s|1950s|1960s|1970s|archival|nostalgic film|film grain|grainy|"
            "faded film|"
            "vhs|old footage"
        ),
        "vivid": (
            "vivid|vibrant|saturated|colorful|colourful|bright colors|bright colours|psychedelic|"
            "technicolor|rainbow"
        ),
        "pastel": (
            "pastel|faded|washed out|muted colors|muted colours|muted|pastel colors|pastel colours|"
            "soft colors|dreamy colors"
        ),
    },
    "mood": {
        "bright": (
            "happy|joyful|cheerful|playful|fun|upbeat|joyous|whimsical|lively|festive|celebration|"
            "party|cute|bright"
        ),
        "calm": (
            "calm|peaceful|serene|tranquil|quiet|gentle|relaxing|meditative|zen|still|restful|lazy|"
            "idyllic|soothing"
        ),
        "warm": (
            "warm|cozy|cosy|romantic|nostalgic|dreamy|tender|loving|heartwarming|sentimental|"
            "wistful|warm light|warm lighting|warm tones"
        ),
        "melancholy": (
            "sad|melancholy|melancholic|lonely|somber|sombre|gloomy|sorrowful|mournful|bleak|"
            "forlorn|"
            "rainy day"
        ),
        "mysterious": (
            "mysterious|eerie|spooky|haunting|ominous|dark|creepy|mystical|magical|surreal|"
            "dreamlike|"
            "ethereal|otherworldly|haunted|enchanted|uncanny"
        ),
        "tense": (
            "tense|intense|action|chase|suspense|suspenseful|thriller|danger|dangerous|urgent|"
            "frantic|"
            "chaotic|action packed|high speed|pursuit|escape"
        ),
        "epic": (
            "epic|majestic|heroic|triumphant|grand|awe|awe inspiring|breathtaking|glorious|"
            "legendary|"
            "sweeping|monumental"
        ),
    },
    "music": {
        "piano": "piano|piano music|solo piano|piano melody|keys",
        "strings": (
            "orchestral|orchestra|strings|symphony|violins|cello music|string quartet|film score|"
            "score|symphonic"
        ),
        "jazz": "jazz|jazzy|saxophone|sax|swing|blues|bebop|jazz music|smooth jazz",
        "chiptune": "chiptune|8 bit music|chip music|game music|retro music",
        "electronic": (
            "electronic|synth|synths|techno|edm|house music|electronic music|trance|dubstep|beats|"
            "dance music|club music"
        ),
        "guitar": "guitar music|acoustic guitar|folk|folk music|strumming|country music|acoustic",
        "music_box": "music box|lullaby|twinkling|chimes|glockenspiel",
        "pad": "ambient|ambient music|drone|atmospheric|soundscape|new age",
    },
    "sound": {
        "thunder": "thunder|thunderclap|rumble of thunder|sound of thunder",
        "birdsong": (
            "birdsong|birds chirping|birds singing|chirping|bird song|tweeting|sound of birds|"
            "dawn chorus"
        ),
        "bells": "bells|church bells|bells ringing|bell|chime|ringing bells",
        "applause": "applause|clapping|ovation|audience claps|claps|clap",
        "crowd": (
            "crowd noise|chatter|murmur|bustling|busy|crowded|hustle and bustle|voices|"
            "people talking"
        ),
        "traffic": "traffic|traffic noise|rush hour|cars passing|traffic jam",
        "siren": "siren|sirens|police siren|alarm|ambulance siren",
        "horn": "honking|car horn|horns|honk|horn|beeping",
        "bark": "barking|barks|bark|woof|dog barking",
        "waves": (
            "sound of waves|crashing waves|waves crashing|surf sounds|lapping water|waves lapping|"
            "waves breaking"
        ),
        "wind": "sound of wind|whistling wind|wind howling|rustling leaves|rustling",
        "rain": "sound of rain|rain on the window|pattering rain|raindrops",
        "fire": "crackling|crackling fire|fire crackling|fire|flames|burning|crackle",
        "footsteps": "footsteps|footstep|steps echo|sound of footsteps",
        "clock": "ticking|ticking clock|clock ticking|tick tock|ticks",
        "heartbeat": "heartbeat|heart beat|heart beating|pounding heart",
        "explosion": "explosion|explosions|explodes|blast|boom|fireworks|firework|kaboom",
        "whistle": "whistle|whistling|train whistle|steam whistle|whistle blowing|whistles",
        "sizzle": "sizzle|sizzling|sizzles|frying|fries|sizzling pan|sound of frying",
        "howl": "howl|howls|howling|howling wolf|wolf howling|wolves howling|howl at the moon",
        "cheer": "cheer|cheers|cheering|cheered|cheering fans|roar of the crowd",
        "hum": "hum|humming|whirring|buzzing|vacuum hum|motor hum|droning hum",
    },
    "speed": {
        "slow": "slow|slowly|gently|leisurely|lazily|unhurried|calmly|gradually|slow moving|crawls",
        "fast": (
            "fast|quick|quickly|rapid|rapidly|racing|speeding|swift|swiftly|hurried|hurrying|"
            "at full speed|high speed|zooming by|speedy|furiously|briskly"
        ),
    },
    "silent": {
        "silent": (
            "silent|silence|no sound|no audio|without sound|without audio|mute|no sounds|soundless|"
            "muted audio|sound off|audio off"
        ),
    },
    "no_music": {
        "on": (
            "no music|without music|no soundtrack|without a soundtrack|no score|ambient sound only|"
            "only ambient sound|natural sound only"
        ),
    },
}

# Meanings that come with a phrase besides its own aspect, each only used when the prompt does
# not state that aspect itself. Keyed by (aspect, value) of the phrase's main meaning.
_ALSO: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("weather", "storm"): (("wind", "windy"), ("mood", "tense"), ("sound", "thunder")),
    ("lighting", "neon"): (("time_of_day", "night"), ("music", "electronic")),
    ("lighting", "candlelight"): (("time_of_day", "night"), ("mood", "warm")),
    ("lighting", "dramatic"): (("mood", "tense"),),
    ("lighting", "backlit"): (("time_of_day", "golden hour"),),
    ("style", "noir"): (("mood", "mysterious"), ("music", "jazz")),
    ("style", "pixel_art"): (("music", "chiptune"),),
    ("style", "anime"): (("music", "piano"), ("mood", "bright")),
    ("style", "cinematic"): (("music", "strings"),),
    ("style", "watercolor"): (("music", "piano"), ("mood", "calm")),
    ("style", "vintage"): (("music", "piano"),),
    ("setting", "stage"): (("lighting", "dramatic"), ("sound", "applause")),
    ("setting", "space"): (("mood", "mysterious"),),
    ("setting", "skyline"): (("shot", "wide"),),
    ("mood", "epic"): (("music", "strings"),),
    ("mood", "tense"): (("music", "strings"),),
}
_IMPLYING_PHRASES: dict[str, tuple[tuple[str, str], ...]] = {
    # single phrases whose every meaning is listed explicitly
    "blizzard": (("weather", "snow"), ("wind", "gale")),
    "snowstorm": (("weather", "snow"), ("wind", "windy")),
    "sandstorm": (("setting", "desert"), ("wind", "gale"), ("weather", "fog")),
    "rainstorm": (("weather", "rain"), ("wind", "windy")),
    "hurricane": (("weather", "storm"), ("wind", "gale")),
    "typhoon": (("weather", "storm"), ("wind", "gale")),
    "autumn leaves": (("wind", "breeze"),),
    "falling leaves": (("wind", "breeze"),),
    "cyberpunk": (("lighting", "neon"), ("setting", "city"), ("time_of_day", "night")),
    "sci fi": (("lighting", "neon"), ("music", "electronic")),
    "science fiction": (("lighting", "neon"), ("music", "electronic")),
    "synthwave": (("lighting", "neon"), ("music", "electronic"), ("time_of_day", "night")),
    "christmas": (("weather", "snow"), ("sound", "bells"), ("mood", "warm")),
    "fireworks": (("sound", "explosion"), ("time_of_day", "night")),
    "concert": (("setting", "stage"), ("sound", "applause"), ("lighting", "dramatic")),
    "rush hour": (("sound", "traffic"), ("setting", "city")),
    "thunderstorm": (("weather", "storm"),),
    "thunder": (("weather", "storm"), ("sound", "thunder")),
    "silent film": (("silent", "silent"), ("style", "vintage")),
    # The sky's own light show: painted across a night sky (sky.py).
    "northern lights": (("sky", "aurora"), ("time_of_day", "night")),
    "southern lights": (("sky", "aurora"), ("time_of_day", "night")),
    "polar lights": (("sky", "aurora"), ("time_of_day", "night")),
    "aurora": (("sky", "aurora"), ("time_of_day", "night")),
    "aurora borealis": (("sky", "aurora"), ("time_of_day", "night")),
    "aurora australis": (("sky", "aurora"), ("time_of_day", "night")),
    "auroras": (("sky", "aurora"), ("time_of_day", "night")),
    "silent movie": (("silent", "silent"), ("style", "vintage")),
}

# Words that only suggest: each meaning fills an aspect the prompt does not state itself, and
# the word counts as understood. 'medieval' or 'ancient' asks for no modern city (the castles,
# houses and bridges the renderer draws are old already); bare 'water' is a lake unless the
# prompt names another place; 'steam' with nothing steaming in it is a mist (a cup, a train and
# a steamship draw their own steam, see `reading.py`).
_HINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "medieval": (("setting", "meadow"), ("music", "strings")),
    "ancient": (("setting", "meadow"), ("music", "strings")),
    "water": (("setting", "lake"),),
    "steam": (("weather", "fog"),),
    "steaming": (("weather", "fog"),),
    "steamy": (("weather", "fog"),),
    "vapor": (("weather", "fog"),),
    "vapour": (("weather", "fog"),),
}
# An old town is drawn as the countryside's village, never as the modern city's towers.
_OLD_PLACES = (
    "medieval town|medieval city|medieval village|medieval street|medieval streets|"
    "medieval market|old town|ancient city|ancient town|ancient village|old village"
)

Meaning = tuple[str, str]


def _build_phrases() -> dict[tuple[str, ...], tuple[tuple[Meaning, ...], tuple[Meaning, ...]]]:
    """words -> (stated meanings, implied meanings); hints state nothing."""
    table: dict[tuple[str, ...], tuple[tuple[Meaning, ...], tuple[Meaning, ...]]] = {}
    for aspect, values in _PHRASES.items():
        for value, phrases in values.items():
            for phrase in phrases.split("|"):
                words = tuple(phrase.replace("-", " ").split())
                if words not in table:
                    table[words] = (((aspect, value),), _ALSO.get((aspect, value), ()))
    for phrase, meanings in _IMPLYING_PHRASES.items():
        words = tuple(phrase.split())
        stated, implied = meanings[:1], meanings[1:]
        table[words] = (stated, implied + _ALSO.get(stated[0], ()))
    for phrase in _OLD_PLACES.split("|"):
        table[tuple(phrase.split())] = ((("setting", "meadow"),), (("music", "strings"),))
    for phrase, hinted in _HINTS.items():
        table[tuple(phrase.split())] = ((), hinted)
    # 'futuristic' is neon-lit and electronic, but not night unless the prompt says so (neon
    # itself suggests night): a futuristic car in the desert stays in daylight.
    table[("futuristic",)] = ((("lighting", "neon"),), (("music", "electronic"),))
    return table


PHRASES: Final = _build_phrases()
MAX_PHRASE_WORDS: Final = max(len(words) for words in PHRASES)

NEGATIONS: Final = frozenset({"no", "not", "without", "never", "nor", "don", "doesn", "isn"})
SPEED_FACTORS: Final[dict[str, float]] = {"slow": 0.5, "fast": 2.0}
TEMPO_FACTORS: Final[dict[str, float]] = {"normal": 1.0, "slow_motion": 0.35, "time_lapse": 4.0}
