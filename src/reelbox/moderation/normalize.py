"""Normalisation for the built-in term checks: many spellings of a word, one set of tokens.

People dodge word lists with look-alike spellings: fullwidth "NUDE", "pørn", "n@ked", "k1ll",
"s e x", "s.e.x", "seeeex", or an invisible character inside a word. `fold` undoes the
character-level tricks that have one answer (compatibility forms, diacritics, case, look-alike
letters, invisible characters). `tokenize` then splits the folded text into words and gives each
word every reading a person would see in it (`1` may be `i` or `l`), so the matcher compares whole
words only and "Scunthorpe", "Sussex" or "therapist" never contain a match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import islice, product

# Characters NFKD leaves alone that read as a plain Latin letter: Cyrillic and Greek look-alikes
# (escaped, as they look exactly like the letters they stand for), Latin letters whose mark is part
# of the letter (a stroke) rather than a combining mark, and typographic apostrophes.
_LOOKALIKE_LETTERS = (
    ("\u0430\u0432\u0435\u043a\u043c\u043d\u043e\u0440\u0441", "abekmhopc"),  # Cyrillic
    ("\u0442\u0443\u0445\u0455\u0456\u0458\u0501\u04cf", "tyxsijdl"),  # more Cyrillic
    ("\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03c9", "abeikvoptuxw"),
    ("\u00f8\u0111\u0127\u0131\u0142\u0140\u0251\u0261\u00f0", "odhillagd"),  # stroked
)
_LOOKALIKES = str.maketrans(
    {
        **{
            source: letter
            for sources, letters in _LOOKALIKE_LETTERS
            for source, letter in zip(sources, letters, strict=True)
        },
        "\u00e6": "ae",
        "\u0153": "oe",
        "\u00fe": "th",
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
    }
)
# Combining marks (diacritics once NFKD has split them off) and format characters (zero-width
# spaces and joiners, soft hyphens, direction marks): nobody sees them, so they split nothing.
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})

# Leetspeak: the letters a symbol or digit can stand for, most likely first.
_LEET = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "il", "|": "li", "+": "t", "€": "e",
}  # fmt: skip
_SYMBOLS = "".join(c for c in _LEET if not c.isalnum())
# A word: letters and digits, with leetspeak symbols and apostrophes inside it.
_WORD = re.compile(r"(?:[^\W_]|[" + re.escape(_SYMBOLS) + r"'])+")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d)")  # "1,000" is one number
# A number glued to its unit ("17yo", "4k", "1920s") is two words: the number matters alone.
_NUMBER_UNIT = re.compile(
    r"(\d+)(yo|yr|yrs|yro|year|years|yrold|yearold|s|st|nd|rd|th|am|pm|k|p|d|fps|mm|cm|km|kg|m|x)"
)
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")  # no English word has a letter three times in a row
_SENTENCE_END = ".?!;:"
_CLAUSE_END = _SENTENCE_END + ","  # a run of single letters stops at any of these
_CLOSERS = "\"')]}»"
_MAX_READINGS = 8
# Runs of single letters ("s e x", "k-i-l-l") are read as one word; a run may start with a real
# one-letter word ("a n u d e"), so up to this many leading letters may be dropped too.
_RUN_MIN = 3
_RUN_LEAD = 2
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        re.findall(
            r"\w+",
            """zero one two three four five six seven eight nine ten eleven twelve thirteen
            fourteen fifteen sixteen seventeen eighteen nineteen twenty""",
        )
    )
}
# Short words that are words in their own right: never glued to a neighbour ("pen is" stays
# two words; "po rn" does not).
_COMMON_SHORT = frozenset(
    re.findall(
        r"\w+",
        """a i an as at be by do go he if in is it me my no of oh ok on or so to up us we ye
        all and any are art ask bad big boy but can car cat cut day did dog eat end eye far few
        for fun get god got had has her him his hot how ill its let lot man may men new nor not
        now off old one our out own put ran red run sad saw say sea see set she sit six sky son
        sun ten the too top try two use via war was way who why win yes yet you""",
    )
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text, in every reading worth matching; `forms[0]` is the plain reading."""

    forms: tuple[str, ...]
    number: int | None  # the value of a number word ("17", "seventeen")
    sentence: int  # words in different sentences are never "near" each other
    short: bool  # a short non-word that may be glued to its neighbours ("po rn")

    @property
    def text(self) -> str:
        return self.forms[0]


