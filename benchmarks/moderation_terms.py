"""Time the built-in term checks: building the matcher, and one check of a short and a long prompt.

    python benchmarks/moderation_terms.py [--repeat N]

Prints the median time to `TermMatcher.load()` the packaged lists and the median microseconds per
`find()` for a ~300-character prompt, the same prompt written with obfuscations (leetspeak, spaced
letters, fullwidth and zero-width characters), and a ~4,000-character prompt.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from reelbox.moderation.terms import TermMatcher

SHORT = (
    "A cinematic tracking shot of a golden retriever running along a windswept beach at sunset, "
    "waves crashing behind it, a lighthouse on the cliff, warm backlight, shallow depth of field, "
    "35mm film grain, a child playing with a red kite in the distance while gulls circle over "
    "the water and soft piano music plays."
)
OBFUSCATED = (
    "A cinematic tr4cking sh0t of a g0lden retr1ever running along a w1ndswept beach at s u n s "
    "e t, waves crashing behind it, a l.i.g.h.t.h.o.u.s.e on the cliff, \uff37\uff21\uff32\uff2d "
    "backlight, shallow depth of fi\u200beld, 35mm film grain, a ch!ld playing with a red kite in "
    "the distance while gulls ciiircle over the water and soft piano music plays."
)
LONG = " ".join([SHORT] * 14)


def median_seconds(action: Callable[[], object], *, repeat: int, number: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            action()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    load = median_seconds(TermMatcher.load, repeat=args.repeat, number=1)
    matcher = TermMatcher.load()
    terms = len(matcher._terms)
    print(f"load: {load * 1e3:.1f} ms ({terms} phrases after expanding alternatives)")
    for name, text, number in (
        ("short", SHORT, 500),
        ("short, obfuscated", OBFUSCATED, 500),
        ("long", LONG, 50),
    ):
        seconds = median_seconds(lambda t=text: matcher.find(t), repeat=args.repeat, number=number)
        print(f"find, {name} ({len(text)} chars): {seconds * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
