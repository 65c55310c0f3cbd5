"""No silent skips: with `CI` or `REELBOX_REQUIRE_NO_SKIPS=1` set, a skipped test fails the run
unless `tests/skip_allowlist.txt` names it, with a reason.

The allow-list has one entry a line, `<node id pattern>  # <reason>`; `*` in a pattern matches
anything (brackets are literal, so parametrised ids can be written as they print). Blank lines
and lines starting with `#` are comments. An entry without a reason is an error.

A pytest plugin: `tests/conftest.py` imports its hooks; `-p support.skip_guard` loads it
elsewhere (its own test does).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

DEFAULT_ALLOWLIST = Path(__file__).resolve().parent.parent / "skip_allowlist.txt"
# node id -> reason, for this process's session (reports carry no config to stash it on)
SKIPPED: dict[str, str] = {}


@dataclass(frozen=True)
class Allowed:
    pattern: str
    reason: str

    def matches(self, nodeid: str) -> bool:
        regex = ".*".join(re.escape(part) for part in self.pattern.split("*"))
        return re.fullmatch(regex, nodeid) is not None


def parse_allowlist(text: str, *, source: str = "skip_allowlist.txt") -> list[Allowed]:
    entries: list[Allowed] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pattern, _, reason = stripped.partition("#")
        if not pattern.strip() or not reason.strip():
            raise ValueError(f"{source}:{number}: an entry is '<node id pattern>  # <reason>'")
        entries.append(Allowed(pattern.strip(), reason.strip()))
    return entries


def required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("REELBOX_REQUIRE_NO_SKIPS") == "1"


def allowlist_path() -> Path:
    return Path(os.environ.get("REELBOX_SKIP_ALLOWLIST", DEFAULT_ALLOWLIST))


def _record(nodeid: str, longrepr: object) -> None:
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr
    SKIPPED[nodeid] = str(reason)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _record(report.nodeid, report.longrepr)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _record(report.nodeid, report.longrepr)


_unallowed = pytest.StashKey[dict[str, str]]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not required():
        return
    skipped = SKIPPED
    path = allowlist_path()
    allowed = parse_allowlist(path.read_text(), source=str(path)) if path.exists() else []
    unallowed = {
        nodeid: reason
        for nodeid, reason in skipped.items()
        if not any(entry.matches(nodeid) for entry in allowed)
    }
    session.config.stash[_unallowed] = unallowed
    if unallowed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    unallowed = terminalreporter.config.stash.get(_unallowed, {})
    if not unallowed:
        return
    terminalreporter.section("skips not on the allow-list (no silent skips)", red=True)
    for nodeid, reason in sorted(unallowed.items()):
        terminalreporter.line(f"{nodeid}: {reason}")
    terminalreporter.line(
        f"{len(unallowed)} skipped test(s) fail this run: make them run, or add them to "
        f"{allowlist_path()} with a reason."
    )
