"""The built-in term lists and the matcher that checks a text against them.

Term lists are plain-text files (`data/*.txt`; syntax in docs/moderation-terms.md and at the top
of every file): phrases that fire a category, exceptions that silence a category's phrases, named
groups of phrases, and co-occurrence rules over groups. `TermMatcher.load()` reads the packaged
lists and the operator's own; `find()` normalises a text once (`normalize.tokenize`) and walks its
words, looking each one up in indexes keyed by a term's first word or by the whole term glued into
one word, so a check costs about the same for ten terms as for ten thousand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import chain, islice, product
from pathlib import Path
from typing import Literal

from reelbox.moderation.categories import BUILTIN_TEXT_CATEGORIES
from reelbox.moderation.normalize import Token, tokenize

_MAX_EXPANSION = 512  # phrases one line with alternatives may stand for
_MAX_GLUE = 3  # short words glued back into one ("po rn", "se x")
_MAX_GLUINGS = 16
_MIN_PREFIX = 3
_NAME = re.compile(r"[a-z0-9][a-z0-9_/-]*")
_WHEN = re.compile(r"(\S+)\s+([&>])\s+(\S+)(?:\s+within\s+(\d+))?")
_COMMENT = re.compile(r"(?:^|\s)#.*")
_FAMILIES = frozenset(category.split("/")[0] for category in BUILTIN_TEXT_CATEGORIES)

_Found = set[tuple[int, int, int]]  # (term index, first token, token after the last)


@dataclass(frozen=True)
class Hit:
    """One rule that fired. `rule` ("sexual.txt:42") is for the audit log, never for users."""

    category: str
    rule: str


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    kind: Literal["exact", "prefix", "below"]
    limit: int = 0  # "below": a number word under this value

    def matches(self, token: Token) -> bool:
        if self.kind == "exact":
            return self.text in token.forms
        if self.kind == "prefix":
            return any(form.startswith(self.text) for form in token.forms)
        return token.number is not None and token.number < self.limit


@dataclass(frozen=True, slots=True)
class _Term:
    words: tuple[_Word, ...]
    category: str  # the section it was written in; an exception silences only its own section
    group: str  # a rule's group is its category
    role: Literal["rule", "member", "exception"]
    rule: str  # "file:line"


@dataclass(frozen=True, slots=True)
class _When:
    left: str
    right: str
    ordered: bool  # "A > B": B comes after A
    within: int | None  # most words between them, in one sentence; None: anywhere
    category: str
    rule: str

    def holds(self, seen: dict[str, set[tuple[int, int]]], tokens: Sequence[Token]) -> bool:
        for start, end in seen.get(self.left, ()):
            for other, other_end in seen.get(self.right, ()):
                if other < end and start < other_end:
                    continue  # one phrase cannot play both parts
                after = other >= end
                if self.ordered and not after:
                    continue
                if self.within is None:
                    return True
                gap = other - end if after else start - other_end
                if gap <= self.within and tokens[start].sentence == tokens[other].sentence:
                    return True
        return False


class TermMatcher:
    """Checks texts against term lists. Build it once with `load()`; it is read-only after."""

    def __init__(self, terms: Sequence[_Term], whens: Sequence[_When]) -> None:
        self._terms = tuple(terms)
        self._whens = tuple(whens)
        # Indexes from where a term starts to the term. `whole` holds every term made of exact
        # words, glued into one word (a one-word term is found there only); every longer term is
        # also in one of `pairs`, `first`, `prefix` or `numeric`, by its first word or two.
        pairs: defaultdict[tuple[str, str], list[int]] = defaultdict(list)  # two exact words
        first: defaultdict[str, list[int]] = defaultdict(list)  # exact word, then another kind
        prefix: defaultdict[str, list[int]] = defaultdict(list)
        whole: defaultdict[str, list[int]] = defaultdict(list)
        self._numeric: list[int] = []
        for index, term in enumerate(self._terms):
            head, *rest = term.words
            if all(word.kind == "exact" for word in term.words):
                whole["".join(word.text for word in term.words)].append(index)
            if head.kind == "exact" and rest and rest[0].kind == "exact":
                pairs[head.text, rest[0].text].append(index)
            elif head.kind == "exact" and rest:
                first[head.text].append(index)
            elif head.kind == "prefix":
                prefix[head.text].append(index)
            elif head.kind == "below":
                self._numeric.append(index)
        self._pairs, self._first = dict(pairs), dict(first)
        self._prefix, self._whole = dict(prefix), dict(whole)
        self._prefix_sizes = sorted({len(stem) for stem in prefix})

    @classmethod
    def load(cls, extra: Sequence[Path] = ()) -> TermMatcher:
        """The packaged lists plus the operator's files and directories (their `*.txt`)."""
        data = resources.files("reelbox").joinpath("moderation", "data")
        builtin = sorted((f for f in data.iterdir() if f.name.endswith(".txt")), key=_name)
        sources = [(f.name, f.read_text(encoding="utf-8")) for f in builtin]
        for path in extra:
            sources.extend((str(file), _read(file)) for file in _files(Path(path)))
        return cls.from_sources(sources)

    @classmethod
    def from_sources(cls, sources: Iterable[tuple[str, str]]) -> TermMatcher:
        """Build from (name, text) pairs in the term-list syntax; errors name "name:line"."""
        terms: list[_Term] = []
        whens: list[_When] = []
        for name, text in sources:
            _parse(name, text, terms, whens)
        groups = {term.group for term in terms if term.role != "exception"}
        for when in whens:
            for group in (when.left, when.right):
                if group not in groups:
                    raise ValueError(f"{when.rule}: @when names an unknown group {group!r}")
        return cls(terms, whens)

    def find(self, text: str) -> list[Hit]:
        """Every rule that fires on `text`, once each."""
        tokens = tokenize(text)
        found = self._scan(tokens)
        silenced: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        for index, start, end in found:
            if self._terms[index].role == "exception":
                silenced[self._terms[index].category].append((start, end))
        hits: set[Hit] = set()
        seen: defaultdict[str, set[tuple[int, int]]] = defaultdict(set)
        for index, start, end in found:
            term = self._terms[index]
            if term.role == "exception" or any(
                s < end and start < e for s, e in silenced.get(term.category, ())
            ):
                continue
            seen[term.group].add((start, end))
            if term.role == "rule":
                hits.add(Hit(term.category, term.rule))
        hits.update(Hit(w.category, w.rule) for w in self._whens if w.holds(seen, tokens))
        return sorted(hits, key=lambda hit: (hit.category, hit.rule))

    def categories(self, text: str) -> frozenset[str]:
        """The categories of `find(text)`."""
        return frozenset(hit.category for hit in self.find(text))

    def _scan(self, tokens: Sequence[Token]) -> _Found:
        found: _Found = set()
        for i, token in enumerate(tokens):
            after = tokens[i + 1].forms if i + 1 < len(tokens) else ()
            for form in token.forms:
                found.update((index, i, i + 1) for index in self._whole.get(form, ()))
                for second in after:
                    for index in self._pairs.get((form, second), ()):
                        self._extend(index, tokens, i, found)
                for index in self._first.get(form, ()):
                    self._extend(index, tokens, i, found)
                for index in self._prefixed(form):
                    self._extend(index, tokens, i, found)
            if token.number is not None:
                for index in self._numeric:
                    self._extend(index, tokens, i, found)
            if token.short:
                self._glue(tokens, i, found)
        return found

    def _prefixed(self, form: str) -> Iterable[int]:
        for size in self._prefix_sizes:
            if size > len(form):
                break
            yield from self._prefix.get(form[:size], ())

    def _extend(self, index: int, tokens: Sequence[Token], i: int, found: _Found) -> None:
        words = self._terms[index].words
        if not words[0].matches(tokens[i]) or i + len(words) > len(tokens):
            return
        if all(word.matches(tokens[i + k]) for k, word in enumerate(words[1:], 1)):
            found.add((index, i, i + len(words)))

    def _glue(self, tokens: Sequence[Token], i: int, found: _Found) -> None:
        """Short non-words read as one word ("po rn" -> "porn"): whole single-word terms only."""
        for j in range(i + 1, min(i + _MAX_GLUE, len(tokens))):
            if not tokens[j].short or tokens[j].sentence != tokens[i].sentence:
                return
            for parts in islice(product(*(t.forms for t in tokens[i : j + 1])), _MAX_GLUINGS):
                glued = "".join(parts)
                found.update((index, i, j + 1) for index in self._whole.get(glued, ()))
                found.update(
                    (index, i, j + 1)
                    for index in self._prefixed(glued)
                    if len(self._terms[index].words) == 1
                )


