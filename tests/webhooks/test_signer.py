"""Signatures as the official SDK verifies them, including the SORA_API.md A8 test vector."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
from openai import InvalidWebhookSignatureError, OpenAI

from reelbox.webhooks.signer import (
    USER_AGENT,
    delivery_headers,
    new_secret,
    secret_hint,
    signature,
    signing_key,
)

A8_SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
A8_ID = "wh_685342e6c53c8190a1be43f081506c52"
A8_TIMESTAMP = 1758941485
A8_BODY = (
    b'{"id":"evt_abc123","object":"event","created_at":1758941485,"type":"video.completed",'
    b'"data":{"id":"video_abc123"}}'
)
A8_SIGNATURE = "v1,CX3giUz218kLb/Gds9X2kKKgbodGYNfHYXLopkHcx6o="


@pytest.fixture
def client() -> Iterator[OpenAI]:
    with OpenAI(api_key="unused") as sdk:
        yield sdk


def test_a8_test_vector() -> None:
    assert signing_key(A8_SECRET) == b"0123456789abcdef0123456789abcdef"
    got = signature(A8_SECRET, webhook_id=A8_ID, timestamp=A8_TIMESTAMP, body=A8_BODY)
    assert got == A8_SIGNATURE


def test_a8_test_vector_verifies_with_the_sdk(client: OpenAI) -> None:
    headers = delivery_headers(
        webhook_id=A8_ID, timestamp=A8_TIMESTAMP, body=A8_BODY, secrets=[A8_SECRET]
    )
    assert headers["webhook-signature"] == A8_SIGNATURE
    # The vector's timestamp is fixed, so the SDK's replay window has to be opened wide.
    client.webhooks.verify_signature(A8_BODY, headers, secret=A8_SECRET, tolerance=10**10)
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.verify_signature(A8_BODY, headers, secret=A8_SECRET)  # too old


def test_fresh_deliveries_unwrap_with_the_sdk(client: OpenAI) -> None:
    secret = new_secret()
    body = A8_BODY
    headers = delivery_headers(
        webhook_id="wh_1", timestamp=int(time.time()), body=body, secrets=[secret]
    )
    assert headers["user-agent"] == USER_AGENT
    assert headers["content-type"] == "application/json"
    event = client.webhooks.unwrap(body, headers, secret=secret)
    assert event.type == "video.completed"  # type: ignore[comparison-overlap]
    assert event.data.id == "video_abc123"
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.unwrap(body + b" ", headers, secret=secret)
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.unwrap(body, headers, secret=new_secret())


def test_every_active_secret_signs(client: OpenAI) -> None:
    new, old = new_secret(), new_secret()
    headers = delivery_headers(
        webhook_id="wh_2", timestamp=int(time.time()), body=A8_BODY, secrets=[new, old]
    )
    assert len(headers["webhook-signature"].split(" ")) == 2
    client.webhooks.verify_signature(A8_BODY, headers, secret=new)
    client.webhooks.verify_signature(A8_BODY, headers, secret=old)


def test_secrets_are_random_32_byte_keys_with_a_short_hint() -> None:
    one, two = new_secret(), new_secret()
    assert one != two and one.startswith("whsec_")
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32
    assert secret_hint(one) == "whsec_..." + one[-4:]
    assert one[6:-4] not in secret_hint(one)
