"""Quoted dialogue in a prompt: where the lines stand, and who says each of them.

Lines are in double, typographic, guillemet, single or corner quotes, or follow a speech verb and
a colon ("she says: see you soon"). The speaker is the subject nearest the quote in its sentence
that can talk (a table never does), and its voice follows its kind or the words around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reelbox.engines.procedural.kinds import KINDS, VOICE_HINTS
from reelbox.engines.procedural.plan import DialogueLine
from reelbox.engines.procedural.subject_words import LOUD_VERBS, QUIET_VERBS, SPEECH_VERBS

if TYPE_CHECKING:
    from reelbox.engines.procedural.reading import Mention

# Dialogue: double, typographic, guillemet, single and corner (「」) quotes (an apostrophe inside
# a word is not a quote), and the rest of the sentence after "says:" (or a speech verb and colon).
_QUOTES = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»|„([^“”]+)[“”]|\u2018([^\u2019]+)\u2019"
    r"|(?<![\w'])'([^']+?)'(?![\w'])|「([^」]+)」|『([^』]+)』"
    r"|(?<=:)[ \t]*([^\n\"“«„\u2018]+?)[ \t]*(?=$|\n)"
)
_AFTER_COLON = 9  # the group of the words after 'says:'
_CORNER = (7, 8)  # the groups of corner quotes
_COLON_VERB = re.compile(r"([^\W\d_]+)\s*:$")
_BREAKS = frozenset(".!?;")
_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})
# Kinds that can say a line of dialogue (a table never speaks).
_SPEAKERS = frozenset({"person", "animal", "bird"})


def dialogue_spans(prompt: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each quoted line, and of the words after 'says:'."""
    spans: list[tuple[int, int, str]] = []
    for match in _QUOTES.finditer(prompt):
        text = next((g for g in match.groups() if g is not None), "")
        around = (prompt[: match.start()] + prompt[match.end() :]).strip(" \u3002.!\uff01")
        if match.lastindex in _CORNER and not around:
            continue  # 「桜の木の下で踊る猫」: the whole prompt in corner quotes is its title
        if match.lastindex == _AFTER_COLON:
            verb = _COLON_VERB.search(prompt[max(0, match.start() - 40) : match.start()])
            if verb is None or verb.group(1).lower() not in SPEECH_VERBS:
                continue  # 'Style: anime' is not dialogue
        spans.append((match.start(), match.end(), text))
    return spans


def gaps(spans: list[tuple[int, int, str]], length: int) -> list[tuple[int, int]]:
    """The stretches of the prompt between the quoted lines."""
    gaps, position = [], 0
    for start, end, _ in spans:
        gaps.append((position, start))
        position = end
    gaps.append((position, length))
    return gaps


def speaker_line(
    tokens: Sequence[str],
    index: int,
    text: str,
    *,
    mentions: Sequence[Mention],
    mention_at: Mapping[int, int],
) -> DialogueLine:
    """A quote at token `index`: who says it (the nearest speaker word around it) and how."""
    first, last = max(0, index - 8), min(len(tokens), index + 4)
    # The speaker is named in the same sentence as the quote.
    for j in range(index - 1, first - 1, -1):
        if tokens[j] in _BREAKS:
            first = j + 1
            break
    for j in range(index, last):
        if tokens[j] in _BREAKS:
            last = j
            break
    window = range(first, last)
    voice: str | None = None
    speaker: str | None = None
    loudness = "normal"
    best = 99
    for j in window:
        token = tokens[j]
        distance = index - j if j < index else (j - index) + 2
        if token in LOUD_VERBS:
            loudness = "loud"
        elif token in QUIET_VERBS:
            loudness = "quiet"
        hint = VOICE_HINTS.get(token)
        mention = mention_at.get(j)
        if mention is not None and not _can_speak(mentions[mention].kind):
            mention = None  # a table does not talk: look for someone else
        if mention is not None and distance < best:
            found = mentions[mention]
            best = distance
            speaker = found.name or found.kind
            voice = found.voice or hint or _voice_of(found.kind)
        elif hint is not None and distance < best and (token in _PRONOUNS or j < index):
            best = distance
            voice = hint
    if voice is None:
        people = [m for m in mentions if _can_speak(m.kind)]
        if people:
            speaker = people[0].name or people[0].kind
            voice = people[0].voice or _voice_of(people[0].kind)
        else:
            voice = "narrator"
    return DialogueLine(text=text, voice=voice, speaker=speaker, loudness=loudness)


def _voice_of(kind: str) -> str:
    if kind == "child":
        return "child"
    if kind == "robot":
        return "robot"
    return "male" if KINDS[kind].category == "person" else "narrator"


def _can_speak(kind: str) -> bool:
    return KINDS[kind].category in _SPEAKERS