def _name(resource: object) -> str:
    return str(getattr(resource, "name", ""))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.glob("*.txt") if p.is_file())
    if path.is_file():
        return [path]
    raise ValueError(f"{path}: no such term file or directory")


def _parse(source: str, text: str, terms: list[_Term], whens: list[_When]) -> None:
    category: str | None = None
    group: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        where = f"{source}:{number}"
        try:
            if line.startswith("@"):
                directive, _, argument = line[1:].partition(" ")
                argument = argument.strip()
                if directive == "category":
                    category, group = _category(argument), None
                    continue
                if category is None:
                    raise ValueError("the file must declare @category first")
                if directive == "group":
                    group = _group_name(argument)
                elif directive == "terms" and not argument:
                    group = None
                elif directive == "when":
                    whens.append(_when(argument, category, where))
                else:
                    raise ValueError(f"unknown directive {line.split()[0]!r}")
                continue
            if category is None:
                raise ValueError("a term before any @category line")
            exception = line.startswith("!")
            role: Literal["rule", "member", "exception"] = (
                "exception" if exception else "member" if group else "rule"
            )
            for phrase in (line[1:] if exception else line).split(","):
                for words in _phrases(phrase):
                    terms.append(_Term(words, category, group or category, role, where))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


def _category(name: str) -> str:
    if name in BUILTIN_TEXT_CATEGORIES or (
        _NAME.fullmatch(name) and name.split("/")[0] in _FAMILIES
    ):
        return name
    known = ", ".join(sorted(_FAMILIES))
    raise ValueError(f"unknown category {name!r}: use one of {known} or a sub-category of one")


