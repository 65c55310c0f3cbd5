"""Is a local folder writable now? A real small write plus the free space, cached briefly.

Used for readiness (`/readyz`), by the scheduler before it starts jobs, and by the blob store
and the SQLite store for their own folders. Knows nothing else of Reelbox.
"""

from __future__ import annotations

import errno
import os
import threading
import time
import uuid
from pathlib import Path

PROBE_CACHE_SECONDS = 2.0


class FolderProbe:
    """`problem()` says why `folder` cannot take writes now, or None.

    `min_free_bytes`: less free space than this is a problem too, so work stops before a write
    fails half-way. Results are cached for `cache_seconds`; `forget()` drops the cache (after
    a write failed, say).
    """

    def __init__(
        self,
        folder: Path,
        *,
        label: str,
        min_free_bytes: int = 0,
        cache_seconds: float = PROBE_CACHE_SECONDS,
    ) -> None:
        self.folder = folder
        self.label = label
        self.min_free_bytes = min_free_bytes
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._problem: str | None = None

    def problem(self) -> str | None:
        now = time.monotonic()
        with self._lock:
            if now - self._at >= self.cache_seconds:
                self._problem = self._probe()
                self._at = now
            return self._problem

    def forget(self) -> None:
        with self._lock:
            self._at = float("-inf")

    def _probe(self) -> str | None:
        path = self.folder / f".probe-{os.getpid()}-{uuid.uuid4().hex}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "xb") as f:
                    f.write(b"reelbox")
                    f.flush()
                    os.fsync(f.fileno())
            finally:
                path.unlink(missing_ok=True)
            st = os.statvfs(self.folder)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return f"{self.label} is full"
            name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            return f"{self.label} cannot be written ({name})"
        free = st.f_bavail * st.f_frsize
        if free < self.min_free_bytes:
            return f"{self.label} has {free} bytes free (less than {self.min_free_bytes})"
        return None
