"""Field validation words its errors exactly as the OpenAI API does (SORA_API.md A2, A6)."""

from __future__ import annotations

import pytest

from reelbox.api import validation as v
from reelbox.engines.base import Capabilities
from reelbox.engines.catalog import ResolvedModel
from reelbox.errors import InvalidRequest
from reelbox.jobs.spec import Mode

CAPS = Capabilities(modes=frozenset(Mode), sizes=None, seconds=None, min_seconds=1, max_seconds=20)
SORA = ResolvedModel(name="sora-2", profile="p", capabilities=CAPS, sora=True, pro=False)
PRO = ResolvedModel(name="sora-2-pro", profile="p", capabilities=CAPS, sora=True, pro=True)
OPEN = ResolvedModel(name="tiny", profile="tiny", capabilities=CAPS, sora=False, pro=False)


def test_quoted_list() -> None:
    assert v.quoted_list(["4", "8", "12"]) == "'4', '8', and '12'"
    assert v.quoted_list(["4", "8", "12"], "or") == "'4', '8', or '12'"
    assert v.quoted_list(["a", "b"]) == "'a' and 'b'"


def test_size_outside_the_enum() -> None:
    with pytest.raises(InvalidRequest) as info:
        v.size("1920x1080", SORA)
    assert info.value.message == (
        "Invalid value: '1920x1080'. Supported values are: '720x1280', '1280x720', "
        "'1024x1792', and '1792x1024'."
    )
    assert info.value.param == "size" and info.value.code == "invalid_value"


def test_pro_sizes_need_a_pro_model() -> None:
    assert v.size("1792x1024", PRO) == (1792, 1024)
    with pytest.raises(InvalidRequest, match="supports '720x1280' and '1280x720'"):
        v.size("1792x1024", SORA)


def test_default_size_is_portrait() -> None:
    assert v.size(None, SORA) == (720, 1280)


def test_seconds_messages() -> None:
    with pytest.raises(InvalidRequest) as info:
        v.seconds("15", SORA)
    assert info.value.message == "Invalid value: '15'. Supported values are: '4', '8', and '12'."
    with pytest.raises(InvalidRequest) as info:
        v.seconds(8, SORA)
    assert info.value.message == (
        "Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead."
    )
    assert info.value.code == "invalid_type"
    assert v.seconds(None, SORA) == ("4", 4.0)


def test_open_profiles_take_any_length_in_range() -> None:
    assert v.seconds("2.5", OPEN) == ("2.5", 2.5)
    assert v.seconds(3, OPEN) == ("3", 3.0)
    with pytest.raises(InvalidRequest, match="1 to 20 seconds"):
        v.seconds("30", OPEN)
    assert v.size("320x240", OPEN) == (320, 240)
    with pytest.raises(InvalidRequest):
        v.size("321x240", OPEN)


def test_unknown_parameter() -> None:
    with pytest.raises(InvalidRequest) as info:
        v.reject_unknown({"prompt": "x", "duration": 4}, ("prompt",))
    assert info.value.message == "Unknown parameter: 'duration'."
    assert info.value.param == "duration" and info.value.code == "unknown_parameter"


def test_prompt_rules() -> None:
    with pytest.raises(InvalidRequest, match=r"Missing required parameter: 'prompt'\."):
        v.prompt({})
    with pytest.raises(InvalidRequest, match="string too short"):
        v.prompt({"prompt": ""})
    with pytest.raises(InvalidRequest, match="string too long"):
        v.prompt({"prompt": "x" * 32001})
    with pytest.raises(InvalidRequest, match="expected a string, but got an integer"):
        v.prompt({"prompt": 5})


def test_seed_extension() -> None:
    assert v.seed({"seed": "42"}) == 42
    assert v.seed({"seed": 42}) == 42
    assert v.seed({}) is None
    for bad in (-1, "x", 2**31, True, 1.5):
        with pytest.raises(InvalidRequest):
            v.seed({"seed": bad})


def test_sora_aliases_also_respect_the_profile_behind_them() -> None:
    narrow = Capabilities(
        modes=frozenset(Mode), sizes=((1280, 720),), seconds=None, min_seconds=1, max_seconds=5
    )
    alias = ResolvedModel(name="sora-2", profile="wan", capabilities=narrow, sora=True, pro=False)
    assert v.size("1280x720", alias) == (1280, 720)
    assert v.seconds("4", alias) == ("4", 4.0)
    with pytest.raises(InvalidRequest, match="served by profile 'wan'"):
        v.size("720x1280", alias)
    with pytest.raises(InvalidRequest, match="served by profile 'wan'"):
        v.seconds("8", alias)
