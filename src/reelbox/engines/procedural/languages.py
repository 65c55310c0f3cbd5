"""Prompts in Spanish, French, German, Portuguese, Japanese and Chinese, read as English.

Each language has a data file (`data/languages/<code>.tsv`: a foreign word or phrase, the
English the planner knows, and for Japanese and Chinese a role). `to_english` guesses the
language from the words it knows and rewrites what it recognises into English words, leaving
everything else in place (so words it does not know still reach `not_understood`).

Spanish, French, German and Portuguese are matched on whole words, longest phrase first.
Japanese and Chinese have no spaces: terms are matched as substrings, longest first, and a verb
standing right before a noun describes it (「踊る猫」 is "cat dancing", as in English "a cat
dancing"). The tables are read once, on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

LATIN = ("es", "fr", "de", "pt")
CJK = ("ja", "zh")
_WORD = re.compile(r"[^\W_]+|[.!?;]")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_STOPS = frozenset("\u3002\uff01\uff1f!?.;\uff1b")  # sentence ends, full-width ones too
_BRACKETS = frozenset("\u300c\u300d\u300e\u300f\uff08\uff09()")
_KANA = re.compile(r"[\u3040-\u30ff]")
# English words that a foreign table also lists: they do not count as evidence of the language.
_SHARED = frozenset(
    {"a", "the", "in", "on", "at", "of", "and", "or", "with", "over", "under", "to", "is", "it"}
    | {"son", "robot", "astronaut", "wind", "park", "train", "dragon", "jungle", "person"}
    | {"ball", "auto", "wolf", "see", "die", "das", "boot", "art", "close", "travelling"}
)


@dataclass(frozen=True)
class Term:
    english: str
    role: str  # "n" noun/other word, "v" verb, "x" particle or filler


@cache
def table(code: str) -> dict[str, Term]:
    """The language's terms: lower-case foreign text -> its English and role."""
    text = resources.files(__package__).joinpath(f"data/languages/{code}.tsv").read_text("utf-8")
    terms: dict[str, Term] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        foreign = " ".join(_WORD.findall(fields[0].lower())) if code in LATIN else fields[0]
        english = fields[1].strip() if len(fields) > 1 else ""
        role = fields[2].strip() if len(fields) > 2 else "n"
        terms.setdefault(foreign, Term(english, role))
    return terms


@cache
def _longest(code: str) -> int:
    return max(len(t.split()) if code in LATIN else len(t) for t in table(code))


def detect(text: str) -> str | None:
    """The language of `text` among the six, or None for English (or unknown)."""
    if _CJK_CHAR.search(text):
        return "ja" if _KANA.search(text) else _cjk_guess(text)
    words = [w for w in _WORD.findall(text.lower()) if w.isalpha()]
    if not words:
        return None
    best, score = None, 0
    for code in LATIN:
        known = table(code)
        hits = sum(1 for w in words if w in known and w not in _SHARED)
        if hits > score:
            best, score = code, hits
    # More of its words than English ones, and two of them (unless the prompt is that short).
    english = sum(1 for w in words if _english(w))
    return best if score > english and score >= min(2, len(words)) else None


def _english(word: str) -> bool:
    from reelbox.engines.procedural.kinds import KIND_WORDS
    from reelbox.engines.procedural.subject_words import COLOR_WORDS, STOP_WORDS
    from reelbox.engines.procedural.vocabulary import PHRASES

    return word in STOP_WORDS or word in KIND_WORDS or word in COLOR_WORDS or (word,) in PHRASES


def _cjk_guess(text: str) -> str:
    ja = sum(len(t) for t in table("ja") if len(t) > 1 and t in text)
    zh = sum(len(t) for t in table("zh") if len(t) > 1 and t in text)
    return "ja" if ja > zh else "zh"


def to_english(text: str, language: str | None = None) -> str:
    """`text` with the words of its language (detected unless given) replaced by English."""
    code = language or detect(text)
    if code is None:
        return text
    if code in CJK:
        return _cjk(text, code)
    return _latin(text, code)


def _latin(text: str, code: str) -> str:
    terms = table(code)
    words = _WORD.findall(text.lower())
    out: list[str] = []
    i = 0
    longest = _longest(code)
    while i < len(words):
        for length in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + length])
            term = terms.get(phrase)
            if term is not None:
                if term.english:
                    out.append(term.english)
                i += length
                break
        else:
            out.append(words[i])
            i += 1
    if code in _ADJECTIVES_AFTER:
        _adjectives_first(out)
    return " ".join(out)


# Languages whose colour and size words follow the noun ('un caballo blanco').
_ADJECTIVES_AFTER = frozenset({"es", "fr", "pt"})


def _adjectives_first(words: list[str]) -> None:
    """'horse white' -> 'white horse', in place, as the English reader expects."""
    from reelbox.engines.procedural.kinds import KIND_WORDS
    from reelbox.engines.procedural.subject_words import COLOR_WORDS, SIZE_WORDS

    for k in range(1, len(words)):
        if (words[k] in COLOR_WORDS or words[k] in SIZE_WORDS) and words[k - 1] in KIND_WORDS:
            words[k - 1], words[k] = words[k], words[k - 1]


def _cjk(text: str, code: str) -> str:
    terms = table(code)
    longest = _longest(code)
    pieces: list[tuple[str, str, str]] = []  # (foreign, english, role); unknown runs: role "?"
    unknown = ""

    def flush() -> None:
        nonlocal unknown
        if unknown:
            pieces.append((unknown, unknown, "?"))
            unknown = ""

    i = 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 0, -1):
            foreign = text[i : i + length]
            term = terms.get(foreign)
            if term is not None:
                flush()
                pieces.append((foreign, term.english, term.role))
                i += length
                break
        else:
            char = text[i]
            if char in _STOPS:
                flush()
                pieces.append((char, ".", "x"))
            elif char.isspace() or char in _BRACKETS:
                flush()
            else:
                unknown += char
            i += 1
    flush()
    # A verb describing the noun after it ("踊る猫", "跳舞的猫") goes after it, as in English
    # "a cat dancing". In Japanese the verb stands right before the noun; in Chinese 的 joins
    # them (a bare verb before a noun is its object there: "追球" is chasing a ball).
    ordered: list[str] = []
    k = 0
    while k < len(pieces):
        _, english, role = pieces[k]
        if role == "v":
            j = k + 1
            if code == "zh" and j < len(pieces) and pieces[j][0] == "的":
                j += 1
            elif code == "zh":
                j = len(pieces)
            if j < len(pieces) and pieces[j][2] == "n":
                ordered += [pieces[j][1], english]
                k = j + 1
                continue
        ordered.append(english)
        k += 1
    return " ".join(w for w in ordered if w)
