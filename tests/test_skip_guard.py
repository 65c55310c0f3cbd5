"""No silent skips: the allow-list format, and a real pytest run failing on a stray skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.skip_guard import Allowed, parse_allowlist

TESTS = Path(__file__).resolve().parent


def test_the_allowlist_parses_and_every_entry_has_a_reason() -> None:
    entries = parse_allowlist((TESTS / "skip_allowlist.txt").read_text())
    assert entries and all(entry.reason for entry in entries)
    with pytest.raises(ValueError, match="reason"):
        parse_allowlist("tests/test_x.py::test_y\n")


@pytest.mark.parametrize(
    ("pattern", "nodeid", "matches"),
    [
        ("tests/a.py::test_b[*", "tests/a.py::test_b[None]", True),
        ("tests/a.py::test_b[model]", "tests/a.py::test_b[model]", True),
        ("tests/a.py::test_b[model]", "tests/a.py::test_b[m]", False),  # brackets are literal
        ("tests/a.py::test_b", "tests/a.py::test_bc", False),
        ("tests/a.py::*", "tests/a.py::test_c", True),
    ],
)
def test_patterns(pattern: str, nodeid: str, matches: bool) -> None:
    assert Allowed(pattern, "why").matches(nodeid) is matches


def _run(tmp_path: Path, *, allowlist: str, require: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    pass\n\n"
        "def test_allowed():\n    pytest.skip('no CUDA device')\n\n"
        "def test_stray():\n    pytest.skip('matplotlib is not installed')\n"
    )
    (tmp_path / "allow.txt").write_text(allowlist)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REELBOX_REQUIRE_NO_SKIPS")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    env["REELBOX_SKIP_ALLOWLIST"] = str(tmp_path / "allow.txt")
    if require:
        env["REELBOX_REQUIRE_NO_SKIPS"] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "support.skip_guard",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def test_a_stray_skip_fails_the_run_when_required(tmp_path: Path) -> None:
    allow = "test_sample.py::test_allowed  # needs a CUDA device\n"
    result = _run(tmp_path, allowlist=allow, require=True)
    assert result.returncode == 1, result.stdout
    summary = result.stdout.split("no silent skips")[1]
    assert "test_sample.py::test_stray" in summary and "matplotlib is not installed" in summary
    assert "test_allowed" not in summary


def test_allowed_skips_pass_and_nothing_is_enforced_locally(tmp_path: Path) -> None:
    allow = "test_sample.py::test_*  # both, for this test\n"
    assert _run(tmp_path, allowlist=allow, require=True).returncode == 0
    assert _run(tmp_path, allowlist="", require=False).returncode == 0
