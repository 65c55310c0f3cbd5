"""Reading the video a remix, edit or extension starts from, at the size a model renders."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from reelbox.engines.base import Frame, SourceVideo
from reelbox.engines.diffusers.presets import Size
from reelbox.engines.diffusers.sizing import fit_frame
from reelbox.media.decode import iter_frames


def retimed_frames(source: SourceVideo, *, fps: int, count: int, size: Size) -> Iterator[Frame]:
    """Exactly `count` frames at `fps`, each the source frame showing at that moment.

    A source that runs short holds its last frame.
    """
    frames = iter_frames(source.path)
    current: Frame | None = None
    shown = -1  # index of `current` in the source
    for index in range(count):
        wanted = int(index * source.fps / fps + 1e-6)
        while shown < wanted:
            following = next(frames, None)
            if following is None:
                break
            current, shown = fit_frame(following, size), shown + 1
        if current is None:
            raise ValueError("the source video has no frames")
        yield current


def tail_frames(source: SourceVideo, *, count: int, size: Size) -> list[Frame]:
    """The source's last `count` frames (fewer if it is shorter), at `size`."""
    tail: deque[Frame] = deque(maxlen=count)
    for frame in iter_frames(source.path):
        tail.append(frame)
    if not tail:
        raise ValueError("the source video has no frames")
    return [fit_frame(frame, size) for frame in tail]
