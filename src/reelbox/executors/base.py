"""The `Executor` protocol: something that runs claimed jobs somewhere else than the API loop."""

from __future__ import annotations

from typing import Protocol

from reelbox.jobs.models import Job


class Executor(Protocol):
    def start(self) -> None:
        """Bring up workers; called once before the first job."""
        ...

    def free_slots(self) -> int:
        """How many more jobs can start now."""
        ...

    def submit(self, job: Job) -> None:
        """Run a job that was just claimed (status in_progress, lease held)."""
        ...

    def poll(self) -> None:
        """Notice finished, dead and overdue runs and settle their jobs."""
        ...

    def running(self) -> set[str]:
        """Ids of the jobs this executor is running now."""
        ...

    def shutdown(self) -> None: ...


class WorkerWatch(Protocol):
    """Told of worker replacements and warm-ups (`/metrics` counts them in this process)."""

    def worker_restarted(self, reason: str) -> None:
        """A worker was replaced: `crashed` (it died), `exited` (it ended on its own, as a
        multi-GPU group out of step does) or `timeout` (killed: its job ran too long)."""
        ...

    def worker_warmed(self, profile: str, seconds: float) -> None:
        """A worker built and warmed `profile`'s engine in `seconds` before saying ready."""
        ...
