"""The engine registry builds engines lazily by name and passes options through."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reelbox.engines.fake import FakeEngine
from reelbox.engines.procedural import ProceduralEngine
from reelbox.engines.registry import ENGINE_FACTORIES, build_engine
from reelbox.jobs.spec import Mode


def test_builds_each_registered_engine() -> None:
    assert isinstance(build_engine("procedural", {}), ProceduralEngine)
    assert isinstance(build_engine("fake", {}), FakeEngine)
    assert set(ENGINE_FACTORIES) == {"procedural", "fake", "diffusers"}


def test_options_reach_the_engine() -> None:
    assert build_engine("procedural", {"fps": 30}).capabilities().fps == 30
    assert build_engine("fake", {"fps": 5}).capabilities().fps == 5


def test_capabilities_of_both_engines() -> None:
    for name in ("procedural", "fake"):  # the diffusers engine needs a family and weights
        caps = build_engine(name, {}).capabilities()
        assert caps.modes == frozenset(Mode)
        assert caps.sizes is None
        assert caps.seconds is None
        assert (caps.min_seconds, caps.max_seconds) == (1.0, 120.0)
        assert caps.audio is True


def test_unknown_engine_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown engine 'nope'.*fake, procedural"):
        build_engine("nope", {})


@pytest.mark.parametrize("name", ["procedural", "fake"])
def test_unknown_options_are_refused_clearly(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown .* options: colour"):
        build_engine(name, {"colour": "red"})


def test_options_mapping_is_copied() -> None:
    options = {"fps": 12}
    engine = build_engine("fake", options)
    options["fps"] = 99
    assert engine.capabilities().fps == 12


def test_engines_are_imported_only_when_built() -> None:
    code = (
        "import sys, reelbox.engines.registry; "
        "print(sorted(m for m in sys.modules if m.startswith('reelbox.engines.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "procedural" not in out.stdout
    assert "reelbox.engines.fake" not in out.stdout
