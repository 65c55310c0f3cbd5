"""Reading a prompt: which words of the vocabulary it uses, and what they attach to.

`read_prompt` is deterministic and forgiving: quoted text becomes dialogue (and is not read as
scene words), phrases are matched longest first, colour, size and number words attach to the
subject noun right after them, action verbs attach to the subjects named before them in the
same clause (or to the next one), negated words ("no rain") are skipped, and every other word is
ignored. The result lists what was understood, in prompt order.
"""

from __future__ import annotations

import itertools
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
from reelbox.engines.procedural.languages import detect, to_english
from reelbox.engines.procedural.plan import DialogueLine
from reelbox.engines.procedural.quotes import dialogue_spans, gaps, speaker_line
from reelbox.engines.procedural.stand_ins import longest as stand_in_words
from reelbox.engines.procedural.stand_ins import stand_ins
from reelbox.engines.procedural.subject_words import (
    ACTION_PHRASES,
    ARTICLES,
    COLOR_WORDS,
    KIND_PHRASE_COLORS,
    KIND_PHRASES,
    MAX_ACTION_WORDS,
    MAX_KIND_WORDS,
    NUMBER_WORDS,
    SIZE_WORDS,
    SPEECH_VERBS,
    STOP_WORDS,
)
from reelbox.engines.procedural.vocabulary import MAX_PHRASE_WORDS, NEGATIONS, PHRASES

