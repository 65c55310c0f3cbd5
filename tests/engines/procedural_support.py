"""Helpers shared by the procedural engine tests: specs, generation, small source videos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from reelbox.engines.base import Frame, GenerationInputs, GenerationResult, SourceVideo
from reelbox.engines.procedural import ProceduralEngine
from reelbox.jobs.spec import GenerationSpec, Mode

W, H = 128, 72


def spec(prompt: str, **kw: Any) -> GenerationSpec:
    values: dict[str, Any] = {
        "mode": Mode.TEXT,
        "width": W,
        "height": H,
        "seconds": 1.0,
        "seed": 7,
        "profile": "procedural",
        "fps": 24,
    }
    values.update(kw)
    return GenerationSpec(prompt=prompt, **values)


def generate(
    request: GenerationSpec, inputs: GenerationInputs | None = None, **kw: Any
) -> GenerationResult:
    engine = ProceduralEngine(kw.pop("options", {}))
    return engine.generate(
        request,
        inputs or GenerationInputs(),
        on_progress=kw.get("on_progress", lambda _: None),
        should_cancel=kw.get("should_cancel", lambda: False),
    )


def frames(prompt: str, **kw: Any) -> list[Frame]:
    return list(generate(spec(prompt, audio=False, **kw)).frames)


def luma(frame: Frame) -> npt.NDArray[np.float64]:
    return frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def write_mp4(path: Path, pictures: list[Frame], fps: int) -> None:
    height, width = pictures[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, frame in enumerate(pictures):
            video = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video.pts = index
            for packet in stream.encode(video):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def source_video(tmp_path: Path, pictures: list[Frame], fps: int = 24) -> SourceVideo:
    path = tmp_path / "source.mp4"
    write_mp4(path, pictures, fps)
    height, width = pictures[0].shape[:2]
    return SourceVideo(
        path=path,
        width=width,
        height=height,
        fps=float(fps),
        frame_count=len(pictures),
        duration=len(pictures) / fps,
        has_audio=False,
    )


def shift(a: Frame, b: Frame, *, limit: int = 12, rows: slice = slice(None)) -> int:
    """How far the picture moved right from `a` to `b` (cross-correlation of column means)."""
    ca = luma(a[rows]).mean(axis=0)
    cb = luma(b[rows]).mean(axis=0)
    ca, cb = ca - ca.mean(), cb - cb.mean()
    n = ca.size
    scores = {
        s: float(np.mean(ca[max(0, -s) : n - max(0, s)] * cb[max(0, s) : n - max(0, -s)]))
        for s in range(-limit, limit + 1)
    }
    return max(scores, key=lambda s: scores[s])


def vertical_shift(a: Frame, b: Frame, *, limit: int = 12) -> int:
    """How far the picture moved down from `a` to `b` (cross-correlation of row means)."""
    return shift(np.transpose(a, (1, 0, 2)), np.transpose(b, (1, 0, 2)), limit=limit)
