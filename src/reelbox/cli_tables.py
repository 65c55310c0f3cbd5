"""Tables that stay readable at 80 columns and in a pipe.

A table that fits the console is drawn as one; one that does not (ids of 54 characters, long
category lists) is printed as records: the first column on a line of its own, then the other
columns as `name: value` pairs, wrapped and indented. Nothing is cut off with an ellipsis, so an
id can always be copied from the output.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

GAP = 3  # what rich puts between columns of a SIMPLE_HEAD table without edges


def fits(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> bool:
    widths = [len(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], max((len(line) for line in cell.splitlines()), default=0))
    return sum(widths) + GAP * (len(columns) - 1) <= width


def print_rows(console: Console, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print `rows` as a table when it fits `console.width`, else as records."""
    if fits(columns, rows, console.width):
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for column in columns:
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)
        return
    width = max(console.width, 40)
    for row in rows:
        console.print(escape(row[0]), highlight=False, soft_wrap=True)
        pairs = [f"{name}: {cell}" for name, cell in zip(columns[1:], row[1:], strict=True)]
        for line in pack(pairs, width=width - 4):
            console.print(f"    {escape(line)}", highlight=False, soft_wrap=True)


def pack(pairs: Sequence[str], *, width: int) -> list[str]:
    """Lines of `pairs` two spaces apart, a pair broken only when longer than a line."""
    lines: list[str] = []
    line = ""
    for pair in pairs:
        if line and len(line) + 2 + len(pair) > width:
            lines.append(line)
            line = ""
        line = f"{line}  {pair}" if line else pair
        while len(line) > width:
            lines.append(line[:width])
            line = line[width:]
    if line:
        lines.append(line)
    return lines
