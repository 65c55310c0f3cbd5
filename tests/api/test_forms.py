from __future__ import annotations

import pytest

from reelbox.api.forms import _fold
from reelbox.errors import InvalidRequest


def test_plain_fields_pass_through() -> None:
    assert _fold([("prompt", "a cat"), ("seconds", "8")]) == {"prompt": "a cat", "seconds": "8"}


def test_bracketed_keys_become_objects() -> None:
    folded = _fold([("prompt", "x"), ("input_reference[image_url]", "data:…"), ("video[id]", "v")])
    assert folded == {
        "prompt": "x",
        "input_reference": {"image_url": "data:…"},
        "video": {"id": "v"},
    }


def test_indexed_and_empty_brackets_become_lists() -> None:
    assert _fold([("characters[0][id]", "a"), ("characters[1][id]", "b")]) == {
        "characters": [{"id": "a"}, {"id": "b"}]
    }
    assert _fold([("characters[][id]", "a"), ("characters[][id]", "b")]) == {
        "characters": [{"id": "a"}, {"id": "b"}]
    }


def test_repeated_plain_keys_become_lists() -> None:
    assert _fold([("files", "a"), ("files", "b")]) == {"files": ["a", "b"]}


def test_conflicting_shapes_are_rejected() -> None:
    with pytest.raises(InvalidRequest):
        _fold([("video", "x"), ("video[id]", "y")])
