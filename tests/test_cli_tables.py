"""Tables at 80 columns: drawn as a table when they fit, as records when not, never cut short."""

from __future__ import annotations

import io

from rich.console import Console

from reelbox.cli_tables import pack, print_rows

ID = "video_6930a0b1" + "c" * 40  # 54 characters, like every job id


def _printed(width: int, rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    print_rows(console, ("id", "project", "status"), rows)
    return out.getvalue()


def test_a_table_that_fits_is_a_table() -> None:
    text = _printed(80, [("key_1", "acme", "active")])
    assert "id" in text.splitlines()[0] and "key_1" in text and "acme" in text


def test_rows_too_wide_become_records_with_whole_ids() -> None:
    text = _printed(80, [(ID, "a-project-with-a-long-name", "failed: engine_error [markup]")])
    lines = text.splitlines()
    assert lines[0] == ID  # whole, on its own line, copyable
    assert all(len(line) <= 80 for line in lines)
    assert "status: failed: engine_error [markup]" in text  # rich markup is escaped
    assert "…" not in text


def test_pack_keeps_pairs_whole_unless_longer_than_a_line() -> None:
    assert pack(["a: 1", "b: 2", "c: 3"], width=10) == ["a: 1  b: 2", "c: 3"]
    assert pack(["a: 1", "b: 2", "c: 3"], width=9) == ["a: 1", "b: 2", "c: 3"]
    assert pack(["x: " + "y" * 12], width=10) == ["x: yyyyyyy", "yyyyy"]
