"""A process-wide cap on concurrent decodes of uploaded media (images and videos).

Decoding a worst-case upload costs far more memory than its bytes (a 80 KB PNG of 4096x4096 is
128 MB of pixels while it is fitted), so the API decodes at most `max_concurrent_decodes` at
once. A request that finds every slot taken waits up to `decode_wait_seconds` and is then
refused with 503 `server_busy` and a `Retry-After` header, instead of growing the process.

The slots are shared by every thread and event loop of the process (a `threading` semaphore);
`hold` waits in a thread, `ahold` waits on the event loop without holding a thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from reelbox.errors import Unavailable
from reelbox.settings import Settings

RETRY_AFTER_SECONDS = 2.0
_POLL_SECONDS = 0.01


class DecodeSlots:
    def __init__(self, *, size: int, wait_seconds: float) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.size = size
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(size)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold a slot for the block, waiting in this thread (for code already in a thread)."""
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise _busy()
        try:
            yield
        finally:
            self._semaphore.release()

    @asynccontextmanager
    async def ahold(self) -> AsyncIterator[None]:
        """Hold a slot for the block, waiting on the event loop."""
        deadline = time.monotonic() + self.wait_seconds
        while not self._semaphore.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise _busy()
            await asyncio.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            self._semaphore.release()


_slots: dict[tuple[int, float], DecodeSlots] = {}
_current: list[Settings] = []  # the settings of the app that started last (`use_decode_slots`)
_lock = threading.Lock()


def use_decode_slots(settings: Settings) -> None:
    """Make `settings` the process's default, for callers that pass none (the app's lifespan
    calls this)."""
    with _lock:
        _current[:] = [settings]


def decode_slots(settings: Settings | None = None) -> DecodeSlots:
    """The process's slots for these settings (one set per configured size and wait); without
    settings, those of `use_decode_slots`, else the defaults."""
    if settings is None:
        with _lock:
            settings = _current[0] if _current else _defaults()
    key = (settings.max_concurrent_decodes, settings.decode_wait_seconds)
    with _lock:
        found = _slots.get(key)
        if found is None:
            found = _slots[key] = DecodeSlots(size=key[0], wait_seconds=key[1])
        return found


@functools.cache
def _defaults() -> Settings:
    # Only the two fields matter; built from the defaults, never from the environment.
    return Settings.model_construct()


def _busy() -> Unavailable:
    return Unavailable(
        "The server is busy decoding other uploads; retry in a moment.",
        retry_after=RETRY_AFTER_SECONDS,
        code="server_busy",
    )
