"""Fixtures for the studio tests: a live `reelbox serve` and Chromium driven by Playwright
(see browser.py for what the browser tests need and how they skip)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from studio.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    STUDIO_CONFIG,
    Studio,
    require_browser,
)
from support.server import LiveServer


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def studio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One open-mode server for the studio tests; each test uses its own prompts."""
    server = LiveServer(tmp_path_factory.mktemp("studio") / "data", config=STUDIO_CONFIG)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def make_studio(browser: Any, studio_server: LiveServer) -> Iterator[Callable[..., Studio]]:
    contexts: list[Any] = []
    studios: list[Studio] = []

    def make(*, server: LiveServer | None = None, viewport: dict[str, int] | None = None) -> Studio:
        context = browser.new_context(viewport=viewport or DESKTOP, device_scale_factor=1)
        context.set_default_timeout(20000)
        contexts.append(context)
        studio = Studio(context.new_page(), server or studio_server)
        studios.append(studio)
        return studio

    yield make
    errors = [e for s in studios for e in s.errors]
    for context in contexts:
        context.close()
    assert errors == [], "the studio logged errors"


@pytest.fixture
def studio(make_studio: Callable[..., Studio]) -> Studio:
    return make_studio()


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts() -> None:
    """Screenshots of this run only."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
