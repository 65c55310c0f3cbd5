"""Rendering ahead of the encoder: a background thread fills a small queue of frames.

numpy and Pillow release the GIL for their heavy work, as does the H.264 encoder, so on two
cores the next frames are painted while the current one is encoded. The thread starts as soon as
`prefetch` is called, not when the first frame is asked for: the scene's set-up then runs while
the caller does other work (the engine mixes the sound track meanwhile), instead of after it.
The queue is bounded, so memory stays flat; closing the iterator (the consumer stopped or was
cancelled), or dropping it, stops the thread promptly. Frames come out in order and are the same
as without the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from reelbox.engines.base import Frame

_POLL_SECONDS = 0.1

_Item = tuple[str, Frame | BaseException | None]


def prefetch(make: Callable[[], Iterator[Frame]], *, depth: int = 3) -> Iterator[Frame]:
    """Frames of `make()` (called in the thread, which starts now), in order."""
    return _Prefetched(make, depth=depth)


class _Prefetched:
    """The consumer's end of the queue; `close()` (or dropping it) stops the thread. The
    thread holds the queue and the stop flag, never this object, so dropping it is seen."""

    def __init__(self, make: Callable[[], Iterator[Frame]], *, depth: int) -> None:
        self._done = True  # until the thread runs: nothing to close
        self._box: queue.Queue[_Item] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_work, args=(make, self._box, self._stop), name="reelbox-render", daemon=True
        )
        self._thread.start()
        self._done = False

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        if self._done:
            raise StopIteration
        kind, item = self._box.get()
        if isinstance(item, BaseException):
            self.close()
            raise item
        if kind == "done" or item is None:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        self._stop.set()
        while True:  # unblock a producer waiting on a full queue
            try:
                self._box.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5)

    def __del__(self) -> None:
        self.close()


def _work(
    make: Callable[[], Iterator[Frame]], box: queue.Queue[_Item], stop: threading.Event
) -> None:
    def put(item: _Item) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    try:
        for frame in make():
            if not put(("frame", frame)):
                return
        put(("done", None))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        put(("error", exc))
