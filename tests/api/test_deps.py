"""The key ring: settings keys, database keys found at once and refused within the cache time
after revocation, admin scope, and an open server only while no key exists anywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reelbox.api.deps import OPEN_PROJECT, Caller, KeyRing
from reelbox.errors import Unauthenticated
from reelbox.store.database import connect, migrate
from reelbox.store.keys import KeyStore


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_store(tmp_path: Path) -> KeyStore:
    engine = connect(f"sqlite:///{tmp_path / 'keys.db'}")
    migrate(engine)
    return KeyStore(engine)


def _caller(ring: KeyRing, key: str | None) -> Caller:
    return asyncio.run(ring.caller(key))


def test_settings_keys_and_sha256_digests() -> None:
    ring = KeyRing({"plain": "a", "sha256:" + "ab" * 32: "b"})
    assert not ring.open
    assert _caller(ring, "plain") == Caller("a")
    with pytest.raises(Unauthenticated, match="Incorrect API key"):
        _caller(ring, "other")
    with pytest.raises(Unauthenticated, match="didn't provide an API key"):
        _caller(ring, None)


def test_database_keys_work_at_once_and_stop_within_the_ttl(key_store: KeyStore) -> None:
    ticker = Ticker()
    ring = KeyRing({"plain": "a"}, store=key_store, ttl=2.0, clock=ticker)
    key, plain = key_store.create(project="acme")
    # Never looked up before: found at once, with the key's id (for its own quotas).
    assert _caller(ring, plain) == Caller("acme", key_id=key.id)
    admin, admin_plain = key_store.create(project="ops", admin=True)
    assert _caller(ring, admin_plain) == Caller("ops", admin=True, key_id=admin.id)
    key_store.revoke(key.id)
    ticker.now += 1.9
    assert _caller(ring, plain) == Caller("acme", key_id=key.id)  # still cached
    ticker.now += 0.2
    with pytest.raises(Unauthenticated):
        _caller(ring, plain)
    assert _caller(ring, "plain") == Caller("a")  # settings keys keep working (no key id)


def test_expired_database_keys_are_refused(key_store: KeyStore) -> None:
    wall = Ticker()
    wall.now = 1_000.0
    _, plain = key_store.create(project="acme", expires_at=1_010.0)
    ring = KeyRing({}, store=key_store, wall_clock=wall)
    assert _caller(ring, plain).project == "acme"
    wall.now = 1_010.0
    with pytest.raises(Unauthenticated):
        _caller(ring, plain)


def test_open_until_the_first_key_then_never_again(key_store: KeyStore) -> None:
    ticker = Ticker()
    ring = KeyRing({}, store=key_store, ttl=2.0, clock=ticker)
    assert ring.open and _caller(ring, None) == Caller(OPEN_PROJECT)
    key, _plain = key_store.create(project="acme")
    ticker.now += 2.0
    assert not ring.open
    with pytest.raises(Unauthenticated):
        _caller(ring, None)
    key_store.revoke(key.id)
    ticker.now += 2.0
    assert not ring.open  # revoking the last key does not open the server


def test_lookups_go_to_the_threadpool_when_offloaded(key_store: KeyStore) -> None:
    key, plain = key_store.create(project="acme")
    ring = KeyRing({}, store=key_store, offload=True)
    assert _caller(ring, plain) == Caller("acme", key_id=key.id)
    assert not ring._needs_read(plain)  # cached now: answered on the loop
