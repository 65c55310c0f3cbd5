"""`reelbox keys`, `quotas` and `usage` against a database, and tables at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reelbox.cli import app
from reelbox.store.database import connect
from reelbox.store.keys import KeyStore, key_digest

runner = CliRunner()


def _db(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    made = runner.invoke(
        app,
        ["keys", "create", "--project", "acme", "--name", "ci", "--expires", "30d", *_db(tmp_path)],
    )
    assert made.exit_code == 0, made.output
    plain = made.stdout.strip().splitlines()[0]
    engine = connect(f"sqlite:///{tmp_path / 'data' / 'reelbox.db'}")
    stored = KeyStore(engine).find(key_digest(plain))
    assert stored is not None and stored.project == "acme" and stored.expires_at is not None
    admin = json.loads(
        runner.invoke(
            app, ["keys", "create", "--project", "ops", "--admin", "--json", *_db(tmp_path)]
        ).stdout
    )
    assert admin["admin"] is True and admin["value"].startswith("rbx-")
    listed = runner.invoke(app, ["keys", "list", *_db(tmp_path)])
    assert listed.exit_code == 0
    assert stored.id in listed.stdout and admin["id"] in listed.stdout  # ids never cut short
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
    revoked = runner.invoke(app, ["keys", "revoke", stored.id, *_db(tmp_path)])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert KeyStore(engine).find(key_digest(plain)).revoked_at is not None  # type: ignore[union-attr]
    rows = [
        json.loads(line)
        for line in runner.invoke(
            app, ["keys", "list", "--all", "--json", *_db(tmp_path)]
        ).stdout.splitlines()
    ]
    assert [(r["project_id"], r["revoked_at"] is not None) for r in rows] == [
        ("acme", True),
        ("ops", False),
    ]
    missing = runner.invoke(app, ["keys", "revoke", "key_nope", *_db(tmp_path)])
    assert missing.exit_code == 1
    bad = runner.invoke(
        app, ["keys", "create", "--project", "x", "--expires", "soon", *_db(tmp_path)]
    )
    assert bad.exit_code == 2
    engine.dispose()


def test_quotas_set_show_clear(tmp_path: Path) -> None:
    shown = runner.invoke(
        app, ["quotas", "set", "acme", "--seconds-per-day", "40", "--json", *_db(tmp_path)]
    )
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["limits"] == {
        "seconds_per_day": 40,
        "seconds_per_month": None,
        "concurrent_jobs": None,
    }
    table = runner.invoke(app, ["quotas", "show", "acme", *_db(tmp_path)])
    assert "video seconds today" in table.stdout and "40" in table.stdout
    cleared = runner.invoke(app, ["quotas", "clear", "acme", *_db(tmp_path)])
    assert cleared.exit_code == 0
    body = json.loads(
        runner.invoke(app, ["quotas", "show", "acme", "--json", *_db(tmp_path)]).stdout
    )
    assert body["limits"]["seconds_per_day"] is None


def test_quotas_of_a_key(tmp_path: Path) -> None:
    made = runner.invoke(app, ["keys", "create", "--project", "acme", "--json", *_db(tmp_path)])
    key_id = json.loads(made.stdout)["id"]
    shown = runner.invoke(
        app,
        ["quotas", "set", key_id, "--key", "--concurrent-jobs", "2", "--json", *_db(tmp_path)],
    )
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["key_id"] == key_id and body["project"] == "acme"
    assert body["limits"] == {
        "seconds_per_day": None,
        "seconds_per_month": None,
        "concurrent_jobs": 2,
    }
    table = runner.invoke(app, ["quotas", "show", key_id, "--key", *_db(tmp_path)])
    assert f"key {key_id} (project acme)" in table.stdout and "unfinished jobs" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    # The project itself keeps the defaults; an unknown key is one line and exit 1.
    project = json.loads(
        runner.invoke(app, ["quotas", "show", "acme", "--json", *_db(tmp_path)]).stdout
    )
    assert project["limits"]["concurrent_jobs"] is None
    unknown = runner.invoke(app, ["quotas", "show", "key_nope", "--key", *_db(tmp_path)])
    assert unknown.exit_code == 1 and len(unknown.stderr.splitlines()) == 1
    cleared = runner.invoke(app, ["quotas", "clear", key_id, "--key", *_db(tmp_path)])
    assert cleared.exit_code == 0
    body = json.loads(
        runner.invoke(app, ["quotas", "show", key_id, "--key", "--json", *_db(tmp_path)]).stdout
    )
    assert body["limits"]["concurrent_jobs"] is None


def test_models_show_what_the_api_enforces_at_80_columns(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    block = result.stdout.split("sora-2\n", 1)[1].split("\n", 3)
    assert "720x1280, 1280x720" in result.stdout and "seconds: 4, 8, 12" in result.stdout
    assert "1-120" not in "".join(block[:3])  # not the engine's range for a Sora name
    assert "…" not in result.stdout


def test_invalid_settings_read_as_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('workers = 0\ndefault_model = "nope"\n')
    result = runner.invoke(app, ["keys", "list", "--config", str(config)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("reelbox: invalid settings: workers:") and "pydantic" not in line
