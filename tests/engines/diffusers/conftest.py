"""Fixtures for the diffusers engine's tests: warm CPU engines of the tiny checkpoints, blobs.

The tiny checkpoints themselves (random weights, saved like real ones) come from the session
fixture `tiny_weights` (engines/diffusers/tiny_weights.py, registered in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engines.diffusers.tiny_weights import TinyWeights
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.diffusers import DiffusersEngine


@pytest.fixture(scope="module")
def engines(tiny_weights: TinyWeights) -> Iterator[Callable[..., DiffusersEngine]]:
    """`engines(family, **options)`: a CPU profile of the tiny checkpoint, kept warm per module."""
    made: dict[str, DiffusersEngine] = {}

    def get(family: str, **options: Any) -> DiffusersEngine:
        key = f"{family}{sorted(options.items())}"
        if key not in made:
            made[key] = DiffusersEngine(
                {
                    "family": family,
                    "path": str(tiny_weights(family)),
                    "device": "cpu",
                    "dtype": "float32",
                    "resolutions": ["64x32", "32x64"],
                    "steps": 2,
                    **options,
                }
            )
        return made[key]

    yield get


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")
