"""Rendering ahead of the encoder: a background thread fills a small queue of frames.

numpy and Pillow release the GIL for their heavy work, as does the H.264 encoder, so on two
cores the next frames are painted while the current one is encoded. The queue is bounded, so
memory stays flat; closing the iterator (the consumer stopped or was cancelled) stops the
thread promptly. Frames come out in order and are the same as without the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from reelbox.engines.base import Frame

_POLL_SECONDS = 0.1


def prefetch(make: Callable[[], Iterator[Frame]], *, depth: int = 3) -> Iterator[Frame]:
    """Frames of `make()` (called in the thread, so setting up runs ahead too), in order."""
    box: queue.Queue[tuple[str, Frame | BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Frame | BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in make():
                if not put(("frame", frame)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    thread = threading.Thread(target=work, name="reelbox-render", daemon=True)
    started = False
    try:
        thread.start()
        started = True
        while True:
            kind, item = box.get()
            if isinstance(item, BaseException):
                raise item
            if kind == "done" or item is None:
                return
            yield item
    finally:
        stop.set()
        if started:
            while True:  # unblock a producer waiting on a full queue
                try:
                    box.get_nowait()
                except queue.Empty:
                    break
            thread.join(timeout=5)
