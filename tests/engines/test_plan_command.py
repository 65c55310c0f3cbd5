"""`reelbox plan PROMPT` prints the scene plan the embedded engine would follow."""

from __future__ import annotations

import json

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
