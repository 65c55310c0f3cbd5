"""One live server with a tiny profile of every diffusers family, and how tests drive it.

Profiles render at 64x32 / 32x64 with 2 steps on the CPU. `Tiny` records what each profile
serves, so tests derive the expected MP4 (frames from fps, sound or not) from one table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openai import OpenAI
from openai.types import Video

from support.media import Mp4Facts, probe_mp4
from support.server import server_config


@dataclass(frozen=True)
class Tiny:
    family: str
    fps: int
    modes: tuple[str, ...]
    audio: bool = False  # the videos have sound (LTX-2's own, or a text-to-audio profile)
    extra: str = ""  # more TOML lines for the profile


AZURE_SIZE = 'sizes = ["480x480"]'  # the smallest Azure Sora 1 size, for inpainting jobs

PROFILES: dict[str, Tiny] = {
    "wan-t2v": Tiny("wan2.1-t2v", 16, ("edit", "remix", "text"), extra=AZURE_SIZE),
    "wan-i2v": Tiny("wan2.1-i2v", 16, ("extend", "image")),
    "vace": Tiny(
        "wan2.1-vace",
        16,
        ("edit", "extend", "image", "inpaint", "remix", "text"),
        extra=AZURE_SIZE,
    ),
    "wan22-5b": Tiny("wan2.2-ti2v-5b", 24, ("extend", "image", "text")),
    "wan22-t2v": Tiny("wan2.2-t2v-a14b", 16, ("text",)),
    "wan22-i2v": Tiny("wan2.2-i2v-a14b", 16, ("extend", "image")),
    "ltx": Tiny(
        "ltx-video", 24, ("edit", "extend", "image", "inpaint", "remix", "text"), extra=AZURE_SIZE
    ),
    "ltx2": Tiny(
        "ltx-2",
        24,
        ("edit", "extend", "image", "inpaint", "remix", "text"),
        audio=True,
        extra=AZURE_SIZE,
    ),
    "hunyuan-t2v": Tiny("hunyuanvideo1.5-t2v", 24, ("text",), audio=True),  # + Stable Audio
    "hunyuan-i2v": Tiny("hunyuanvideo1.5-i2v", 24, ("extend", "image")),
    "cog": Tiny("cogvideox", 8, ("edit", "remix", "text")),
    "cog-i2v": Tiny("cogvideox-i2v", 8, ("extend", "image")),
}
SLOW = "wan-slow"  # Wan 2.1 T2V with 1000 steps, loaded on its first job: for cancelling


def config(weights: Callable[[str], Path]) -> str:
    """The settings file: one worker, every profile, `sora-2` and Azure deployments on them."""
    sound = (
        f'{{ family = "stable-audio-open", path = "{weights("stable-audio-open")}", steps = 2 }}'
    )
    sections = [
        server_config(workers=1, events_poll_interval_seconds=0.05),
        profile(SLOW, "wan2.1-t2v", weights("wan2.1-t2v"), "warm = false", steps=1000),
    ]
    for name, tiny in PROFILES.items():
        extra = tiny.extra + (f"\naudio = {sound}" if name == "hunyuan-t2v" else "")
        sections.append(profile(name, tiny.family, weights(tiny.family), extra))
    sections.append('[aliases]\nsora-2 = "wan-t2v"\n')
    deployments = "\n".join(f'"{n}" = "{n}"' for n in ("wan-t2v", "vace", "ltx", "ltx2"))
    sections.append(f"[deployments]\n{deployments}\n")
    return "\n".join(sections)


def profile(name: str, family: str, path: Path, extra: str = "", *, steps: int = 2) -> str:
    """A `[models.<name>]` section: the tiny checkpoint at `path` on the CPU, then `extra` lines."""
    return f"""
[models.{name}]
engine = "diffusers"
family = "{family}"
path = "{path}"
device = "cpu"
dtype = "float32"
resolutions = ["64x32", "32x64"]
steps = {steps}
{extra}
"""


def finished(client: OpenAI, video: Video, *, timeout: float = 120) -> Video:
    """Poll until `video` is done; its progress must only grow and end at 100."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = client.videos.retrieve(video.id)
        seen.append(current.progress)
        if current.status in ("completed", "failed"):
            assert current.status == "completed", current.error
            assert seen == sorted(seen) and seen[-1] == 100, seen
            return current
        time.sleep(0.05)
    raise AssertionError(f"{video.id} did not finish in {timeout} s (progress {seen})")


def mp4(client: OpenAI, video_id: str) -> Mp4Facts:
    return probe_mp4(client.videos.download_content(video_id).read())


def check(facts: Mp4Facts, *, size: tuple[int, int], frames: int, audio: bool) -> None:
    assert (facts.width, facts.height, facts.frames) == (*size, frames), facts
    assert (facts.audio_codec is not None) == audio, facts
    if audio:
        assert facts.audio_duration is not None
        assert abs(facts.audio_duration - facts.duration) < 0.05, facts


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, object]
    at: float  # time.monotonic() when it arrived


def events(lines: Iterator[str]) -> Iterator[Event]:
    """The messages of a Server-Sent Events stream (comments and ids ignored)."""
    name, data = "message", ""
    for line in lines:
        if line.startswith(":"):
            continue
        if line:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data = value
            continue
        if data:
            yield Event(name=name, data=json.loads(data), at=time.monotonic())
        name, data = "message", ""
