"""What the official Python SDK cannot send: JSON bodies, bracketed multipart keys, bad bodies."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from support.media import png_bytes, probe_mp4
from support.server import LiveServer, wait_for


@pytest.fixture
def http(shared_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{shared_server.url}/v1", timeout=30) as client:
        yield client


def _finished(http: httpx.Client, video_id: str) -> dict[str, object]:
    def done() -> dict[str, object] | None:
        body = http.get(f"/videos/{video_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    result: dict[str, object] = wait_for(done, timeout=60, interval=0.05)
    return result


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    return body["error"]  # type: ignore[no-any-return]


def test_json_create_with_a_data_url_reference(http: httpx.Client) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(320, 180)).decode()
    response = http.post(
        "/videos",
        json={
            "prompt": "zoom",
            "model": "tiny",
            "size": "320x180",
            "seconds": "1",
            "input_reference": {"image_url": data_url},
        },
    )
    assert response.status_code == 200, response.text
    assert _finished(http, response.json()["id"])["status"] == "completed"


def test_node_sdk_bracketed_multipart_keys(http: httpx.Client) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(320, 180)).decode()
    response = http.post(
        "/videos",
        files={
            "prompt": (None, "zoom"),
            "model": (None, "tiny"),
            "size": (None, "320x180"),
            "seconds": (None, "1"),
            "input_reference[image_url]": (None, data_url),
        },
    )
    assert response.status_code == 200, response.text
    source = _finished(http, response.json()["id"])
    extended = http.post(
        "/videos/extensions",
        files={"prompt": (None, "more"), "seconds": (None, "2"), "video[id]": (None, source["id"])},
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["seconds"] == "3"


def test_json_edit_and_extension_by_video_id(http: httpx.Client) -> None:
    created = http.post(
        "/videos", json={"prompt": "a tree", "model": "tiny", "size": "320x180", "seconds": "2"}
    ).json()
    source = _finished(http, created["id"])
    edit = http.post("/videos/edits", json={"prompt": "at night", "video": {"id": source["id"]}})
    assert edit.status_code == 200, edit.text
    assert edit.json()["model"] == "tiny" and edit.json()["seconds"] == "2"
    extension = http.post(
        "/videos/extensions",
        json={"prompt": "continue", "seconds": "4", "video": {"id": source["id"]}},
    )
    assert extension.status_code == 200, extension.text
    assert extension.json()["seconds"] == "6"
    done = _finished(http, extension.json()["id"])
    assert done["status"] == "completed", done
    facts = probe_mp4(http.get(f"/videos/{done['id']}/content").content)
    assert facts.frames == 48
    remix = http.post(f"/videos/{source['id']}/remix", data={"prompt": "in the snow"})
    assert remix.status_code == 200 and remix.json()["remixed_from_video_id"] == source["id"]


def test_integer_seconds_is_a_type_error(http: httpx.Client) -> None:
    response = http.post("/videos", json={"prompt": "x", "seconds": 8})
    assert response.status_code == 400
    error = _error(response)
    assert error["message"] == (
        "Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead."
    )
    assert (error["param"], error["code"], error["type"]) == (
        "seconds",
        "invalid_type",
        "invalid_request_error",
    )


def test_unknown_parameters(http: httpx.Client) -> None:
    for body in ({"prompt": "x", "duration": 4}, {"prompt": "x", "width": 5, "height": 5}):
        response = http.post("/videos", json=body)
        assert response.status_code == 400
        assert _error(response)["code"] == "unknown_parameter"
    response = http.post("/videos", files={"prompt": (None, "x"), "fps": (None, "30")})
    assert _error(response)["message"] == "Unknown parameter: 'fps'."


def test_string_input_reference(http: httpx.Client) -> None:
    response = http.post(
        "/videos", files={"prompt": (None, "x"), "input_reference": (None, "cat.png")}
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["message"] == (
        "Invalid type for 'input_reference': expected a file, but got a string instead."
    )
    assert (error["param"], error["code"]) == ("input_reference", "invalid_type")


def test_file_id_reference_is_not_supported_yet(http: httpx.Client) -> None:
    response = http.post("/videos", json={"prompt": "x", "input_reference": {"file_id": "file-1"}})
    assert response.status_code == 400
    assert _error(response)["param"] == "input_reference.file_id"


def test_missing_prompt_and_bad_json(http: httpx.Client) -> None:
    response = http.post("/videos", json={"model": "sora-2"})
    assert _error(response)["message"] == "Missing required parameter: 'prompt'."
    response = http.post(
        "/videos", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"
    response = http.post("/videos", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_malformed_multipart(http: httpx.Client) -> None:
    body = b'--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nunterminated'
    response = http.post(
        "/videos", content=body, headers={"content-type": "multipart/form-data; boundary=xyz"}
    )
    assert response.status_code == 400, response.text
    response = http.post(
        "/videos", content=b"whatever", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400, response.text


def test_oversized_upload_is_413(make_server) -> None:  # type: ignore[no-untyped-def]
    from support.server import server_config

    server = make_server(config=server_config(max_upload_bytes=100000))
    big = b"\0" * 200_000
    response = httpx.post(
        f"{server.url}/v1/videos",
        files={"prompt": (None, "x"), "input_reference": ("big.png", big, "image/png")},
    )
    assert response.status_code == 413
    assert _error(response)["type"] == "invalid_request_error"
    response = httpx.post(
        f"{server.url}/v1/videos", json={"prompt": "x" * 10, "pad": "y" * 200_000}
    )
    assert response.status_code == 413


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (all-zero 1-bit rows compress to nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\0" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_400(http: httpx.Client) -> None:
    bomb = _bomb_png(30000, 30000)
    assert len(bomb) < 2_000_000
    response = http.post(
        "/videos",
        files={"prompt": (None, "x"), "input_reference": ("bomb.png", bomb, "image/png")},
    )
    assert response.status_code == 400
    assert _error(response)["param"] == "input_reference"


def test_images_are_checked_by_content(http: httpx.Client) -> None:
    response = http.post(
        "/videos",
        files={
            "prompt": (None, "x"),
            "input_reference": ("cat.png", b"GIF89a not a png", "image/png"),
        },
    )
    assert response.status_code == 400
    gif = io.BytesIO()
    Image.new("RGB", (720, 1280)).save(gif, format="GIF")
    response = http.post(
        "/videos",
        files={"prompt": (None, "x"), "input_reference": ("a.png", gif.getvalue(), "image/png")},
    )
    assert response.status_code == 400 and _error(response)["code"] == "invalid_image"


def test_fit_extension_accepts_other_sizes(http: httpx.Client) -> None:
    response = http.post(
        "/videos",
        files={
            "prompt": (None, "x"),
            "model": (None, "tiny"),
            "size": (None, "320x180"),
            "seconds": (None, "1"),
            "input_reference_fit": (None, "crop"),
            "input_reference": ("a.png", png_bytes(500, 500), "image/png"),
        },
    )
    assert response.status_code == 200, response.text


def test_uploaded_video_must_be_a_video(http: httpx.Client) -> None:
    response = http.post(
        "/videos/edits",
        files={"prompt": (None, "x"), "video": ("a.mp4", b"not a video at all", "video/mp4")},
    )
    assert response.status_code == 400 and _error(response)["code"] == "invalid_video"
    response = http.post(
        "/videos/characters",
        files={"name": (None, "Bob"), "video": ("a.mp4", png_bytes(64, 64), "video/mp4")},
    )
    assert response.status_code == 400


def test_characters_need_multipart(http: httpx.Client) -> None:
    response = http.post("/videos/characters", json={"name": "Bob"})
    assert response.status_code == 400


def test_remix_of_an_unfinished_video(http: httpx.Client) -> None:
    created = http.post(
        "/videos", json={"prompt": "slow", "model": "slow", "size": "64x64", "seconds": "30"}
    ).json()
    response = http.post(f"/videos/{created['id']}/remix", json={"prompt": "again"})
    assert response.status_code == 400 and _error(response)["param"] == "video_id"
    assert http.delete(f"/videos/{created['id']}").json()["deleted"] is True


def test_range_head_and_etag_on_content(http: httpx.Client) -> None:
    created = http.post(
        "/videos", json={"prompt": "a", "model": "fake", "size": "64x64", "seconds": "1"}
    ).json()
    _finished(http, created["id"])
    url = f"/videos/{created['id']}/content"
    full = http.get(url)
    assert full.headers["content-type"] == "video/mp4"
    head = http.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(full.content)
    part = http.get(url, headers={"range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == full.content[10:20]
    etag = full.headers["etag"]
    assert http.get(url, headers={"if-none-match": etag}).status_code == 304


def test_list_parameters_are_validated(http: httpx.Client) -> None:
    assert http.get("/videos", params={"limit": 101}).status_code == 400
    assert http.get("/videos", params={"order": "sideways"}).status_code == 400
    body = http.get("/videos", params={"limit": 0}).json()
    assert body["data"] == [] and body["first_id"] is None and body["last_id"] is None


def test_delete_accepts_the_sdks_empty_json_body(http: httpx.Client) -> None:
    created = http.post(
        "/videos", json={"prompt": "a", "model": "fake", "size": "64x64", "seconds": "1"}
    ).json()
    response = http.request(
        "DELETE", f"/videos/{created['id']}", headers={"content-type": "application/json"}
    )
    assert response.json() == {"id": created["id"], "object": "video.deleted", "deleted": True}


def test_unknown_route_uses_the_error_envelope(http: httpx.Client) -> None:
    response = http.get("/nothing-here")
    assert response.status_code == 404 and _error(response)["type"] == "invalid_request_error"
