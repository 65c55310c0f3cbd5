"""Apps written for Azure OpenAI's Sora APIs, pointed at Reelbox (SORA_API.md Part B, D7).

The flow of the integration guide in shared/docs/reference is reproduced with httpx: Sora 1 jobs
with variants, polling `/jobs/{id}` to `succeeded`, downloads by generation id.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from support.media import image_facts, png_bytes, probe_mp4
from support.server import LiveServer, server_config

KEY = "azure-key"


@pytest.fixture(scope="module")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("azure") / "data",
        config=server_config() + '\n[deployments]\nsora-fast = "tiny"\nsora2-fast = "tiny"\n',
        env={"REELBOX_API_KEYS": f"{KEY}=contoso,other-key=fabrikam"},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def azure(azure_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{azure_server.url}/openai/v1",
        headers={"api-key": KEY},
        params={"api-version": "preview"},
        timeout=60,
    ) as client:
        yield client


def _poll(client: httpx.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/video/generations/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        seen.append(job["status"])
        if job["status"] in ("succeeded", "failed", "cancelled"):
            assert set(seen) <= {"queued", "preprocessing", "running", "processing", job["status"]}
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {seen[-5:]}")


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "param", "type", "inner_error"} <= set(error)
    assert isinstance(error["code"], str)
    return error


def test_text_job_with_two_variants_as_the_guide_sends_it(azure: httpx.Client) -> None:
    response = azure.post(
        "/video/generations/jobs",
        json={
            "model": "sora-fast",
            "prompt": "Wide shot of a child flying a red kite",
            "height": "480",
            "width": "854",
            "n_seconds": "2",
            "n_variants": "2",
        },
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["object"] == "video.generation.job" and created["id"].startswith("task_")
    assert created["status"] == "queued" and created["generations"] == []
    assert (created["width"], created["height"], created["n_seconds"], created["n_variants"]) == (
        854,
        480,
        2,
        2,
    )
    assert created["model"] == "sora-fast" and created["failure_reason"] is None
    assert created["finished_at"] is None and created["expires_at"] is None

    job = _poll(azure, created["id"])
    assert job["status"] == "succeeded", job
    assert job["expires_at"] == job["created_at"] + 86400
    assert job["finished_at"] is not None
    generations = job["generations"]
    assert len(generations) == 2 and generations[0]["id"] != generations[1]["id"]
    videos = []
    for generation in generations:
        assert generation["object"] == "video.generation"
        assert generation["job_id"] == job["id"] and generation["n_seconds"] == 2
        assert azure.get(f"/video/generations/{generation['id']}").json() == generation
        url = f"/video/generations/{generation['id']}/content/video"
        mp4 = azure.get(url).content
        facts = probe_mp4(mp4)
        assert (facts.width, facts.height, facts.frames) == (854, 480, 16)
        assert facts.audio_codec is None  # Sora 1 videos are silent
        head = azure.head(url)
        assert head.status_code == 200 and int(head.headers["content-length"]) == len(mp4)
        low = azure.get(url, params={"quality": "low", "api-version": "preview"})
        low_facts = probe_mp4(low.content)
        assert (low_facts.width, low_facts.height, low_facts.frames) == (426, 240, 16)
        assert len(low.content) < len(mp4)
        thumb = azure.get(f"/video/generations/{generation['id']}/content/thumbnail")
        assert thumb.headers["content-type"] == "image/jpg"
        assert image_facts(thumb.content) == ("JPEG", 854, 480)
        videos.append(mp4)
    assert videos[0] != videos[1]  # each variant has its own seed and media


def _jpeg(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_image_to_video_with_two_images_and_crop_bounds(azure: httpx.Client) -> None:
    items = [
        {"frame_index": 0, "type": "image", "file_name": "first.jpg",
         "crop_bounds": {"left_fraction": 0.1, "top_fraction": 0.1, "right_fraction": 0.9,
                         "bottom_fraction": 0.9}},
        {"frame_index": 15, "type": "image", "file_name": "second.png"},
    ]  # fmt: skip
    response = azure.post(
        "/video/generations/jobs",
        data={"model": "sora-fast", "prompt": "from red to blue", "width": "480",
              "height": "480", "n_seconds": "2", "inpaint_items": json.dumps(items)},
        files=[("files", ("first.jpg", _jpeg(600, 400, (220, 30, 30)), "image/jpeg")),
               ("files", ("second.png", png_bytes(300, 300, (30, 30, 220)), "image/png"))],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert [i["file_name"] for i in response.json()["inpaint_items"]] == ["first.jpg", "second.png"]
    job = _poll(azure, response.json()["id"])
    assert job["status"] == "succeeded", job
    mp4 = azure.get(f"/video/generations/{job['generations'][0]['id']}/content/video").content
    import av

    with av.open(io.BytesIO(mp4)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    first, last = frames[0].reshape(-1, 3).mean(0), frames[15].reshape(-1, 3).mean(0)
    assert first[0] > 150 and first[2] < 80  # starts on the red image
    assert last[2] > 150 and last[0] < 80  # reaches the blue one at frame 15


def test_video_input(azure: httpx.Client, azure_server: LiveServer) -> None:
    source = azure.post(
        "/video/generations/jobs",
        json={"model": "sora-fast", "prompt": "a boat", "width": 480, "height": 480,
              "n_seconds": 1},
    ).json()  # fmt: skip
    done = _poll(azure, source["id"])
    clip = azure.get(f"/video/generations/{done['generations'][0]['id']}/content/video").content
    items = [{"frame_index": 4, "type": "video", "file_name": "clip.mp4"}]
    response = azure.post(
        "/video/generations/jobs",
        data={"model": "sora-fast", "prompt": "continue the boat", "width": "480",
              "height": "480", "n_seconds": "2", "inpaint_items": json.dumps(items)},
        files=[("files", ("clip.mp4", clip, "video/mp4"))],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    job = _poll(azure, response.json()["id"])
    assert job["status"] == "succeeded", job
    mp4 = azure.get(f"/video/generations/{job['generations'][0]['id']}/content/video").content
    assert probe_mp4(mp4).frames == 16


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"width": 1000, "height": 1000}, "width", "resolution 1000x1000 is not supported"),
        ({"n_seconds": 21}, "n_seconds", "between 1 and 20"),
        ({"n_seconds": 0}, "n_seconds", "between 1 and 20"),
        ({"width": 1920, "height": 1080, "n_variants": 2}, "n_variants", "between 1 and 1"),
        ({"width": 1280, "height": 720, "n_variants": 3}, "n_variants", "between 1 and 2"),
        ({"n_variants": 5}, "n_variants", "between 1 and 4"),
        ({"width": "wide"}, "width", "expected an integer"),
        ({"model": None}, "model", "Missing required parameter"),
        ({"prompt": None}, "prompt", "Missing required parameter"),
        ({"duration": 5}, "duration", "Unknown parameter"),
    ],
)
def test_validation_errors(
    azure: httpx.Client, body: dict[str, Any], param: str, fragment: str
) -> None:
    payload = {"model": "sora-fast", "prompt": "p", "width": 480, "height": 480, "n_seconds": 1}
    payload.update(body)
    payload = {k: v for k, v in payload.items() if v is not None}
    response = azure.post("/video/generations/jobs", json=payload)
    assert response.status_code == 400, response.text
    error = _error(response)
    assert error["param"] == param and fragment in error["message"]


@pytest.mark.parametrize(
    ("items", "files", "param"),
    [
        ([{"frame_index": 0, "type": "image", "file_name": "missing.png"}],
         [("a.png", "image")], "inpaint_items[0].file_name"),
        ([{"frame_index": 999, "type": "image", "file_name": "a.png"}],
         [("a.png", "image")], "inpaint_items[0].frame_index"),
        ([{"frame_index": 0, "type": "image", "file_name": "a.png",
           "crop_bounds": {"left_fraction": 0.8, "right_fraction": 0.2}}],
         [("a.png", "image")], "inpaint_items[0].crop_bounds"),
        ([{"frame_index": 0, "type": "image", "file_name": "a.png",
           "crop_bounds": {"left_fraction": 1.5}}],
         [("a.png", "image")], "inpaint_items[0].crop_bounds.left_fraction"),
        ([{"frame_index": i, "type": "image", "file_name": "a.png"} for i in range(3)],
         [("a.png", "image")], "inpaint_items[2]"),
        ([{"frame_index": 0, "type": "audio", "file_name": "a.png"}],
         [("a.png", "image")], "inpaint_items[0].type"),
        (None, [("a.png", "image")], "inpaint_items"),
    ],
)  # fmt: skip
def test_inpaint_validation(
    azure: httpx.Client,
    items: list[dict[str, Any]] | None,
    files: list[tuple[str, str]],
    param: str,
) -> None:
    data = {"model": "sora-fast", "prompt": "p", "width": "480", "height": "480",
            "n_seconds": "1"}  # fmt: skip
    if items is not None:
        data["inpaint_items"] = json.dumps(items)
    parts = [("files", (name, png_bytes(480, 480), "image/png")) for name, _ in files]
    response = azure.post("/video/generations/jobs", data=data, files=parts)
    assert response.status_code == 400, response.text
    assert _error(response)["param"] == param


def test_a_long_video_input_is_refused(azure: httpx.Client) -> None:
    source = azure.post(
        "/video/generations/jobs",
        json={"model": "sora-fast", "prompt": "x", "width": 480, "height": 480, "n_seconds": 6},
    ).json()
    done = _poll(azure, source["id"])
    clip = azure.get(f"/video/generations/{done['generations'][0]['id']}/content/video").content
    response = azure.post(
        "/video/generations/jobs",
        data={"model": "sora-fast", "prompt": "p", "width": "480", "height": "480",
              "n_seconds": "2",
              "inpaint_items": json.dumps([{"frame_index": 0, "type": "video",
                                            "file_name": "c.mp4"}])},
        files=[("files", ("c.mp4", clip, "video/mp4"))],
    )  # fmt: skip
    assert response.status_code == 400 and "at most 5 s" in _error(response)["message"]


def test_unknown_deployment_is_the_azure_404(azure: httpx.Client) -> None:
    response = azure.post(
        "/video/generations/jobs",
        json={"model": "nope", "prompt": "p", "width": 480, "height": 480},
    )
    assert response.status_code == 404
    assert _error(response)["message"].startswith("The API deployment 'nope' for this resource")


def test_list_filters_cursors_and_delete(azure: httpx.Client) -> None:
    made = []
    for i in range(3):
        response = azure.post(
            "/video/generations/jobs",
            json={"model": "sora-fast", "prompt": f"list {i}", "width": 480, "height": 480,
                  "n_seconds": 1},
        )  # fmt: skip
        made.append(response.json()["id"])
    for job_id in made:
        _poll(azure, job_id)
    page = azure.get("/video/generations/jobs", params={"limit": 2}).json()
    assert page["object"] == "list" and len(page["data"]) == 2 and page["has_more"]
    assert [j["id"] for j in page["data"]] == made[::-1][:2]
    rest = azure.get("/video/generations/jobs", params={"limit": 1, "after": page["last_id"]})
    assert rest.json()["data"][0]["id"] == made[0]
    before = azure.get("/video/generations/jobs", params={"limit": 1, "before": made[0]})
    assert before.json()["data"][0]["id"] == made[1]
    succeeded = azure.get("/video/generations/jobs", params={"statuses": "succeeded,failed"})
    assert {j["status"] for j in succeeded.json()["data"]} == {"succeeded"}
    queued = azure.get("/video/generations/jobs", params={"statuses": "queued"}).json()
    assert all(j["status"] == "queued" for j in queued["data"])
    bad = azure.get("/video/generations/jobs", params={"statuses": "done"})
    assert bad.status_code == 400

    generation = azure.get(f"/video/generations/jobs/{made[0]}").json()["generations"][0]["id"]
    assert azure.delete(f"/video/generations/jobs/{made[0]}").status_code == 204
    assert azure.get(f"/video/generations/jobs/{made[0]}").status_code == 404
    assert azure.delete(f"/video/generations/jobs/{made[0]}").status_code == 404
    assert azure.get(f"/video/generations/{generation}/content/video").status_code == 404


def test_older_paths_and_wrong_paths(azure_server: LiveServer) -> None:
    with httpx.Client(base_url=azure_server.url, headers={"api-key": KEY}, timeout=30) as http:
        response = http.post(
            "/openai/deployments/sora-fast/video/generations/jobs?api-version=2025-02-15-preview",
            json={"prompt": "deployment path", "width": 480, "height": 480, "n_seconds": 1},
        )
        assert response.status_code == 200, response.text
        job = response.json()
        assert job["model"] == "sora-fast"
        listed = http.get("/openai/video/generations/jobs?api-version=2025-02-01-preview")
        assert job["id"] in [j["id"] for j in listed.json()["data"]]
        wrong = http.get(f"/openai/v1/video/generations/{job['id']}/content")
        assert wrong.status_code == 404
        assert wrong.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_dialects_and_projects_are_separate(azure: httpx.Client, azure_server: LiveServer) -> None:
    job = azure.post(
        "/video/generations/jobs",
        json={"model": "sora-fast", "prompt": "mine", "width": 480, "height": 480,
              "n_seconds": 1},
    ).json()  # fmt: skip
    with httpx.Client(base_url=azure_server.url, timeout=30) as http:
        # Not a video of the OpenAI dialect…
        openai_view = http.get(f"/v1/videos/{job['id']}", headers={"api-key": KEY})
        assert openai_view.status_code == 404
        # …and invisible to another project.
        other = http.get(
            f"/openai/v1/video/generations/jobs/{job['id']}", headers={"api-key": "other-key"}
        )
        assert other.status_code == 404
        assert http.get("/openai/v1/video/generations/jobs").status_code == 401


def test_openai_sdk_on_the_azure_sora2_paths(azure_server: LiveServer) -> None:
    clients: list[openai.OpenAI] = []

    def make(**kw: Any) -> openai.OpenAI:
        client = openai.OpenAI(max_retries=0, **kw)
        clients.append(client)
        return client

    try:
        # The samples: the plain OpenAI client on /openai/v1/ with the key as a bearer token.
        bearer = make(base_url=f"{azure_server.url}/openai/v1/", api_key=KEY)
        video = bearer.videos.create_and_poll(
            model="sora-2",
            prompt="A serene mountain landscape",
            seconds="4",
            size="1280x720",
            poll_interval_ms=100,
        )
        assert video.status == "completed" and video.model == "sora-2"
        assert probe_mp4(bearer.videos.download_content(video.id).read()).width == 1280
        remix = bearer.videos.remix(video.id, prompt="at night")
        assert remix.remixed_from_video_id == video.id
        with pytest.raises(openai.NotFoundError) as info:
            bearer.videos.create(model="not-deployed", prompt="x")
        assert info.value.body["type"] == "video_generation_user_error"  # type: ignore[index]
        assert "The API deployment 'not-deployed'" in info.value.body["message"]  # type: ignore[index]

        # The api-key header (with an api-version query), and the deployment-scoped path.
        keyed = make(
            base_url=f"{azure_server.url}/openai/deployments/sora2-fast",
            api_key="unused",
            default_headers={"api-key": KEY},
            default_query={"api-version": "2025-04-01-preview"},
        )
        other = keyed.videos.create_and_poll(
            prompt="a fox", seconds="1", size="320x180", poll_interval_ms=50
        )
        assert other.status == "completed" and other.model == "sora2-fast"
        assert other.id in [v.id for v in keyed.videos.list()]
    finally:
        for client in clients:
            client.close()
