"""Moderation policies: which categories a project's requests, inputs and outputs may not contain.

Three are built in (DECISIONS in docs/moderation.md):

| policy     | blocks                                                                        |
|------------|-------------------------------------------------------------------------------|
| `sora`     | everything Sora refuses: sexual content, violence, self-harm, hate and        |
|            | harassment, real people (names, and human faces in inputs), copyrighted       |
|            | characters and music. The default.                                            |
| `standard` | adult content allowed; still blocks sexual content involving minors, real     |
|            | people's likeness, hate and self-harm.                                        |
| `off`      | nothing: no check runs.                                                       |

Operators add their own as lists of categories (`[moderation.policies.NAME] block = [...]`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reelbox.moderation import categories as c


@dataclass(frozen=True)
class Policy:
    name: str
    blocked: frozenset[str]

    @property
    def enabled(self) -> bool:
        return bool(self.blocked)

    def blocks(self, category: str) -> bool:
        return any(c.covers(blocked, category) for blocked in self.blocked)

    def blocked_among(self, found: Iterable[str]) -> tuple[str, ...]:
        """The categories of `found` this policy blocks, sorted, each once."""
        return tuple(sorted({category for category in found if self.blocks(category)}))


SORA = Policy(
    "sora",
    frozenset(
        {
            c.SEXUAL,
            c.VIOLENCE,
            c.SELF_HARM,
            c.HATE,
            "harassment",
            "illicit/violent",
            "real-person",
            "copyright",
            c.CLASSIFIER_FLAGGED,
        }
    ),
)
STANDARD = Policy(
    "standard",
    frozenset({c.SEXUAL_MINORS, c.SELF_HARM, c.HATE, "real-person", c.CLASSIFIER_FLAGGED}),
)
OFF = Policy("off", frozenset())

BUILTIN: dict[str, Policy] = {p.name: p for p in (SORA, STANDARD, OFF)}


def build_policies(custom: Mapping[str, Iterable[str]]) -> dict[str, Policy]:
    """The built-in policies plus the operator's (which may not redefine a built-in one)."""
    clash = sorted(set(custom) & set(BUILTIN))
    if clash:
        raise ValueError(f"policy {clash[0]!r} is built in and cannot be redefined")
    policies = dict(BUILTIN)
    for name, blocked in custom.items():
        policies[name] = Policy(name, frozenset(blocked))
    return policies
