"""One server per SQLite file: the second `reelbox serve` on the same data stops at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from reelbox.store.data_lock import DataLock
from support.server import TEST_CONFIG, LiveServer


def _serve(data_dir: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
    command = [sys.executable, "-m", "reelbox", "serve", "--port", "0"]
    return subprocess.run(
        [*command, "--data-dir", str(data_dir), "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_second_server_on_the_same_sqlite_data_exits_with_one_clear_line(
    tmp_path: Path,
) -> None:
    first = LiveServer(tmp_path / "data", config=TEST_CONFIG)
    first.start()
    try:
        second = _serve(first.data_dir, first.config_path)
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert lines == [
            f"reelbox serve: another Reelbox server (pid {first.process.pid}) is already using "  # type: ignore[union-attr]
            f"the data in {first.data_dir.resolve()}; stop it or choose another --data-dir"
        ]
        assert httpx.get(f"{first.url}/readyz").status_code == 200  # the first one is untouched
    finally:
        first.stop()
    # The lock died with the first server: a new one starts on the same data.
    again = LiveServer(first.data_dir, config=TEST_CONFIG)
    again.start()
    again.kill()  # even after SIGKILL no stale lock is left
    third = LiveServer(first.data_dir, config=TEST_CONFIG)
    third.start()
    third.stop()


def test_the_lock_is_per_process_and_reentrant(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reelbox.db'}"
    held = DataLock.acquire(url, data_dir=tmp_path)
    inner = DataLock.acquire(url, data_dir=tmp_path)  # the app lifespan inside `serve`
    assert held is not None and inner is not None
    code = (
        "import sys, pathlib; from reelbox.store.data_lock import DataLock, DataDirInUse\n"
        f"try: DataLock.acquire({url!r}, data_dir=pathlib.Path({str(tmp_path)!r}))\n"
        "except DataDirInUse as e: print(e); sys.exit(3)\n"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.returncode == 3 and f"pid {os.getpid()}" in other.stdout
    inner.release()
    assert subprocess.run([sys.executable, "-c", code]).returncode == 3  # still held
    held.release()
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_postgresql_takes_no_lock(tmp_path: Path) -> None:
    assert DataLock.acquire("postgresql+psycopg://u@h/db", data_dir=tmp_path) is None
    assert DataLock.acquire("sqlite://", data_dir=tmp_path) is None  # in memory
