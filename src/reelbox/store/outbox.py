"""The webhook outbox: deliveries and their attempts.

A job's terminal status change inserts one `webhook_deliveries` row per subscribed endpoint in the
same transaction as the change (`enqueue_job_event`, called by `Store._transition`), so a crash
can neither lose an event nor record one for a change that never committed. A row's id is the
`webhook-id` header and its body is fixed when it is inserted, so every retry sends the same
message.

A deliverer claims due rows with a lease (one guarded UPDATE each, so two servers never send the
same row at once), sends them, and records each attempt together with the next due time or the
final status. A server that dies mid-send leaves a lease that runs out, and the row is sent again
(at-least-once; `webhook-id` is the receiver's idempotency key).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from reelbox.jobs.ids import new_event_id
from reelbox.jobs.status import JobStatus
from reelbox.store.database import WRITE_OPTION
from reelbox.store.secret_box import SecretBox
from reelbox.store.tables import jobs, webhook_attempts, webhook_deliveries, webhook_endpoints
from reelbox.store.webhook_endpoints import (
    Endpoint,
    Page,
    load_endpoint,
    new_id,
    newest_first_page,
)

# Which event a job's terminal status sends, per dialect. Cancelled jobs send nothing.
JOB_EVENT_TYPES: dict[tuple[str, JobStatus], str] = {
    ("openai", JobStatus.COMPLETED): "video.completed",
    ("openai", JobStatus.FAILED): "video.failed",
    ("azure", JobStatus.COMPLETED): "video.generation.job.succeeded",
    ("azure", JobStatus.FAILED): "video.generation.job.failed",
}
EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(JOB_EVENT_TYPES.values()))


def job_event_type(dialect: str, status: JobStatus) -> str | None:
    """The webhook event type a job of `dialect` sends on reaching `status`, if any."""
    return JOB_EVENT_TYPES.get(("azure" if dialect == "azure" else "openai", status))


def event_body(*, event_id: str, event_type: str, object_id: str, created_at: int) -> str:
    """The exact JSON text of an event (SORA_API.md A8), as it is signed and sent."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created_at": created_at,
            "type": event_type,
            "data": {"id": object_id},
        },
        separators=(",", ":"),
    )


def new_delivery_id() -> str:
    """A `webhook-id`: `wh_` and 32 hex digits, like OpenAI's."""
    return new_id("wh", 24)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt, or being sent
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up: the retry window ran out


@dataclass(frozen=True, kw_only=True)
class Delivery:
    id: str
    endpoint_id: str
    project: str
    event_id: str
    event_type: str
    object_id: str
    body: str
    status: DeliveryStatus
    attempts: int
    window_started_at: float
    next_attempt_at: float | None
    lease_expires_at: float | None
    created_at: int


@dataclass(frozen=True, kw_only=True)
class AttemptRecord:
    """One HTTP attempt and how it went; `response_body` is only a short prefix."""

    number: int
    started_at: float
    duration_ms: int
    success: bool
    status_code: int | None
    error: str | None
    response_body: str | None