def fold(text: str) -> str:
    """Lower-case, compatibility-decomposed text without diacritics or invisible characters."""
    if text.isascii():
        return text.lower().replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    visible = "".join(c for c in decomposed if unicodedata.category(c) not in _INVISIBLE)
    return visible.casefold().translate(_LOOKALIKES)


def readings(word: str) -> tuple[str, ...]:
    """Every plausible reading of one folded word: as written, decoded leetspeak, unstretched."""
    plain = _plain(word)
    plain_word = plain.isalpha() and plain.isascii() and not _STRETCH.search(plain)
    if plain_word and (word == plain or not any(c in _LEET for c in word)):
        return (plain,)
    found = [plain] if plain.isalnum() else []
    if any(c.isalpha() for c in word) and any(c in _LEET for c in word):
        # A "!" after a word ends a sentence; before or inside one it may be an "i".
        for source in dict.fromkeys((plain, word.rstrip("!").replace("'", ""))):
            found.extend(_decoded(source))
    found.extend(variant for form in tuple(found) for variant in _unstretched(form))
    return tuple(dict.fromkeys(form for form in found if form.isalnum()))


def tokenize(text: str) -> list[Token]:
    """The words of `text` in order, each with its readings, number and sentence."""
    pieces: list[tuple[str, int, int]] = []  # (word, sentence, clause)
    sentence = clause = 0
    for line in fold(text).splitlines():
        for chunk in line.split():
            words = _WORD.findall(_DIGIT_GROUP.sub("", chunk))
            for word in words:
                unit = _NUMBER_UNIT.fullmatch(word)
                parts = unit.groups() if unit else (word,)
                pieces.extend((part, sentence, clause) for part in parts)
            end = chunk.rstrip(_CLOSERS)[-1:]
            if words and end in _SENTENCE_END:
                sentence += 1
            if end in _CLAUSE_END:
                clause += 1
        sentence += 1
        clause += 1
    return _tokens(pieces)


def _plain(word: str) -> str:
    """The word without edge punctuation, possessive "'s" or apostrophes."""
    word = word.strip(_SYMBOLS + "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


def _decoded(word: str) -> list[str]:
    options = [_LEET.get(c, c) for c in word]
    return ["".join(letters) for letters in islice(product(*options), _MAX_READINGS)]


def _unstretched(word: str) -> list[str]:
    """"seeeex" -> "sex", "seex"; "kiiilll" -> ..., "kill", ...: each long run as one or two."""
    parts = _STRETCH.split(word)  # [text, letter, text, letter, ..., text]
    if len(parts) == 1:
        return []
    runs = parts[1::2]
    choices = product((1, 2), repeat=len(runs)) if len(runs) <= 3 else iter(((1,) * len(runs),))
    variants = []
    for counts in choices:
        pieces = [parts[0]]
        for letter, count, after in zip(runs, counts, parts[2::2], strict=True):
            pieces += [letter * count, after]
        variants.append("".join(pieces))
    return variants


def _tokens(pieces: list[tuple[str, int, int]]) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(pieces):
        j = i
        while j < len(pieces) and len(pieces[j][0]) == 1 and pieces[j][2] == pieces[i][2]:
            j += 1
        if j - i >= _RUN_MIN:
            joined = "".join(piece for piece, _, _ in pieces[i:j])
            starts = range(min(_RUN_LEAD, len(joined) - _RUN_MIN) + 1)
            forms = tuple(dict.fromkeys(f for k in starts for f in readings(joined[k:])))
            if forms:
                tokens.append(Token(forms, None, pieces[i][1], short=False))
            i = j
            continue
        word, sentence, _ = pieces[i]
        forms = readings(word)
        if forms:
            tokens.append(_token(word, forms, sentence))
        i += 1
    return tokens


def _token(word: str, forms: tuple[str, ...], sentence: int) -> Token:
    plain = forms[0]
    number = int(plain) if plain.isdecimal() and plain.isascii() else _NUMBER_WORDS.get(plain)
    short = number is None and len(word) <= 3 and plain not in _COMMON_SHORT
    return Token(forms, number, sentence, short)
