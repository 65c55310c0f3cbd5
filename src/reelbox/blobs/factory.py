"""The blob store a process uses: the local folder by default, an object store for a cluster."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelbox.blobs.local import LocalBlobStore
from reelbox.blobs.object_store import ObjectBlobStore


def open_blob_store(
    *,
    url: str | None,
    local_dir: Path,
    options: Mapping[str, Any] | None = None,
    min_free_bytes: int = 0,
) -> LocalBlobStore | ObjectBlobStore:
    """`LocalBlobStore(local_dir)` without a URL; else an `ObjectBlobStore` at `url` that
    stages its uploads (and caches its downloads for decoders) under `local_dir`."""
    if url is None:
        return LocalBlobStore(local_dir, min_free_bytes=min_free_bytes)
    return ObjectBlobStore(url, work_dir=local_dir, options=options, min_free_bytes=min_free_bytes)
