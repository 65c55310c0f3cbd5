"""Blobs as files below one directory, written by atomic rename.

Temporary files live in `root/.staging`, named `<host>-<pid>-<random><suffix>` after the
process writing them, so a sweep can tell a live writer's file from one left by a process that
died (`clean_staging`). The staging folder is created again if it disappears.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from reelbox.blobs.base import BlobInfo, BlobNotFound
from reelbox.disk import FolderProbe

# A file of a writer on another host (a shared folder) is judged by age alone.
FOREIGN_STAGING_SECONDS = 3600.0


class LocalBlobStore:
    """Stores each blob at `root/<key>`; temporary files live in `root/.staging`.

    `min_free_bytes`: below this much free space the store reports a storage problem
    (`storage_problem`), so the server turns not ready and stops starting jobs before a write
    fails half-way.
    """

    def __init__(self, root: Path, *, min_free_bytes: int = 0) -> None:
        self.root = root
        self.min_free_bytes = min_free_bytes
        self._staging = root / ".staging"
        self._staging.mkdir(parents=True, exist_ok=True)
        self._host = socket.gethostname().replace("-", "_")
        self._probe = FolderProbe(
            self._staging, label="blob storage", min_free_bytes=min_free_bytes
        )

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(p in ("..", ".", "") for p in parts) or parts[0] == ".staging":
            raise ValueError(f"invalid blob key: {key!r}")
        return self.root.joinpath(*parts)

    def staging_path(self, suffix: str = "") -> Path:
        # Recreated if someone removed it: a missing folder is not a reason to fail a job.
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging / f"{self._host}-{os.getpid()}-{uuid.uuid4().hex}{suffix}"

    def put_file(self, key: str, source: Path) -> BlobInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.parent != self._staging:
            # A file from elsewhere is copied into staging first so the final step is a rename.
            staged = self.staging_path(source.suffix)
            try:
                shutil.copyfile(source, staged)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
            source = staged
        with open(source, "rb") as f:
            os.fsync(f.fileno())
        os.replace(source, target)
        return self.stat(key)

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        staged = self.staging_path()
        try:
            with open(staged, "xb") as f:
                f.write(data)
            return self.put_file(key, staged)
        finally:
            staged.unlink(missing_ok=True)

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

    def iter_blobs(self, prefix: str) -> Iterator[BlobInfo]:
        folder = self._path(prefix)
        if not folder.is_dir():
            return
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                path = Path(dirpath, name)
                try:
                    modified = path.stat().st_mtime
                    size = path.stat().st_size
                except FileNotFoundError:
                    continue  # removed meanwhile
                key = path.relative_to(self.root).as_posix()
                yield BlobInfo(key=key, size=size, modified=modified)

    # -- health -----------------------------------------------------------------------------

    def storage_problem(self) -> str | None:
        """Why blobs cannot be written now (too little space, read-only, missing), or None:
        a real write of a small file into staging, and the free space, cached briefly."""
        return self._probe.problem()

    def forget_probe(self) -> None:
        """Probe again at the next `storage_problem` call (after a write failed)."""
        self._probe.forget()

    # -- sweeping -----------------------------------------------------------------------------

    def clean_staging(self, older_than: float = FOREIGN_STAGING_SECONDS) -> int:
        """Remove temporary files whose writer is gone; returns how many.

        A file of this host is removed when its writer's process no longer exists (or a newer
        process reuses its pid); other files (another host's, or unnamed) once `older_than`.
        """
        removed = 0
        cutoff = time.time() - older_than
        try:
            entries = list(self._staging.iterdir())
        except FileNotFoundError:
            return 0
        for path in entries:
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:
                continue
            alive = self._writer_alive(path.name, modified)
            if alive is False or (alive is None and modified < cutoff):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _writer_alive(self, name: str, modified: float) -> bool | None:
        """Whether the file's writer still runs; None when this host cannot tell."""
        parts = name.split("-", 2)
        if len(parts) != 3 or parts[0] != self._host or not parts[1].isdigit():
            return None
        return process_started_before(int(parts[1]), modified)


def process_started_before(pid: int, moment: float) -> bool:
    """Process `pid` exists and started no later than `moment` (a reused pid does not count)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    started = _process_start_time(pid)
    return started is None or started <= moment + 1.0


def _process_start_time(pid: int) -> float | None:
    """Unix time at which `pid` started (Linux /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22: start time in clock ticks after boot
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return None