def _group_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad group name {name!r}: lower-case letters, digits, - _ /")
    return name


def _when(argument: str, category: str, where: str) -> _When:
    match = _WHEN.fullmatch(argument)
    if match is None:
        raise ValueError("expected '@when GROUP & GROUP [within N]' or '@when GROUP > GROUP ...'")
    left, operator, right, within = match.groups()
    return _When(
        _group_name(left),
        _group_name(right),
        operator == ">",
        None if within is None else int(within),
        category,
        where,
    )


def _phrases(text: str) -> list[tuple[_Word, ...]]:
    """One line's phrases: the product of each word's `|` alternatives."""
    text = text.strip()
    if not text:
        raise ValueError("an empty phrase")
    choices = [[_alternative(alt) for alt in raw.split("|")] for raw in text.split()]
    phrases = list(islice(product(*choices), _MAX_EXPANSION + 1))
    if len(phrases) > _MAX_EXPANSION:
        raise ValueError(f"the alternatives make more than {_MAX_EXPANSION} phrases")
    return [tuple(chain.from_iterable(phrase)) for phrase in phrases]


def _alternative(alt: str) -> tuple[_Word, ...]:
    """One alternative of one word: `<18`, `word`, `prefix*`; "self-harm" is two words."""
    if alt.startswith("<"):
        if not alt[1:].isdecimal():
            raise ValueError(f"{alt!r}: a number pattern is '<' and digits, like <18")
        return (_Word("", "below", int(alt[1:])),)
    is_prefix = alt.endswith("*")
    stem = alt[:-1] if is_prefix else alt
    if not stem or any(c in "*<>&" for c in stem):
        raise ValueError(f"bad word {alt!r}")
    words = [token.text for token in tokenize(stem)]
    if not words:
        raise ValueError(f"no word in {alt!r}")
    if not is_prefix:
        return tuple(_Word(word, "exact") for word in words)
    if len(words[-1]) < _MIN_PREFIX:
        raise ValueError(f"{alt!r}: a prefix needs at least {_MIN_PREFIX} letters")
    return (*(_Word(word, "exact") for word in words[:-1]), _Word(words[-1], "prefix"))
