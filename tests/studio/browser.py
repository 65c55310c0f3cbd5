"""Driving Reelbox Studio in Chromium (Playwright): what the tests in tests/studio/ share.

Browser tests need Debian's Chromium at /usr/bin/chromium (or $REELBOX_CHROMIUM) and the
`playwright` package; without them they are skipped, unless REELBOX_REQUIRE_BROWSER=1 (CI), which
turns the skip into a failure. `playwright install` is never needed: the system browser is used.
Screenshots of every screen go to test-artifacts/studio/; REELBOX_DOCS_SCREENSHOTS=1 also
refreshes the ones docs/studio.md shows (docs/studio/).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import LiveServer, server_config, wait_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "studio"
DOCS = ROOT / "docs" / "studio"
CHROMIUM = os.environ.get("REELBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}

# Besides the test profiles (tiny renders at 8 fps): a priced profile and an alias of it, and a
# profile charging Sora's published prices that serves sora-2-pro.
STUDIO_PROFILES = """
[profiles.priced]
engine = "procedural"
description = "the embedded engine with a price"
price_per_second = 0.05
options = { fps = 8 }

[profiles.sora-priced]
engine = "procedural"
description = "the embedded engine, charging Sora's published prices"
sora_prices = true
options = { fps = 8 }

[aliases]
priced-alias = "priced"
sora-2-pro = "sora-priced"
"""
STUDIO_CONFIG = server_config() + STUDIO_PROFILES


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser() -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("REELBOX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"REELBOX_REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(f"browser tests need Chromium and Playwright: {missing}")


class Studio:
    """A browser page on the studio, with the helpers the tests share."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # Failed requests (a 404 while probing, a 400 the form shows) are logged by the browser
        # itself; anything else at error level is the studio's own.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    def open(self, path: str = "/") -> None:
        self.page.goto(f"{self.server.url}{path}")
        self.page.wait_for_selector("#create-form", state="attached")
        self.page.wait_for_function("() => document.querySelector('#model').options.length > 0")

    def shot(self, name: str, *, full_page: bool = False, docs: str | None = None) -> Path:
        """A screenshot in test-artifacts/studio/; with `docs`, also docs/studio/<docs>.png
        when REELBOX_DOCS_SCREENSHOTS=1 (how the pictures in docs/studio.md are refreshed)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        if docs is not None and os.environ.get("REELBOX_DOCS_SCREENSHOTS") == "1":
            shutil.copyfile(path, DOCS / f"{docs}.png")
        return path

    def card(self, prompt: str) -> Any:
        return self.page.locator(".card", has=self.page.locator(".card-link", has_text=prompt))

    def wait_card_status(self, prompt: str, status: str, timeout: float = 30) -> Any:
        card = self.card(prompt)
        card.wait_for(timeout=timeout * 1000)
        self.page.wait_for_function(
            "([prompt, status]) => [...document.querySelectorAll('.card')].some("
            "c => c.querySelector('.card-link')?.textContent.includes(prompt)"
            " && c.dataset.status === status)",
            arg=[prompt, status],
            timeout=timeout * 1000,
        )
        return card

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def player_duration(self) -> float:
        self.page.wait_for_selector("video.player")
        self.page.wait_for_function(
            "() => { const v = document.querySelector('video.player');"
            " return v && v.readyState >= 1 && Number.isFinite(v.duration); }",
            timeout=15000,
        )
        return float(self.page.evaluate("document.querySelector('video.player').duration"))


def unique(prompt: str) -> str:
    """A prompt no other test uses, so each test finds its own cards."""
    return f"{prompt} #{uuid.uuid4().hex[:6]}"


def create_video(server: LiveServer, *, key: str | None = None, **fields: Any) -> dict[str, Any]:
    """Create a video through the API (not the studio), as a test's starting point."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": "tiny", "size": "320x180", "seconds": "4", **fields}
    response = httpx.post(f"{server.url}/v1/videos", json=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    video: dict[str, Any] = response.json()
    return video


def wait_finished(server: LiveServer, video_id: str, *, key: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    def finished() -> dict[str, Any] | None:
        video: dict[str, Any] = httpx.get(
            f"{server.url}/v1/videos/{video_id}", headers=headers, timeout=10
        ).json()
        return video if video["status"] in ("completed", "failed") else None

    result: dict[str, Any] = wait_for(finished, timeout=60)
    return result
