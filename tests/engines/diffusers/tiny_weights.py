"""Every tiny diffusers checkpoint by family, built once per session on first use.

The `tiny_weights` fixture is registered in tests/conftest.py, so the engine tests, the live
server tests and the cluster tests share one build of each family.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from engines.diffusers.tiny_audio import build_stable_audio
from engines.diffusers.tiny_cogvideox import build_cogvideox, build_cogvideox_i2v
from engines.diffusers.tiny_hunyuan import build_hunyuanvideo15_t2v
from engines.diffusers.tiny_ltx import build_ltx, build_ltx2
from engines.diffusers.tiny_wan import (
    build_wan22_i2v_a14b,
    build_wan22_t2v_a14b,
    build_wan22_ti2v,
    build_wan_i2v,
    build_wan_t2v,
    build_wan_vace,
)

TinyWeights = Callable[[str], Path]

BUILDERS: dict[str, Callable[[Path], None]] = {
    "wan2.1-t2v": build_wan_t2v,
    "wan2.1-i2v": build_wan_i2v,
    "wan2.1-vace": build_wan_vace,
    "wan2.2-ti2v-5b": build_wan22_ti2v,
    "wan2.2-t2v-a14b": build_wan22_t2v_a14b,
    "wan2.2-i2v-a14b": build_wan22_i2v_a14b,
    "ltx-video": build_ltx,
    "cogvideox": build_cogvideox,
    "cogvideox-i2v": build_cogvideox_i2v,
    "ltx-2": build_ltx2,
    "hunyuanvideo1.5-t2v": build_hunyuanvideo15_t2v,
    "hunyuanvideo1.5-i2v": partial(build_hunyuanvideo15_t2v, task="i2v"),
    "stable-audio-open": build_stable_audio,
}


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> TinyWeights:
    """`tiny_weights(family)`: the folder of that family's tiny checkpoint, built once."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            path = tmp_path_factory.mktemp(family.replace(".", "_"))
            BUILDERS[family](path)
            built[family] = path
        return built[family]

    return get
