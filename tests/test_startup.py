"""Start-up problems as one line naming the setting: from `reelbox serve` as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from reelbox.settings import Settings
from reelbox.startup import preflight, settings_problem


def _serve(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "reelbox.toml"
    path.write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELBOX_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reelbox",
            "serve",
            "--config",
            str(path),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ('[moderation]\nterms = ["/no/such/terms.txt"]\n', "moderation: /no/such/terms.txt"),
        (
            '[profiles.wan]\nengine = "diffusers"\nfamily = "wan2.1-t2v"\n'
            'weights = "/no/such/dir"\n',
            "profiles.wan:",
        ),
        ("workers = -1\n", "workers:"),
    ],
)
def test_serve_fails_in_one_line(tmp_path: Path, config: str, names: str) -> None:
    result = _serve(tmp_path, config)
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output and "pydantic" not in output
    [line] = [line for line in output.splitlines() if line.startswith("reelbox:")]
    assert names in line
    assert len(output.splitlines()) == 1, output


def test_settings_problem_names_each_setting() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(workers=0, port=70000)
    problem = settings_problem(caught.value)
    assert "\n" not in problem
    assert "workers: Input should be greater than or equal to 1 (got 0)" in problem
    assert "port: Input should be less than or equal to 65535 (got 70000)" in problem
    assert settings_problem(ValueError("config file not found: x.toml")) == (
        "config file not found: x.toml"
    )


def test_preflight_passes_the_defaults(tmp_path: Path) -> None:
    assert preflight(Settings(data_dir=tmp_path)) is None
