"""Reads for operators across every project (`reelbox jobs …`, `reelbox webhooks deliveries`).

The API's own reads (store/queries.py) are always scoped to one project and dialect; these are
not, and are only reachable from the command line against the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from reelbox.jobs.models import Job
from reelbox.store.rows import job_from_row
from reelbox.store.tables import jobs, webhook_attempts, webhook_deliveries, webhook_endpoints


@dataclass(frozen=True, kw_only=True)
class DeliveryRow:
    """A webhook delivery with its endpoint and its last attempt."""

    id: str
    project: str
    endpoint_id: str
    url: str
    event_type: str
    object_id: str
    status: str
    attempts: int
    created_at: float
    next_attempt_at: float | None
    last_status_code: int | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "event_type": self.event_type,
            "object_id": self.object_id,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "next_attempt_at": self.next_attempt_at,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
        }


class AdminQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def jobs(
        self,
        *,
        project: str | None = None,
        statuses: list[str] | None = None,
        profile: str | None = None,
        created_before: float | None = None,
        created_after: float | None = None,
        include_deleted: bool = False,
        limit: int = 50,
    ) -> list[Job]:
        """Jobs of every project, newest first, filtered."""
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
        if project is not None:
            query = query.where(jobs.c.project == project)
        if statuses:
            query = query.where(jobs.c.status.in_(statuses))
        if profile is not None:
            query = query.where(jobs.c.profile == profile)
        if created_before is not None:
            query = query.where(jobs.c.created_at < created_before)
        if created_after is not None:
            query = query.where(jobs.c.created_at >= created_after)
        if not include_deleted:
            query = query.where(jobs.c.deleted_at.is_(None))
        with self.engine.connect() as conn:
            return [job_from_row(row) for row in conn.execute(query).mappings()]

    def job(self, job_id: str) -> Job | None:
        """One job of any project, deleted or not."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return None if row is None else job_from_row(row)

    def deliveries(
        self, *, project: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[DeliveryRow]:
        """Webhook deliveries, newest first, with their endpoint's URL and last attempt."""
        d, e, a = webhook_deliveries.c, webhook_endpoints.c, webhook_attempts.c
        last = (
            select(a.delivery_id, func.max(a.id).label("attempt_id"))
            .group_by(a.delivery_id)
            .subquery()
        )
        query = (
            select(
                d.id,
                d.project,
                d.endpoint_id,
                e.url,
                d.event_type,
                d.object_id,
                d.status,
                d.attempts,
                d.created_at,
                d.next_attempt_at,
                a.status_code,
                a.error,
            )
            .join(webhook_endpoints, e.id == d.endpoint_id)
            .outerjoin(last, last.c.delivery_id == d.id)
            .outerjoin(webhook_attempts, a.id == last.c.attempt_id)
            .order_by(d.created_at.desc(), d.id.desc())
            .limit(limit)
        )
        if project is not None:
            query = query.where(d.project == project)
        if status is not None:
            query = query.where(d.status == status)
        with self.engine.connect() as conn:
            return [
                DeliveryRow(
                    id=row.id,
                    project=row.project,
                    endpoint_id=row.endpoint_id,
                    url=row.url,
                    event_type=row.event_type,
                    object_id=row.object_id,
                    status=row.status,
                    attempts=row.attempts,
                    created_at=row.created_at,
                    next_attempt_at=row.next_attempt_at,
                    last_status_code=row.status_code,
                    last_error=row.error,
                )
                for row in conn.execute(query)
            ]
