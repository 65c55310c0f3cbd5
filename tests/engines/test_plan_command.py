"""`reelbox plan PROMPT` prints the scene plan the embedded engine would follow."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reelbox.cli import app


def test_plan_prints_a_tree() -> None:
    result = CliRunner().invoke(app, ["plan", 'a red fox runs through snow, she says "hi"'])
    assert result.exit_code == 0, result.output
    for text in ("setting: snow", "red fox: run", 'says "hi"', "understood:"):
        assert text in result.output


def test_plan_json_is_the_plan_the_engine_stores() -> None:
    result = CliRunner().invoke(
        app, ["plan", "a boat at sunset, pan left", "--seed", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert (plan["engine"], plan["version"], plan["seed"]) == ("procedural", 2, 4)
    assert (plan["setting"], plan["camera"]["move"]) == ("ocean", "pan_left")


def test_plan_names_what_it_cannot_render_and_its_stand_ins() -> None:
    result = CliRunner().invoke(app, ["plan", "a dragon beside a flux capacitor"])
    assert result.exit_code == 0, result.output
    assert "drawn as: dragon: a winged creature" in result.output
    assert "not understood: flux capacitor" in result.output


def test_generate_says_what_it_drew_instead_and_what_it_left_out(tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "a dragon beside a flux capacitor",
            "--size",
            "160x96",
            "--seconds",
            "1",
            "--model",
            "reelbox-procedural",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    assert "Drawn as: dragon: a winged creature" in result.output
    assert "Not understood: flux capacitor" in result.output
