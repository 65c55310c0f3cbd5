"""API keys created at run time: stored as SHA-256 digests, never as the key itself.

A key is shown once, when it is created. Revoking sets `revoked_at`; the row stays so that a
listing shows what was revoked and when. Servers look keys up by digest (`find`) and cache the
answer for a couple of seconds (`reelbox.api.deps.KeyRing`), which is how a revocation reaches
every replica without a restart.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from reelbox.store.database import WRITE_OPTION
from reelbox.store.tables import api_keys

KEY_PREFIX = "rbx-"


def key_digest(key: str) -> str:
    """The hex SHA-256 digest of a key: what is stored and compared."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, kw_only=True)
class ApiKey:
    """One stored key (without the key)."""

    id: str
    prefix: str
    project: str
    name: str
    admin: bool
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def active(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "object": "organization.api_key",
            "id": self.id,
            "name": self.name,
            "project_id": self.project,
            "admin": self.admin,
            "redacted_value": f"{self.prefix}…",
            "created_at": int(self.created_at),
            "expires_at": None if self.expires_at is None else int(self.expires_at),
            "revoked_at": None if self.revoked_at is None else int(self.revoked_at),
        }


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=row["id"],
        prefix=row["prefix"],
        project=row["project"],
        name=row["name"],
        admin=bool(row["admin"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


class KeyStore:
    """Create, list, revoke and find run-time keys on one SQLAlchemy engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock = clock

    def create(
        self,
        *,
        project: str,
        name: str = "",
        admin: bool = False,
        expires_at: float | None = None,
    ) -> tuple[ApiKey, str]:
        """Store a new key; returns it with the plain key, which is never stored."""
        if not project.strip():
            raise ValueError("a key needs a project")
        plain = new_key()
        key = ApiKey(
            id=f"key_{secrets.token_hex(12)}",
            prefix=plain[: len(KEY_PREFIX) + 6],
            project=project,
            name=name,
            admin=admin,
            created_at=self._clock(),
            expires_at=expires_at,
            revoked_at=None,
        )
        with self._writer.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    id=key.id,
                    digest=key_digest(plain),
                    prefix=key.prefix,
                    project=key.project,
                    name=key.name,
                    admin=key.admin,
                    created_at=key.created_at,
                    expires_at=key.expires_at,
                    revoked_at=None,
                )
            )
        return key, plain

    def list(self, *, project: str | None = None, include_revoked: bool = False) -> list[ApiKey]:
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if project is not None:
            query = query.where(api_keys.c.project == project)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_key(row) for row in conn.execute(query).mappings()]

    def get(self, key_id: str) -> ApiKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).mappings().first()
        return None if row is None else _key(row)

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key (idempotent); None when there is no such key."""
        with self._writer.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).mappings().first()
        return None if row is None else _key(row)

    def find(self, digest: str) -> ApiKey | None:
        """The key with this digest, active or not."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(api_keys).where(api_keys.c.digest == digest.lower()))
                .mappings()
                .first()
            )
        return None if row is None else _key(row)

    def exists(self) -> bool:
        """Whether any key was ever created. A server with one requires keys of every caller,
        and stays so when they are all revoked (revoking the last key never opens it)."""
        with self.engine.connect() as conn:
            return conn.execute(select(api_keys.c.id).limit(1)).first() is not None