MAX_DIALOGUE_LINES = 6
MAX_LINE_CHARACTERS = 300
_TOKEN = re.compile(r"[^\W_]+|[.!?;]")
_BREAKS = frozenset(".!?;")
# Verbs whose object is held (the kite flies, the child holds it) or chased.
_HOLD_VERBS = frozenset(
    ["flying", "flies", "fly", "flew", "holding", "holds", "hold", "carrying", "carries", "carry"]
)
_HELD_KINDS = frozenset({"kite", "balloon", "airplane", "helicopter", "umbrella", "flag", "pan"})
_CHASE_VERBS = frozenset(
    {"chasing", "chases", "chase", "chased", "following", "follows", "follow", "followed"}
    | {"pursuing", "pursues"}
)
# Words that say the light changes over the clip, and what comes before a time that 'falls'.
_CHANGE_WORDS = frozenset(
    {"turning", "turns", "turn", "fading", "fades", "fade", "becoming", "becomes", "become"}
    | {"changing", "changes", "shifting", "shifts", "transitioning", "transitions", "giving"}
    | {"gives", "way", "melting", "melts", "falls", "falling", "sets", "setting", "comes"}
)
_FALLS = frozenset({"falls", "falling", "comes", "arrives", "descends"})
_BEFORE = {"night": "dusk", "dusk": "sunset", "dawn": "night", "morning": "dawn"}
_FRAMING_ASPECTS = frozenset({"camera", "shot", "tempo", "handheld"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "him", "her", "them"})
# 'steam' is a mist unless one of these, which draw their own steam or smoke, is in the scene.
_STEAM_WORDS = frozenset({"steam", "steamy", "steaming", "vapor", "vapour"})
_STEAMING_KINDS = frozenset({"cup", "train", "ship", "campfire", "pan"})
# Age words, and the subject categories whose figures they describe without changing them.
_OLD_BUILT: frozenset[str] = frozenset({"building"})
_AGE_WORDS: dict[str, frozenset[str]] = {
    "elderly": frozenset({"person"}),
    "aged": frozenset({"person"}),
    "medieval": _OLD_BUILT,
    "ancient": _OLD_BUILT,
    "old": _OLD_BUILT,
    "historic": _OLD_BUILT,
}
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
    follows: int | None = None  # index of the mention it keeps close to (chases, holds)
    drawn_as: str | None = None  # a stand-in's description when the noun has no figure


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
    not_understood: list[str] = field(default_factory=list)  # content words nothing renders
    substitutions: list[str] = field(default_factory=list)  # "dragon: a winged creature"
    language: str | None = None  # the prompt's language when not English
    world: str = ""  # 'on Mars' stands on Mars ("mars"), 'on the Moon' on the Moon ("moon")
    earth_in_sky: bool = False  # 'Earth visible in the sky'
    on_water: bool = False  # 'walks on water': the prompt wants it, so it is not a mistake
    time_change: str | None = None  # 'day turning to night': the time of day it ends at

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
    spans = dialogue_spans(prompt)
    outside = " ".join(prompt[a:b] for a, b in gaps(spans, len(prompt)))
    language = detect(outside)
    reading.result.language = language
    position = 0
    quotes: list[tuple[int, str]] = []  # (token index where the quote stood, text)
    for start, end, text in spans:
        reading.feed(to_english(prompt[position:start], language))
        text = text.strip()
        if text and len(quotes) < MAX_DIALOGUE_LINES:
            quotes.append((len(reading.tokens), text[:MAX_LINE_CHARACTERS]))
        reading.feed(" . " if not text else " ")
        position = end
    reading.feed(to_english(prompt[position:], language))
    reading.scan()
    for index, text in quotes:
        line = speaker_line(
            reading.tokens,
            index,
            text,
            mentions=reading.result.mentions,
            mention_at=reading.mention_at,
        )
        reading.result.understood.append(f'"{text}"')
        reading.result.dialogue.append(line)
    reading.finish()
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
        self.used: set[int] = set()  # token indices the plan renders (or deliberately skips)
        self.times: list[tuple[int, int, str]] = []  # time-of-day phrases: (start, end, value)
        self.steam = False  # 'steam' was read

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
                self.used.add(i)
                if pending_action is not None:
                    result.loose_actions.append(pending_action)
                result.accent_colors += [c for _, c in colors]
                colors, size, number, pending_action = [], None, None, None
                clause_start = sentence_start = len(result.mentions)
                i += 1
                continue
            negated = i > 0 and tokens[i - 1] in NEGATIONS
            if negated:
                self.used.add(i - 1)
            found = self._longest(i)
            if found is not None:
                length, table, value = found
                words = " ".join(tokens[i : i + length])
                self.used.update(range(i, i + length))
                if table == "stand_in" and not negated and self._held_pan(i, length):
                    pass  # 'a chef flipping pancakes': the chef's pan already shows them
                elif table == "stand_in" and not negated:
                    item = stand_ins()[tuple(tokens[i : i + length])]
                    count = self._count(number, i, item.count)
                    color = self._color(colors, i) or item.color
                    scale = size[1] if size is not None and i - size[0] <= _REACH else 1.0
                    self._mention(item.kind, count, color, scale * item.size, None, words, i)
                    self.result.mentions[-1].drawn_as = item.drawn_as
                    if words not in item.drawn_as and words.rstrip("s") not in item.drawn_as:
                        self.result.substitutions.append(f"{words}: {item.drawn_as}")
                    self._object_of(i)
                    if "holding a pan" in item.drawn_as:
                        held = len(self.result.mentions) - 1
                        self._mention("pan", 1, None, 1.0, None, "pan", i)
                        self.result.understood.pop()
                        self.result.mentions[-1].follows = held
                        self.mention_at[i] = held
                    self._take_action(pending_action)
                    pending_action = None
                    number = size = None
                    if tuple(tokens[i : i + length]) in PHRASES:
                        self._phrase(tokens[i : i + length], negated, quiet=True)
                elif table == "name":
                    self._mention("character", 1, None, 1.0, value, words, i)
                    self._take_action(pending_action)
                    pending_action = None
                elif table == "kind" and not negated:
                    count = self._count(number, i)
                    color = self._color(colors, i) or KIND_PHRASE_COLORS.get(words)
                    scale = size[1] if size is not None and i - size[0] <= _REACH else 1.0
                    self._mention(value, count, color, scale, None, words, i)
                    self._object_of(i)
                    self._take_action(pending_action)
                    pending_action = None
                    number = size = None
                elif table == "action" and self._changes_time(i):
                    pass  # 'day turning to night', 'night falls': the clip's light changes
                elif table == "action" and not negated:
                    result.understood.append(words)
                    if tuple(tokens[i : i + length]) in PHRASES:
                        self._phrase(tokens[i : i + length], negated, quiet=True)  # 'howling'

                    meant = self._verb_object(i + length, value)
                    if meant is not None:
                        value = meant
                    if not self._act(value, clause_start, sentence_start):
                        pending_action = value
                    clause_start = len(result.mentions)
                elif table == "phrase":
                    self._phrase(tokens[i : i + length], negated)
                    for aspect, value in PHRASES[tuple(tokens[i : i + length])][0]:
                        if aspect == "time_of_day" and not negated:
                            self.times.append((i, i + length, value))
                i += length
                continue
            if token in GROUP_WORDS and not self._names_a_kind_soon(i):
                self.used.add(i)
                kind, count = GROUP_WORDS[token]
                self._mention(kind, count, self._color(colors, i), 1.0, None, token, i)
                self._take_action(pending_action)
                pending_action = None
            elif token in ("he", "she") and not result.mentions:
                self.used.add(i)
                # 'she waves': a person the prompt never introduced.
                self._mention("person", 1, None, 1.0, None, token, i)
                self._take_action(pending_action)
                pending_action = None
            elif token in NUMBER_WORDS:
                self.used.add(i)
                number = (i, NUMBER_WORDS[token])
            elif token in SIZE_WORDS and not negated:
                self.used.add(i)
                size = (i, SIZE_WORDS[token])
                result.understood.append(token)
            elif token in COLOR_WORDS and not negated:
                self.used.add(i)
                colors.append((i, COLOR_WORDS[token]))
                result.understood.append(token)
            elif token in KIND_WORDS and not negated and self._is_subject(i):
                self.used.add(i)
                kind, plural = KIND_WORDS[token]
                count = self._count(number, i, plural)
                color = self._color(colors, i)
                scale = size[1] if size is not None and i - size[0] <= _REACH else 1.0
                self._mention(kind, count, color, scale, None, token, i)
                self._object_of(i)
                self._take_action(pending_action)
                pending_action = None
                number = size = None
            elif negated and (token in KIND_WORDS or token in COLOR_WORDS):
                self.used.add(i)  # 'no cars': understood, and shown by their absence
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
        limit = max(MAX_PHRASE_WORDS, MAX_KIND_WORDS, MAX_ACTION_WORDS, stand_in_words())
        table = stand_ins()
        before = tokens[i - 1] if i > 0 else ""
        introduced = before in ARTICLES or before in NUMBER_WORDS or before in COLOR_WORDS
        for length in range(min(limit, len(tokens) - i), 0, -1):
            words = tuple(tokens[i : i + length])
            if any(w in _BREAKS for w in words):
                continue
            if words in table and words not in KIND_PHRASES and words[0] not in GROUP_WORDS:
                # A noun with no figure of its own. A single word that is also a known word
                # ('pan', 'fly') is the noun only after an article: 'a pan', not 'pan left'.
                item = table[words]
                known = words[0] in KIND_WORDS
                clash = length == 1 and (
                    words in ACTION_PHRASES
                    or (
                        words in PHRASES
                        and any(a in _FRAMING_ASPECTS for a, _ in PHRASES[words][0])
                    )
                )
                plain = known and item.color is None and words not in PHRASES
                if length > 1 or not (plain or (clash and not introduced)):
                    return (length, "stand_in", "")  # 'robot vacuum', 'chef', 'fireworks'

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

    def _phrase(self, words: list[str], negated: bool, *, quiet: bool = False) -> None:
        result = self.result
        stated, implied = PHRASES[tuple(words)]
        text = " ".join(words)
        if quiet:
            # The words already named a subject: keep only what they imply (night, a boom).
            for a, v in (*stated, *implied):
                if a in ("sound", "time_of_day", "lighting"):
                    self._set(result.implied if a != "sound" else result.stated, a, v)
            return
        if not stated:
            # A hint ('medieval', bare 'water'): it only fills what the prompt leaves open.
            if not negated:
                result.understood.append(text)
                if text in _STEAM_WORDS:
                    self.steam = True  # a mist, unless something named draws its own steam
                    return
                for a, v in implied:
                    self._set(result.implied, a, v)
            return
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

    def _changes_time(self, i: int) -> bool:
        """Whether the verb at `i` says the light changes: it follows a time of day."""
        return bool(self.times) and self.times[-1][1] == i and self.tokens[i] in _CHANGE_WORDS

    def _time_change(self) -> None:
        """'day turning to night', 'sunset into night', 'from dusk to night', 'night falls'."""
        result, tokens = self.result, self.tokens
        for (_, end, first), (start, _, second) in itertools.pairwise(self.times):
            between = tokens[end:start]
            if (
                first != second
                and between
                and any(t in _CHANGE_WORDS or t in ("to", "into", "until") for t in between)
                and all(t in _CHANGE_WORDS or t in STOP_WORDS for t in between)
            ):
                result.stated["time_of_day"] = first
                result.time_change = second
                return
        for _, end, value in self.times:
            if end < len(tokens) and tokens[end] in _FALLS and value in _BEFORE:
                result.stated["time_of_day"] = next(
                    (v for _, _, v in self.times if v != value), _BEFORE[value]
                )
                result.time_change = value
                return

    def _held_pan(self, i: int, length: int) -> bool:
        item = stand_ins()[tuple(self.tokens[i : i + length])]
        return item.kind == "pan" and any(
            m.kind == "pan" and m.follows is not None for m in self.result.mentions
        )

    def _verb_object(self, j: int, action: str) -> str | None:
        """What a verb means for its subject when an object follows it.

        'children flying kites' hold kites (they walk, the kites fly); 'a puppy chasing a
        ball' runs after it. None when no object follows, or the verb takes none.
        """
        verb = self.tokens[j - 1]
        noun = self._next_noun(j)
        if noun is None:
            return None
        if verb in _HOLD_VERBS and noun in _HELD_KINDS:
            return "walk"
        if verb in _CHASE_VERBS:
            return "run"
        return None

    def _next_noun(self, j: int) -> str | None:
        """The kind of the noun at or just after token `j` (past articles, numbers, colours)."""
        tokens = self.tokens
        for k in range(j, min(len(tokens), j + 4)):
            token = tokens[k]
            for length in range(min(stand_in_words(), len(tokens) - k), 0, -1):
                words = tuple(tokens[k : k + length])
                if words in KIND_PHRASES:
                    return KIND_PHRASES[words]
                if words in stand_ins() and (length > 1 or words[0] not in KIND_WORDS):
                    return stand_ins()[words].kind
            if token in KIND_WORDS:
                return KIND_WORDS[token][0]
            if not (
                token in ARTICLES
                or token in NUMBER_WORDS
                or token in COLOR_WORDS
                or token in SIZE_WORDS
            ):
                return None
        return None

    def _object_of(self, i: int) -> None:
        """Link the mention just made at token `i` to the subject whose verb it is the object of."""
        tokens = self.tokens
        mentions = self.result.mentions
        new = len(mentions) - 1
        k = i - 1
        while (
            k >= 0
            and i - k <= 4
            and (
                tokens[k] in ARTICLES
                or tokens[k] in NUMBER_WORDS
                or tokens[k] in COLOR_WORDS
                or tokens[k] in SIZE_WORDS
            )
        ):
            k -= 1
        if k < 0 or not (tokens[k] in _HOLD_VERBS or tokens[k] in _CHASE_VERBS):
            return
        subject = None
        for j in range(k - 1, max(-1, k - 8), -1):
            if tokens[j] in _BREAKS:
                break
            if j in self.mention_at:
                subject = self.mention_at[j]
                break
        if subject is None:
            return
        if subject == new:
            return
        if tokens[k] in _CHASE_VERBS:
            mentions[subject].follows = new
            mentions[subject].action = mentions[subject].action or "run"
            if mentions[new].action is None and KINDS[mentions[new].kind].category != "building":
                mentions[new].action = "run"
        elif mentions[new].kind in _HELD_KINDS or tokens[k] in ("holding", "holds", "carrying"):
            mentions[new].follows = subject

    def _take_action(self, pending: str | None) -> None:
        if pending is not None:
            self.result.mentions[-1].action = pending

    def _act(self, action: str, clause_start: int, sentence_start: int) -> bool:
        """Give `action` to the subjects named since the last verb; False if there are none."""
        mentions = self.result.mentions
        targets = [m for m in mentions[clause_start:] if m.action is None and _acts(m, action)]
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

    # -- what was left out -------------------------------------------------------------------

    def finish(self) -> None:
        """List the content words nothing in the plan renders, as phrases in prompt order."""
        tokens = self.tokens
        result = self.result
        if "mars" in tokens or "martian" in tokens:
            result.world = "mars"
        elif "lunar" in tokens or any(
            tokens[k : k + 2] == ["the", "moon"] and tokens[k - 1] in ("on", "across", "over")
            for k in range(1, len(tokens))
        ):
            result.world = "moon"
        for k, token in enumerate(tokens):
            if token in ("earth", "earthrise", "planet") and (result.world or "space" in tokens):
                result.earth_in_sky = result.earth_in_sky or token != "planet"
                self.used.add(k)
        self._time_change()
        kinds = {m.kind for m in result.mentions}
        if self.steam and not kinds & _STEAMING_KINDS:
            self._set(result.implied, "weather", "fog")
        self._described(kinds)
        text = " ".join(tokens)
        result.on_water = any(
            f"{verb} on {place}" in text
            for verb in ("walks", "walking", "walk", "stands", "standing", "runs", "running")
            for place in ("water", "the water", "the sea", "the ocean", "the lake", "the waves")
        )
        phrase: list[str] = []
        missing: list[str] = []
        for i, token in enumerate(tokens):
            content = (
                i not in self.used
                and token not in SPEECH_VERBS
                and token not in _BREAKS
                and token not in STOP_WORDS
                and not token.isdigit()
            )
            if content:
                phrase.append(token)
            elif phrase:
                missing.append(" ".join(phrase))
                phrase = []
        if phrase:
            missing.append(" ".join(phrase))
        self.result.not_understood = list(dict.fromkeys(missing))

    def _described(self, kinds: set[str]) -> None:
        """Mark an age word understood when the subject right after it is drawn that way
        anyway: 'an elderly woman' is the adult figure 'an old woman' is (the plan says so),
        'an ancient castle' or 'a medieval bridge' the buildings the renderer draws."""
        for k, token in enumerate(self.tokens):
            wanted = _AGE_WORDS.get(token)
            if wanted is None or k in self.used:
                continue
            nxt = k + 1
            while nxt < len(self.tokens) and (
                self.tokens[nxt] in COLOR_WORDS or self.tokens[nxt] in SIZE_WORDS
            ):
                nxt += 1
            found = self.mention_at.get(nxt)
            if found is None:
                continue
            mention = self.result.mentions[found]
            if KINDS[mention.kind].category not in wanted:
                continue
            self.used.add(k)
            self.result.understood.append(token)
            if "person" in wanted:
                drawn = mention.drawn_as or "a person"
                self.result.substitutions.append(f"{token} {mention.word}: {drawn} (no age shown)")


def _acts(mention: Mention, action: str) -> bool:
    """Whether a verb can describe `mention`: trees and houses do not walk or dance."""
    category = KINDS[mention.kind].category
    return category not in ("plant", "building") or action in ("spin", "idle")
