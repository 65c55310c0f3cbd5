"""Standard Webhooks signing, exactly as OpenAI signs its webhooks (SORA_API.md A8).

`signed = webhook-id + "." + webhook-timestamp + "." + body`; the key is the base64-decoded part
of a `whsec_` secret; the header is `v1,<base64 HMAC-SHA256>`, several space-separated while a
rotated-out secret is still honoured. The official SDK's `client.webhooks.unwrap()` accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_hint(secret: str) -> str:
    """What may be shown of a secret after creation: its prefix and last four characters."""
    return f"{SECRET_PREFIX}...{secret[-4:]}"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret, decoded as the SDK decodes it."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def signature(secret: str, *, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a message."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def delivery_headers(
    *, webhook_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The headers of one delivery attempt, signed with every active secret."""
    return {
        "user-agent": USER_AGENT,
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(s, webhook_id=webhook_id, timestamp=timestamp, body=body) for s in secrets
        ),
    }
