"""Deterministic randomness: every random choice derives from the plan's layout seed.

Python's `hash()` is salted per process, so text is hashed with `hashlib` instead. Each part of
the renderer draws from its own stream (keyed by a purpose name) so adding randomness in one
part never shifts the choices of another.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1


def stable_hash(text: str) -> int:
    """A 64-bit hash of `text` that is the same in every process and on every machine."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def layout_seed(seed: int, prompt: str) -> int:
    """The seed that drives a scene: the request seed mixed with the prompt."""
    return (seed ^ stable_hash(prompt)) & _MASK64


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """A generator for one purpose ("clouds", "rain", ...) of the scene seeded by `seed`."""
    entropy = [seed & _MASK64, stable_hash(purpose)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
