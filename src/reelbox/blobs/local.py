"""Blobs as files below one directory, written by atomic rename."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from reelbox.blobs.base import BlobInfo, BlobNotFound


class LocalBlobStore:
    """Stores each blob at `root/<key>`; temporary files live in `root/.staging`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._staging = root / ".staging"
        self._staging.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(p in ("..", ".", "") for p in parts) or parts[0] == ".staging":
            raise ValueError(f"invalid blob key: {key!r}")
        return self.root.joinpath(*parts)

    def staging_path(self, suffix: str = "") -> Path:
        return self._staging / f"{uuid.uuid4().hex}{suffix}"

    def put_file(self, key: str, source: Path) -> BlobInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.parent != self._staging:
            # A file from elsewhere is copied into staging first so the final step is a rename.
            staged = self.staging_path(source.suffix)
            shutil.copyfile(source, staged)
            source = staged
        with open(source, "rb") as f:
            os.fsync(f.fileno())
        os.replace(source, target)
        return self.stat(key)

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        fd, name = tempfile.mkstemp(dir=self._staging)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return self.put_file(key, Path(name))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

    def stat(self, key: str) -> BlobInfo:
        try:
            st = self._path(key).stat()
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        return BlobInfo(key=key, size=st.st_size, modified=st.st_mtime)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix)
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def clean_staging(self, older_than: float) -> int:
        """Remove temporary files left by writers that died; returns how many."""
        removed = 0
        cutoff = time.time() - older_than
        for path in self._staging.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
