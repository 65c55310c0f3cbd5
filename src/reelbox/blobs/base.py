"""The `BlobStore` protocol: media files stored and served by key.

Keys are relative POSIX paths such as `generations/gen_ab12/video.mp4`. A blob becomes visible
only once it is complete: writers stage into a temporary file and `put_file` it, which is an
atomic rename on the local store (and a single PUT on an object store).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class BlobNotFound(KeyError):
    """No blob is stored under that key."""


@dataclass(frozen=True, kw_only=True)
class BlobInfo:
    key: str
    size: int
    modified: float  # Unix seconds


class BlobStore(Protocol):
    def staging_path(self, suffix: str = "") -> Path:
        """A fresh path for a temporary file, on the same filesystem as the store."""
        ...

    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Move a finished file into the store under `key`, atomically."""
        ...

    def put_bytes(self, key: str, data: bytes) -> BlobInfo: ...

    def get_bytes(self, key: str) -> bytes: ...

    def stat(self, key: str) -> BlobInfo: ...

    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> Path:
        """A readable local file for the blob (for `FileResponse` and decoders)."""
        ...

    def delete(self, key: str) -> None:
        """Remove a blob; a missing one is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under `prefix/`; returns how many were removed."""
        ...

    def iter_blobs(self, prefix: str) -> Iterator[BlobInfo]:
        """Every blob under `prefix/` (for the orphan sweep); order unspecified."""
        ...

    def storage_problem(self) -> str | None:
        """Why blobs cannot be written now (full, read-only, unreachable), or None. Cheap
        enough to call per readiness probe (implementations cache)."""
        ...

    def clean_staging(self, older_than: float = ...) -> int:
        """Remove temporary files whose writers are gone; returns how many."""
        ...
