"""Reading a prompt: which words of the vocabulary it uses, and what they attach to.

`read_prompt` is deterministic and forgiving: quoted text becomes dialogue (and is not read as
scene words), phrases are matched longest first, colour, size and number words attach to the
subject noun right after them, action verbs attach to the subjects named before them in the
same clause (or to the next one), negated words ("no rain") are skipped, and every other word is
ignored. The result lists what was understood, in prompt order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reelbox.engines.procedural.kinds import (
    AMBIGUOUS_NOUNS,
    GROUP_WORDS,
    KIND_WORDS,
    KINDS,
    VOICE_HINTS,
)
from reelbox.engines.procedural.plan import DialogueLine
from reelbox.engines.procedural.subject_words import (
    ACTION_PHRASES,
    ARTICLES,
    COLOR_WORDS,
    KIND_PHRASE_COLORS,
    KIND_PHRASES,
    LOUD_VERBS,
    MAX_ACTION_WORDS,
    MAX_KIND_WORDS,
    NUMBER_WORDS,
    QUIET_VERBS,
    SIZE_WORDS,
)
from reelbox.engines.procedural.vocabulary import MAX_PHRASE_WORDS, NEGATIONS, PHRASES

MAX_DIALOGUE_LINES = 6
MAX_LINE_CHARACTERS = 300
_QUOTES = re.compile(r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»|„([^“”]+)[“”]")
_TOKEN = re.compile(r"[a-z0-9]+|[.!?;]")
_BREAKS = frozenset(".!?;")
_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})
# How far (in words) a colour, size or number may stand before the noun it describes.
_REACH = 3


@dataclass
class Mention:
    """A subject the prompt names: 'two small red cars' is one mention of count 2."""

    kind: str
    count: int
    color: str | None
    size: float
    name: str | None
    word: str  # the noun as written
    action: str | None = None
    voice: str | None = None  # how it sounds when it speaks, if its words say


@dataclass
class Reading:
    """What a prompt says, before defaults are filled in."""

    stated: dict[str, str] = field(default_factory=dict)  # aspect -> first value stated
    implied: dict[str, str] = field(default_factory=dict)  # aspect -> first value implied
    cues: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    accent_colors: list[str] = field(default_factory=list)
    dialogue: list[DialogueLine] = field(default_factory=list)
    silent: bool = False
    understood: list[str] = field(default_factory=list)
    loose_actions: list[str] = field(default_factory=list)  # verbs with no subject to attach to

    def value(self, aspect: str) -> str | None:
        """The stated value of `aspect`, else the implied one, else None."""
        return self.stated.get(aspect, self.implied.get(aspect))

    def explicit(self) -> list[str]:
        """The aspects the prompt sets itself (not through implication)."""
        aspects = {a for a in self.stated if a not in ("speed", "sound", "no_music", "silent")}
        if "speed" in self.stated:
            aspects.add("speed")
        if self.mentions:
            aspects.add("subjects")
        if self.accent_colors or any(m.color for m in self.mentions):
            aspects.add("colors")
        if any(m.action for m in self.mentions):
            aspects.add("actions")
        if self.silent or "no_music" in self.stated or self.cues or self.dialogue:
            aspects.add("sound")
        return sorted(aspects)


def read_prompt(prompt: str, *, names: Sequence[str] = ()) -> Reading:
    """Read `prompt`; `names` are character names to recognise (case-insensitive)."""
    reading = _Reader(names)
    position = 0
    quotes: list[tuple[int, str]] = []  # (token index where the quote stood, text)
    for match in _QUOTES.finditer(prompt):
        reading.feed(prompt[position : match.start()])
        text = next(g for g in match.groups() if g is not None).strip()
        if text and len(quotes) < MAX_DIALOGUE_LINES:
            quotes.append((len(reading.tokens), text[:MAX_LINE_CHARACTERS]))
        reading.feed(" . " if not text else " ")
        position = match.end()
    reading.feed(prompt[position:])
    reading.scan()
    for index, text in quotes:
        reading.result.dialogue.append(reading.line(index, text))
    return reading.result


class _Reader:
    def __init__(self, names: Sequence[str]) -> None:
        self.tokens: list[str] = []
        self.result = Reading()
        self.names = sorted(
            ((tuple(_TOKEN.findall(n.lower())), n) for n in names if _TOKEN.findall(n.lower())),
            key=lambda item: -len(item[0]),
        )
        # token index -> the mention (index into result.mentions) named there
        self.mention_at: dict[int, int] = {}

    def feed(self, text: str) -> None:
        self.tokens += _TOKEN.findall(text.lower())

    # -- the scan ----------------------------------------------------------------------------

    def scan(self) -> None:
        tokens = self.tokens
        result = self.result
        colors: list[tuple[int, str]] = []  # colour words not yet attached
        size: tuple[int, float] | None = None
        number: tuple[int, int] | None = None
        clause_start = 0  # first mention that an action verb in this clause may describe
        sentence_start = 0  # first mention of this sentence
        pending_action: str | None = None  # a verb that came before any subject
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in _BREAKS:
                if pending_action is not None:
                    result.loose_actions.append(pending_action)
                result.accent_colors += [c for _, c in colors]
                colors, size, number, pending_action = [], None, None, None
                clause_start = sentence_start = len(result.mentions)
                i += 1
                continue
            negated = i > 0 and tokens[i - 1] in NEGATIONS
            found = self._longest(i)
            if found is not None:
                length, table, value = found
                words = " ".join(tokens[i : i + length])
                if table == "name":
                    self._mention("character", 1, None, 1.0, value, words, i)
                    self._take_action(pending_action)
                    pending_action = None
                elif table == "kind" and not negated:
                    count = self._count(number, i)
                    color = self._color(colors, i) or KIND_PHRASE_COLORS.get(words)
                    scale = size[1] if size is not None and i - size[0] <= _REACH else 1.0
                    self._mention(value, count, color, scale, None, words, i)
                    self._take_action(pending_action)
                    pending_action = None
                    number = size = None
                elif table == "action" and not negated:
                    result.understood.append(words)
                    if not self._act(value, clause_start, sentence_start):
                        pending_action = value
                    clause_start = len(result.mentions)
                elif table == "phrase":
                    self._phrase(tokens[i : i + length], negated)
                i += length
                continue
            if token in GROUP_WORDS and not self._names_a_kind_soon(i):
                kind, count = GROUP_WORDS[token]
                self._mention(kind, count, self._color(colors, i), 1.0, None, token, i)
                self._take_action(pending_action)
                pending_action = None
            elif token in ("he", "she") and not result.mentions:
                # 'she waves': a person the prompt never introduced.
                self._mention("person", 1, None, 1.0, None, token, i)
                self._take_action(pending_action)
                pending_action = None
            elif token in NUMBER_WORDS:
                number = (i, NUMBER_WORDS[token])
            elif token in SIZE_WORDS and not negated:
                size = (i, SIZE_WORDS[token])
                result.understood.append(token)
            elif token in COLOR_WORDS and not negated:
                colors.append((i, COLOR_WORDS[token]))
                result.understood.append(token)
            elif token in KIND_WORDS and not negated and self._is_subject(i):
                kind, plural = KIND_WORDS[token]
                count = self._count(number, i, plural)
                color = self._color(colors, i)
                scale = size[1] if size is not None and i - size[0] <= _REACH else 1.0
                self._mention(kind, count, color, scale, None, token, i)
                self._take_action(pending_action)
                pending_action = None
                number = size = None
            i += 1
        if pending_action is not None:
            result.loose_actions.append(pending_action)
        result.accent_colors += [c for _, c in colors]

    def _longest(self, i: int) -> tuple[int, str, str] | None:
        """The longest name, subject phrase, action or vocabulary phrase starting at `i`."""
        tokens = self.tokens
        for words, name in self.names:
            if tuple(tokens[i : i + len(words)]) == words:
                return len(words), "name", name
        best: tuple[int, str, str] | None = None
        limit = max(MAX_PHRASE_WORDS, MAX_KIND_WORDS, MAX_ACTION_WORDS)
        for length in range(min(limit, len(tokens) - i), 0, -1):
            words = tuple(tokens[i : i + length])
            if any(w in _BREAKS for w in words):
                continue
            if words in KIND_PHRASES:
                best = (length, "kind", KIND_PHRASES[words])
            elif words in ACTION_PHRASES:
                best = (length, "action", ACTION_PHRASES[words])
            elif words == ("waves",) and self._waves_is_a_verb(i):
                best = (1, "action", "wave")  # 'she waves', not the sea
            elif words in PHRASES:
                best = (length, "phrase", "")
            if best is not None:
                return best
        return None

    def _waves_is_a_verb(self, i: int) -> bool:
        """'she waves', 'a man smiles and waves': someone waving, not the sea's waves."""
        if i == 0:
            return False
        before = self.tokens[i - 1]
        if i - 1 in self.mention_at or before in _PRONOUNS:
            return True
        if before in ("and", "then", "also") and self.mention_at:
            # ... as long as the last subject named is in the same sentence.
            last = max(self.mention_at)
            return not any(t in _BREAKS for t in self.tokens[last:i])
        return False

    def _phrase(self, words: list[str], negated: bool) -> None:
        result = self.result
        stated, implied = PHRASES[tuple(words)]
        text = " ".join(words)
        aspect = stated[0][0]
        if aspect == "silent":
            result.silent = True
            result.understood.append(text)
            for a, v in implied:
                self._set(result.implied, a, v)
            return
        if aspect == "no_music":
            result.stated.setdefault("no_music", "on")
            result.understood.append(text)
            return
        if negated:
            return
        result.understood.append(text)
        for a, v in stated:
            self._set(result.stated, a, v)
        for a, v in implied:
            self._set(result.implied, a, v)

    def _set(self, table: dict[str, str], aspect: str, value: str) -> None:
        if aspect == "sound":
            if value not in self.result.cues:
                self.result.cues.append(value)
            return
        table.setdefault(aspect, value)

    # -- subjects ----------------------------------------------------------------------------

    def _is_subject(self, i: int) -> bool:
        token = self.tokens[i]
        if token not in AMBIGUOUS_NOUNS:
            return True
        before = self.tokens[i - 1] if i > 0 else ""
        return before in ARTICLES or before in NUMBER_WORDS or before in COLOR_WORDS

    def _names_a_kind_soon(self, i: int) -> bool:
        """'a crowd of people': the group word is a count for the noun that follows."""
        following = self.tokens[i + 1 : i + 4]
        return any(t in KIND_WORDS for t in following)

    def _count(self, number: tuple[int, int] | None, i: int, plural: int = 1) -> int:
        if number is not None and i - number[0] <= _REACH + 1 and (number[1] > 1 or plural == 1):
            if self.tokens[number[0]] not in ("a", "an"):
                self.result.understood.append(self.tokens[number[0]])
            return number[1]
        return plural

    def _color(self, colors: list[tuple[int, str]], i: int) -> str | None:
        if colors and i - colors[-1][0] <= _REACH:
            color = colors.pop()[1]
            self.result.accent_colors += [c for _, c in colors]
            colors.clear()
            return color
        self.result.accent_colors += [c for _, c in colors]
        colors.clear()
        return None

    def _mention(
        self,
        kind: str,
        count: int,
        color: str | None,
        size: float,
        name: str | None,
        word: str,
        i: int,
    ) -> None:
        voice = next((VOICE_HINTS[w] for w in word.split() if w in VOICE_HINTS), None)
        self.result.mentions.append(
            Mention(
                kind=kind, count=count, color=color, size=size, name=name, word=word, voice=voice
            )
        )
        self.mention_at[i] = len(self.result.mentions) - 1
        self.result.understood.append(word)

    def _take_action(self, pending: str | None) -> None:
        if pending is not None:
            self.result.mentions[-1].action = pending

    def _act(self, action: str, clause_start: int, sentence_start: int) -> bool:
        """Give `action` to the subjects named since the last verb; False if there are none."""
        mentions = self.result.mentions
        targets = [m for m in mentions[clause_start:] if m.action is None]
        in_sentence = mentions[sentence_start:]
        if not targets and in_sentence and in_sentence[-1].action is None:
            targets = [in_sentence[-1]]
        if not targets and in_sentence:
            # 'a dog runs and jumps': the last verb wins for a subject already moving.
            # ('she waves and says ...' keeps waving: talking does not stop a subject.)
            targets = [mentions[-1]] if clause_start == len(mentions) and action != "idle" else []
        for mention in targets:
            mention.action = action
        return bool(targets)

    # -- dialogue ----------------------------------------------------------------------------

    def line(self, index: int, text: str) -> DialogueLine:
        """A quote at token `index`: who says it (the nearest speaker word around it) and how."""
        tokens = self.tokens
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
            mention = self.mention_at.get(j)
            if mention is not None and distance < best:
                found = self.result.mentions[mention]
                best = distance
                speaker = found.name or found.kind
                voice = found.voice or hint or _voice_of(found.kind)
            elif hint is not None and distance < best and (token in _PRONOUNS or j < index):
                best = distance
                voice = hint
        if voice is None:
            people = [m for m in self.result.mentions if KINDS[m.kind].category == "person"]
            if people:
                speaker = people[0].name or people[0].kind
                voice = people[0].voice or _voice_of(people[0].kind)
            else:
                voice = "narrator"
        self.result.understood.append(f'"{text}"')
        return DialogueLine(text=text, voice=voice, speaker=speaker, loudness=loudness)


def _voice_of(kind: str) -> str:
    if kind == "child":
        return "child"
    if kind == "robot":
        return "robot"
    return "male" if KINDS[kind].category == "person" else "narrator"
