"""Webhooks end to end: a real receiver on loopback, registered and verified through the SDK."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from sqlalchemy import create_engine, select

from reelbox.store.tables import webhook_deliveries
from support.server import LiveServer, server_config, wait_for
from support.webhook_receiver import Receiver, running_receiver

# Loopback receivers are allowed (nothing else private is); retries come fast.
WEBHOOK_CONFIG = server_config(
    webhook_allow_http=True,
    webhook_allowed_networks=["127.0.0.0/8"],
    webhook_backoff_seconds=0.2,
    webhook_backoff_max_seconds=0.4,
    webhook_poll_interval_seconds=0.05,
    webhook_timeout_seconds=2,
)
BOTH = ["video.completed", "video.failed"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("webhooks") / "data", config=WEBHOOK_CONFIG)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.url}/v1", api_key="anything", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as made:
        yield made


def _generate(client: OpenAI, prompt: str = "a red kite") -> Any:
    return client.videos.create_and_poll(
        prompt=prompt, model="fake", size="64x64", seconds="1", poll_interval_ms=50
    )


def _deliveries(server: LiveServer, endpoint_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/v1/webhook_endpoints/{endpoint_id}/deliveries")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["object"] == "list"
    return list(body["data"])


def test_endpoints_are_managed_through_the_sdk(client: OpenAI, receiver: Receiver) -> None:
    created = client.webhooks.create(name="studio", url=receiver.url, event_types=BOTH)
    assert created.object == "webhook_endpoint" and created.id.startswith("we_")
    assert created.signing_secret.startswith("whsec_")
    assert created.signing_secret_hint == "whsec_..." + created.signing_secret[-4:]
    assert (created.name, created.url, created.event_types) == ("studio", receiver.url, BOTH)
    assert created.updated_at == created.created_at

    # The secret is shown once.
    retrieved = client.webhooks.retrieve(created.id)
    assert "signing_secret" not in retrieved.to_dict()
    assert retrieved.signing_secret_hint == created.signing_secret_hint
    assert created.id in [e.id for e in client.webhooks.list(limit=1)]  # auto-paginated

    updated = client.webhooks.update(created.id, name="renamed", event_types=["video.failed"])
    assert (updated.name, updated.event_types, updated.url) == (
        "renamed",
        ["video.failed"],
        receiver.url,
    )
    assert "signing_secret" not in updated.to_dict()
    assert set(client.webhooks.event_types.list().data) >= set(BOTH)

    with pytest.raises(openai.BadRequestError, match=r"batch\.completed"):
        client.webhooks.create(name="x", url=receiver.url, event_types=["batch.completed"])

    deleted = client.webhooks.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (
        created.id,
        "webhook_endpoint.deleted",
        True,
    )
    with pytest.raises(openai.NotFoundError):
        client.webhooks.retrieve(created.id)


def test_finished_videos_are_delivered_signed_and_unwrap_with_the_sdk(
    client: OpenAI, server: LiveServer, receiver: Receiver
) -> None:
    endpoint = client.webhooks.create(name="both", url=receiver.url, event_types=BOTH)
    done = _generate(client)
    failed = _generate(client, "[fail:raise]")
    assert (done.status, failed.status) == ("completed", "failed")

    received = receiver.wait_for(2)
    events = {}
    for request in received:
        assert request.headers["user-agent"] == (
            "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
        )
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"].startswith("wh_")
        event = client.webhooks.unwrap(
            request.body, request.headers, secret=endpoint.signing_secret
        )
        events[event.data.id] = event
        payload = json.loads(request.body)
        assert list(payload) == ["id", "object", "created_at", "type", "data"]
        assert payload["object"] == "event" and payload["id"].startswith("evt_")
        assert payload["data"] == {"id": event.data.id}
    assert events[done.id].type == "video.completed"  # type: ignore[comparison-overlap]
    assert events[failed.id].type == "video.failed"  # type: ignore[comparison-overlap]
    # The consumer's next step works: fetch the video the event names.
    assert client.videos.retrieve(done.id).status == "completed"

    deliveries = _deliveries(server, endpoint.id)
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert {d["id"] for d in deliveries} == {r.headers["webhook-id"] for r in received}
    assert all(d["attempts"][0]["status_code"] == 200 for d in deliveries)


def test_a_failing_receiver_gets_the_same_webhook_id_until_it_accepts(
    client: OpenAI, server: LiveServer, receiver: Receiver
) -> None:
    receiver.script(500, 500)
    endpoint = client.webhooks.create(name="flaky", url=receiver.url, event_types=BOTH)
    video = _generate(client)
    received = receiver.wait_for(3)
    assert [r.status for r in received] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in received}) == 1
    assert len({r.body for r in received}) == 1
    for request in received:
        event = client.webhooks.unwrap(
            request.body, request.headers, secret=endpoint.signing_secret
        )
        assert event.data.id == video.id
    (delivery,) = _deliveries(server, endpoint.id)
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]


def test_redirects_count_as_failures_and_deliveries_can_be_sent_again(
    client: OpenAI, server: LiveServer, receiver: Receiver
) -> None:
    receiver.status = 302
    endpoint = client.webhooks.create(name="moved", url=receiver.url, event_types=BOTH)
    video = _generate(client)
    receiver.wait_for(2)  # retried: the redirect was a failure
    (delivery,) = _deliveries(server, endpoint.id)
    assert delivery["status"] == "pending" and delivery["data"] == {"id": video.id}
    first = delivery["attempts"][0]
    assert (first["status_code"], first["success"]) == (302, False)
    assert first["error"] == "redirect to '/elsewhere' not followed"
    assert not [r for r in receiver.requests if r.path == "/elsewhere"]

    receiver.status = 200
    wait_for(lambda: _deliveries(server, endpoint.id)[0]["status"] == "succeeded", timeout=10)
    count = len(receiver.requests)
    again = httpx.post(
        f"{server.url}/v1/webhook_endpoints/{endpoint.id}/deliveries/{delivery['id']}/redeliver"
    )
    assert again.status_code == 200 and again.json()["status"] == "pending"
    resent = receiver.wait_for(count + 1)[-1]
    assert resent.headers["webhook-id"] == delivery["id"] and resent.status == 200
    client.webhooks.unwrap(resent.body, resent.headers, secret=endpoint.signing_secret)
    missing = httpx.post(
        f"{server.url}/v1/webhook_endpoints/{endpoint.id}/deliveries/wh_nope/redeliver"
    )
    assert missing.status_code == 404


def test_rotated_secrets_verify(client: OpenAI, receiver: Receiver) -> None:
    endpoint = client.webhooks.create(name="rotating", url=receiver.url, event_types=BOTH)
    first = endpoint.signing_secret
    result = client.webhooks.test(endpoint.id, event_type="video.completed")
    assert (result.object, result.status_code, result.success) == (
        "webhook_endpoint.test",
        200,
        True,
    )
    assert result.webhook_endpoint_id == endpoint.id and result.event_type == "video.completed"
    client.webhooks.unwrap(receiver.requests[-1].body, receiver.requests[-1].headers, secret=first)

    rotated = client.webhooks.rotate_secret(endpoint.id)
    second = rotated.signing_secret
    assert second.startswith("whsec_") and second != first
    assert rotated.updated_at is not None
    client.webhooks.test(endpoint.id, event_type="video.failed")
    latest = receiver.requests[-1]
    event = client.webhooks.unwrap(latest.body, latest.headers, secret=second)
    assert event.type == "video.failed"  # type: ignore[comparison-overlap]
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(latest.body, latest.headers, secret=first)

    # Keeping the old secret active signs with both for a day.
    third = client.webhooks.rotate_secret(
        endpoint.id, keep_old_secret_active_for_24_hours=True
    ).signing_secret
    client.webhooks.test(endpoint.id, event_type="video.completed")
    latest = receiver.requests[-1]
    client.webhooks.unwrap(latest.body, latest.headers, secret=third)
    client.webhooks.unwrap(latest.body, latest.headers, secret=second)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(latest.body, latest.headers, secret=first)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.7/hook", "10.0.0.7 is a private address"),
        ("https://192.168.1.20/hook", "192.168.1.20 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("https://[::ffff:172.16.0.1]/hook", "172.16.0.1 is a private address"),
        ("https://[::1]/hook", "::1 is a loopback address"),
        ("ftp://127.0.0.1/hook", "must start with https://"),
    ],
)
def test_private_and_metadata_destinations_are_refused(
    client: OpenAI, receiver: Receiver, url: str, reason: str
) -> None:
    with pytest.raises(openai.BadRequestError, match=reason) as raised:
        client.webhooks.create(name="ssrf", url=url, event_types=BOTH)
    assert raised.value.param == "url" and raised.value.code == "invalid_url"
    endpoint = client.webhooks.create(name="ok", url=receiver.url, event_types=BOTH)
    with pytest.raises(openai.BadRequestError, match=reason):
        client.webhooks.update(endpoint.id, url=url)
    client.webhooks.delete(endpoint.id)


def test_a_server_killed_right_after_completion_still_delivers(make_server, sdk) -> None:  # type: ignore[no-untyped-def]
    with running_receiver() as receiver:
        receiver.status = 503  # down while the video finishes
        server: LiveServer = make_server(config=WEBHOOK_CONFIG)
        client = sdk(server)
        endpoint = client.webhooks.create(name="durable", url=receiver.url, event_types=BOTH)
        video = _generate(client)
        server.kill()

        # The event was recorded with the completion, before any delivery succeeded.
        engine = create_engine(f"sqlite:///{Path(server.data_dir) / 'reelbox.db'}")
        with engine.connect() as conn:
            rows = conn.execute(select(webhook_deliveries)).mappings().all()
        engine.dispose()
        assert [(r["status"], r["object_id"]) for r in rows] == [("pending", video.id)]

        receiver.status = 200
        server.start()
        accepted = wait_for(lambda: [r for r in receiver.requests if r.status == 200])
        assert {r.headers["webhook-id"] for r in receiver.requests} == {rows[0]["id"]}
        event = sdk(server).webhooks.unwrap(
            accepted[0].body, accepted[0].headers, secret=endpoint.signing_secret
        )
        assert event.data.id == video.id


@pytest.mark.parametrize(("status", "success"), [(204, True), (302, False), (401, False)])
def test_the_test_event_succeeds_only_on_2xx(
    client: OpenAI, receiver: Receiver, status: int, success: bool
) -> None:
    receiver.status = status
    endpoint = client.webhooks.create(name="judged", url=receiver.url, event_types=BOTH)
    result = client.webhooks.test(endpoint.id, event_type="video.completed")
    assert (result.status_code, result.success) == (status, success)


def test_signing_secrets_are_encrypted_at_rest(
    client: OpenAI, server: LiveServer, receiver: Receiver
) -> None:
    endpoint = client.webhooks.create(name="sealed", url=receiver.url, event_types=BOTH)
    rotated = client.webhooks.rotate_secret(endpoint.id, keep_old_secret_active_for_24_hours=True)
    with sqlite3.connect(server.data_dir / "reelbox.db") as db:
        stored, previous = db.execute(
            "SELECT secret, previous_secret FROM webhook_endpoints WHERE id = ?", (endpoint.id,)
        ).fetchone()
    for raw, plain in ((stored, rotated.signing_secret), (previous, endpoint.signing_secret)):
        assert raw.startswith("enc1:") and plain not in raw
        assert plain.removeprefix("whsec_") not in raw
    key_file = server.data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # What the server decrypts still signs what the SDK verifies, with both active secrets.
    client.webhooks.test(endpoint.id, event_type="video.completed")
    latest = receiver.requests[-1]
    client.webhooks.unwrap(latest.body, latest.headers, secret=rotated.signing_secret)
    client.webhooks.unwrap(latest.body, latest.headers, secret=endpoint.signing_secret)