@dataclass(frozen=True, kw_only=True)
class Claimed:
    """A delivery leased to this process for attempt `number`, with where and how to send it."""

    delivery: Delivery
    number: int
    url: str
    secrets: tuple[str, ...]


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    return Delivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        project=row["project"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        object_id=row["object_id"],
        body=row["body"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        window_started_at=row["window_started_at"],
        next_attempt_at=row["next_attempt_at"],
        lease_expires_at=row["lease_expires_at"],
        created_at=int(row["created_at"]),
    )


def _attempt(row: RowMapping) -> AttemptRecord:
    return AttemptRecord(
        number=row["number"],
        started_at=row["started_at"],
        duration_ms=row["duration_ms"],
        success=bool(row["success"]),
        status_code=row["status_code"],
        error=row["error"],
        response_body=row["response_body"],
    )


def _delivery_row(
    *,
    endpoint_id: str,
    project: str,
    event_id: str,
    event_type: str,
    object_id: str,
    body: str,
    now: float,
) -> dict[str, Any]:
    return {
        "id": new_delivery_id(),
        "endpoint_id": endpoint_id,
        "project": project,
        "event_id": event_id,
        "event_type": event_type,
        "object_id": object_id,
        "body": body,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "window_started_at": now,
        "next_attempt_at": now,
        "lease_expires_at": None,
        "created_at": now,
        "updated_at": now,
    }


def enqueue_job_event(
    conn: Connection, *, job_id: str, project: str, status: JobStatus, now: float
) -> int:
    """Record the webhook deliveries a job's status change causes, on the caller's transaction.

    Returns how many deliveries were recorded (one per subscribed endpoint of the project).
    """
    if status not in (JobStatus.COMPLETED, JobStatus.FAILED):
        return 0
    dialect = conn.execute(select(jobs.c.dialect).where(jobs.c.id == job_id)).scalar_one()
    event_type = job_event_type(dialect, status)
    if event_type is None:
        return 0
    endpoints = conn.execute(
        select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(
            webhook_endpoints.c.project == project
        )
    ).all()
    targets = [endpoint_id for endpoint_id, types in endpoints if event_type in types]
    if not targets:
        return 0
    event_id = new_event_id()
    body = event_body(
        event_id=event_id, event_type=event_type, object_id=job_id, created_at=int(now)
    )
    conn.execute(
        insert(webhook_deliveries),
        [
            _delivery_row(
                endpoint_id=endpoint_id,
                project=project,
                event_id=event_id,
                event_type=event_type,
                object_id=job_id,
                body=body,
                now=now,
            )
            for endpoint_id in targets
        ],
    )
    return len(targets)


class Outbox:
    """Every read and write of webhook deliveries and attempts."""

    def __init__(
        self, engine: Engine, *, clock: Any = time.time, box: SecretBox | None = None
    ) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock
        self.box = box  # decrypts endpoints' signing secrets (store/secret_box.py)

    def now(self) -> float:
        return float(self._clock())

    def _due(self, now: float) -> Any:
        d = webhook_deliveries.c
        return and_(
            d.status == DeliveryStatus.PENDING.value,
            d.next_attempt_at <= now,
            or_(d.lease_expires_at.is_(None), d.lease_expires_at < now),
        )

    def trace_context(self, object_id: str) -> dict[str, str] | None:
        """The trace context stored with the job an event is about (None: none, or no job)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(jobs.c.trace_context).where(jobs.c.id == object_id)
            ).scalar_one_or_none()
        return found if isinstance(found, dict) else None

    def claim_due(
        self, *, limit: int, lease_seconds: float, busy: Collection[str] = ()
    ) -> list[Claimed]:
        """Lease up to `limit` due deliveries, at most one per endpoint and none for the `busy`
        endpoints, earliest due first. One endpoint's backlog never hides another's."""
        if limit <= 0:
            return []
        now = self.now()
        d = webhook_deliveries.c
        with self.engine.connect() as conn:  # look first, without taking the write lock
            heads = conn.execute(
                select(d.endpoint_id, func.min(d.next_attempt_at).label("due"))
                .where(self._due(now))
                .group_by(d.endpoint_id)
                .order_by("due")
                .limit(limit + len(busy))
            ).all()
            endpoint_ids = [e for e, _ in heads if e not in busy][:limit]
            candidates = []
            for endpoint_id in endpoint_ids:
                found = conn.execute(
                    select(d.id)
                    .where(d.endpoint_id == endpoint_id, self._due(now))
                    .order_by(d.next_attempt_at, d.created_at, d.id)
                    .limit(1)
                ).scalar_one_or_none()
                if found is not None:
                    candidates.append(found)
        if not candidates:
            return []
        claimed: list[Claimed] = []
        with self._writer.begin() as conn:
            for delivery_id in candidates:
                result = conn.execute(
                    update(webhook_deliveries)
                    .where(d.id == delivery_id, self._due(now))
                    .values(
                        attempts=d.attempts + 1,
                        lease_expires_at=now + lease_seconds,
                        updated_at=now,
                    )
                )
                if result.rowcount != 1:
                    continue  # another server took it
                delivery = _delivery(
                    conn.execute(select(webhook_deliveries).where(d.id == delivery_id))
                    .mappings()
                    .one()
                )
                endpoint = load_endpoint(conn, delivery.endpoint_id, self.box)
                claimed.append(
                    Claimed(
                        delivery=delivery,
                        number=delivery.attempts,
                        url=endpoint.url,
                        secrets=endpoint.signing_secrets(now),
                    )
                )
        return claimed

    def enqueue_test(
        self, endpoint: Endpoint, *, event_type: str, object_id: str, lease_seconds: float
    ) -> Claimed:
        """Record a test event for `endpoint`, already leased to the caller, who sends it now."""
        now = self.now()
        event_id = new_event_id()
        row = _delivery_row(
            endpoint_id=endpoint.id,
            project=endpoint.project,
            event_id=event_id,
            event_type=event_type,
            object_id=object_id,
            body=event_body(
                event_id=event_id, event_type=event_type, object_id=object_id, created_at=int(now)
            ),
            now=now,
        )
        row.update(attempts=1, lease_expires_at=now + lease_seconds)
        with self._writer.begin() as conn:
            conn.execute(insert(webhook_deliveries).values(**row))
        delivery = _delivery(row)
        return Claimed(
            delivery=delivery, number=1, url=endpoint.url, secrets=endpoint.signing_secrets(now)
        )

    def record_attempt(
        self,
        delivery_id: str,
        attempt: AttemptRecord,
        *,
        status: DeliveryStatus,
        next_attempt_at: float | None,
    ) -> bool:
        """Store an attempt and what happens next, releasing the lease.

        Fenced by the attempt number: if the lease ran out and the delivery was claimed again
        meanwhile, only the attempt row is kept. False if the delivery is gone or fenced out.
        """
        now = self.now()
        d = webhook_deliveries.c
        with self._writer.begin() as conn:
            result = conn.execute(
                update(webhook_deliveries)
                .where(d.id == delivery_id, d.attempts == attempt.number)
                .values(
                    status=status.value,
                    next_attempt_at=next_attempt_at,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            exists = result.rowcount == 1 or (
                conn.execute(select(d.id).where(d.id == delivery_id)).first() is not None
            )
            if exists:  # an endpoint deleted mid-send took its deliveries with it
                conn.execute(
                    insert(webhook_attempts).values(
                        delivery_id=delivery_id,
                        number=attempt.number,
                        started_at=attempt.started_at,
                        duration_ms=attempt.duration_ms,
                        success=attempt.success,
                        status_code=attempt.status_code,
                        error=attempt.error,
                        response_body=attempt.response_body,
                    )
                )
        return result.rowcount == 1

    def release(self, delivery_id: str, *, number: int) -> None:
        """Give back a lease without an outcome (shutdown): the delivery is due again now."""
        now = self.now()
        d = webhook_deliveries.c
        with self._writer.begin() as conn:
            conn.execute(
                update(webhook_deliveries)
                .where(
                    d.id == delivery_id,
                    d.attempts == number,
                    d.status == DeliveryStatus.PENDING.value,
                )
                .values(lease_expires_at=None, next_attempt_at=now, updated_at=now)
            )

    def release_all(self) -> int:
        """Drop every lease (start-up of the only server: in-flight sends died with the last
        process). Returns how many deliveries were due again."""
        now = self.now()
        d = webhook_deliveries.c
        with self._writer.begin() as conn:
            result = conn.execute(
                update(webhook_deliveries)
                .where(d.lease_expires_at.is_not(None), d.status == DeliveryStatus.PENDING.value)
                .values(lease_expires_at=None, next_attempt_at=now, updated_at=now)
            )
            return int(result.rowcount)

    def prune(self, *, finished_before: float) -> int:
        """Delete finished deliveries (and their attempts) last changed before a time."""
        d = webhook_deliveries.c
        with self._writer.begin() as conn:
            result = conn.execute(
                delete(webhook_deliveries).where(
                    d.status != DeliveryStatus.PENDING.value, d.updated_at < finished_before
                )
            )
            return int(result.rowcount)

    # -- deliveries as users see them ------------------------------------------------------------

    def list_deliveries(
        self, endpoint_id: str, *, project: str, limit: int, after: str | None
    ) -> Page[tuple[Delivery, list[AttemptRecord]]]:
        d = webhook_deliveries.c
        scope = and_(d.endpoint_id == endpoint_id, d.project == project)
        with self.engine.connect() as conn:
            rows, more = newest_first_page(
                conn,
                select(webhook_deliveries).where(scope),
                webhook_deliveries,
                scope=scope,
                after=after,
                limit=limit,
            )
            deliveries = [_delivery(r) for r in rows]
            attempts = self._attempts(conn, [x.id for x in deliveries])
        return Page(items=[(x, attempts.get(x.id, [])) for x in deliveries], has_more=more)

    @staticmethod
    def _attempts(conn: Connection, delivery_ids: list[str]) -> dict[str, list[AttemptRecord]]:
        if not delivery_ids:
            return {}
        found: dict[str, list[AttemptRecord]] = {}
        rows = conn.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
            .order_by(webhook_attempts.c.id)
        ).mappings()
        for row in rows:
            found.setdefault(row["delivery_id"], []).append(_attempt(row))
        return found

    def get_delivery(
        self, delivery_id: str, *, endpoint_id: str, project: str
    ) -> tuple[Delivery, list[AttemptRecord]] | None:
        d = webhook_deliveries.c
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(webhook_deliveries).where(
                        d.id == delivery_id, d.endpoint_id == endpoint_id, d.project == project
                    )
                )
                .mappings()
                .one_or_none()
            )
            if row is None:
                return None
            delivery = _delivery(row)
            return delivery, self._attempts(conn, [delivery.id]).get(delivery.id, [])

    def redeliver(self, delivery_id: str, *, endpoint_id: str, project: str) -> bool:
        """Send a delivery again, with a fresh retry window, unless it is being sent right now.

        The `webhook-id` and body stay the same: it is the same message. False if there is no
        such delivery.
        """
        now = self.now()
        d = webhook_deliveries.c
        with self._writer.begin() as conn:
            exists = conn.execute(
                select(d.id).where(
                    d.id == delivery_id, d.endpoint_id == endpoint_id, d.project == project
                )
            ).first()
            if exists is None:
                return False
            conn.execute(
                update(webhook_deliveries)
                .where(
                    d.id == delivery_id,
                    or_(d.lease_expires_at.is_(None), d.lease_expires_at < now),
                )
                .values(
                    status=DeliveryStatus.PENDING.value,
                    window_started_at=now,
                    next_attempt_at=now,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
        return True
