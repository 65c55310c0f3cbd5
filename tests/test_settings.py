from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from reelbox.settings import EMBEDDED_PROFILE, Settings, load_settings, parse_api_keys


def test_defaults_serve_every_sora_name_with_the_embedded_engine() -> None:
    settings = Settings()
    assert settings.open_mode and settings.host == "127.0.0.1"
    assert settings.aliases["sora-2"] == EMBEDDED_PROFILE
    assert settings.aliases["sora-2-pro-2025-10-06"] == EMBEDDED_PROFILE
    assert settings.resolved_database_url.startswith("sqlite:///")


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELBOX_API_KEYS", "k1=alpha, k2=beta")
    monkeypatch.setenv("REELBOX_WORKERS", "3")
    settings = Settings()
    keys = {k.get_secret_value(): p for k, p in settings.api_keys.items()}
    assert keys == {"k1": "alpha", "k2": "beta"} and settings.workers == 3


def test_flags_beat_environment_beat_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "reelbox.toml"
    config.write_text(
        "port = 9000\nworkers = 4\nretention_seconds = 60\n"
        '[profiles.mine]\nengine = "fake"\noptions = { fps = 8 }\n'
        '[aliases]\nsora-2 = "mine"\n'
    )
    monkeypatch.setenv("REELBOX_WORKERS", "5")
    settings = load_settings(config, port=9100, workers=None)
    assert (settings.port, settings.workers, settings.retention_seconds) == (9100, 5, 60)
    assert settings.aliases["sora-2"] == "mine"
    assert settings.aliases["sora-2-pro"] == EMBEDDED_PROFILE  # defaults stay
    assert {"mine", EMBEDDED_PROFILE} <= set(settings.profiles)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"host": "0.0.0.0"}, "refusing to listen"),
        ({"aliases": {"x": "nope"}}, "unknown profile"),
        ({"default_model": "nope"}, "default_model"),
        ({"workers": 0}, "workers"),
        ({"database_url": "mysql://x"}, "database_url"),
    ],
)
def test_unsafe_or_broken_settings_fail_fast(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)  # type: ignore[arg-type]


def test_open_server_beyond_loopback_needs_insecure_or_keys() -> None:
    assert Settings(host="0.0.0.0", insecure=True).open_mode
    assert not Settings(host="0.0.0.0", api_keys={"k": "p"}).open_mode


def test_key_parsing() -> None:
    assert parse_api_keys("a=b,sha256:00ff=c") == {"a": "b", "sha256:00ff": "c"}
    with pytest.raises(ValueError):
        parse_api_keys("justakey")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_models_tables_are_profiles(tmp_path: Path) -> None:
    config = tmp_path / "reelbox.toml"
    config.write_text(
        '[models.wan-tiny]\nengine = "fake"\nfps = 8\n'
        '[profiles.other]\nengine = "fake"\n'
        '[aliases]\nsora-2 = "wan-tiny"\n'
    )
    settings = load_settings(config)
    assert settings.profiles["wan-tiny"].options == {"fps": 8}
    assert {"wan-tiny", "other", EMBEDDED_PROFILE} <= set(settings.profiles)
    assert settings.aliases["sora-2"] == "wan-tiny"
    config.write_text('[models.a]\nengine = "fake"\n[profiles.a]\nengine = "fake"\n')
    with pytest.raises(ValueError, match="both"):
        load_settings(config)


def test_secrets_never_show_in_reprs_or_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELBOX_API_KEYS", "sk-very-secret=alpha")
    monkeypatch.setenv("REELBOX_SECRET_KEY", "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=")
    settings = Settings(moderation={"classifier": {"url": "http://x/v1", "api_key": "sk-cls"}})
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in ("sk-very-secret", "c2VjcmV0", "sk-cls"):
        assert secret not in shown
    assert settings.secret_key is not None and settings.secret_key.get_secret_value().startswith(
        "c2V"
    )
    classifier = settings.moderation.classifier
    assert classifier is not None and classifier.api_key is not None
    assert classifier.api_key.get_secret_value() == "sk-cls"
