"""The studio's JavaScript modules on their own, imported into the page as the app imports them."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from studio.browser import Studio


def run(studio: Studio, module: str, body: str, arg: Any = None) -> Any:
    """Import /studio/js/<module> as `m` and return what `body` (a function body) returns."""
    studio.open()
    return studio.page.evaluate(
        f"async (arg) => {{ const m = await import('/studio/js/{module}'); {body} }}", arg
    )


def test_event_stream_messages_are_read_as_videos(studio: Studio) -> None:
    video = {"id": "video_1", "object": "video", "status": "in_progress", "progress": 40}
    parsed = run(
        studio,
        "watch.js",
        "return arg.map(m.parseEvent);",
        [
            "id: 1040\nevent: video.progress\ndata: " + json.dumps(video),
            ": keep-alive",
            "retry: 1000",
            'event: video.deleted\ndata: {"id": "video_1", "object": "video.deleted"}',
            'data: {"data": {"status": "queued", "progress": 0}}',
            "data: not json",
        ],
    )
    assert parsed == [
        video,
        None,
        None,
        {"deleted": True},
        {"status": "queued", "progress": 0},
        None,
    ]


def test_server_errors_map_to_form_fields(studio: Studio) -> None:
    params = ["prompt", "size", "input_reference", "characters[0].id", "video.id", "video_id", None]
    fields = run(studio, "fielderrors.js", "return arg.map(m.fieldForParam);", params)
    assert fields == ["prompt", "size", "image", "characters", "source", "source", None]


def test_failures_read_plainly(studio: Studio) -> None:
    errors = [
        {"code": "moderation_blocked", "message": "Blocked by the moderation system."},
        {"code": "timeout", "message": "The run took longer than 1800 s (worker 3)"},
        {"code": "something_new", "message": "Traceback: KeyError 'x'"},
        None,
    ]
    texts = run(
        studio, "status.js", "return arg.map(e => [m.failureText(e), m.failureDetails(e)]);", errors
    )
    # Plain words for the user; the server's own text only as details, and only when it adds some.
    assert texts == [
        ["Blocked by the moderation system.", None],
        ["It took too long and was stopped.", "The run took longer than 1800 s (worker 3)"],
        ["The video could not be made.", "Traceback: KeyError 'x'"],
        ["It failed for an unknown reason.", None],
    ]


def test_extensions_past_the_lineage_limit_cannot_be_chosen(studio: Studio) -> None:
    choices = run(
        studio,
        "catalog.js",
        """
        const caps = {modes: ["extend"], sizes: null, seconds: null, min_seconds: 1,
                      max_seconds: 120, fps: 24, audio: true};
        const config = {limits: {max_lineage_seconds: 120},
                        models: {"sora-2": {extension_seconds: ["4", "8", "12", "16", "20"]}}};
        const catalog = new m.Catalog([{id: "sora-2", capabilities: caps}], config);
        return catalog.extensionSeconds("sora-2", "104").map(c => [c.value, c.disabled]);
        """,
    )
    assert choices == [["4", False], ["8", False], ["12", False], ["16", False], ["20", True]]


def test_curl_snippets_survive_shell_quoting(studio: Studio) -> None:
    prompt = 'it\'s a "quoted" prompt with $HOME and `ticks`'
    request = {
        "method": "POST",
        "path": "/v1/videos",
        "body": {"prompt": prompt, "model": "tiny", "characters": [{"id": "char_1"}], "seed": 3},
        "files": {"input_reference": "reference.png"},
    }
    curl = run(
        studio,
        "snippets.js",
        "return m.curlSnippet(arg, {origin: 'http://h', needsKey: true});",
        request,
    )
    assert "--form-string 'characters[0][id]=char_1'" in curl
    assert "-F 'input_reference=@reference.png;type=image/png'" in curl
    # The shell hands the prompt to curl unchanged: echo stands in for curl.
    line = next(part for part in curl.split("\\\n") if "prompt=" in part)
    echoed = subprocess.run(
        ["bash", "-c", f"printf %s {line.strip().removeprefix('--form-string ')}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert echoed == f"prompt={prompt}"


def test_python_snippets_compile_for_every_kind_of_request(studio: Studio) -> None:
    requests = [
        {
            "method": "POST",
            "path": "/v1/videos",
            "body": {"prompt": "a", "model": "sora-2", "characters": [{"id": "char_1"}], "seed": 1},
            "files": {"input_reference": "reference.png"},
        },
        {"method": "POST", "path": "/v1/videos/video_1/remix", "body": {"prompt": "b", "seed": 2}},
        {
            "method": "POST",
            "path": "/v1/videos/extensions",
            "body": {"prompt": "c", "seconds": "4", "video": {"id": "video_1"}, "seed": 3},
            "files": {},
        },
        {
            "method": "POST",
            "path": "/v1/videos/edits",
            "body": {"prompt": "d", "model": "sora-2", "seed": 4},
            "files": {"video": "source.mp4"},
        },
    ]
    codes = run(
        studio,
        "snippets.js",
        "return arg.map(r => m.pythonSnippet(r, {origin: 'http://h', needsKey: false}));",
        requests,
    )
    for code in codes:
        compile(code, "snippet", "exec")
    assert 'input_reference=open("reference.png", "rb")' in codes[0]
    assert 'extra_body={"seed": 1, "characters": [{"id": "char_1"}]}' in codes[0]
    assert 'client.videos.remix(\n    "video_1",' in codes[1]
    assert 'client.post(\n    "/videos/extensions",' in codes[2]
    assert "client.videos.edit(" in codes[3] and '"model": "sora-2"' in codes[3]
