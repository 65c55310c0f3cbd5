"""Does the embedded engine render what the prompt asks? A rerunnable evaluation.

    python benchmarks/adherence.py                    # table on stdout
    python benchmarks/adherence.py --write            # also docs/gallery-evaluation.md + sheets

Each prompt of `benchmarks/adherence_prompts.json` (46 everyday prompts, in six languages too,
none of them used by the tests) lists what a viewer would expect: subjects, setting, time of
day, weather, sounds, camera, and a colour. Two kinds of score:

- from the plan (`plan_scene`, seed 1): the expected subject kinds present, and each aspect
  equal to what was asked; the words the plan names as `not_understood` are listed per prompt
  and counted under the summary;
- from the video itself: each prompt is rendered to an MP4 (4 s, 320x180, 12 fps, with sound)
  through `media.encode.write_mp4`, decoded back with `media.decode`, and measured: brightness
  (outdoors at night below 85 mean luma, morning/noon above 95), the asked colour present (at
  least 0.2 % of the pixels in that hue), the direction the background moves for pans and
  tracking shots (column-profile cross-correlation between frames), and for momentary sounds
  (boom, whistle, howl, cheer) the decoded audio's energy in each cue window against the
  clip's quiet moments (its 20th-percentile 50 ms energy; at least +3 dB).

A check that does not apply to a prompt shows as a dash and is not counted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = Path(__file__).resolve().with_name("adherence_prompts.json")
DOCS = ROOT / "docs"
WIDTH, HEIGHT, SECONDS, FPS, SEED = 320, 180, 4.0, 12, 1
MOMENTARY = ("explosion", "whistle", "howl", "cheer")
_HUES = {"red": (345, 15), "yellow": (40, 65), "purple": (260, 310), "blue": (200, 245)}


def plan_checks(case: dict[str, Any], plan: Any) -> dict[str, Any]:
    """Each expected aspect against the plan: True, False or None (not asked)."""
    kinds = [s.kind for s in plan.subjects]
    wanted = case.get("subjects", [])
    found = [k for k in wanted if k in kinds]
    camera = case.get("camera")
    cues = case.get("sounds", [])
    return {
        "subjects": (len(found), len(wanted)),
        "setting": None if "setting" not in case else plan.setting == case["setting"],
        "time": None if "time" not in case else plan.time_of_day == case["time"],
        "weather": None if "weather" not in case else plan.weather == case["weather"],
        "camera": None
        if camera is None
        else camera in (plan.camera.shot, plan.camera.move, plan.camera.tempo),
        "sounds": (sum(1 for c in cues if c in plan.sound.cues), len(cues)),
    }


def render(prompt: str, path: Path) -> Any:
    from reelbox.engines.base import GenerationInputs
    from reelbox.engines.procedural import ProceduralEngine
    from reelbox.jobs.spec import GenerationSpec, Mode
    from reelbox.media.encode import write_mp4

    spec = GenerationSpec(
        mode=Mode.TEXT,
        prompt=prompt,
        width=WIDTH,
        height=HEIGHT,
        seconds=SECONDS,
        seed=SEED,
        profile="reelbox-procedural",
        fps=FPS,
    )
    result = ProceduralEngine({}).generate(
        spec, GenerationInputs(), on_progress=lambda _: None, should_cancel=lambda: False
    )
    write_mp4(
        path,
        result.frames,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        frame_count=result.frame_count,
        audio=result.audio,
    )
    return result.plan


def luma(frame: np.ndarray) -> np.ndarray:
    f = frame.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def hue_share(frames: list[np.ndarray], color: str) -> float:
    """Share of pixels (middle frames) in the colour's hue, saturated and not dark."""
    picked = frames[len(frames) // 4 : 3 * len(frames) // 4 + 1]
    rgb = np.stack(picked).astype(np.float32) / 255
    mx, mn = rgb.max(-1), rgb.min(-1)
    sat = (mx - mn) / np.maximum(mx, 1e-6)
    if color == "white":
        return float(np.mean((sat < 0.12) & (mx > 0.85)))
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    delta = np.maximum(mx - mn, 1e-6)
    hue = np.where(
        mx == r, (g - b) / delta % 6, np.where(mx == g, (b - r) / delta + 2, (r - g) / delta + 4)
    )
    hue = hue * 60
    lo, hi = _HUES[color]
    inside = (hue >= lo) | (hue <= hi) if lo > hi else (hue >= lo) & (hue <= hi)
    return float(np.mean(inside & (sat > 0.45) & (mx > 0.3)))


def background_motion(frames: list[np.ndarray]) -> float:
    """Mean horizontal shift (pixels per frame, + to the right) of the upper part of the picture."""
    shifts = []
    for a, b in zip(frames[:-2:2], frames[2::2], strict=False):
        pa = luma(a[: int(0.6 * HEIGHT)]).mean(axis=0)
        pb = luma(b[: int(0.6 * HEIGHT)]).mean(axis=0)
        pa, pb = pa - pa.mean(), pb - pb.mean()
        best, where = -1e18, 0
        for s in range(-12, 13):
            x = pa[max(0, -s) : WIDTH - max(0, s)]
            y = pb[max(0, s) : WIDTH - max(0, -s)]
            score = float(np.dot(x, y)) / len(x)
            if score > best:
                best, where = score, s
        shifts.append(where / 2)
    return float(np.mean(shifts)) if shifts else 0.0


def cue_levels(plan_json: dict[str, Any], audio: Any) -> list[float]:
    """dB of each momentary cue's window over the clip's quiet moments (the 20th percentile of
    its 50 ms energies), in the decoded audio."""
    from reelbox.engines.procedural.foley import cue_times
    from reelbox.engines.procedural.plan import ScenePlan

    plan = ScenePlan.from_json(plan_json)
    mono = audio.samples.mean(axis=0).astype(np.float64)
    rate = audio.sample_rate
    step = int(0.05 * rate)
    frames = np.square(mono[: len(mono) // step * step]).reshape(-1, step).mean(axis=1)
    quiet = float(np.percentile(frames, 20)) + 1e-12  # the bed between events
    levels = []
    for cue in plan.sound.cues:
        if cue not in MOMENTARY:
            continue
        for t in cue_times(plan, cue, start=0.0, end=SECONDS):
            a, b = int(t / 0.05), int(min(SECONDS, t + 0.6) / 0.05)
            if b > a:
                levels.append(10 * math.log10(float(frames[a:b].mean()) / quiet))
    return levels


def video_checks(case: dict[str, Any], plan_json: dict[str, Any], path: Path) -> dict[str, Any]:
    from reelbox.media.decode import iter_frames, read_audio

    frames = list(iter_frames(path))
    audio = read_audio(path)
    brightness = float(np.mean([luma(f).mean() for f in frames]))
    time_of_day = plan_json["time_of_day"]
    bright: bool | None = None
    if case.get("time") == "night" and plan_json["setting"] not in ("room", "stage"):
        bright = brightness < 85  # (rooms and stages are lit at night)
    elif case.get("time") in ("noon", "morning"):
        bright = brightness > 95
    color = case.get("color")
    share = hue_share(frames, color) if color else None
    motion = None
    camera = plan_json["camera"]["move"]
    if case.get("camera") in ("pan_left", "pan_right", "tracking"):
        shift = background_motion(frames)
        if camera == "pan_left":
            motion = shift > 0.2
        elif camera == "pan_right":
            motion = shift < -0.2
        elif camera == "tracking" and plan_json["subjects"]:
            motion = shift * plan_json["subjects"][0]["direction"] < -0.2
        else:
            motion = False
    levels = cue_levels(plan_json, audio) if audio is not None else []
    asked = [c for c in case.get("sounds", []) if c in MOMENTARY]
    heard = None if not asked else bool(levels) and min(levels) >= 3.0
    return {
        "brightness": (round(brightness), bright, time_of_day),
        "color": None if share is None else (share, share >= 0.002),
        "motion": motion,
        "cues": (levels, heard),
        "frames": frames,
    }


def _mark(value: bool | None) -> str:
    return "—" if value is None else ("✓" if value else "✗")


def sheet(rows: list[tuple[str, list[np.ndarray]]], path: Path) -> None:
    from PIL import Image

    tile_w, tile_h = 160, 90
    image = Image.new("RGB", (tile_w * 4, tile_h * len(rows)))
    for r, (_, frames) in enumerate(rows):
        picks = [frames[round(i * (len(frames) - 1) / 3)] for i in range(4)]
        for c, frame in enumerate(picks):
            small = Image.fromarray(frame).resize((tile_w, tile_h), Image.Resampling.LANCZOS)
            image.paste(small, (c * tile_w, r * tile_h))
    image.save(path, quality=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write docs/gallery-evaluation.md")
    parser.add_argument("--limit", type=int, default=0, help="only the first N prompts")
    args = parser.parse_args()
    from reelbox.engines.procedural.plan import ScenePlan
    from reelbox.engines.procedural.planner import plan_scene

    cases = json.loads(PROMPTS.read_text("utf-8"))
    if args.limit:
        cases = cases[: args.limit]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    lines = [
        "| # | prompt | subjects | setting | time | weather | camera | sounds (plan) | "
        "brightness | colour | motion | cue audio | not understood |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[int]] = {}
    dropped: list[tuple[str, ...]] = []  # the not_understood phrases of each prompt naming any
    sheets: list[tuple[str, list[np.ndarray]]] = []

    def count(key: str, ok: bool | None) -> None:
        if ok is not None:
            share(key, int(ok), 1)

    def share(key: str, got: int, of: int) -> None:
        done, total = totals.setdefault(key, [0, 0])
        totals[key] = [done + got, total + of]

    with tempfile.TemporaryDirectory(prefix="reelbox-adherence-") as tmp:
        for number, case in enumerate(cases, 1):
            plan = plan_scene(case["prompt"], seed=SEED)
            checks = plan_checks(case, plan)
            path = Path(tmp) / f"{number}.mp4"
            plan_json = render(case["prompt"], path)
            assert ScenePlan.from_json(plan_json).subjects == plan.subjects
            video = video_checks(case, plan_json, path)
            sheets.append((case["prompt"], [video["frames"][i] for i in range(0, 48, 4)]))
            found, wanted = checks["subjects"]
            share("subjects", found, wanted)
            heard, asked = checks["sounds"]
            if asked:
                share("sounds (plan)", heard, asked)
            for key in ("setting", "time", "weather", "camera"):
                count(key, checks[key])
            luma_mean, bright, _ = video["brightness"]
            count("brightness", bright)
            color = video["color"]
            count("colour", None if color is None else color[1])
            count("motion", video["motion"])
            levels, cue_ok = video["cues"]
            count("cue audio", cue_ok)
            missing = ", ".join(plan.not_understood) or ""
            if plan.not_understood:
                dropped.append(plan.not_understood)
            lowest = min(levels, default=0.0)
            cue_text = "—" if cue_ok is None else f"{_mark(cue_ok)} {lowest:+.0f} dB"
            color_text = "—" if color is None else f"{_mark(color[1])} {100 * color[0]:.1f}%"
            lines.append(
                f"| {number} | {case['prompt']} | {found}/{wanted} | {_mark(checks['setting'])} "
                f"| {_mark(checks['time'])} | {_mark(checks['weather'])} "
                f"| {_mark(checks['camera'])} | "
                + (f"{heard}/{asked}" if asked else "—")
                + f" | {_mark(bright)} {luma_mean} | {color_text} | {_mark(video['motion'])} "
                f"| {cue_text} | {missing} |"
            )
    elapsed = time.perf_counter() - started
    summary = ["| check | passed |", "|---|---|"]
    for key, (got, total) in totals.items():
        summary.append(f"| {key} | {got}/{total} ({100 * got / max(1, total):.0f} %) |")
    note = (
        f"{len(cases)} prompts, seed {SEED}, {WIDTH}x{HEIGHT}, {SECONDS:g} s at {FPS} fps; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the start; {elapsed:.0f} s in all."
    )
    named = "; ".join(", ".join(phrases) for phrases in dropped)
    phrases = sum(map(len, dropped))
    unread = (
        f"Named as not understood: {phrases} phrase{'' if phrases == 1 else 's'} on "
        f"{len(dropped)} of {len(cases)} prompts" + (f" ({named})." if named else ".")
    )
    text = "\n".join([note, "", *summary, "", unread, "", *lines])
    print(text)
    if args.write:
        write_page(text, sheets)


def write_page(table: str, sheets: list[tuple[str, list[np.ndarray]]]) -> None:
    folder = DOCS / "gallery"
    parts = [
        "# Evaluation: does the embedded engine render what the prompt asks?",
        "",
        "Generated by `python benchmarks/adherence.py --write` from",
        "`benchmarks/adherence_prompts.json` (prompts not used by any test). Plan checks compare",
        "`reelbox plan` with what a viewer expects; video checks measure the decoded MP4",
        "(brightness, colour, which way the background moves, sound energy when a named",
        "momentary sound is due). See the script's docstring for the thresholds.",
        "",
        table,
        "",
        "## Contact sheets",
        "",
        "Four moments of each clip (0, 1.3, 2.7 and 4 s), one prompt per row, in table order.",
        "",
    ]
    per_sheet = 12
    for k in range(0, len(sheets), per_sheet):
        name = f"eval-{k // per_sheet + 1}.jpg"
        rows = sheets[k : k + per_sheet]
        sheet(rows, folder / name)
        first, last = k + 1, k + len(rows)
        title = f"Prompts {first} to {last}"
        parts += [f"### {title}", "", f"![{title}](gallery/{name})", ""]
    (DOCS / "gallery-evaluation.md").write_text("\n".join(parts), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
