"""Regenerate docs/gallery.md and its spritesheets: eight moments of each prompt's clip.

    python docs/gallery/make.py

Each prompt is rendered by the embedded procedural engine (seed 1, 4 seconds, 24 fps) at
320x180; eight frames spread over the clip are scaled to 160x90 and laid out four by two in a
JPEG. Rendering is deterministic, so rerunning this script reproduces the same images.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from reelbox.engines.base import GenerationInputs
from reelbox.engines.procedural import ProceduralEngine
from reelbox.engines.procedural.music import instrument
from reelbox.engines.procedural.plan import ScenePlan
from reelbox.jobs.spec import GenerationSpec, Mode

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "gallery.md"
WIDTH, HEIGHT, TILE = 320, 180, 160
SECONDS, SEED, COLUMNS, TILES = 4.0, 1, 4, 8

PROMPTS = [
    "A golden retriever runs along the beach at sunset",
    "A red fox trots through a snowy forest at dawn, tracking shot",
    'A woman waves and says "hello there!" in a park, medium shot',
    "Two horses gallop across a meadow at golden hour",
    "A sailboat drifts on a calm lake at dawn, watercolor",
    "A taxi drives through a neon-lit city street at night in the rain, the camera pans left",
    "An astronaut floats above the moon, slow zoom in",
    "A dolphin leaps from the ocean at noon, cinematic",
    "A robot dances on stage under spotlights, dramatic lighting",
    "A cat sleeps by candlelight in a cozy room at night",
    "A hot air balloon over snowy mountains, drone shot",
    "A thunderstorm with lightning over the desert",
    "A steam train on a country road, anime",
    "A detective walks down a foggy street, film noir",
    "A knight walks to a castle, pixel art",
    "Seagulls fly over a lighthouse on the coast, vintage film",
    "Fish and a sea turtle swim over a coral reef",
    "The city skyline at dusk, crane up",
    "A kite floats over a child running in a windy field",
    "Penguins waddle across the arctic in a blizzard, handheld",
]


def render(prompt: str) -> tuple[Image.Image, dict[str, object]]:
    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt=prompt,
        width=WIDTH,
        height=HEIGHT,
        seconds=SECONDS,
        seed=SEED,
        profile="reelbox-procedural",
        audio=False,
    )
    result = ProceduralEngine({}).generate(
        spec, GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False
    )
    count = result.frame_count
    wanted = {round(i * (count - 1) / (TILES - 1)) for i in range(TILES)}
    picked = [f for i, f in enumerate(result.frames) if i in wanted]
    tile_h = round(TILE * HEIGHT / WIDTH)
    sheet = Image.new("RGB", (TILE * COLUMNS, tile_h * (TILES // COLUMNS)))
    for i, frame in enumerate(picked):
        small = Image.fromarray(np.asarray(frame)).resize((TILE, tile_h), Image.Resampling.LANCZOS)
        sheet.paste(small, ((i % COLUMNS) * TILE, (i // COLUMNS) * tile_h))
    return sheet, result.plan


def summary(plan: dict[str, object]) -> str:
    camera = plan["camera"]
    sound = plan["sound"]
    assert isinstance(camera, dict) and isinstance(sound, dict)
    subjects = plan["subjects"]
    assert isinstance(subjects, list)
    who = ", ".join(f"{s['color']} {s['kind'].replace('_', ' ')} ({s['action']})" for s in subjects)
    music = instrument(ScenePlan.from_json(plan)) if sound["music"] else "none"
    lines = sound["dialogue"]
    assert isinstance(lines, list)
    speech = f", speech: {len(lines)} line(s)" if lines else ""
    return (
        f"{plan['setting']} · {plan['time_of_day']} · {plan['weather']} · "
        f"{plan['lighting']} light · style {plan['style']} · {camera['shot']} shot, "
        f"{camera['move'].replace('_', ' ')} · subjects: {who or 'none'} · "
        f"music: {music}{speech}"
        + "".join(f" · drawn as: {item}" for item in plan.get("substitutions", []))  # type: ignore[attr-defined]
        + (
            " · not understood: " + ", ".join(plan["not_understood"])  # type: ignore[arg-type]
            if plan.get("not_understood")
            else ""
        )
    )


def main() -> None:
    entries = []
    for number, prompt in enumerate(PROMPTS, start=1):
        sheet, plan = render(prompt)
        slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40].strip("-")
        name = f"{number:02d}-{slug}.jpg"
        sheet.save(HERE / name, format="JPEG", quality=82, optimize=True)
        entries.append(
            f"### {number}. {prompt}\n\n![{prompt}](gallery/{name})\n\n{summary(plan)}\n"
        )
        print(f"{name}: {(HERE / name).stat().st_size // 1024} KB", file=sys.stderr)
    intro = f"""# Gallery: the embedded procedural engine

What `reelbox generate` and the default Sora model names produce without a GPU. The embedded
engine is not an AI model: it reads the prompt into a scene plan (`reelbox plan "..."` shows
it) and paints that plan deterministically with layered 2.5-D scenery, vector figures, weather
particles, lighting and colour grading, and synthesizes a sound track to match (ambience,
sounds of what moves, music, and spoken dialogue for quoted text).

Each sheet shows eight moments, left to right and top to bottom, of a {SECONDS:g}-second clip
(seed {SEED}, rendered at {WIDTH}x{HEIGHT} and shown at {TILE} pixels wide). Below each sheet
is what the planner understood. Regenerate with `python docs/gallery/make.py`.
"""
    PAGE.write_text(intro + "\n" + evaluation() + "\n".join(entries))


def evaluation() -> str:
    """The summary of docs/gallery-evaluation.md (`benchmarks/adherence.py --write`), if any."""
    page = PAGE.with_name("gallery-evaluation.md")
    if not page.exists():
        return ""
    lines = page.read_text("utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| check |")), None)
    if start is None:
        return ""
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    note = next((line for line in lines if " prompts, seed " in line), "")
    unread = next((line for line in lines if line.startswith("Named as not understood")), "")
    return (
        "## How well it follows prompts it was not tuned on\n\n"
        "`python benchmarks/adherence.py --write` renders 46 everyday prompts (six languages\n"
        "among them; none used by the tests), checks the plan against what a viewer expects and\n"
        "measures the decoded videos. "
        + note
        + "\n\n"
        + "\n".join(lines[start:end])
        + (f"\n\n{unread}" if unread else "")
        + "\n\nThe full table, with every prompt's `not_understood` words, and contact sheets of\n"
        "all 46 clips: [gallery-evaluation.md](gallery-evaluation.md).\n\n"
        "## Examples\n\n"
    )


if __name__ == "__main__":
    main()
