"""The built-in term lists against a table of prompts (corpus/prompts.toml).

Reports the false-positive rate over allowed prompts and the false-negative rate per category
(printed with `pytest -s`, and recorded as properties for the JUnit report), and holds them to
thresholds: no false positive among the near misses, at most 2 % overall, at most 5 % missed per
category.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelbox.moderation.categories import BUILTIN_TEXT_CATEGORIES
from reelbox.moderation.terms import TermMatcher

CORPUS_PATH = Path(__file__).parent / "corpus" / "prompts.toml"
MAX_FALSE_POSITIVE_RATE = 0.02
MAX_FALSE_NEGATIVE_RATE = 0.05
MIN_BLOCKED_PER_CATEGORY = 25
MIN_ALLOWED = 150

Check = Callable[[str], frozenset[str]]


@dataclass(frozen=True)
class Corpus:
    blocked: list[tuple[str, str]]  # (category, prompt)
    known_misses: list[tuple[str, str]]
    near_miss: list[str]
    ordinary: list[str]


def read_corpus(path: Path = CORPUS_PATH) -> Corpus:
    with path.open("rb") as file:
        data = tomllib.load(file)

    def rows(table: dict[str, list[str]]) -> list[tuple[str, str]]:
        return [(category, prompt) for category, prompts in table.items() for prompt in prompts]

    return Corpus(
        blocked=rows(data["blocked"]),
        known_misses=rows(data.get("known_misses", {})),
        near_miss=data["allowed"]["near_miss"],
        ordinary=data["allowed"]["ordinary"],
    )


@dataclass(frozen=True)
class Rates:
    false_positives: list[str]
    near_miss_false_positives: list[str]
    allowed: int
    missed: dict[str, list[str]]
    per_category: dict[str, int]

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_positives) / self.allowed

    def false_negative_rate(self, category: str) -> float:
        return len(self.missed[category]) / self.per_category[category]

    def failures(self) -> list[str]:
        found = [f"near miss blocked: {prompt!r}" for prompt in self.near_miss_false_positives]
        if self.false_positive_rate > MAX_FALSE_POSITIVE_RATE:
            found.append(f"false-positive rate {self.false_positive_rate:.1%}")
        found += [
            f"{category}: false-negative rate {self.false_negative_rate(category):.1%}"
            for category in sorted(self.per_category)
            if self.false_negative_rate(category) > MAX_FALSE_NEGATIVE_RATE
        ]
        return found

    def summary(self) -> str:
        lines = [
            f"false positives: {len(self.false_positives)}/{self.allowed} allowed prompts "
            f"({self.false_positive_rate:.1%}); near misses: "
            f"{len(self.near_miss_false_positives)}"
        ]
        for category in sorted(self.per_category):
            lines.append(
                f"{category:>20}: missed {len(self.missed[category])}/"
                f"{self.per_category[category]} ({self.false_negative_rate(category):.1%})"
            )
        return "\n".join(lines)


def measure(check: Check, corpus: Corpus) -> Rates:
    per_category: dict[str, int] = {}
    missed: dict[str, list[str]] = {}
    for category, prompt in corpus.blocked + corpus.known_misses:
        per_category[category] = per_category.get(category, 0) + 1
        missed.setdefault(category, [])
        if category not in check(prompt):
            missed[category].append(prompt)
    near = [prompt for prompt in corpus.near_miss if check(prompt)]
    ordinary = [prompt for prompt in corpus.ordinary if check(prompt)]
    return Rates(
        false_positives=near + ordinary,
        near_miss_false_positives=near,
        allowed=len(corpus.near_miss) + len(corpus.ordinary),
        missed=missed,
        per_category=per_category,
    )


CORPUS = read_corpus()


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher.load()


def test_the_corpus_is_large_enough_for_its_thresholds() -> None:
    counts = {category: 0 for category in BUILTIN_TEXT_CATEGORIES}
    for category, _ in CORPUS.blocked + CORPUS.known_misses:
        assert category in counts, f"unknown category {category!r} in the corpus"
        counts[category] += 1
    assert min(counts.values()) >= MIN_BLOCKED_PER_CATEGORY, counts
    assert len(CORPUS.near_miss) + len(CORPUS.ordinary) >= MIN_ALLOWED


def test_rates_within_thresholds(
    matcher: TermMatcher, record_property: Callable[..., None]
) -> None:
    rates = measure(matcher.categories, CORPUS)
    print("\n" + rates.summary())
    record_property("false_positive_rate", round(rates.false_positive_rate, 4))
    for category in sorted(rates.per_category):
        record_property(f"false_negative_rate[{category}]", rates.false_negative_rate(category))
    assert rates.failures() == []


def test_the_thresholds_can_fail() -> None:
    """A check that blocks nothing, and one that blocks everything, must both be caught."""
    nothing = measure(lambda prompt: frozenset(), CORPUS)
    assert len(nothing.failures()) == len(BUILTIN_TEXT_CATEGORIES)
    everything = measure(lambda prompt: frozenset(BUILTIN_TEXT_CATEGORIES), CORPUS)
    assert "false-positive rate 100.0%" in everything.failures()
    assert len(everything.near_miss_false_positives) == len(CORPUS.near_miss)


@pytest.mark.parametrize(
    ("category", "prompt"),
    [
        *CORPUS.blocked,
        *(
            pytest.param(category, prompt, marks=pytest.mark.xfail(strict=True))
            for category, prompt in CORPUS.known_misses
        ),
    ],
)
def test_blocked_prompt_reports_its_category(
    matcher: TermMatcher, category: str, prompt: str
) -> None:
    assert category in matcher.categories(prompt)


@pytest.mark.parametrize("prompt", CORPUS.near_miss)
def test_near_miss_reports_nothing(matcher: TermMatcher, prompt: str) -> None:
    assert matcher.find(prompt) == []
