"""Secrets at rest: webhook signing secrets are stored encrypted with a server key.

AES-256-GCM (the `cryptography` package) with a fresh 96-bit nonce per value and the row's id
as associated data, so a ciphertext copied onto another row does not decrypt. A stored value
reads `enc1:<key id>:<base64(nonce + ciphertext + tag)>`; the key id (8 hex characters of the
key's SHA-256) lets several keys be configured while rotating: the first encrypts, any decrypts.

Keys come from the `secret_key` setting (base64 of 32 bytes, comma-separated for several), or
from `secret.key` in the data folder, generated with mode 0600 on first start.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1:"
KEY_FILE = "secret.key"
KEY_BYTES = 32
NONCE_BYTES = 12


class SecretKeyError(ValueError):
    """A key is malformed, or a stored secret cannot be decrypted with the configured keys."""


def new_key() -> str:
    """A fresh key as the setting and the key file hold it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise SecretKeyError(f"a secret key is the base64 of {KEY_BYTES} bytes")
    return raw


def load_or_create_key(data_dir: Path) -> str:
    """The key in `data_dir/secret.key`, created (mode 0600) if there is none yet."""
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = new_key()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


class SecretBox:
    """Encrypts and decrypts short secrets bound to a row id."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("at least one secret key is needed")
        self._keys: dict[str, AESGCM] = {}
        for text in keys:
            raw = _decode_key(text)
            self._keys.setdefault(hashlib.sha256(raw).hexdigest()[:8], AESGCM(raw))
        self._current = next(iter(self._keys))

    @classmethod
    def from_setting(cls, setting: str | None, *, data_dir: Path) -> SecretBox:
        """The box for the `secret_key` setting's keys, or for the data folder's key file."""
        text = setting if setting else load_or_create_key(data_dir)
        return cls([k for k in text.split(",") if k.strip()])

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(PREFIX)

    def seal(self, value: str, *, row_id: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, value.encode(), row_id.encode())
        return f"{PREFIX}{self._current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, *, row_id: str) -> str:
        """The plain secret; a value stored before encryption existed is returned as it is."""
        if not self.is_sealed(value):
            return value
        key_id, _, payload = value[len(PREFIX) :].partition(":")
        aead = self._keys.get(key_id)
        if aead is None:
            raise SecretKeyError(
                f"a webhook secret was encrypted with key {key_id}, which is not configured"
            )
        try:
            raw = base64.b64decode(payload)
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], row_id.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SecretKeyError("a stored webhook secret does not decrypt") from exc
