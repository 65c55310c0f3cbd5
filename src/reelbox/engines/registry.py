"""Engine names → engine classes, imported only when an engine is built.

Importing an engine can be expensive (a diffusion engine pulls in torch), so the table holds
'module:Class' strings and `build_engine` imports just the one it needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from reelbox.engines.base import Engine

ENGINE_FACTORIES: dict[str, str] = {
    "procedural": "reelbox.engines.procedural:ProceduralEngine",
    "fake": "reelbox.engines.fake:FakeEngine",
    "diffusers": "reelbox.engines.diffusers:DiffusersEngine",
}


def build_engine(engine: str, options: Mapping[str, Any]) -> Engine:
    """Construct the engine registered as `engine` with `options`.

    The class is called as `Class(options=dict(options))` and validates its own options (a
    ValueError names what is wrong). An unknown engine name is a ValueError listing known ones.
    """
    target = ENGINE_FACTORIES.get(engine)
    if target is None:
        known = ", ".join(sorted(ENGINE_FACTORIES))
        raise ValueError(f"unknown engine {engine!r}; known engines: {known}")
    module_name, _, class_name = target.partition(":")
    factory: Any = getattr(importlib.import_module(module_name), class_name)
    built: Engine = factory(options=dict(options))
    return built


def check_weights(engine: str, options: Mapping[str, Any]) -> None:
    """Fail fast, before serving, when a profile's weights are missing or of the wrong kind.

    Engines that load weights have a cheap `check_weights()` (no loading); others have nothing
    to check. Raises ValueError saying what to change.
    """
    check = getattr(build_engine(engine, options), "check_weights", None)
    if callable(check):
        check()
