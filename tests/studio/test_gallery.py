"""Watching and reworking: the gallery, live progress, failures, remix, extend, delete, keys."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from studio.browser import PHONE, STUDIO_PROFILES, Studio, create_video, unique, wait_finished
from support.server import LiveServer, server_config

PAGE = 24  # videos per gallery page (src/reelbox/studio/assets/js/gallery.js)


def test_remix_and_extend_from_the_gallery(studio: Studio) -> None:
    page = studio.page
    server = studio.server
    source_prompt = unique("a hot air balloon over green hills")
    wait_finished(server, create_video(server, prompt=source_prompt)["id"])
    studio.open()
    source = studio.wait_card_status(source_prompt, "completed")

    # Remix: the form takes the source and its prompt, ready to be changed.
    source.get_by_role("button", name="Remix:").click()
    assert page.locator("input[name=mode][value=remix]").is_checked()
    assert page.input_value("#prompt") == source_prompt
    assert "tiny" in page.locator("#inherited-text").inner_text()
    remix_prompt = unique("a hot air balloon over snowy hills")
    page.fill("#prompt", remix_prompt)
    studio.shot("remix-form")
    page.click("#submit")
    studio.wait_card_status(remix_prompt, "completed")
    studio.card(remix_prompt).locator(".card-link").click()
    lineage = page.locator(".lineage")
    lineage.wait_for()
    assert "Remixed from" in lineage.inner_text()
    assert source_prompt in lineage.inner_text()
    assert "/remix" in page.locator(".snippet pre").inner_text()
    studio.shot("remix-lineage", full_page=True)

    # Extend: a new segment of chosen length; the result is the stitched total.
    page.click("a.back")
    studio.card(source_prompt).get_by_role("button", name="Extend:").click()
    assert page.locator("#seconds-label").inner_text() == "Add"
    studio.choose("#seconds", "4")
    assert "8 s after this extension" in page.locator("#seconds-hint").inner_text()
    extend_prompt = unique("the balloon drifts into the clouds")
    page.fill("#prompt", extend_prompt)
    page.click("#submit")
    studio.wait_card_status(extend_prompt, "completed")
    studio.card(extend_prompt).locator(".card-link").click()
    assert abs(studio.player_duration() - 8.0) < 0.25
    assert "Extended from" in page.locator(".lineage").inner_text()
    studio.shot("extend-lineage", full_page=True)


def test_edit_from_the_video_page(studio: Studio) -> None:
    from playwright.sync_api import expect

    page = studio.page
    server = studio.server
    source_prompt = unique("a windmill turning slowly")
    source = wait_finished(server, create_video(server, prompt=source_prompt)["id"])
    studio.open(f"/#/videos/{source['id']}")
    page.get_by_role("button", name="Edit", exact=True).click()
    assert page.locator("input[name=mode][value=edit]").is_checked()
    assert page.input_value("#source") == source["id"]
    edit_prompt = unique("a windmill turning slowly, in black and white")
    page.fill("#prompt", edit_prompt)
    page.click("#submit")
    studio.wait_card_status(edit_prompt, "completed")
    studio.card(edit_prompt).locator(".card-link").click()
    assert abs(studio.player_duration() - 4.0) < 0.2  # an edit keeps the timing
    assert "Edited from" in page.locator(".lineage").inner_text()
    page.locator(".lineage a").click()  # lineage links lead to the source
    page.wait_for_function("id => location.hash === `#/videos/${id}`", arg=source["id"])
    # The hash changes before the page re-renders: wait for the source's heading.
    expect(page.locator("#detail-heading")).to_contain_text(source_prompt)


def test_delete_asks_first(studio: Studio) -> None:
    page = studio.page
    server = studio.server
    prompt = unique("a sandcastle at low tide")
    video = wait_finished(server, create_video(server, prompt=prompt)["id"])
    studio.open()
    card = studio.wait_card_status(prompt, "completed")

    card.get_by_role("button", name="Delete:").click()
    dialog = page.locator("#confirm-dialog")
    assert dialog.is_visible()
    assert prompt in page.locator("#confirm-message").inner_text()
    assert page.evaluate("document.activeElement.id") == "confirm-cancel"  # the safe choice
    studio.shot("delete-confirm")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert card.is_visible()
    assert httpx.get(f"{server.url}/v1/videos/{video['id']}").status_code == 200

    card.get_by_role("button", name="Delete:").click()
    page.click("#confirm-ok")
    card.wait_for(state="detached")
    assert httpx.get(f"{server.url}/v1/videos/{video['id']}").status_code == 404


@pytest.mark.parametrize("follow", ["event stream", "polling"])
def test_live_progress_and_a_clear_failure_message(studio: Studio, follow: str) -> None:
    page = studio.page
    server = studio.server
    if follow == "polling":
        # A server without the event stream answers its route with the generic 404.
        page.route(
            "**/events",
            lambda route: route.fulfill(
                status=404,
                json={"error": {"message": "Invalid URL (GET /v1/videos/x/events)"}},
            ),
        )
    studio.open()
    requests: list[tuple[float, str]] = []
    page.on("request", lambda r: requests.append((time.monotonic(), r.url)))
    events: list[int] = []
    page.on("response", lambda r: events.append(r.status) if r.url.endswith("/events") else None)
    # The slow profile renders a frame every 0.1 s: progress is visible while it runs.
    slow_prompt = unique("a slow sunrise over the sea")
    slow = create_video(server, prompt=slow_prompt, model="slow", size="160x90", seconds="4")
    failing_prompt = unique("this render breaks [fail:raise]")
    create_video(server, prompt=failing_prompt, model="fake", size="160x90", seconds="1")
    page.click("#refresh")
    studio.card(slow_prompt).wait_for()
    page.wait_for_function(
        "prompt => [...document.querySelectorAll('.card')].some(c =>"
        " c.querySelector('.card-link').textContent.includes(prompt)"
        " && c.querySelector('progress')?.value > 0 && c.querySelector('progress')?.value < 100)",
        arg=slow_prompt,
    )
    studio.shot(f"progress-{follow.replace(' ', '-')}")
    studio.wait_card_status(slow_prompt, "completed")

    polls = [t for t, url in requests if url.endswith(f"/v1/videos/{slow['id']}")]
    if follow == "event stream":
        if 200 not in events:
            pytest.skip("this server has no GET /v1/videos/{id}/events")
        assert len(polls) <= 1  # the stream carried the progress, not polling
    else:
        # Tried once, remembered, then polled at the pace of openai-poll-after-ms (100 ms on
        # the test server, not the 1 s default).
        assert events.count(404) == 1
        gaps = [b - a for a, b in itertools.pairwise(polls)]
        assert len(polls) >= 3 and all(gap >= 0.09 for gap in gaps), gaps
        assert sorted(gaps)[len(gaps) // 2] < 0.6, gaps

    failed = studio.wait_card_status(failing_prompt, "failed")
    assert "The engine could not make this video" in failed.locator(".card-error").inner_text()
    failed.locator(".card-link").click()
    page.wait_for_selector(".stage-placeholder.failed")
    assert "engine_error" in page.locator(".stage").inner_text()
    studio.shot("failed-video")


def test_infinite_scroll_and_an_api_key_kept_in_the_browser(
    make_studio: Callable[..., Studio], tmp_path: Path
) -> None:
    server = LiveServer(
        tmp_path / "keyed", config=server_config(api_keys="sk-alpha=alpha") + STUDIO_PROFILES
    )
    server.start()
    try:
        # One more than a page: the second page comes as you scroll.
        prompts = [unique(f"keyed video {i:02d}") for i in range(PAGE + 1)]
        ids = [
            create_video(server, key="sk-alpha", prompt=p, model="fake", size="64x64", seconds="1")[
                "id"
            ]
            for p in prompts
        ]
        wait_finished(server, ids[-1], key="sk-alpha")

        studio = make_studio(server=server)
        page = studio.page
        page.goto(server.url)
        # Without a key the server answers 401: the studio asks for one.
        page.locator("#key-dialog").wait_for()
        # A server with keys says so (open local mode says the opposite).
        assert "needs a key" in page.locator("#key-dialog").inner_text()
        assert "no key is needed" not in page.locator("#key-dialog").inner_text()
        page.fill("#key-input", "sk-wrong")
        page.click("#key-save")  # the page reloads with the key, and is refused
        page.wait_for_selector("#key-error:not([hidden])")
        assert "not accepted" in page.locator("#key-error").inner_text()
        page.fill("#key-input", "sk-alpha")
        studio.shot("api-key")
        page.click("#key-save")
        page.wait_for_selector(".card")
        assert page.locator("#access-badge").inner_text() == "Project alpha"
        assert page.evaluate("JSON.parse(localStorage.getItem('reelbox.apiKey'))") == "sk-alpha"

        # Newest first, one page at a time as you scroll.
        page.wait_for_function(f"() => document.querySelectorAll('.card').length === {PAGE}")
        first = page.locator(".card-link").first.inner_text()
        assert first == prompts[-1]
        page.locator("#gallery-foot").scroll_into_view_if_needed()
        page.wait_for_function(f"() => document.querySelectorAll('.card').length === {PAGE + 1}")
        assert f"all {PAGE + 1} videos" in page.locator("#gallery-status").inner_text()

        # Media comes through fetch with the key (blob URLs), so thumbnails and the player work.
        newest = studio.card(prompts[-1])
        page.evaluate("window.scrollTo(0, 0)")  # thumbnails load lazily, in sight
        page.wait_for_function(
            "() => { const i = document.querySelector('.card img.thumb');"
            " return i && i.src.startsWith('blob:') && i.naturalWidth > 0; }"
        )
        newest.locator(".card-link").click()
        assert abs(studio.player_duration() - 1.0) < 0.2
        assert "OPENAI_API_KEY" in page.locator(".snippet pre").inner_text()
    finally:
        server.stop()


def test_phone_width_has_no_sideways_scrolling(make_studio: Callable[..., Studio]) -> None:
    width = PHONE["width"]
    studio = make_studio(viewport=PHONE)
    page = studio.page
    server = studio.server
    prompt = unique("a cat asleep on a windowsill in the morning sun")
    wait_finished(server, create_video(server, prompt=prompt, size="640x360")["id"])
    studio.open()
    studio.wait_card_status(prompt, "completed")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    studio.shot("phone-create")
    page.locator("#gallery-heading").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card img.thumb')].some(i => i.naturalWidth > 0)"
    )
    studio.shot("phone-gallery")
    studio.card(prompt).locator(".card-link").click()
    studio.player_duration()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    studio.shot("phone-video", full_page=True)
