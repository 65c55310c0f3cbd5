"""Normalisation: one set of words for the many spellings of a text."""

from __future__ import annotations

import pytest

from reelbox.moderation.normalize import fold, readings, tokenize


def words(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


def forms(text: str) -> list[tuple[str, ...]]:
    return [token.forms for token in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Beyoncé", "beyonce"),
        ("pørn", "porn"),
        ("\uff2e\uff35\uff24\uff25", "nude"),  # fullwidth
        ("n\u200bu\u200dde\ufeff", "nude"),  # zero-width space, joiner, BOM
        ("STRASSE Straße", "strasse strasse"),
        ("\u0441\u0435\u0445 \u03bd\u03bf", "cex vo"),  # Cyrillic and Greek look-alikes
        ("ﬁre", "fire"),  # ligature
        ("\U0001d42c\U0001d41e\U0001d431", "sex"),  # mathematical bold
        ("it\u2019s", "it's"),  # typographic apostrophe
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_split_on_boundaries_and_never_inside_a_word() -> None:
    assert words("Scunthorpe, Sussex; a therapist's sextant!") == [
        "scunthorpe",
        "sussex",
        "a",
        "therapist",
        "sextant",
    ]


def test_possessives_and_apostrophes() -> None:
    assert words("Obama's speech, don't stop, Sweet Child O' Mine") == [
        "obama",
        "speech",
        "dont",
        "stop",
        "sweet",
        "child",
        "o",
        "mine",
    ]


@pytest.mark.parametrize(
    ("word", "reading"),
    [
        ("n@ked", "naked"),
        ("p0rn", "porn"),
        ("$ex", "sex"),
        ("s3x", "sex"),
        ("k!ll", "kill"),
        ("5uicide", "suicide"),
        ("+orture", "torture"),
        ("8ehead", "behead"),
    ],
)
def test_leetspeak(word: str, reading: str) -> None:
    assert reading in readings(word)


def test_an_ambiguous_digit_gives_each_reading() -> None:
    assert {"kill", "klll"} <= set(readings("k1ll"))
    assert {"slut", "siut"} <= set(readings("s1ut"))


def test_the_plain_reading_comes_first_and_punctuation_is_not_a_letter() -> None:
    assert readings("kill!")[0] == "kill"
    assert readings("4k")[0] == "4k"
    assert readings("hello") == ("hello",)


def test_numbers_are_not_read_as_leetspeak() -> None:
    assert forms("1080 and 555") == [("1080",), ("and",), ("555",)]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("s e x", "sex"),
        ("s.e.x", "sex"),
        ("k-i-l-l", "kill"),
        ("n_u_d_e", "nude"),
        ("p o r n", "porn"),
        ("N.U.D.E.", "nude"),
        ("s 3 x", "sex"),
    ],
)
def test_spaced_and_dotted_letters_join_into_one_word(text: str, word: str) -> None:
    (token,) = tokenize(text)
    assert word in token.forms


def test_a_spaced_word_may_follow_a_one_letter_word() -> None:
    (token, woman) = tokenize("a n u d e woman")
    assert "nude" in token.forms
    assert woman.text == "woman"


def test_two_single_letters_stay_apart_and_a_comma_ends_a_run() -> None:
    assert words("Plan B, U.S. road trip") == ["plan", "b", "u", "s", "road", "trip"]
    assert words("a, b, c") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("word", "reading"),
    [("seeeex", "sex"), ("kiiiilll", "kill"), ("nuuuuude", "nude"), ("poooorn", "porn")],
)
def test_stretched_letters(word: str, reading: str) -> None:
    assert reading in readings(word)


def test_hyphenated_words_are_separate_words() -> None:
    assert words("self-harm war-like") == ["self", "harm", "war", "like"]


def test_numbers_glued_to_units_and_number_words() -> None:
    tokens = tokenize("a 17yo, 1,000 people, twelve-year-old, 1920s")
    assert [(t.text, t.number) for t in tokens] == [
        ("a", None),
        ("17", 17),
        ("yo", None),
        ("1000", 1000),
        ("people", None),
        ("twelve", 12),
        ("year", None),
        ("old", None),
        ("1920", 1920),
        ("s", None),
    ]


def test_sentences_and_lines() -> None:
    tokens = tokenize("Kill the engine. The man walks\nhome now")
    assert [t.sentence for t in tokens] == [0, 0, 0, 1, 1, 1, 2, 2]


def test_short_non_words_may_be_glued() -> None:
    short = {t.text: t.short for t in tokenize("po rn in the oak is 1 seventeen")}
    assert short == {
        "po": True,
        "rn": True,
        "in": False,
        "the": False,
        "oak": True,
        "is": False,
        "1": False,
        "seventeen": False,
    }


def test_symbols_alone_are_not_words() -> None:
    assert words("wow !!! @ $ — ok") == ["wow", "ok"]
