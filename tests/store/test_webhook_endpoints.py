"""Webhook endpoints on real SQLite and PostgreSQL: per-project, paged, rotated secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reelbox.store.outbox import Outbox
from reelbox.store.secret_box import SecretBox, SecretKeyError, new_key
from reelbox.store.store import Store
from reelbox.store.tables import webhook_endpoints
from reelbox.store.webhook_endpoints import EndpointStore


@pytest.fixture
def endpoints(store: Store, clock) -> EndpointStore:  # type: ignore[no-untyped-def]
    return EndpointStore(store.engine, clock=clock)


def test_endpoints_belong_to_one_project(endpoints: EndpointStore) -> None:
    mine = endpoints.create(
        project="a", name="n", url="https://h.example/", event_types=["video.failed"], secret="s"
    )
    assert endpoints.get(mine.id, project="a") == mine
    assert mine.event_types == ("video.failed",) and mine.secret == "s"
    assert endpoints.get(mine.id, project="b") is None
    assert endpoints.update(mine.id, project="b", name="x") is None
    assert endpoints.rotate_secret(mine.id, project="b", secret="t", keep_old_for=0) is None
    assert not endpoints.delete(mine.id, project="b")
    assert endpoints.list(project="b", limit=10, after=None).items == []


def test_lists_page_newest_first(endpoints: EndpointStore, clock) -> None:  # type: ignore[no-untyped-def]
    made = []
    for i in range(3):
        made.append(
            endpoints.create(
                project="a",
                name=f"n{i}",
                url="https://h/",
                event_types=["video.failed"],
                secret="s",
            ).id
        )
        clock.advance(1)
    page = endpoints.list(project="a", limit=2, after=None)
    assert [e.id for e in page.items] == [made[2], made[1]] and page.has_more
    page = endpoints.list(project="a", limit=2, after=made[1])
    assert [e.id for e in page.items] == [made[0]] and not page.has_more


def test_updates_move_updated_at_only_when_something_changes(
    endpoints: EndpointStore, clock
) -> None:  # type: ignore[no-untyped-def]
    made = endpoints.create(
        project="a", name="n", url="https://h/", event_types=["video.failed"], secret="s"
    )
    clock.advance(10)
    same = endpoints.update(made.id, project="a", name="n", event_types=["video.failed"])
    assert same == made
    changed = endpoints.update(made.id, project="a", url="https://other/")
    assert changed is not None and changed.url == "https://other/" and changed.name == "n"
    assert changed.updated_at == made.updated_at + 10 and changed.created_at == made.created_at


def test_rotation_can_keep_the_old_secret_signing_for_a_while(
    endpoints: EndpointStore, clock
) -> None:  # type: ignore[no-untyped-def]
    made = endpoints.create(
        project="a", name="n", url="https://h/", event_types=["video.failed"], secret="old"
    )
    kept = endpoints.rotate_secret(made.id, project="a", secret="new", keep_old_for=100)
    assert kept is not None and kept.signing_secrets(clock.now) == ("new", "old")
    assert kept.signing_secrets(clock.now + 101) == ("new",)
    dropped = endpoints.rotate_secret(made.id, project="a", secret="newer", keep_old_for=0)
    assert dropped is not None and dropped.signing_secrets(clock.now) == ("newer",)


def _raw(store: Store, endpoint_id: str) -> tuple[str, str | None]:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(webhook_endpoints.c.secret, webhook_endpoints.c.previous_secret).where(
                webhook_endpoints.c.id == endpoint_id
            )
        ).one()
    return row[0], row[1]


SECRET = "whsec_Zmlyc3Qtc2VjcmV0LWZpcnN0LXNlY3JldC1maXJzdC1zZWNyZXQ="


def test_secrets_are_stored_encrypted_and_read_back_plain(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    box = SecretBox([new_key()])
    endpoints = EndpointStore(store.engine, clock=clock, box=box)
    made = endpoints.create(
        project="a", name="n", url="https://h/", event_types=["video.failed"], secret=SECRET
    )
    stored, previous = _raw(store, made.id)
    assert stored.startswith("enc1:") and SECRET not in stored and previous is None
    assert made.secret == SECRET
    rotated = endpoints.rotate_secret(made.id, project="a", secret="whsec_bmV3", keep_old_for=60)
    assert rotated is not None and rotated.signing_secrets(clock.now) == ("whsec_bmV3", SECRET)
    stored, previous = _raw(store, made.id)
    assert previous is not None and previous.startswith("enc1:") and SECRET not in previous
    # The outbox decrypts with the same box to sign deliveries.
    outbox = Outbox(store.engine, clock=clock, box=box)
    enqueue = outbox.enqueue_test(
        rotated, event_type="video.failed", object_id="video_1", lease_seconds=5
    )
    assert enqueue.secrets == ("whsec_bmV3", SECRET)
    # Without the key the secret is not silently used as ciphertext.
    with pytest.raises(SecretKeyError):
        EndpointStore(store.engine).get(made.id, project="a")


def test_plaintext_rows_from_before_are_sealed_once(store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    plain = EndpointStore(store.engine, clock=clock)
    made = plain.create(
        project="a", name="n", url="https://h/", event_types=["video.failed"], secret=SECRET
    )
    assert _raw(store, made.id) == (SECRET, None)
    sealed = EndpointStore(store.engine, clock=clock, box=SecretBox([new_key()]))
    assert sealed.get(made.id, project="a") == made  # read as it is meanwhile
    assert sealed.seal_plaintext() == 1
    assert sealed.seal_plaintext() == 0
    assert _raw(store, made.id)[0].startswith("enc1:")
    assert sealed.get(made.id, project="a") == made
