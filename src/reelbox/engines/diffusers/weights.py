"""Start-up checks of a profile's weights folder, without loading it (and without torch).

A diffusers pipeline folder has a `model_index.json` naming the pipeline class it was saved
from and its components. That is enough to refuse, before the first request, a path that does
not exist, a folder that is not a diffusers pipeline, a component folder that is missing, and
weights of another family (an image-to-video checkpoint named as text-to-video, Wan 2.2 weights
named as Wan 2.1), with a message that says which family the weights are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelbox.engines.diffusers.presets import FAMILIES, AudioFamily, Family


def check_weights(family: Family | AudioFamily, path: str, *, allow_download: bool) -> None:
    """Raise ValueError, saying what to change, unless `path` holds `family`'s weights."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        if allow_download:
            return  # a hub id, fetched when the weights load
        raise ValueError(
            f"no weights folder at {path} for {family.name}; download one of "
            f"{', '.join(family.weights)} there (e.g. `hf download {family.weights[0]} "
            f"--local-dir {path}`), or set allow_download = true to fetch it at start"
        )
    index = read_index(folder)
    saved = index.get("_class_name")
    expected = (
        family.pipeline_classes if isinstance(family, Family) else frozenset({family.pipeline})
    )
    if saved not in expected:
        raise ValueError(
            f"{path} holds {saved} weights, but family {family.name} uses "
            f"{', '.join(sorted(expected))}{_suggestion(index)}"
        )
    if isinstance(family, Family):
        for key, wanted in family.index_flags.items():
            if _is_set(index.get(key)) != wanted:
                state = "has" if not wanted else "lacks"
                raise ValueError(
                    f"{path} {state} {key!r} in model_index.json, so it is not {family.title}"
                    f"{_suggestion(index)}"
                )
    for name, entry in index.items():
        if _is_set(entry) and isinstance(entry, list) and not (folder / name).is_dir():
            raise ValueError(f"{path} is incomplete: its {name}/ folder is missing")


def read_index(folder: Path) -> dict[str, Any]:
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        raise ValueError(f"{folder} is not a diffusers pipeline folder (no model_index.json)")
    try:
        index = json.loads(index_file.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{index_file} cannot be read: {exc}") from None
    if not isinstance(index, dict):
        raise ValueError(f"{index_file} is not a JSON object")
    return index


def matching_families(index: Mapping[str, Any]) -> list[str]:
    """The families whose weights look like this `model_index.json`."""
    saved = index.get("_class_name")
    return [
        family.name
        for family in FAMILIES.values()
        if saved in family.pipeline_classes
        and all(_is_set(index.get(k)) == v for k, v in family.index_flags.items())
    ]


def _suggestion(index: Mapping[str, Any]) -> str:
    names = matching_families(index)
    return f"; these weights fit family {' or '.join(names)}" if names else ""


def _is_set(value: Any) -> bool:
    """A flag that is true, or a component entry like ["diffusers", "WanTransformer3DModel"]."""
    if isinstance(value, list):
        return any(part is not None for part in value)
    return bool(value)
