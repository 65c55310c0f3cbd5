"""Accessibility checked by axe-core (WCAG 2.1 A and AA rules, contrast included) on every screen,
at desktop and phone width."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from studio.browser import PHONE, Studio, create_video, unique, wait_finished

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Any) -> list[str]:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if os.environ.get("REELBOX_REQUIRE_BROWSER") == "1":
            pytest.fail("REELBOX_REQUIRE_BROWSER=1 but axe-playwright-python is not installed")
        pytest.skip("axe-playwright-python is not installed (pip install axe-playwright-python)")
    results = Axe().run(page, options={**WCAG, "resultTypes": ["violations"]})
    found: list[str] = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            found.append(f"{violation['id']}: {node['target']} {node.get('failureSummary', '')}")
    return found


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_screen_passes_axe(make_studio: Callable[..., Studio], viewport: str) -> None:
    studio = make_studio(viewport=PHONE if viewport == "phone" else None)
    page = studio.page
    server = studio.server
    prompt = unique("a lantern floating on a dark lake")
    video = wait_finished(server, create_video(server, prompt=prompt)["id"])
    studio.open()
    studio.wait_card_status(prompt, "completed")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card img.thumb')].some(i => i.naturalWidth > 0)"
    )
    assert violations(page) == []

    for mode in ("Image", "Extend"):  # the form's other shapes
        page.click(f"label.segment:has-text('{mode}')")
        assert violations(page) == [], mode
    page.click("label.segment:has-text('Text')")

    page.click("#submit")  # an inline error
    assert violations(page) == []

    page.click("#key-button")
    assert violations(page) == []
    page.keyboard.press("Escape")
    page.click("#new-character")
    assert violations(page) == []
    page.keyboard.press("Escape")

    studio.open(f"/#/videos/{video['id']}")
    studio.player_duration()
    assert violations(page) == []
