"""What the studio needs from the server, without a browser: its pages and assets, the
`/v1/studio/...` extensions, and the package data that ships them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import httpx

from studio.browser import create_video, unique, wait_finished
from support.server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "src" / "reelbox" / "studio" / "assets"


def get(server: LiveServer, path: str) -> Any:
    response = httpx.get(f"{server.url}{path}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def post(server: LiveServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{path}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_studio_is_served_at_the_root_with_a_strict_policy(studio_server: LiveServer) -> None:
    page = httpx.get(studio_server.url, timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    for asset in re.findall(r'(?:href|src)="(/studio/[^"#]+)', page.text):
        served = httpx.get(f"{studio_server.url}{asset}", timeout=10)
        assert served.status_code == 200, asset
    script = httpx.get(f"{studio_server.url}/studio/js/main.js", timeout=10)
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"
    missing = httpx.get(f"{studio_server.url}/studio/nope.js", timeout=10)
    assert missing.status_code == 404


def test_every_module_import_and_icon_resolves() -> None:
    """A broken import or icon name would only show in a browser; catch it here too."""
    scripts = sorted((ASSETS / "js").glob("*.js"))
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', (ASSETS / "icons.svg").read_text()))
    for script in scripts:
        text = script.read_text()
        for target in re.findall(r'from "(\./[\w-]+\.js)"', text):
            assert (script.parent / target).is_file(), f"{script.name} imports {target}"
        for name in re.findall(r'icon\("([\w-]+)"', text):
            assert name in symbols, f"{script.name} uses a missing icon {name}"
    for name in re.findall(r"icons\.svg#([\w-]+)", (ASSETS / "index.html").read_text()):
        assert name in symbols, name


def test_package_data_ships_every_asset() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["reelbox"]
    package = ROOT / "src" / "reelbox"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    assets = {p for p in ASSETS.rglob("*") if p.is_file()}
    assert assets and assets <= shipped, sorted(str(p) for p in assets - shipped)


def test_config_has_prices_and_limits(studio_server: LiveServer) -> None:
    config = get(studio_server, "/v1/studio/config")
    assert config["open_mode"] is True
    models = config["models"]
    # The Sora names on the embedded engine are free here: no Sora price for a free render.
    assert models["sora-2"]["price"] is None
    assert models["sora-2"]["profile"] == "reelbox-procedural"
    assert models["sora-2-pro-2025-10-06"]["price"] is None
    # Sora's published prices only for a profile configured to charge them.
    pro = models["sora-2-pro"]["price"]
    assert pro == {
        "per_second": 0.30,
        "by_size": {"1024x1792": 0.50, "1792x1024": 0.50},
        "source": "sora",
    }
    # A profile's own price wins, and its aliases share it; unpriced profiles have none.
    assert models["priced"]["price"]["per_second"] == 0.05
    alias_price = models["priced-alias"]["price"]
    assert alias_price == {"per_second": 0.05, "by_size": {}, "source": "profile"}
    assert models["tiny"]["price"] is None
    assert models["sora-2"]["extension_seconds"] == ["4", "8", "12", "16", "20"]
    assert models["tiny"]["max_pixels"] > 0
    assert config["limits"]["max_extensions"] == 6


def test_config_times_similar_videos_made_here(studio_server: LiveServer) -> None:
    """The expected time comes from this project's finished videos, per profile."""
    video = wait_finished(
        studio_server, create_video(studio_server, prompt=unique("a clock"))["id"]
    )
    assert video["status"] == "completed"
    models = get(studio_server, "/v1/studio/config")["models"]
    timing = models["tiny"]["timing"]
    assert timing["samples"] >= 1
    # 32 frames of 320x180 took at least half a second by the server's whole-second clock.
    assert timing["seconds_per_megapixel_frame"] >= 0.5 / (32 * 320 * 180 / 1e6)
    assert models["priced-alias"]["timing"] == models["priced"]["timing"]


def test_video_details_give_lineage_and_the_request_that_made_it(
    studio_server: LiveServer,
) -> None:
    server = studio_server
    prompt = unique("a kite over the dunes")
    source = wait_finished(server, create_video(server, prompt=prompt, seed=7)["id"])
    details = get(server, f"/v1/studio/videos/{source['id']}")
    assert details["lineage"] == []
    assert details["request"] == {
        "method": "POST",
        "path": "/v1/videos",
        "body": {"prompt": prompt, "model": "tiny", "size": "320x180", "seconds": "4", "seed": 7},
        "files": {},
    }
    assert details["output"]["fps"] == 8 and details["output"]["frame_count"] == 32
    assert details["video"] == get(server, f"/v1/videos/{source['id']}")

    remix = post(server, f"/v1/videos/{source['id']}/remix", {"prompt": "the kite at night"})
    remix = wait_finished(server, remix["id"])
    details = get(server, f"/v1/studio/videos/{remix['id']}")
    assert details["request"]["path"] == f"/v1/videos/{source['id']}/remix"
    assert details["lineage"] == [
        {
            "kind": "remix",
            "id": source["id"],
            "available": True,
            "prompt": prompt,
            "model": "tiny",
            "seconds": "4",
        }
    ]

    extension = post(
        server,
        "/v1/videos/extensions",
        {"prompt": "it lands", "seconds": "4", "video": {"id": remix["id"]}},
    )
    extension = wait_finished(server, extension["id"])
    details = get(server, f"/v1/studio/videos/{extension['id']}")
    assert extension["seconds"] == "8"
    assert details["request"]["body"]["seconds"] == "4"  # the new segment, as it was asked for
    assert details["request"]["body"]["video"] == {"id": remix["id"]}
    assert details["extensions"] == 1
    assert [(s["kind"], s["id"]) for s in details["lineage"]] == [
        ("extension", remix["id"]),
        ("remix", source["id"]),
    ]

    httpx.delete(f"{server.url}/v1/videos/{source['id']}", timeout=10)
    details = get(server, f"/v1/studio/videos/{remix['id']}")
    assert details["lineage"][0]["available"] is False


def test_video_details_of_an_unknown_video_are_not_found(studio_server: LiveServer) -> None:
    response = httpx.get(f"{studio_server.url}/v1/studio/videos/video_nope", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_video_details_and_the_completed_event_name_what_was_not_understood(
    studio_server: LiveServer,
) -> None:
    """The embedded engine's `not_understood` words reach the studio and the job's events."""
    import sqlite3

    server = studio_server
    prompt = unique("a flux capacitor beside a cat")
    video = wait_finished(server, create_video(server, prompt=prompt, seconds="4")["id"])
    details = get(server, f"/v1/studio/videos/{video['id']}")
    assert "flux capacitor" in details["not_understood"]
    assert details["warnings"] == []
    with sqlite3.connect(server.data_dir / "reelbox.db") as db:
        (data,) = db.execute(
            "SELECT data FROM job_events WHERE job_id = ? AND type = 'job.completed'",
            (video["id"],),
        ).fetchone()
    assert "flux capacitor" in data
