"""Live `reelbox serve` processes on random ports, driven the way users drive them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

# Settings and profiles the acceptance tests use besides the Sora aliases (which point at the
# embedded engine).
TEST_SETTINGS: dict[str, object] = {
    "workers": 2,
    "max_running_per_project": 2,
    "scheduler_interval_seconds": 0.05,
    "lease_seconds": 5,
    "poll_after_ms": 100,
}

TEST_PROFILES = """
[profiles.tiny]
engine = "procedural"
description = "embedded engine at 8 fps, any size"
options = { fps = 8 }

[profiles.slow]
engine = "fake"
description = "a slow fake engine for cancellation and crash tests"
options = { fps = 8, frame_delay = 0.1 }

[profiles.fake]
engine = "fake"
options = { fps = 8 }
"""


def server_config(**overrides: object) -> str:
    """A TOML settings file: the test defaults, `overrides` on top, then the test profiles."""
    values = {**TEST_SETTINGS, **overrides}
    lines = [f"{key} = {_toml(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n" + TEST_PROFILES


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


TEST_CONFIG = server_config()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One `reelbox serve` process; can be killed and started again on the same data."""

    def __init__(
        self,
        data_dir: Path,
        *,
        config: str,
        env: dict[str, str] | None = None,
        database_url: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.config_path = data_dir.parent / f"{data_dir.name}.toml"
        self.config_path.write_text(config)
        self.env = env or {}
        self.database_url = database_url
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--config",
            str(self.config_path),
            "--log-level",
            "warning",
        ]
        if self.database_url:
            command += ["--database-url", self.database_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
        env.update(self.env)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the server process only (its workers die with it)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        out = subprocess.run(
            ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        # Spawned workers run `spawn_main`; multiprocessing's resource tracker does not.
        return [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]


def wait_for(predicate: Callable[[], Any], *, timeout: float = 60, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
