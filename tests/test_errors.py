"""`storage_fault`: which lower-level errors mean the storage is full or unwritable."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from reelbox.errors import StorageUnavailable, storage_fault


@pytest.mark.parametrize(
    ("number", "full"),
    [(errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EROFS, False), (errno.EACCES, False)],
)
def test_os_errors(number: int, full: bool) -> None:
    fault = storage_fault(OSError(number, "boom", "/srv/reelbox/blobs/.staging/x"))
    assert fault is not None and fault.full is full
    assert fault.code == "storage_unavailable" and "/" not in fault.message


def test_other_errors_are_not_storage_faults() -> None:
    assert storage_fault(FileNotFoundError(errno.ENOENT, "no", "x")) is None
    assert storage_fault(ValueError("x")) is None
    assert storage_fault(OSError("no errno")) is None


def test_a_wrapped_or_chained_fault_is_found() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("encoding failed") from inner
    except RuntimeError as outer:
        fault = storage_fault(outer)
    assert fault is not None and fault.full
    assert storage_fault(StorageUnavailable(full=False)) is not None


def test_a_read_only_sqlite_database_through_sqlalchemy(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.close()
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(OperationalError) as raised, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    fault = storage_fault(raised.value)
    assert fault is not None and not fault.full


def test_a_full_sqlite_database(small_disk: Path) -> None:
    db = sqlite3.connect(small_disk / "full.db")
    db.execute("CREATE TABLE t (x BLOB)")
    with pytest.raises(sqlite3.OperationalError) as raised:
        while True:
            db.execute("INSERT INTO t VALUES (zeroblob(65536))")
            db.commit()
    db.close()
    fault = storage_fault(raised.value)
    assert fault is not None and fault.full
