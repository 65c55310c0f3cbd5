"""Tiny diffusers profiles on Ray: one actor per profile, and a 2-rank job on one node.

A Ray cluster of one simulated node declaring two fake GPUs, one API replica (`--no-workers`)
on PostgreSQL, media in an S3 server on loopback. `wan-one` is a tiny Wan 2.1 checkpoint on a
CPU actor; `wan-two` is the same checkpoint with `gpus_per_job = 2`: its actor owns both fake
GPUs (a placement group packed on the node) and runs each job as a 2-rank gloo group with
Ulysses attention, so a job of each with the same seed must give the same video.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openai import OpenAI

from engines.diffusers.serving import finished, profile
from engines.diffusers.tiny_weights import TinyWeights
from support.media import decode_frames
from support.s3 import Bucket
from support.server import LiveServer, server_config, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

OFF_RAY = "".join(
    f"\n[ray_profiles.{name}]\nreplicas = 0\n"
    for name in ("reelbox-procedural", "tiny", "slow", "fake")
)


def _config(*, ray_address: str, bucket: Bucket, weights: Path, two_ranks: str) -> str:
    return "\n".join(
        [
            bucket.toml(),
            server_config(executor="ray", ray_address=ray_address, lease_seconds=30),
            profile("wan-one", "wan2.1-t2v", weights, steps=4),
            profile("wan-two", "wan2.1-t2v", weights, two_ranks, steps=4),
            OFF_RAY,
            "[ray_profiles.wan-one]\nreplicas = 1\nnum_cpus = 0\n",
            "[ray_profiles.wan-two]\nreplicas = 1\nnum_cpus = 0\n",
        ]
    )


TWO = "gpus_per_job = 2\nparallel = { ulysses = 2 }"


@pytest.fixture(scope="module")
def weights(tiny_weights: TinyWeights) -> Path:
    return tiny_weights("wan2.1-t2v")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    cluster.add_node(num_cpus=2, num_gpus=2)
    cluster.wait_for_nodes()
    yield cluster
    import ray

    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def replica(
    tmp_path_factory: pytest.TempPathFactory,
    ray_cluster: Any,
    postgres_db: str,
    module_bucket: Bucket,
    weights: Path,
) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("replica") / "data",
        config=_config(
            ray_address=ray_cluster.address, bucket=module_bucket, weights=weights, two_ranks=TWO
        ),
        env={"REELBOX_ROLE": "api"},
        database_url=postgres_db,
    )
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(replica: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{replica.url}/v1", api_key="test", max_retries=0) as sdk:
        yield sdk


def _video(client: OpenAI, model: str) -> np.ndarray:  # type: ignore[type-arg]
    video = client.videos.create(
        model=model,
        prompt="a lighthouse at dusk",
        size="64x32",
        seconds="1",
        extra_body={"seed": 7},
    )
    done = finished(client, video, timeout=600)  # actors import torch and warm on a busy box
    return decode_frames(client.videos.download_content(done.id).read())


def _ray(cluster: Any) -> Any:
    """This process's connection to the cluster (to ask actors and placement groups)."""
    import ray

    if not ray.is_initialized():
        ray.init(address=cluster.address, namespace="reelbox", log_to_driver=False)
    return ray


def test_a_tiny_diffusers_profile_runs_on_a_ray_actor(client: OpenAI) -> None:
    frames = _video(client, "wan-one")
    assert frames.shape == (16, 32, 64, 3)  # 1 s at 16 fps, 64x32, decoded from the bucket
    assert frames.std() > 1  # a picture, not a blank


def test_a_two_rank_job_on_one_node_equals_the_one_rank_job(
    client: OpenAI, ray_cluster: Any
) -> None:
    import ray
    from ray.util import placement_group_table

    one, two = _video(client, "wan-one"), _video(client, "wan-two")
    assert one.shape == two.shape
    difference = np.abs(one.astype(np.int16) - two.astype(np.int16))
    # As on the local executor (tests/engines/diffusers/test_diffusers_placement.py): the
    # ranks' floats differ by ~1e-7, which can flip the rounding of a rare pixel.
    assert difference.max() <= 2, difference.max()
    assert difference.mean() < 0.01, difference.mean()

    _ray(ray_cluster)
    groups = [g for g in placement_group_table().values() if g["name"] == "reelbox-wan-two-0"]
    assert [(g["strategy"], g["state"], g["bundles"]) for g in groups] == [
        ("STRICT_PACK", "CREATED", {0: {"GPU": 2.0}})
    ]
    actor = ray.get_actor("reelbox-wan-two-0", namespace="reelbox")
    ranks = ray.get(actor.ranks.remote(), timeout=30)
    assert len(ranks) == 1 and all(ranks.values())  # rank 1, a live child of the actor


def test_a_killed_rank_restarts_the_group_and_the_job_runs_again(
    client: OpenAI, ray_cluster: Any, postgres_db: str
) -> None:
    from sqlalchemy import create_engine, select

    from reelbox.store.tables import job_events

    actor = _ray(ray_cluster).get_actor("reelbox-wan-two-0", namespace="reelbox")
    [before] = _ray(ray_cluster).get(actor.ranks.remote(), timeout=30)
    video = client.videos.create(model="wan-two", prompt="waves", size="64x32", seconds="5")
    wait_for(lambda: client.videos.retrieve(video.id).status == "in_progress", timeout=600)
    os.kill(before, signal.SIGKILL)  # rank 1, a child of the actor on the (only) node
    # Ray restarts the actor, which builds a new group; the job runs again (its progress
    # starts over, so `finished`, which wants it only to grow, does not apply).
    done = wait_for(
        lambda: (v := client.videos.retrieve(video.id)).status in ("completed", "failed") and v,
        timeout=600,
        interval=0.2,
    )
    assert done.status == "completed", done.error
    [after] = _ray(ray_cluster).get(actor.ranks.remote(), timeout=30)
    assert after != before
    engine = create_engine(postgres_db)
    with engine.connect() as conn:
        types = [
            t
            for (t,) in conn.execute(
                select(job_events.c.type)
                .where(job_events.c.job_id == video.id)
                .order_by(job_events.c.id)
            )
        ]
    engine.dispose()
    assert types.count("job.requeued") == 1 and types.count("job.completed") == 1


def test_a_profile_asking_for_more_gpus_than_a_node_has_is_refused_at_start(
    tmp_path: Path, ray_cluster: Any, postgres_db: str, module_bucket: Bucket, weights: Path
) -> None:
    live = LiveServer(
        tmp_path / "data",
        config=_config(
            ray_address=ray_cluster.address,
            bucket=module_bucket,
            weights=weights,
            two_ranks="gpus_per_job = 4\nparallel = { ulysses = 4 }",
        ),
        env={"REELBOX_ROLE": "api"},
        database_url=postgres_db,
    )
    with pytest.raises(RuntimeError) as refused:
        live.start()
    assert (
        "profile 'wan-two': gpus_per_job = 4 but no Ray node has that many GPUs "
        "(the most on one node: 2)"
    ) in str(refused.value)
