"""Placement and multi-rank jobs through the live API, on CPU pseudo-devices.

Three pseudo-devices (`cpu:0..2`): `wan-one` owns one, `wan-two` owns two and runs every job as
a 2-rank gloo group with Ulysses attention. Both are the same tiny Wan 2.1 checkpoint, so a job
of each with the same seed must give the same video.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from openai import OpenAI

from engines.diffusers.serving import finished, profile
from support.media import decode_frames
from support.server import LiveServer, server_config, wait_for

pytestmark = pytest.mark.slow

WAN = "wan2.1-t2v"


@pytest.fixture(scope="module")
def server(
    tiny_weights: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    path = tiny_weights(WAN)
    config = "\n".join(
        [
            server_config(workers=1, gpus=["cpu:0", "cpu:1", "cpu:2"]),
            profile("wan-one", WAN, path, "gpus_per_job = 1\nreplicas = 1", steps=4),
            profile("wan-two", WAN, path, "gpus_per_job = 2\nparallel = { ulysses = 2 }", steps=4),
        ]
    )
    live = LiveServer(tmp_path_factory.mktemp("placed") / "data", config=config)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.url}/v1", api_key="test", max_retries=0) as sdk:
        yield sdk


def placement(server: LiveServer, model: str) -> list[dict[str, object]]:
    body = httpx.get(f"{server.url}/v1/models/{model}", timeout=10).json()
    workers: list[dict[str, object]] = body["placement"]
    return workers


def ready(server: LiveServer, model: str) -> list[dict[str, object]]:
    workers = wait_for(
        lambda: (w := placement(server, model)) and all(x["ready"] for x in w) and w,
        timeout=600,  # three processes import torch and load weights (slow on a busy machine)
    )
    return list(workers)


def test_each_worker_loads_only_the_profile_placed_on_its_devices(server: LiveServer) -> None:
    one = ready(server, "wan-one")
    two = ready(server, "wan-two")
    assert [(w["devices"], w["ranks"], w["loaded"]) for w in one] == [(["cpu:0"], 1, ["wan-one"])]
    assert [(w["devices"], w["ranks"], w["loaded"]) for w in two] == [
        (["cpu:1", "cpu:2"], 2, ["wan-two"])
    ]
    embedded = ready(server, "sora-2")  # the CPU worker: every profile not placed
    assert len(embedded) == 1 and embedded[0]["devices"] == []
    loaded = embedded[0]["loaded"]
    assert isinstance(loaded, list) and "reelbox-procedural" in loaded
    assert not {"wan-one", "wan-two"} & set(loaded)


def test_a_two_rank_ulysses_job_equals_the_one_rank_job(client: OpenAI, server: LiveServer) -> None:
    ready(server, "wan-two")
    made = {}
    for model in ("wan-one", "wan-two"):
        video = client.videos.create(
            model=model,
            prompt="a lighthouse at dusk",
            size="64x32",
            seconds="4",
            extra_body={"seed": 7},
        )
        made[model] = finished(client, video, timeout=300)
    frames = {
        model: decode_frames(client.videos.download_content(video.id).read())
        for model, video in made.items()
    }
    one, two = frames["wan-one"], frames["wan-two"]
    assert one.shape == two.shape == (64, 32, 64, 3)  # 4 s at 16 fps, 64x32
    difference = np.abs(one.astype(np.int16) - two.astype(np.int16))
    # The ranks' float outputs differ from one process's by ~1e-7 (reduction order), which
    # can flip the rounding of a rare pixel; the encoder then sees the same picture.
    assert difference.max() <= 2, difference.max()
    assert difference.mean() < 0.01, difference.mean()


def test_cancel_stops_every_rank_and_the_group_goes_on(client: OpenAI, server: LiveServer) -> None:
    before = ready(server, "wan-two")[0]["pids"]
    video = client.videos.create(model="wan-two", prompt="a storm", size="64x32", seconds="5")
    wait_for(lambda: client.videos.retrieve(video.id).status == "in_progress", timeout=60)
    client.videos.delete(video.id)
    # Both ranks stop at the same step and the group takes the next job (no rebuild).
    after = client.videos.create(model="wan-two", prompt="calm sea", size="64x32", seconds="1")
    assert finished(client, after, timeout=300).status == "completed"
    assert ready(server, "wan-two")[0]["pids"] == before


def test_a_killed_rank_rebuilds_the_group_and_the_job_runs_again(
    client: OpenAI, server: LiveServer
) -> None:
    before = ready(server, "wan-two")[0]["pids"]
    assert isinstance(before, list) and len(before) == 2
    video = client.videos.create(model="wan-two", prompt="waves", size="64x32", seconds="5")
    wait_for(lambda: client.videos.retrieve(video.id).status == "in_progress", timeout=60)
    os.kill(before[1], signal.SIGKILL)  # rank 1, mid-job
    after = wait_for(
        lambda: (w := placement(server, "wan-two")) and w[0]["pids"] != before and w[0]["pids"],
        timeout=60,
    )
    assert before[0] not in after and before[1] not in after  # the whole group was replaced
    done = client.videos.retrieve(video.id)
    deadline = time.monotonic() + 300
    while done.status not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        done = client.videos.retrieve(video.id)
    assert done.status == "completed", done.error


def _ended(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie counts: its parent may not have reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_a_rank_death_met_inside_the_model_rebuilds_the_group_and_the_job_runs_again(
    client: OpenAI, server: LiveServer
) -> None:
    """With the parent stopped, the death of rank 1 can only reach rank 0 through a collective:
    most likely an attention all-to-all inside the transformer (many per step, against one
    control message), whose error the engine wraps as a pipeline failure. Rank 0 must still end
    its process for a rebuild rather than fail the job."""
    assert server.process is not None
    before = ready(server, "wan-two")[0]["pids"]
    assert isinstance(before, list) and len(before) == 2
    video = client.videos.create(model="wan-two", prompt="surf", size="64x32", seconds="5")
    wait_for(lambda: client.videos.retrieve(video.id).status == "in_progress", timeout=60)
    os.kill(server.process.pid, signal.SIGSTOP)  # the parent cannot notice the death first
    try:
        os.kill(before[1], signal.SIGKILL)
        wait_for(lambda: _ended(before[0]), timeout=120)  # rank 0 stopped by itself
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    done = client.videos.retrieve(video.id)
    deadline = time.monotonic() + 300
    while done.status not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        done = client.videos.retrieve(video.id)
    assert done.status == "completed", done.error
    after = ready(server, "wan-two")[0]["pids"]
    assert isinstance(after, list) and not set(before) & set(after)


def test_a_placement_that_cannot_fit_is_refused_at_start(
    tiny_weights: Callable[[str], Path], tmp_path: Path
) -> None:
    path = tiny_weights(WAN)
    config = "\n".join(
        [
            server_config(workers=1, gpus=["cpu:0"]),
            profile("wan-two", WAN, path, "gpus_per_job = 2\nparallel = { ulysses = 2 }"),
        ]
    )
    live = LiveServer(tmp_path / "data", config=config)
    with pytest.raises(RuntimeError, match="wan-two got no devices"):
        live.start()
