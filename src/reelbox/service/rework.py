"""Reworking finished videos (remix, edits, extensions): the rules that shape the new job's
spec from its source (SORA_API.md A4.6-A4.8, D2), for any dialect that offers them."""

from __future__ import annotations

from collections.abc import Sequence

from reelbox.engines.catalog import SORA_PRO_SIZES, SORA_SIZES, ResolvedModel
from reelbox.errors import InvalidRequest
from reelbox.jobs.models import Job
from reelbox.jobs.spec import GenerationSpec, Mode

EXTENSION_SECONDS = ("4", "8", "12", "16", "20")
MAX_EXTENSIONS = 6
MAX_LINEAGE_SECONDS = 120.0


def nearest_size(resolved: ResolvedModel, width: int, height: int) -> tuple[int, int]:
    """An uploaded video's size if the model serves it, else the closest one it does."""
    caps = resolved.capabilities
    sizes: Sequence[tuple[int, int]] | None = caps.sizes
    if resolved.sora:
        sizes = SORA_PRO_SIZES if resolved.pro else SORA_SIZES
    if sizes is None:
        w, h = width - width % 2, height - height % 2
        if w >= 64 and h >= 64 and w * h <= caps.max_pixels:
            return w, h
        sizes = ((1280, 720), (720, 1280))
    if (width, height) in sizes:
        return width, height
    aspect = width / height
    return min(sizes, key=lambda s: (abs(s[0] / s[1] - aspect), abs(s[0] * s[1] - width * height)))


def rework_spec(
    mode: Mode,
    *,
    prompt: str,
    seed: int | None,
    resolved: ResolvedModel,
    source: Job | None,
    source_key: str,
    size: tuple[int, int],
    seconds: float,
) -> GenerationSpec:
    """The spec of an edit or extension: the source's seed and plan unless a seed is given."""
    if seed is None:
        seed = source.spec.seed if source is not None else 0
    return GenerationSpec(
        mode=mode,
        prompt=prompt,
        width=size[0],
        height=size[1],
        seconds=seconds,
        seed=seed,
        profile=resolved.profile,
        fps=resolved.capabilities.fps,
        source_video_key=source_key,
        source_plan=source.plan if source is not None else None,
    )


def check_extension(*, count: int, total: float) -> None:
    """A lineage may be extended `MAX_EXTENSIONS` times, to `MAX_LINEAGE_SECONDS` in all."""
    if count > MAX_EXTENSIONS:
        raise InvalidRequest(
            f"A video can be extended at most {MAX_EXTENSIONS} times.",
            param="video",
            code="extension_limit",
        )
    if total > MAX_LINEAGE_SECONDS + 1e-6:
        raise InvalidRequest(
            f"Extending to {total:g} seconds would exceed the {MAX_LINEAGE_SECONDS:g} second "
            "limit.",
            param="seconds",
            code="extension_limit",
        )
