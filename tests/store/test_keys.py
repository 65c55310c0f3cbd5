"""Run-time API keys on real SQLite and PostgreSQL: only digests stored, revocation kept."""

from __future__ import annotations

from sqlalchemy import select

from reelbox.store.keys import KEY_PREFIX, KeyStore, key_digest
from reelbox.store.store import Store
from reelbox.store.tables import api_keys


def test_a_key_is_stored_as_its_digest_and_found_by_it(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    keys = KeyStore(store.engine, clock=clock)
    assert not keys.exists()
    key, plain = keys.create(project="acme", name="ci", expires_at=clock.now + 60)
    assert plain.startswith(KEY_PREFIX) and len(plain) > 40
    with store.engine.connect() as conn:
        stored = conn.execute(select(api_keys)).mappings().one()
    assert plain not in {str(v) for v in stored.values()}  # never the key itself
    assert stored["digest"] == key_digest(plain)
    found = keys.find(key_digest(plain))
    assert found == key and found.project == "acme" and not found.admin
    assert found.active(clock.now) and not found.active(clock.now + 61)  # expiry
    assert keys.find(key_digest("rbx-unknown")) is None
    assert keys.exists()


def test_revoked_keys_stay_listed_and_inactive(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    keys = KeyStore(store.engine, clock=clock)
    first, _ = keys.create(project="acme")
    clock.advance(1)
    second, plain = keys.create(project="globex", admin=True)
    clock.advance(5)
    revoked = keys.revoke(second.id)
    assert revoked is not None and revoked.revoked_at == clock.now
    assert keys.revoke(second.id) == revoked  # idempotent: the first revocation time stays
    assert keys.revoke("key_missing") is None
    assert [k.id for k in keys.list()] == [first.id]
    assert [k.id for k in keys.list(include_revoked=True)] == [first.id, second.id]
    assert [k.id for k in keys.list(project="globex", include_revoked=True)] == [second.id]
    found = keys.find(key_digest(plain))
    assert found is not None and found.admin and not found.active(clock.now)
    assert keys.exists()  # revoking every key never opens the server again
    assert revoked.to_json()["redacted_value"].startswith(KEY_PREFIX)
    assert "value" not in revoked.to_json()
