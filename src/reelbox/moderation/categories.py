"""The moderation categories Reelbox knows, and how each is explained to a user.

Names follow the OpenAI moderation API where one exists (`sexual/minors`, `violence/graphic`, ...)
so an external classifier's categories and the built-in checks' categories share one namespace.
Reelbox adds `real-person/...` (likeness of real people) and `copyright/...`. A category's
parent is everything before its last `/`: a policy that blocks `real-person` blocks
`real-person/name` and `real-person/face` too.
"""

from __future__ import annotations

SEXUAL_MINORS = "sexual/minors"
SEXUAL = "sexual"
VIOLENCE = "violence"
VIOLENCE_GRAPHIC = "violence/graphic"
SELF_HARM = "self-harm"
HATE = "hate"
REAL_PERSON_NAME = "real-person/name"
REAL_PERSON_FACE = "real-person/face"
COPYRIGHT_CHARACTER = "copyright/character"
COPYRIGHT_MUSIC = "copyright/music"
# Fail-closed answer when the external classifier could not be asked.
UNCHECKED = "moderation/unavailable"
# The classifier said `flagged` without naming a category.
CLASSIFIER_FLAGGED = "classifier/flagged"

# What a user is told: a description of the category, never the text or image that matched.
DESCRIPTIONS = {
    SEXUAL_MINORS: "sexual content involving minors",
    SEXUAL: "sexual content",
    VIOLENCE: "violence",
    VIOLENCE_GRAPHIC: "graphic violence",
    SELF_HARM: "self-harm",
    HATE: "hateful content",
    REAL_PERSON_NAME: "a real person",
    REAL_PERSON_FACE: "a human face in an input",
    COPYRIGHT_CHARACTER: "a copyrighted character",
    COPYRIGHT_MUSIC: "copyrighted music",
    UNCHECKED: "content that could not be checked",
    CLASSIFIER_FLAGGED: "content the moderation classifier flagged",
}

BUILTIN_TEXT_CATEGORIES = (
    SEXUAL_MINORS,
    SEXUAL,
    VIOLENCE,
    VIOLENCE_GRAPHIC,
    SELF_HARM,
    HATE,
    REAL_PERSON_NAME,
    COPYRIGHT_CHARACTER,
    COPYRIGHT_MUSIC,
)


def describe(category: str) -> str:
    """A short human description; unknown (classifier) categories read as their name."""
    if category in DESCRIPTIONS:
        return DESCRIPTIONS[category]
    return category.replace("/", " (").replace("-", " ") + (")" if "/" in category else "")


def covers(blocked: str, category: str) -> bool:
    """Whether blocking `blocked` blocks `category` (itself or one of its sub-categories)."""
    return category == blocked or category.startswith(blocked + "/")
