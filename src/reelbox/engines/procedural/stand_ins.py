"""Nouns without a figure of their own, and what the renderer draws for them instead.

`data/stand_ins.tsv` maps hundreds of nouns to a kind ("dragon" is drawn as a winged creature,
"robot vacuum" as a disc robot on the floor, "chef" as a person in an apron holding a pan); the
plan names each substitution, so nothing is replaced without a word. Each noun keeps its own
size as a multiple of its kind's (a dragon is several eagles tall, a hummingbird half a bird).
Plurals are derived. The table is read once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from reelbox.engines.procedural.kinds import KINDS


@dataclass(frozen=True)
class StandIn:
    kind: str
    color: str | None
    size: float  # height as a multiple of the kind's own
    drawn_as: str  # what the picture shows, in words
    count: int  # how many a bare mention means (plurals mean more than one)


@cache
def stand_ins() -> dict[tuple[str, ...], StandIn]:
    """Noun phrase (lower-case words) -> what stands in for it."""
    path = resources.files(__package__).joinpath("data/stand_ins.tsv")
    table: dict[tuple[str, ...], StandIn] = {}
    plurals: dict[tuple[str, ...], StandIn] = {}
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, color, size, drawn_as, nouns = line.split("\t")
        if kind not in KINDS:
            raise ValueError(f"stand_ins.tsv names an unknown kind {kind!r}")
        scale = float(size)
        if not 0.05 <= scale <= 10:
            raise ValueError(f"stand_ins.tsv gives {nouns!r} an unlikely size {size!r}")
        for noun in nouns.split("|"):
            words = tuple(noun.split())
            item = StandIn(kind, None if color == "-" else color, scale, drawn_as, 1)
            table.setdefault(words, item)
            last = words[-1]
            if last.endswith("s"):
                continue
            if last.endswith("y") and last[-2:-1] not in ("a", "e", "o", "u"):
                plural = last[:-1] + "ies"
            elif last.endswith(("sh", "ch", "x")):
                plural = last + "es"
            else:
                plural = last + "s"
            plurals.setdefault((*words[:-1], plural), StandIn(kind, item.color, scale, drawn_as, 3))
    for words, item in plurals.items():
        table.setdefault(words, item)
    return table


@cache
def longest() -> int:
    return max(len(words) for words in stand_ins())
