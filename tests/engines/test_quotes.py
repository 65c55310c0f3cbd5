"""Finding quoted lines in a prompt and who says them (engines/procedural/quotes.py)."""

from __future__ import annotations

from reelbox.engines.procedural.quotes import dialogue_spans, gaps


def test_every_kind_of_quote_is_found_with_its_place() -> None:
    prompt = 'a "one" b \u201ctwo\u201d c «three» d \u2018four\u2019 e \u300cfive\u300d f'
    spans = dialogue_spans(prompt)
    assert [text for _, _, text in spans] == ["one", "two", "three", "four", "five"]
    assert all(prompt[a:b].endswith(prompt[b - 1]) and text in prompt[a:b] for a, b, text in spans)
    outside = "".join(prompt[a:b] for a, b in gaps(spans, len(prompt)))
    assert outside.split() == ["a", "b", "c", "d", "e", "f"]


def test_a_colon_is_dialogue_only_after_a_speech_verb() -> None:
    assert [t for _, _, t in dialogue_spans("she whispers: good night")] == ["good night"]
    assert dialogue_spans("Style: anime, a fox in a forest") == []


def test_a_prompt_wholly_in_corner_quotes_is_not_dialogue() -> None:
    assert (
        dialogue_spans("\u300c\u685c\u306e\u6728\u306e\u4e0b\u3067\u8e0a\u308b\u732b\u300d") == []
    )
    assert dialogue_spans("\u732b\u304c\u300c\u306b\u3083\u3042\u300d\u3068\u8a00\u3046") != []
