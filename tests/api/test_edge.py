"""The edge as one middleware: what it refuses is counted under the route `(refused)` with its
status, apart from the requests no route matched (`(unmatched)`); every answer, refusals
included, carries a request id."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reelbox.app import create_app
from reelbox.settings import Settings


def _requests(text: str) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "reelbox_http_requests_total"
    }


def test_refusals_are_counted_as_refused_with_their_status(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", max_upload_bytes=1024)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        answers = [
            api.get("/v1/videos", headers={"host": "evil.example"}),  # 421
            api.post("/v1/videos", json={}, headers={"origin": "https://evil.example"}),  # 403
            api.get("/v1/videos%00"),  # 400 invalid_url
            api.post("/v1/videos", content=b"x" * 2048),  # 413, declared length
            api.get("/no/such/path"),  # 404 from routing: not a refusal
        ]
        assert [a.status_code for a in answers] == [421, 403, 400, 413, 404]
        assert all(a.headers["x-request-id"].startswith("req_") for a in answers)
        assert len({a.headers["x-request-id"] for a in answers}) == len(answers)
        counted = _requests(api.get("/metrics").text)
    assert counted[("GET", "(refused)", "421")] == 1
    assert counted[("POST", "(refused)", "403")] == 1
    assert counted[("GET", "(refused)", "400")] == 1
    assert counted[("POST", "(refused)", "413")] == 1
    assert counted[("GET", "(unmatched)", "404")] == 1
    assert not any(route == "(unmatched)" and status != "404" for _, route, status in counted)


def test_a_keyless_private_path_is_refused_and_a_chunked_body_is_cut_under_its_route(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "d", api_keys={"k": "p"}, max_upload_bytes=1024)
    with TestClient(create_app(settings, run_jobs=False), base_url="http://localhost") as api:
        assert api.get("/metrics").status_code == 401

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(4):
                yield b"y" * 512

        # No Content-Length: counted as it streams, cut at the cap inside the matched route.
        cut = api.post("/v1/videos", content=chunks(), headers={"authorization": "Bearer k"})
        assert cut.status_code == 413 and cut.json()["error"]["code"] == "request_too_large"
        counted = _requests(api.get("/metrics", headers={"authorization": "Bearer k"}).text)
    assert counted[("GET", "(refused)", "401")] == 1
    assert counted[("POST", "/v1/videos", "413")] == 1
