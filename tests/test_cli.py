"""The `reelbox` command as users run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.media import png_bytes, probe_mp4
from support.server import TEST_CONFIG


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelbox", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_generate_writes_a_playable_mp4(tmp_path: Path) -> None:
    result = _run(
        "generate",
        "a red car driving through the desert at sunset",
        "-o",
        "out/car.mp4",
        "--seconds",
        "4",
        "--size",
        "1280x720",
        "--seed",
        "5",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Wrote out/car.mp4" in result.stdout
    facts = probe_mp4(tmp_path / "out" / "car.mp4")
    assert (facts.width, facts.height, facts.frames) == (1280, 720, 96)
    assert facts.audio_codec == "aac"


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    # The embedded engine on the test profile `tiny` (8 fps, any size): a small, short video
    # takes the same seeded path as a full-size one, in a fraction of the time.
    (tmp_path / "settings.toml").write_text(TEST_CONFIG)
    small = ["--config", "settings.toml", "--model", "tiny", "--size", "64x64", "--seconds", "1"]
    for name, seed in (("a.mp4", "9"), ("b.mp4", "9"), ("c.mp4", "10")):
        result = _run("generate", "a boat", "-o", name, "--seed", seed, *small, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert (tmp_path / "a.mp4").read_bytes() != (tmp_path / "c.mp4").read_bytes()  # seeds matter


def test_generate_from_an_image_with_fit(tmp_path: Path) -> None:
    (tmp_path / "ref.png").write_bytes(png_bytes(300, 300))
    result = _run("generate", "zoom", "--input-reference", "ref.png", cwd=tmp_path)
    assert result.returncode == 2
    assert "Inpaint image must match" in result.stdout
    result = _run(
        "generate",
        "zoom",
        "--input-reference",
        "ref.png",
        "--fit",
        "pad",
        "-o",
        "v.mp4",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert probe_mp4(tmp_path / "v.mp4").width == 720


def test_generate_rejects_bad_values_with_the_api_message(tmp_path: Path) -> None:
    result = _run("generate", "x", "--seconds", "5", cwd=tmp_path)
    assert result.returncode == 2
    assert "Supported values are: '4', '8', and '12'" in result.stdout


def test_models_and_keys(tmp_path: Path) -> None:
    result = _run("models", cwd=tmp_path)
    assert result.returncode == 0 and "sora-2-pro" in result.stdout
    result = _run("keys", "hash", "secret", cwd=tmp_path)
    assert result.stdout.strip() == (
        "sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    )


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = _run("migrate", "--data-dir", "d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "reelbox.db").is_file()


def test_moderation_check_tries_prompts_and_images(tmp_path: Path) -> None:
    blocked = _run("moderation", "check", "a cartoon of Mickey Mouse", cwd=tmp_path)
    assert blocked.returncode == 1, blocked.stderr
    assert "blocked" in blocked.stdout and "copyright/character" in blocked.stdout
    assert "characters.txt" in blocked.stdout  # operators see the rule that fired

    allowed = _run("moderation", "check", "a dog on a beach", cwd=tmp_path)
    assert allowed.returncode == 0 and "allowed" in allowed.stdout

    relaxed = _run(
        "moderation", "check", "a nude figure study", "--policy", "standard", cwd=tmp_path
    )
    assert relaxed.returncode == 0 and "policy standard" in relaxed.stdout

    image = tmp_path / "red.png"
    image.write_bytes(png_bytes(320, 240))
    assert _run("moderation", "check", "--image", str(image), cwd=tmp_path).returncode == 0
    unknown = _run("moderation", "check", "x", "--policy", "lenient", cwd=tmp_path)
    assert unknown.returncode == 2 and "Unknown policy" in unknown.stdout


def test_moderation_log_and_stats_read_the_audit_log(tmp_path: Path) -> None:
    from reelbox.store.database import connect, migrate
    from reelbox.store.moderation_log import ModerationLog, NewModerationEvent

    engine = connect(f"sqlite:///{tmp_path / 'data' / 'reelbox.db'}")
    migrate(engine)
    for project in ("acme", "acme", "globex"):
        ModerationLog(engine).record(
            NewModerationEvent(
                project=project,
                checkpoint="request",
                subject="prompt",
                policy="sora",
                outcome="blocked",
                categories=["hate"],
                sources=["terms"],
                rules=["hate.txt:4"],
                input_sha256="0" * 64,
            )
        )
    engine.dispose()
    log = _run("moderation", "log", "--data-dir", "data", "--project", "acme", cwd=tmp_path)
    assert log.returncode == 0, log.stderr
    assert "2 event(s)" in log.stdout and "globex" not in log.stdout
    recent = _run("moderation", "log", "--data-dir", "data", "--since", "1h", cwd=tmp_path)
    assert "3 event(s)" in recent.stdout
    future = _run("moderation", "log", "--data-dir", "data", "--since", "2999-01-01", cwd=tmp_path)
    assert "0 event(s)" in future.stdout
    stats = _run("moderation", "stats", "--data-dir", "data", cwd=tmp_path)
    assert stats.returncode == 0 and "hate" in stats.stdout and "3" in stats.stdout
    bad = _run("moderation", "log", "--data-dir", "data", "--since", "soon", cwd=tmp_path)
    assert bad.returncode == 2


def test_models_shows_the_placement_and_refuses_one_that_cannot_fit(tmp_path: Path) -> None:
    config = tmp_path / "placed.toml"
    config.write_text(
        'gpus = ["cpu:0", "cpu:1", "cpu:2"]\nworkers = 1\n'
        '[profiles.pair]\nengine = "fake"\ngpus_per_job = 1\nreplicas = 2\n'
        '[profiles.single]\nengine = "fake"\ngpus_per_job = 1\n'
    )
    result = _run("models", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "worker 0: pair on cpu:0" in result.stdout
    assert "worker 1: pair on cpu:1" in result.stdout
    assert "worker 2: single on cpu:2" in result.stdout
    assert "worker 3: every CPU profile on cpu" in result.stdout

    config.write_text(
        'gpus = ["cpu:0"]\n[profiles.pair]\nengine = "fake"\ngpus_per_job = 1\nreplicas = 1\n'
        '[profiles.single]\nengine = "fake"\ngpus_per_job = 1\n'
    )
    refused = _run("models", "--config", str(config), cwd=tmp_path)
    assert refused.returncode != 0
    words = " ".join(refused.stderr.replace("│", " ").split())  # unwrap Rich's error panel
    assert "profile(s) single got no devices" in words


def test_an_api_replica_refuses_sqlite_naming_the_setting(tmp_path: Path) -> None:
    result = _run("serve", "--no-workers", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert " ".join(result.stdout.split()) == (  # one line, wrapped by the terminal's width
        "Invalid settings: --no-workers needs a PostgreSQL database_url (API replicas share "
        "one database; SQLite serves one machine)"
    )


def test_an_api_replica_with_the_local_executor_is_refused_naming_the_setting(
    tmp_path: Path,
) -> None:
    # PostgreSQL is only named, never reached: the check comes before anything connects.
    pg = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = _run("serve", "--no-workers", "--port", "0", "--database-url", pg, cwd=tmp_path)
    assert result.returncode == 2
    assert " ".join(result.stdout.split()) == (
        "Invalid settings: role = 'api' (--no-workers) needs executor = 'ray': with the local "
        "executor no replica runs jobs (docs/cluster.md)"
    )
