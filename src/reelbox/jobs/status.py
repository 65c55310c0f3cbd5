"""Job statuses and the transitions allowed between them.

```
queued ──► in_progress ──► completed
  │  ▲          │  └─────► failed
  │  └──────────┘ (requeued after a lost worker, while attempts remain)
  └──────────────┴───────► cancelled   (DELETE of an unfinished job)
```
Every change is one guarded `UPDATE ... WHERE status = :expected` in the store, with an event row.
"""

from __future__ import annotations

import enum


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.IN_PROGRESS: frozenset(
        {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.QUEUED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class InvalidTransition(Exception):
    def __init__(self, current: JobStatus, target: JobStatus) -> None:
        super().__init__(f"a {current.value} job cannot become {target.value}")
        self.current = current
        self.target = target


def check_transition(current: JobStatus, target: JobStatus) -> None:
    """Raise `InvalidTransition` unless `current -> target` is allowed."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)


class FailureCode(enum.StrEnum):
    """`error.code` of a failed job (DECISIONS D3)."""

    MODERATION_BLOCKED = "moderation_blocked"
    ENGINE_ERROR = "engine_error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    INTERNAL_ERROR = "internal_error"
