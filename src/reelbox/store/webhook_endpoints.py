"""Webhook endpoints: where a project's events go, and the secrets they are signed with.

Signing secrets are stored encrypted when a `SecretBox` is given (the server always gives one:
`store/secret_box.py`); rows written before that are read as they are and sealed by
`EndpointStore.seal_plaintext()` at start-up.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from reelbox.store.database import WRITE_OPTION
from reelbox.store.secret_box import SecretBox, SecretKeyError
from reelbox.store.tables import webhook_endpoints

T = TypeVar("T")


def new_id(prefix: str, random_hex: int) -> str:
    # Like `reelbox.jobs.ids`: the creation second first, so ids sort roughly by time.
    return f"{prefix}_{int(time.time()):08x}{secrets.token_hex(random_hex // 2)}"


def new_endpoint_id() -> str:
    return new_id("we", 40)


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    id: str
    project: str
    name: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: float | None
    created_at: int
    updated_at: int

    def signing_secrets(self, now: float) -> tuple[str, ...]:
        """The secrets a delivery is signed with: the current one, and a rotated-out one while
        it is kept active."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool


def _open(box: SecretBox | None, value: str, row_id: str) -> str:
    if box is not None:
        return box.open(value, row_id=row_id)
    if SecretBox.is_sealed(value):
        raise SecretKeyError("webhook secrets are encrypted but no secret key was given")
    return value


def _seal(box: SecretBox | None, value: str | None, row_id: str) -> str | None:
    if value is None or box is None:
        return value
    return box.seal(value, row_id=row_id)


def _endpoint(row: RowMapping, box: SecretBox | None) -> Endpoint:
    previous = row["previous_secret"]
    return Endpoint(
        id=row["id"],
        project=row["project"],
        name=row["name"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        secret=_open(box, row["secret"], row["id"]),
        previous_secret=None if previous is None else _open(box, previous, row["id"]),
        previous_secret_expires_at=row["previous_secret_expires_at"],
        created_at=int(row["created_at"]),
        updated_at=int(row["updated_at"]),
    )


def load_endpoint(conn: Connection, endpoint_id: str, box: SecretBox | None = None) -> Endpoint:
    row = conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
    return _endpoint(row.mappings().one(), box)


def _owned(
    conn: Connection, endpoint_id: str, project: str, box: SecretBox | None
) -> Endpoint | None:
    row = (
        conn.execute(
            select(webhook_endpoints).where(
                webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.project == project
            )
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else _endpoint(row, box)


def newest_first_page(
    conn: Connection, query: Any, table: Any, *, scope: Any, after: str | None, limit: int
) -> tuple[list[RowMapping], bool]:
    """A page of `query` over `table`, newest first, continuing past the row `after`."""
    if after is not None:
        anchor = conn.execute(
            select(table.c.created_at, table.c.id).where(table.c.id == after, scope)
        ).one_or_none()
        if anchor is None:
            return [], False
        query = query.where(
            or_(
                table.c.created_at < anchor[0],
                and_(table.c.created_at == anchor[0], table.c.id < anchor[1]),
            )
        )
    rows = conn.execute(
        query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit + 1)
    ).mappings()
    found = list(rows)
    return found[:limit], len(found) > limit


class EndpointStore:
    """Every read and write of webhook endpoints."""

    def __init__(
        self, engine: Engine, *, clock: Any = time.time, box: SecretBox | None = None
    ) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock
        self.box = box

    def seal_plaintext(self) -> int:
        """Encrypt the secrets of rows stored before encryption; returns how many rows."""
        if self.box is None:
            return 0
        sealed = 0
        e = webhook_endpoints.c
        with self._writer.begin() as conn:
            rows = conn.execute(select(e.id, e.secret, e.previous_secret)).all()
            for endpoint_id, secret, previous in rows:
                if SecretBox.is_sealed(secret) and (
                    previous is None or SecretBox.is_sealed(previous)
                ):
                    continue
                conn.execute(
                    update(webhook_endpoints)
                    .where(e.id == endpoint_id, e.secret == secret)
                    .values(
                        secret=_seal(self.box, _open(self.box, secret, endpoint_id), endpoint_id),
                        previous_secret=_seal(
                            self.box,
                            None if previous is None else _open(self.box, previous, endpoint_id),
                            endpoint_id,
                        ),
                    )
                )
                sealed += 1
        return sealed

    def now(self) -> float:
        return float(self._clock())

    def create(
        self, *, project: str, name: str, url: str, event_types: Sequence[str], secret: str
    ) -> Endpoint:
        now = self.now()
        endpoint_id = new_endpoint_id()
        with self._writer.begin() as conn:
            conn.execute(
                insert(webhook_endpoints).values(
                    id=endpoint_id,
                    project=project,
                    name=name,
                    url=url,
                    event_types=list(event_types),
                    secret=_seal(self.box, secret, endpoint_id),
                    created_at=now,
                    updated_at=now,
                )
            )
            return load_endpoint(conn, endpoint_id, self.box)

    def get(self, endpoint_id: str, *, project: str) -> Endpoint | None:
        """The project's endpoint with this id; another project's is None (never disclosed)."""
        with self.engine.connect() as conn:
            return _owned(conn, endpoint_id, project, self.box)

    def list(self, *, project: str, limit: int, after: str | None) -> Page[Endpoint]:
        scope = webhook_endpoints.c.project == project
        with self.engine.connect() as conn:
            rows, more = newest_first_page(
                conn,
                select(webhook_endpoints).where(scope),
                webhook_endpoints,
                scope=scope,
                after=after,
                limit=limit,
            )
        return Page(items=[_endpoint(r, self.box) for r in rows], has_more=more)

    def update(
        self,
        endpoint_id: str,
        *,
        project: str,
        name: str | None = None,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
    ) -> Endpoint | None:
        """Change what is given; `updated_at` moves only when something actually changed."""
        with self._writer.begin() as conn:
            current = _owned(conn, endpoint_id, project, self.box)
            if current is None:
                return None
            values: dict[str, Any] = {}
            if name is not None and name != current.name:
                values["name"] = name
            if url is not None and url != current.url:
                values["url"] = url
            if event_types is not None and tuple(event_types) != current.event_types:
                values["event_types"] = list(event_types)
            if values:
                conn.execute(
                    update(webhook_endpoints)
                    .where(webhook_endpoints.c.id == endpoint_id)
                    .values(updated_at=self.now(), **values)
                )
            return load_endpoint(conn, endpoint_id, self.box)

    def rotate_secret(
        self, endpoint_id: str, *, project: str, secret: str, keep_old_for: float
    ) -> Endpoint | None:
        """Replace the signing secret; the old one keeps signing for `keep_old_for` seconds."""
        now = self.now()
        with self._writer.begin() as conn:
            current = _owned(conn, endpoint_id, project, self.box)
            if current is None:
                return None
            keep = keep_old_for > 0
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(
                    secret=_seal(self.box, secret, endpoint_id),
                    previous_secret=_seal(self.box, current.secret, endpoint_id) if keep else None,
                    previous_secret_expires_at=now + keep_old_for if keep else None,
                    updated_at=now,
                )
            )
            return load_endpoint(conn, endpoint_id, self.box)

    def delete(self, endpoint_id: str, *, project: str) -> bool:
        """Delete an endpoint with its deliveries (pending ones are never sent)."""
        with self._writer.begin() as conn:
            result = conn.execute(
                delete(webhook_endpoints).where(
                    webhook_endpoints.c.id == endpoint_id,
                    webhook_endpoints.c.project == project,
                )
            )
            return result.rowcount == 1
