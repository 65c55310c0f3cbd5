"""A `WorkerWatch` (executors/base.py) that keeps what it was told, for executor tests."""

from __future__ import annotations


class Watched:
    def __init__(self) -> None:
        self.restarts: list[str] = []
        self.warmed: list[tuple[str, float]] = []

    def worker_restarted(self, reason: str) -> None:
        self.restarts.append(reason)

    def worker_warmed(self, profile: str, seconds: float) -> None:
        self.warmed.append((profile, seconds))
