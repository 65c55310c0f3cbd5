"""Cluster mode end to end: a Ray cluster of two simulated GPU nodes on this machine, two API
replicas (`--no-workers`, one elected leader) on PostgreSQL, media in an S3 server on loopback,
driven through the OpenAI SDK.

One module-wide cluster keeps the run inside a few minutes; the tests run in order and leave it
with two live nodes and two serving replicas (or say so).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openai import OpenAI
from sqlalchemy import create_engine, func, select, text

from reelbox.store.tables import generations, job_events, jobs, webhook_deliveries
from support.s3 import Bucket
from support.server import LiveServer, server_config, wait_for
from support.webhook_receiver import Receiver, running_receiver

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

RAY_PROFILES = """
[ray_profiles.reelbox-procedural]
replicas = 0

[ray_profiles.tiny]
replicas = 0

[ray_profiles.fake]
replicas = 2
num_gpus = 0.5
num_cpus = 0

[ray_profiles.slow]
replicas = 2
num_gpus = 0.5
num_cpus = 0
"""


@dataclass
class World:
    ray: Any  # ray.cluster_utils.Cluster
    database_url: str
    bucket: Bucket
    replicas: list[LiveServer]
    receiver: Receiver

    def sdk(self, index: int) -> OpenAI:
        return OpenAI(base_url=f"{self.replicas[index].url}/v1", api_key="anything", max_retries=0)

    def sql(self, query: Any) -> Any:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(query).all()
        finally:
            engine.dispose()


def _config(*, ray_address: str, bucket: Bucket, redirect: bool) -> str:
    settings = server_config(
        executor="ray",
        ray_address=ray_address,
        webhook_allow_http=True,
        webhook_backoff_seconds=0.2,
        webhook_poll_interval_seconds=0.05,
        max_running_per_project=4,
        max_queued_per_project=100,
        lease_seconds=4,
    )
    return (
        bucket.toml(redirect=redirect)
        + 'webhook_allowed_networks = ["127.0.0.0/8"]\n'
        + settings
        + RAY_PROFILES
    )


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, postgres_db: str, module_bucket: Bucket
) -> Iterator[World]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(2):
        cluster.add_node(num_cpus=2, num_gpus=1)
    cluster.wait_for_nodes()
    base = tmp_path_factory.mktemp("cluster")
    replicas = [
        LiveServer(
            base / f"replica{i}",
            config=_config(ray_address=cluster.address, bucket=module_bucket, redirect=i == 1),
            env={"REELBOX_ROLE": "api"},
            database_url=postgres_db,
        )
        for i in range(2)
    ]
    try:
        with running_receiver() as receiver:
            for replica in replicas:  # the first one started leads
                replica.start()
            yield World(cluster, postgres_db, module_bucket, replicas, receiver)
    finally:
        for replica in replicas:
            replica.stop()
        import ray

        ray.shutdown()  # this process's own connection (tests ask actors what they run)
        cluster.shutdown()


def _wait_done(client: OpenAI, video_id: str, timeout: float = 180) -> Any:
    video = wait_for(
        lambda: (v := client.videos.retrieve(video_id)).status in ("completed", "failed") and v,
        timeout=timeout,
        interval=0.2,
    )
    assert video.status == "completed", video.error
    return video


def _events(replica: LiveServer, video_id: str) -> list[str]:
    names = []
    with httpx.stream("GET", f"{replica.url}/v1/videos/{video_id}/events", timeout=120) as r:
        for line in r.iter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
    return names


def test_twenty_videos_across_replicas_each_generated_and_announced_once(world: World) -> None:
    a, b = world.sdk(0), world.sdk(1)
    a.webhooks.create(name="hook", url=world.receiver.url, event_types=["video.completed"])
    ids = []
    for i in range(20):
        client = (a, b)[i % 2]
        video = client.videos.create(model="fake", prompt=f"kite number {i}", size="160x96")
        ids.append(video.id)
    streamed = _events(world.replicas[1], ids[0])  # created on A, streamed from B
    assert (
        streamed[0] in ("video.queued", "video.in_progress") and streamed[-1] == "video.completed"
    )
    for i, video_id in enumerate(ids):
        _wait_done((b, a)[i % 2], video_id)  # polled on the other replica
    counts = dict(
        world.sql(select(generations.c.job_id, func.count()).group_by(generations.c.job_id))
    )
    assert all(counts[v] == 1 for v in ids)
    wait_for(lambda: len(world.receiver.requests) >= 20, timeout=60)
    time.sleep(0.5)
    announced = [json.loads(r.body)["data"]["id"] for r in world.receiver.requests]
    assert sorted(announced) == sorted(ids)  # one webhook per video, no duplicates


def _actor_of(job_id: str, address: str) -> tuple[str, str]:
    """(actor name, node id) of the actor running `job_id`."""
    import ray
    from ray.util.state import list_actors

    if not ray.is_initialized():
        ray.init(address=address, namespace="reelbox", log_to_driver=False)
    for name in ("reelbox-slow-0", "reelbox-slow-1"):
        actor = ray.get_actor(name, namespace="reelbox")
        try:
            running = ray.get(actor.current.remote(), timeout=10)
        except ray.exceptions.RayError:  # restarting after a node loss
            continue
        if running == job_id:
            [state] = list_actors(filters=[("name", "=", name), ("state", "=", "ALIVE")])
            return name, state.node_id
    raise AssertionError(f"no actor runs {job_id}")


def _running_with_progress(client: OpenAI, video_id: str) -> None:
    wait_for(
        lambda: (v := client.videos.retrieve(video_id)).status == "in_progress" and v.progress > 0,
        timeout=120,
        interval=0.1,
    )


def test_a_node_killed_mid_job_loses_only_that_run(world: World) -> None:
    a = world.sdk(0)
    video = a.videos.create(model="slow", prompt="a slow river", size="160x96", seconds="8")
    _running_with_progress(a, video.id)
    _, node_id = _actor_of(video.id, world.ray.address)
    [node] = [n for n in world.ray.worker_nodes if n.node_id == node_id]
    world.ray.remove_node(node, allow_graceful=False)
    done = _wait_done(world.sdk(1), video.id)
    assert done.progress == 100
    rows = world.sql(
        select(job_events.c.type).where(job_events.c.job_id == video.id).order_by(job_events.c.id)
    )
    types = [t for (t,) in rows]
    assert types.count("job.requeued") == 1 and types.count("job.completed") == 1
    [(attempt,)] = world.sql(select(jobs.c.attempt).where(jobs.c.id == video.id))
    assert attempt == 2
    [(count,)] = world.sql(
        select(func.count()).select_from(generations).where(generations.c.job_id == video.id)
    )
    assert count == 1
    world.ray.add_node(num_cpus=2, num_gpus=1)  # the fleet gets its machine back
    world.ray.wait_for_nodes()


def test_cancel_on_one_replica_stops_the_job_on_its_node_within_two_seconds(
    world: World,
) -> None:
    import ray

    a, b = world.sdk(0), world.sdk(1)
    video = a.videos.create(model="slow", prompt="a long tide", size="160x96", seconds="12")
    _running_with_progress(a, video.id)
    name, _ = _actor_of(video.id, world.ray.address)
    actor = ray.get_actor(name, namespace="reelbox")
    started = time.monotonic()
    b.videos.delete(video.id)
    wait_for(lambda: ray.get(actor.current.remote(), timeout=5) is None, timeout=10, interval=0.05)
    assert time.monotonic() - started < 2
    [(status,)] = world.sql(select(jobs.c.status).where(jobs.c.id == video.id))
    assert status == "cancelled"


def test_downloads_by_range_and_redirect_return_the_same_bytes(world: World) -> None:
    a = world.sdk(0)
    video = a.videos.create(model="fake", prompt="a lighthouse", size="160x96")
    _wait_done(a, video.id)
    full = httpx.get(f"{world.replicas[0].url}/v1/videos/{video.id}/content")
    assert full.status_code == 200 and full.content[4:8] == b"ftyp"
    part = httpx.get(
        f"{world.replicas[0].url}/v1/videos/{video.id}/content", headers={"range": "bytes=8-99"}
    )
    assert part.status_code == 206 and part.content == full.content[8:100]
    redirected = httpx.get(f"{world.replicas[1].url}/v1/videos/{video.id}/content")
    assert redirected.status_code == 302
    assert httpx.get(redirected.headers["location"]).content == full.content
    assert world.sdk(1).videos.download_content(video.id).read() == full.content


def test_killing_the_leader_moves_dispatch_and_loses_nothing(world: World) -> None:
    b = world.sdk(1)
    in_flight = world.sdk(0).videos.create(model="slow", prompt="a dusk", size="160x96")
    _running_with_progress(world.sdk(0), in_flight.id)
    world.replicas[0].kill()  # the leader (started first)
    later = [b.videos.create(model="fake", prompt=f"after {i}", size="160x96") for i in range(3)]
    for video in [in_flight, *later]:
        _wait_done(b, video.id, timeout=120)
    [(holders,)] = world.sql(
        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
    )
    assert holders == 1  # the surviving replica leads
    world.replicas[0].start()


def test_deliveries_stayed_exactly_once(world: World) -> None:
    rows = world.sql(
        select(webhook_deliveries.c.event_type, func.count()).group_by(
            webhook_deliveries.c.event_type
        )
    )
    assert dict(rows).get("video.completed", 0) == len(
        world.sql(select(jobs.c.id).where(jobs.c.status == "completed"))
    )
