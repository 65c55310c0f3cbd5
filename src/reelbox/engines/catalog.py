"""The model catalogue: configured engine profiles and the names (aliases) that point at them.

`model` in a request names a profile or an alias (DECISIONS D1). The Sora names are aliases that
out of the box point at the embedded engine. Capabilities come from the engines themselves;
engine constructors are cheap (heavy weights load in worker processes), so the API process can
ask them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelbox.engines.base import Capabilities
from reelbox.engines.registry import build_engine

SORA_SIZES = ((720, 1280), (1280, 720))
SORA_PRO_SIZES = (*SORA_SIZES, (1024, 1792), (1792, 1024))
SORA_SECONDS = ("4", "8", "12")


@dataclass(frozen=True, kw_only=True)
class ProfileSpec:
    engine: str
    options: Mapping[str, Any]
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ResolvedModel:
    """What a request's `model` names."""

    name: str  # as sent, echoed back
    profile: str
    capabilities: Capabilities
    sora: bool  # a Sora alias: validated exactly as the OpenAI SPEC says
    pro: bool  # a sora-2-pro name: the larger sizes are allowed


class Catalog:
    def __init__(self, profiles: Mapping[str, ProfileSpec], aliases: Mapping[str, str]) -> None:
        self.profiles = dict(profiles)
        self.aliases = dict(aliases)
        self._capabilities = {
            name: build_engine(p.engine, p.options).capabilities()
            for name, p in self.profiles.items()
        }

    def capabilities(self, profile: str) -> Capabilities:
        return self._capabilities[profile]

    def resolve(self, model: str) -> ResolvedModel | None:
        profile = self.aliases.get(model, model if model in self.profiles else None)
        if profile is None:
            return None
        sora = model.startswith("sora-")
        return ResolvedModel(
            name=model,
            profile=profile,
            capabilities=self._capabilities[profile],
            sora=sora,
            pro=sora and model.startswith("sora-2-pro"),
        )

    def names(self) -> list[str]:
        return sorted([*self.profiles, *self.aliases])
