"""`/metrics` of a live server during a load run: queue, run-time, stage, step and latency figures
agree with the jobs table, it is protected like the API, and every metric the Grafana dashboard
in docs/ queries exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from support.server import LiveServer, server_config, wait_for

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
KEY = {"authorization": "Bearer k1"}


def scrape(server: LiveServer) -> dict[str, list[Any]]:
    """Samples by sample name."""
    answer = httpx.get(f"{server.url}/metrics", headers=KEY, timeout=30)
    assert answer.status_code == 200, answer.text
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(answer.text):
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def table(server: LiveServer, sql: str) -> list[Any]:
    engine = create_engine(f"sqlite:///{server.data_dir / 'reelbox.db'}")
    with engine.connect() as conn:
        rows = list(conn.execute(text(sql)))
    engine.dispose()
    return rows


def test_metrics_agree_with_the_jobs_table_and_feed_the_dashboard(make_server: Any) -> None:
    config = server_config(workers=1, max_running_per_project=1)
    server: LiveServer = make_server(config=config, env={"REELBOX_API_KEYS": "k1=acme,k2=beta"})
    assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
    with httpx.Client(base_url=f"{server.url}/v1", timeout=30) as client:
        tiny = [
            client.post(
                "/videos",
                headers=KEY,
                json={"prompt": "a kite", "model": "tiny", "size": "64x64", "seconds": "1"},
            ).json()["id"]
            for _ in range(2)
        ]
        wait_for(
            lambda: all(
                client.get(f"/videos/{i}", headers=KEY).json()["status"] == "completed"
                for i in tiny
            ),
            timeout=120,
            interval=0.2,
        )
        # A load that holds still while it is measured: one worker busy with a slow job, three
        # more queued behind it (one project may run one job at a time).
        slow = [
            client.post(
                "/videos",
                headers={"authorization": "Bearer k2"},
                json={"prompt": "p", "model": "slow", "size": "64x64", "seconds": "20"},
            ).json()["id"]
            for _ in range(4)
        ]
        wait_for(
            lambda: (
                client.get(f"/videos/{slow[0]}", headers={"authorization": "Bearer k2"}).json()[
                    "status"
                ]
                == "in_progress"
            ),
            timeout=60,
        )
        samples = scrape(server)
        rows = table(
            server,
            "SELECT status, project, profile, count(*) FROM jobs "
            "WHERE status IN ('queued', 'in_progress') GROUP BY status, project, profile",
        )
        assert (
            {
                (s.labels["status"], s.labels["project"], s.labels["profile"]): int(s.value)
                for s in samples["reelbox_jobs"]
            }
            == {(r[0], r[1], r[2]): r[3] for r in rows}
            == {
                ("in_progress", "beta", "slow"): 1,
                ("queued", "beta", "slow"): 3,
            }
        )
        [completed] = table(server, "SELECT count(*) FROM jobs WHERE status = 'completed'")
        [run_count] = [
            s for s in samples["reelbox_job_run_seconds_count"] if s.labels["profile"] == "tiny"
        ]
        assert run_count.value == completed[0] == 2
        [run_sum] = [
            s for s in samples["reelbox_job_run_seconds_sum"] if s.labels["profile"] == "tiny"
        ]
        [expected_sum] = table(
            server, "SELECT sum(completed_at - started_at) FROM jobs WHERE status = 'completed'"
        )
        assert abs(run_sum.value - expected_sum[0]) < 1e-6
        # Job time by stage and engine steps: recorded by the worker processes with each
        # completion, so every completed job counts once per stage it went through.
        stage_counts = {
            (s.labels["profile"], s.labels["stage"]): s.value
            for s in samples["reelbox_job_stage_seconds_count"]
        }
        assert stage_counts == {
            ("tiny", stage): completed[0]
            for stage in ("queue", "load", "plan", "sound", "render", "encode", "upload")
        }
        stage_sums = {
            s.labels["stage"]: s.value
            for s in samples["reelbox_job_stage_seconds_sum"]
            if s.labels["profile"] == "tiny"
        }
        [stored_sums] = table(
            server,
            "SELECT sum(s.seconds) FROM job_stages s JOIN jobs j ON j.id = s.job_id "
            "WHERE j.status = 'completed' AND s.stage = 'encode'",
        )
        assert abs(stage_sums["encode"] - stored_sums[0]) < 1e-6 and stage_sums["encode"] > 0
        [steps] = [
            s for s in samples["reelbox_engine_step_seconds_count"] if s.labels["profile"] == "tiny"
        ]
        [frames] = table(
            server,
            "SELECT sum(g.frame_count) FROM generations g JOIN jobs j ON j.id = g.job_id "
            "WHERE j.status = 'completed'",
        )
        assert steps.value == frames[0] == 2 * 8  # a step per painted frame (1 s at 8 fps)
        warmed = {s.labels["profile"] for s in samples["reelbox_worker_warmup_seconds_count"]}
        assert {"tiny", "slow"} <= warmed  # the worker warmed every profile before its first job
        queue_counts = {
            s.labels["profile"]: s.value for s in samples["reelbox_job_queue_seconds_count"]
        }
        assert queue_counts == {"tiny": 2, "slow": 1}  # jobs that have started
        posts = [
            s
            for s in samples["reelbox_http_request_duration_seconds_count"]
            if s.labels == {"method": "POST", "route": "/v1/videos"}
        ]
        assert [p.value for p in posts] == [6]
        requests = {
            (s.labels["route"], s.labels["status"]): s.value
            for s in samples["reelbox_http_requests_total"]
            if s.labels["method"] == "POST"
        }
        assert requests == {("/v1/videos", "200"): 6}
        # The keyless scrape was refused by the edge (api/edge.py) before any route.
        assert ("(refused)", "401") in {
            (s.labels["route"], s.labels["status"]) for s in samples["reelbox_http_requests_total"]
        }

        queried = set()
        for panel in json.loads(DASHBOARD.read_text())["panels"]:
            for target in panel["targets"]:
                queried |= set(re.findall(r"reelbox_[a-z_]+", target["expr"]))
        # A counter with nothing counted yet is declared (HELP/TYPE) without samples.
        missing = sorted(
            name
            for name in queried
            if name not in samples and name.removesuffix("_total") not in samples
        )
        assert missing == [], f"the dashboard queries metrics /metrics lacks: {missing}"
        assert len(queried) >= 12
        for video_id in slow:
            client.delete(f"/videos/{video_id}", headers={"authorization": "Bearer k2"})
