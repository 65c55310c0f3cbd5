"""The term-list syntax and the matcher, on small lists written here and on the built-in lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelbox.moderation import categories as c
from reelbox.moderation.terms import Hit, TermMatcher


def matcher(text: str, name: str = "t.txt") -> TermMatcher:
    return TermMatcher.from_sources([(name, text)])


@pytest.fixture(scope="module")
def builtin() -> TermMatcher:
    return TermMatcher.load()


# Syntax


def test_a_phrase_fires_its_category_with_the_line_as_rule() -> None:
    m = matcher("# comment\n@category sexual\n\nnude\nbare breasts  # trailing comment\n")
    assert m.find("a NUDE model") == [Hit(c.SEXUAL, "t.txt:4")]
    assert m.find("bare breasts") == [Hit(c.SEXUAL, "t.txt:5")]
    assert m.find("bare feet, breasts") == []
    assert m.categories("nude, bare breasts") == frozenset({c.SEXUAL})


def test_every_rule_that_fires_is_reported_once() -> None:
    m = matcher("@category sexual\nnude\nnaked\n")
    assert m.find("nude nude naked nude") == [
        Hit(c.SEXUAL, "t.txt:2"),
        Hit(c.SEXUAL, "t.txt:3"),
    ]


def test_prefix_alternatives_and_commas() -> None:
    m = matcher("@category violence/graphic\ndecapitat*\nsevered head|heads, gore\n")
    assert m.categories("decapitation") == {c.VIOLENCE_GRAPHIC}
    assert m.categories("they decapitated it") == {c.VIOLENCE_GRAPHIC}
    assert m.categories("severed heads") == {c.VIOLENCE_GRAPHIC}
    assert m.categories("gore") == {c.VIOLENCE_GRAPHIC}
    assert m.categories("decap") == frozenset()
    assert m.categories("severed gore") == {c.VIOLENCE_GRAPHIC}
    assert m.categories("severed arm") == frozenset()


def test_a_prefix_matches_only_at_the_start_of_a_word() -> None:
    m = matcher("@category sexual\nporn*\n")
    assert m.categories("pornography") == {c.SEXUAL}
    assert m.categories("a popcorn stand") == frozenset()


def test_number_below() -> None:
    m = matcher("@category sexual/minors\n<18 year old\n")
    assert m.categories("a 17 year old") == {c.SEXUAL_MINORS}
    assert m.categories("a seventeen-year-old") == {c.SEXUAL_MINORS}
    assert m.categories("an 18 year old") == frozenset()
    assert m.categories("a 40-year-old") == frozenset()


def test_words_in_data_are_normalised_like_text() -> None:
    m = matcher("@category real-person/name\nBeyoncé\nself-harm\nr2-d2\n")
    assert m.categories("beyonce") == {c.REAL_PERSON_NAME}
    assert m.categories("BEYONCÉ") == {c.REAL_PERSON_NAME}
    assert m.categories("self harm") == {c.REAL_PERSON_NAME}
    assert m.categories("R2-D2") == {c.REAL_PERSON_NAME}


def test_a_multi_word_term_also_matches_glued_into_one_word() -> None:
    m = matcher("@category hate\nheil hitler\n@category self-harm\nself harm\n")
    assert m.categories("#heilhitler") == {c.HATE}
    assert m.categories("selfharm") == {c.SELF_HARM}


def test_short_fragments_glue_back_but_words_do_not() -> None:
    m = matcher("@category sexual\nporn\npenis\n")
    assert m.categories("po rn") == {c.SEXUAL}
    assert m.categories("a pen is on the desk") == frozenset()


# Exceptions


def test_an_exception_silences_matches_that_touch_it() -> None:
    m = matcher("@category sexual\nnaked\n!naked eye\n!naked mole rat|rats\n")
    assert m.find("visible to the naked eye") == []
    assert m.find("naked mole rats") == []
    assert m.find("a naked man looks with the naked eye") == [Hit(c.SEXUAL, "t.txt:2")]


def test_an_exception_silences_only_its_own_category() -> None:
    text = (
        "@category self-harm\nsuicide\n!suicide squad\n"
        "@category copyright/character\nsuicide squad\n"
    )
    assert matcher(text).categories("the Suicide Squad") == {c.COPYRIGHT_CHARACTER}


# Groups and co-occurrence


GROUPS = """
@category sexual
nude
@category sexual/minors
@group minor
child, <18 year old
@terms
@when minor & sexual
@category violence
@group act
shoot|shoots
@group person
man, woman
@terms
@when act > person within 2
!shoot* a film
"""


def test_a_group_does_not_fire_alone() -> None:
    m = matcher(GROUPS)
    assert m.find("a child in the park") == []
    assert m.find("the man shoots") == []


def test_co_occurrence_anywhere() -> None:
    m = matcher(GROUPS)
    assert m.categories("a nude child") == {c.SEXUAL, c.SEXUAL_MINORS}
    assert m.categories("nude art. Later, a 12 year old visits") == {c.SEXUAL, c.SEXUAL_MINORS}
    assert m.categories("nude art. A 30 year old visits") == {c.SEXUAL}


def test_ordered_window() -> None:
    m = matcher(GROUPS)
    assert m.categories("he shoots the man") == {c.VIOLENCE}
    assert m.categories("he shoots the tall old man") == frozenset()  # 3 words between
    assert m.categories("the man shoots a can") == frozenset()  # wrong order
    assert m.categories("shoots. The man runs") == frozenset()  # another sentence
    assert m.find("shoot a film of a woman")[:1] == []  # exception


def test_unordered_window() -> None:
    m = matcher("@category violence\n@group a\nred\n@group b\nblue\n@terms\n@when a & b within 1\n")
    assert m.categories("blue then red") == {c.VIOLENCE}
    assert m.categories("red then blue") == {c.VIOLENCE}
    assert m.categories("red and then blue") == frozenset()


def test_groups_merge_across_files() -> None:
    m = TermMatcher.from_sources(
        [
            ("a.txt", "@category violence\n@group act\nkill\n@terms\n@when act > target\n"),
            ("b.txt", "@category violence\n@group target\nmonkey\n"),
        ]
    )
    assert m.find("kill the monkey") == [Hit(c.VIOLENCE, "a.txt:5")]


# Errors


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("nude\n", 1, "before any @category"),
        ("@group x\n", 1, "@category first"),
        ("@category sexy\n", 1, "unknown category"),
        ("@category sexual\n@color red\n", 2, "unknown directive"),
        ("@category sexual\n\n@when a b\n", 3, "expected"),
        ("@category sexual\n@when a & sexual within x\n", 2, "expected"),
        ("@category sexual\n@group Bad Name\n", 2, "bad group name"),
        ("@category sexual\na*\n", 2, "at least 3 letters"),
        ("@category sexual\na**\n", 2, "bad word"),
        ("@category sexual\n<x\n", 2, "number pattern"),
        ("@category sexual\nnude||naked\n", 2, "bad word"),
        ("@category sexual\n!\n", 2, "empty phrase"),
        ("@category sexual\nnude, , naked\n", 2, "empty phrase"),
        ("@category sexual\n---\n", 2, "no word"),
        ("@category sexual\n" + "a|b|c|d|e " * 5 + "\n", 2, "more than"),
        ("@category sexual\nnude\n@when sexual & nowhere\n", 3, "unknown group 'nowhere'"),
    ],
)
def test_syntax_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^bad\.txt:{line}: .*{message}"):
        matcher(text, name="bad.txt")


def test_sub_categories_of_known_families_are_allowed() -> None:
    m = matcher("@category copyright/brand\nacme rocket skates\n")
    assert m.categories("Acme Rocket Skates") == {"copyright/brand"}


# Operator files


def test_load_adds_operator_files_and_directories(tmp_path: Path) -> None:
    brands = tmp_path / "our-brands.txt"
    brands.write_text("# our trademarks\n@category copyright/character\nsparky the otter\n")
    folder = tmp_path / "terms.d"
    folder.mkdir()
    (folder / "people.txt").write_text("@category real-person/name\njane q operator\n")
    (folder / "notes.md").write_text("not a term list")
    # An operator file may add to a built-in group: now "stab the clerk" is violence.
    (folder / "targets.txt").write_text("@category violence\n@group person\nclerk\n")
    m = TermMatcher.load(extra=[brands, folder])
    assert m.find("Sparky the Otter waves") == [Hit(c.COPYRIGHT_CHARACTER, f"{brands}:3")]
    assert m.categories("Jane Q. Operator") == {c.REAL_PERSON_NAME}
    assert c.VIOLENCE in m.categories("they stab the clerk")
    assert c.VIOLENCE not in TermMatcher.load().categories("they stab the clerk")
    assert m.categories("Pikachu") == {c.COPYRIGHT_CHARACTER}  # built-ins still there


def test_a_bad_operator_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("@category copyright/character\nfine\nfine too\n@when a | b\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(bad))}:4: "):
        TermMatcher.load(extra=[bad])


def test_a_missing_operator_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such term file"):
        TermMatcher.load(extra=[tmp_path / "missing.txt"])


def test_an_operator_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("@category real-person/name\nBeyonc\u00e9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=rf"^{re.escape(str(latin1))}: not UTF-8"):
        TermMatcher.load(extra=[latin1])


# The built-in lists


def test_builtin_lists_report_only_builtin_categories(builtin: TermMatcher) -> None:
    reported = {term.category for term in builtin._terms} | {w.category for w in builtin._whens}
    assert reported == set(c.BUILTIN_TEXT_CATEGORIES)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("k1ll the man", c.VIOLENCE),
        ("a 12yo in lingerie", c.SEXUAL_MINORS),
        ("s\u200be\u200bx", c.SEXUAL),
        ("Beyonce", c.REAL_PERSON_NAME),
        ("Super Mario Bros", c.COPYRIGHT_CHARACTER),
        ("singing Let It Go", c.COPYRIGHT_MUSIC),
        ("Let It Go karaoke", c.COPYRIGHT_MUSIC),
    ],
)
def test_builtin_examples(builtin: TermMatcher, text: str, category: str) -> None:
    assert category in builtin.categories(text)


@pytest.mark.parametrize(
    "text",
    ["a man named Mario", "a swift fox", "a trump card", "Let it go, she told herself", "Ironman"],
)
def test_builtin_innocent_examples(builtin: TermMatcher, text: str) -> None:
    assert builtin.find(text) == []


def test_builtin_long_text(builtin: TermMatcher) -> None:
    text = " ".join(["a calm lake at dawn with mist over the water."] * 90) + " then porn"
    assert len(text) > 4000
    assert builtin.categories(text) == {c.SEXUAL}
