"""Secrets at rest: AES-GCM sealing bound to the row, key files, key rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reelbox.store.secret_box import SecretBox, SecretKeyError, load_or_create_key, new_key

SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="


def test_a_sealed_secret_opens_only_for_its_row() -> None:
    box = SecretBox([new_key()])
    sealed = box.seal(SECRET, row_id="we_1")
    assert sealed.startswith("enc1:") and SECRET not in sealed and len(sealed) <= 128
    assert box.seal(SECRET, row_id="we_1") != sealed  # a fresh nonce every time
    assert box.open(sealed, row_id="we_1") == SECRET
    with pytest.raises(SecretKeyError):
        box.open(sealed, row_id="we_2")  # copied onto another row: refused


def test_plain_values_from_before_encryption_read_as_they_are() -> None:
    assert SecretBox([new_key()]).open(SECRET, row_id="we_1") == SECRET


def test_rotation_old_keys_still_open() -> None:
    old, new = new_key(), new_key()
    sealed = SecretBox([old]).seal(SECRET, row_id="we_1")
    both = SecretBox([new, old])
    assert both.open(sealed, row_id="we_1") == SECRET
    assert both.seal(SECRET, row_id="we_1").split(":")[1] != sealed.split(":")[1]
    with pytest.raises(SecretKeyError, match="not configured"):
        SecretBox([new]).open(sealed, row_id="we_1")


@pytest.mark.parametrize("key", ["", "short", "!" * 44])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(SecretKeyError):
        SecretBox([key])


def test_the_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "data")
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path / "data") == key
    box = SecretBox.from_setting(None, data_dir=tmp_path / "data")
    assert SecretBox([key]).open(box.seal(SECRET, row_id="r"), row_id="r") == SECRET
    configured = new_key()
    sealed = SecretBox.from_setting(configured, data_dir=tmp_path / "other").seal(
        SECRET, row_id="r"
    )
    assert SecretBox([configured]).open(sealed, row_id="r") == SECRET
    assert not (tmp_path / "other" / "secret.key").exists()
