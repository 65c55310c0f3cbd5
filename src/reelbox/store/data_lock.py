"""One server per SQLite database: an exclusive `flock` on a lock file beside it.

Two servers on one SQLite file would each take the other's running jobs and webhook leases for
a dead server's and re-queue them. `reelbox serve` takes this lock before it starts (and the app
lifespan does when it runs jobs); a second server on the same data stops with `DataDirInUse`.
The lock is the kernel's: it goes away with the process, however it ends, so a killed server
never leaves a stale lock behind. PostgreSQL needs no such lock (several servers are allowed).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

_held: dict[Path, tuple[int, int]] = {}  # lock file -> (fd, holders) in this process
_guard = threading.Lock()


class DataDirInUse(Exception):
    """Another process holds the lock of this database."""


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL, None for other databases (or in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


class DataLock:
    """Holds the lock of one SQLite database until `release()` (re-entrant in a process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._released = False

    @classmethod
    def acquire(cls, database_url: str, *, data_dir: Path) -> DataLock | None:
        """Lock the database of `database_url`; None when it is not SQLite.

        Raises `DataDirInUse`, naming `data_dir`, when another process holds it.
        """
        database = sqlite_path(database_url)
        if database is None:
            return None
        path = database.with_name(database.name + ".lock")
        with _guard:
            if path in _held:
                fd, holders = _held[path]
                _held[path] = (fd, holders + 1)
                return cls(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise DataDirInUse(
                    f"another Reelbox server (pid {owner}) is already using the data in "
                    f"{data_dir.resolve()}; stop it or choose another --data-dir"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            _held[path] = (fd, 1)
        return cls(path)

    def release(self) -> None:
        with _guard:
            if self._released or self.path not in _held:
                return
            self._released = True
            fd, holders = _held[self.path]
            if holders > 1:
                _held[self.path] = (fd, holders - 1)
                return
            del _held[self.path]
            os.close(fd)  # closing the last descriptor drops the flock
