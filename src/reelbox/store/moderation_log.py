"""The moderation audit log: every block, and every pass the classifier could not vouch for.

Rows hold what was decided and a hash of what was checked, never the prompt or the media.
`record` runs in its own transaction; `insert_event` lets the store write a row in the same
transaction as the failure of the job it blocked.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.engine import RowMapping

from reelbox.moderation.verdict import Verdict
from reelbox.store.database import WRITE_OPTION
from reelbox.store.tables import moderation_events


@dataclass(frozen=True, kw_only=True)
class NewModerationEvent:
    project: str
    checkpoint: str  # request | input | output
    subject: str  # prompt, reference_image, input_video, character_clip, output_frames, ...
    policy: str
    outcome: str  # blocked | unchecked
    categories: Sequence[str]
    sources: Sequence[str]
    rules: Sequence[str]
    input_sha256: str
    job_id: str | None = None
    dialect: str | None = None


def event_of(
    verdict: Verdict, *, project: str, dialect: str | None, job_id: str | None = None
) -> NewModerationEvent:
    """The audit row of a verdict that needs one (a block, or an unchecked pass)."""
    return NewModerationEvent(
        project=project,
        checkpoint=verdict.checkpoint.value,
        subject=verdict.subject,
        policy=verdict.policy,
        outcome="blocked" if verdict.blocked else "unchecked",
        categories=verdict.categories,
        sources=verdict.sources,
        rules=verdict.rules,
        input_sha256=verdict.input_sha256,
        job_id=job_id,
        dialect=dialect,
    )


@dataclass(frozen=True, kw_only=True)
class ModerationEvent:
    id: str
    project: str
    checkpoint: str
    subject: str
    policy: str
    outcome: str
    categories: tuple[str, ...]
    sources: tuple[str, ...]
    rules: tuple[str, ...]
    input_sha256: str
    job_id: str | None
    dialect: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "checkpoint": self.checkpoint,
            "subject": self.subject,
            "policy": self.policy,
            "outcome": self.outcome,
            "categories": list(self.categories),
            "sources": list(self.sources),
            "rules": list(self.rules),
            "input_sha256": self.input_sha256,
            "job_id": self.job_id,
            "dialect": self.dialect,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, kw_only=True)
class ModerationCount:
    checkpoint: str
    policy: str
    outcome: str
    category: str
    count: int


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


def _event(row: RowMapping) -> ModerationEvent:
    return ModerationEvent(
        id=row["id"],
        project=row["project"],
        checkpoint=row["checkpoint"],
        subject=row["subject"],
        policy=row["policy"],
        outcome=row["outcome"],
        categories=_split(row["categories"]),
        sources=_split(row["sources"]),
        rules=tuple(row["rules"]),
        input_sha256=row["input_sha256"],
        job_id=row["job_id"],
        dialect=row["dialect"],
        created_at=row["created_at"],
    )


def new_event_id() -> str:
    return f"mod_{int(time.time()):08x}{secrets.token_hex(12)}"


def insert_event(conn: Connection, new: NewModerationEvent, *, now: float) -> str:
    event_id = new_event_id()
    conn.execute(
        insert(moderation_events).values(
            id=event_id,
            project=new.project,
            checkpoint=new.checkpoint,
            subject=new.subject,
            policy=new.policy,
            outcome=new.outcome,
            # Comma-joined so both databases can group by it (JSON has no equality in Postgres).
            categories=",".join(sorted(set(new.categories))),
            sources=",".join(sorted(set(new.sources))),
            rules=list(new.rules),
            input_sha256=new.input_sha256,
            job_id=new.job_id,
            dialect=new.dialect,
            created_at=now,
        )
    )
    return event_id


class ModerationLog:
    def __init__(self, engine: Engine, *, clock: Any = time.time) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock

    def record(self, new: NewModerationEvent) -> str:
        with self._writer.begin() as conn:
            return insert_event(conn, new, now=self._clock())

    def events(
        self,
        *,
        project: str | None = None,
        since: float | None = None,
        checkpoint: str | None = None,
        limit: int = 100,
    ) -> list[ModerationEvent]:
        """Newest first."""
        query = select(moderation_events)
        if project is not None:
            query = query.where(moderation_events.c.project == project)
        if since is not None:
            query = query.where(moderation_events.c.created_at >= since)
        if checkpoint is not None:
            query = query.where(moderation_events.c.checkpoint == checkpoint)
        query = query.order_by(
            moderation_events.c.created_at.desc(), moderation_events.c.id.desc()
        ).limit(limit)
        with self.engine.connect() as conn:
            return [_event(row) for row in conn.execute(query).mappings()]

    def counts(self) -> list[ModerationCount]:
        """Totals per checkpoint, policy, outcome and category (a row counts once per category)."""
        t = moderation_events.c
        query = select(t.checkpoint, t.policy, t.outcome, t.categories, func.count()).group_by(
            t.checkpoint, t.policy, t.outcome, t.categories
        )
        totals: dict[tuple[str, str, str, str], int] = {}
        with self.engine.connect() as conn:
            for checkpoint, policy, outcome, categories, count in conn.execute(query):
                for category in _split(categories) or ("",):
                    key = (checkpoint, policy, outcome, category)
                    totals[key] = totals.get(key, 0) + count
        return [
            ModerationCount(checkpoint=k[0], policy=k[1], outcome=k[2], category=k[3], count=n)
            for k, n in sorted(totals.items())
        ]
