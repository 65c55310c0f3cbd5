"""Frame-stream plumbing shared by engines: progress reports and cooperative cancellation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reelbox.engines.base import (
    CancelCheck,
    EngineError,
    Frame,
    GenerationCancelled,
    ProgressCallback,
)


def guarded_frames(
    frames: Iterable[Frame],
    *,
    frame_count: int,
    on_progress: ProgressCallback,
    should_cancel: CancelCheck,
) -> Iterator[Frame]:
    """Yield exactly `frame_count` frames from `frames`, lazily.

    Before each frame `should_cancel()` is asked (raising `GenerationCancelled` when true), and
    `on_progress((i + 1) / frame_count)` is called as frame `i` is handed on. A source that runs
    dry early is an engine bug, reported as `EngineError`; extra source frames are never pulled.
    """
    source = iter(frames)
    for index in range(frame_count):
        if should_cancel():
            raise GenerationCancelled
        try:
            frame = next(source)
        except StopIteration:
            raise EngineError(
                f"the engine produced {index} frames, expected {frame_count}"
            ) from None
        on_progress((index + 1) / frame_count)
        yield frame
