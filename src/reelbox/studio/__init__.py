"""Reelbox Studio: the web app for making, watching and reworking videos.

Plain HTML, CSS and JavaScript modules in `assets/`, shipped inside the package and served by
`reelbox serve` itself: `index.html` at `/`, everything else under `/studio/`. There is no build
step; the app talks only to the public API (`/v1/...`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS = Path(__file__).resolve().parent / "assets"

# The key lives in localStorage, so the page loads nothing from elsewhere and runs no inline code.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class StudioAssets(StaticFiles):
    """Static files that browsers revalidate (ETag) so an upgraded server is seen at once."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        response.headers["x-content-type-options"] = "nosniff"
        return response


def mount(app: FastAPI) -> None:
    """Serve the studio: `index.html` at `/`, assets under `/studio/`."""
    index = ASSETS / "index.html"

    async def studio_index() -> Response:
        headers = {**SECURITY_HEADERS, "cache-control": "no-cache"}
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=headers)

    app.add_api_route("/", studio_index, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/studio", StudioAssets(directory=ASSETS), name="studio")
