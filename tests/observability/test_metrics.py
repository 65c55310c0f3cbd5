"""The metrics registry in-process: route templates (never raw paths), `metrics_port`, and an
app's registry belonging to that app alone."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reelbox.app import create_app
from reelbox.settings import Settings
from support.server import free_port


def _samples(text: str) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def test_routes_are_labelled_by_template(tmp_path: Path) -> None:
    with TestClient(
        create_app(Settings(data_dir=tmp_path / "d"), run_jobs=False), base_url="http://localhost"
    ) as api:
        for video_id in ("video_a", "video_b"):
            api.get(f"/v1/videos/{video_id}")
            api.get(f"/openai/deployments/sora-2/videos/{video_id}")
        api.get("/no/such/path")
        samples = _samples(api.get("/metrics").text)
    routes = {
        (s.labels["route"], s.labels["status"]): s.value  # type: ignore[attr-defined]
        for s in samples["reelbox_http_requests_total"]
    }
    assert routes[("/v1/videos/{video_id}", "404")] == 2
    assert routes[("/openai/deployments/{deployment}/videos/{video_id}", "404")] == 2
    assert routes[("(unmatched)", "404")] == 1
    assert not any("video_a" in route for route, _ in routes)


def test_each_app_counts_only_its_own_requests(tmp_path: Path) -> None:
    with TestClient(
        create_app(Settings(data_dir=tmp_path / "a"), run_jobs=False), base_url="http://localhost"
    ) as first:
        first.get("/healthz")
        with TestClient(
            create_app(Settings(data_dir=tmp_path / "b"), run_jobs=False),
            base_url="http://localhost",
        ) as second:
            samples = _samples(second.get("/metrics").text)
    assert "reelbox_http_requests_total" not in samples  # nothing counted before this scrape


def test_metrics_port_serves_them_alone(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(data_dir=tmp_path / "d", api_keys={"k": "p"}, metrics_port=port)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        api.get("/v1/videos", headers={"authorization": "Bearer k"})
        assert api.get("/metrics", headers={"authorization": "Bearer k"}).status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert scraped.status_code == 200  # no key on the private port
        samples = _samples(scraped.text)
        assert "reelbox_event_streams_open" in samples
        assert any(
            s.labels["route"] == "/v1/videos"  # type: ignore[attr-defined]
            for s in samples["reelbox_http_requests_total"]
        )
    try:
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    except httpx.HTTPError:
        pass
    else:
        raise AssertionError("the metrics port outlived the app")
