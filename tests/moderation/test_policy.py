"""Policies: which categories each blocks, by name and by parent category."""

from __future__ import annotations

import pytest

from reelbox.moderation import categories as c
from reelbox.moderation.policy import BUILTIN, build_policies

# (category, sora blocks it, standard blocks it)
TABLE = [
    (c.SEXUAL_MINORS, True, True),
    (c.SEXUAL, True, False),
    (c.VIOLENCE, True, False),
    (c.VIOLENCE_GRAPHIC, True, False),
    (c.SELF_HARM, True, True),
    ("self-harm/instructions", True, True),
    (c.HATE, True, True),
    ("hate/threatening", True, True),
    ("harassment/threatening", True, False),
    (c.REAL_PERSON_NAME, True, True),
    (c.REAL_PERSON_FACE, True, True),
    (c.COPYRIGHT_CHARACTER, True, False),
    (c.COPYRIGHT_MUSIC, True, False),
    ("illicit", False, False),
]


@pytest.mark.parametrize(("category", "sora", "standard"), TABLE)
def test_builtin_policies(category: str, sora: bool, standard: bool) -> None:
    assert BUILTIN["sora"].blocks(category) is sora
    assert BUILTIN["standard"].blocks(category) is standard
    assert not BUILTIN["off"].blocks(category)


def test_a_parent_does_not_match_a_longer_name() -> None:
    assert not c.covers("hate", "hateful")
    assert c.covers("hate", "hate/threatening")


def test_off_is_disabled_and_filters_everything() -> None:
    assert not BUILTIN["off"].enabled
    assert BUILTIN["off"].blocked_among([c.SEXUAL_MINORS]) == ()
    assert BUILTIN["sora"].blocked_among([c.SEXUAL, c.HATE, c.SEXUAL, "illicit"]) == (
        c.HATE,
        c.SEXUAL,
    )


def test_custom_policies_join_the_builtin_ones() -> None:
    policies = build_policies({"kids": ["sexual", "violence", "real-person", "copyright"]})
    assert set(policies) == {"sora", "standard", "off", "kids"}
    assert policies["kids"].blocks(c.COPYRIGHT_MUSIC) and not policies["kids"].blocks(c.HATE)
    with pytest.raises(ValueError, match="built in"):
        build_policies({"sora": ["sexual"]})


def test_descriptions_cover_every_builtin_category() -> None:
    for category in (*c.BUILTIN_TEXT_CATEGORIES, c.REAL_PERSON_FACE, c.UNCHECKED):
        assert category in c.DESCRIPTIONS
    assert c.describe("harassment/threatening") == "harassment (threatening)"
