"""The studio's layout at 1280x800 and 375x812: the button in reach, the gallery shaped like its
videos, the video first on its page, honest estimates, quiet toasts, plain failures.

These tests share one server holding a small gallery of landscape and portrait videos, so the
screenshots they take (docs/studio/, with REELBOX_DOCS_SCREENSHOTS=1) show a realistic studio.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from studio.browser import (
    PHONE,
    STUDIO_CONFIG,
    Studio,
    create_video,
    unique,
    wait_finished,
)
from support.server import LiveServer

LAPTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1440, "height": 900}
VIEWPORTS = {"1280x800": LAPTOP, "375x812": PHONE}

# Older videos first; the newest two (a landscape and a portrait one) come a second later, so
# they lead the gallery in this order.
BACKGROUND = [
    ("a red fox trotting through fresh snow at dusk, the camera tracking slowly left", "640x360"),
    ("a tall waterfall in a mossy canyon, the camera tilting up", "360x640"),
    ("a hot air balloon drifting over green hills at sunrise", "640x360"),
    ("neon city street at night in the rain, camera tracking forward", "360x640"),
    ("a lighthouse on a cliff at dusk, waves breaking below", "640x360"),
]
PORTRAIT = ("a paper lantern rising into the night sky over a quiet lake", "360x640")
LANDSCAPE = ("wide shot of a sailboat crossing a calm bay at golden hour", "640x360")


@pytest.fixture(scope="module")
def gallery_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("layout") / "data", config=STUDIO_CONFIG)
    server.start()
    try:
        made = [create_video(server, prompt=p, size=s, seconds="4") for p, s in BACKGROUND]
        for video in made:
            assert wait_finished(server, video["id"])["status"] == "completed"
        _after_second(max(v["created_at"] for v in made))
        portrait = create_video(server, prompt=PORTRAIT[0], size=PORTRAIT[1], seconds="4")
        wait_finished(server, portrait["id"])
        _after_second(portrait["created_at"])
        landscape = create_video(server, prompt=LANDSCAPE[0], size=LANDSCAPE[1], seconds="4")
        wait_finished(server, landscape["id"])
        yield server
    finally:
        server.stop()


def _after_second(created_at: int) -> None:
    """Creation times are whole seconds: wait (if need be) until the next video will sort
    strictly newer than one created at `created_at`. Rendering usually took longer already."""
    left = created_at + 1 - time.time()
    if left > 0:
        time.sleep(left)


@pytest.fixture
def layout_studio(
    make_studio: Callable[..., Studio], gallery_server: LiveServer
) -> Callable[[dict[str, int]], Studio]:
    def make(viewport: dict[str, int]) -> Studio:
        return make_studio(server=gallery_server, viewport=viewport)

    return make


def box(locator: Any) -> dict[str, float]:
    found: dict[str, float] | None = locator.bounding_box()
    assert found is not None
    return found


def in_viewport(page: Any, locator: Any) -> bool:
    b = box(locator)
    size = page.viewport_size
    return bool(
        b["y"] >= 0
        and b["y"] + b["height"] <= size["height"]
        and b["x"] >= 0
        and b["x"] + b["width"] <= size["width"]
    )


def wait_thumbnails(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => [...document.querySelectorAll('.card img.thumb')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= n",
        arg=count,
    )


# -- 1. a gallery that respects each video's shape -------------------------------------------------


def letterbox_fraction(card: Any) -> float:
    """The area of the bars around the thumbnail, as a fraction of the card's area."""
    measured: dict[str, float] = card.evaluate(
        """card => {
            const media = card.querySelector('.card-media').getBoundingClientRect();
            const img = card.querySelector('img.thumb');
            const outer = card.getBoundingClientRect();
            const aspect = img.naturalWidth / img.naturalHeight;
            // object-fit: contain: the picture fills one dimension of the box.
            const shown = Math.min(media.width, media.height * aspect);
            const area = shown * (shown / aspect);
            return {bars: media.width * media.height - area, card: outer.width * outer.height};
        }"""
    )
    return measured["bars"] / measured["card"]


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_gallery_cards_take_their_videos_shape(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    studio.open()
    portrait = studio.wait_card_status(PORTRAIT[0], "completed")
    landscape = studio.wait_card_status(LANDSCAPE[0], "completed")
    for card in (landscape, portrait):  # thumbnails load lazily, as they come into view
        card.scroll_into_view_if_needed()
        card.locator("img.thumb").evaluate(
            "i => i.complete && i.naturalWidth ? 0 : new Promise(r => i.onload = r)"
        )
    page.evaluate("window.scrollTo(0, 0)")

    for card in (portrait, landscape):
        assert letterbox_fraction(card) <= 0.10
    p, q = box(portrait.locator(".card-media")), box(landscape.locator(".card-media"))
    assert p["height"] > p["width"] * 1.5  # a portrait card for a portrait video
    assert q["width"] > q["height"] * 1.5
    if name == "1280x800":
        # Side by side: the newest two share the first row.
        assert q["x"] + q["width"] <= p["x"] or p["x"] + p["width"] <= q["x"]
        assert abs(p["y"] - q["y"]) < 4
        wait_thumbnails(page, 3)
        # Every card in the first screenful is packed (masonry): no card overlaps another.
        boxes = [box(c) for c in page.locator(".card").all()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap_x = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
                overlap_y = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
                assert overlap_x <= 0 or overlap_y <= 0, (a, b)
        page.fill(
            "#prompt",
            "a paper boat drifting down a rainy street, close-up, the camera following it",
        )
        studio.shot("gallery-shapes-1280x800", docs="desktop-studio")
    else:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.evaluate("document.querySelector('#gallery-heading').scrollIntoView()")
        wait_thumbnails(page, 4)
        studio.shot("gallery-shapes-375x812", docs="phone-gallery")

    # Hover-scrub is kept, and fills the portrait card as the thumbnail does.
    page.locator("#gallery-heading").scroll_into_view_if_needed()
    portrait.scroll_into_view_if_needed()
    media = box(portrait.locator(".card-media"))
    page.mouse.move(media["x"] + media["width"] * 0.9, media["y"] + media["height"] / 2, steps=3)
    scrub = portrait.locator(".scrub.active")
    scrub.wait_for()
    layer = box(scrub)
    assert layer["width"] >= media["width"] * 0.95 and layer["height"] >= media["height"] * 0.95
    page.mouse.move(0, 0)


def test_wide_screen_gallery(layout_studio: Callable[[dict[str, int]], Studio]) -> None:
    studio = layout_studio(WIDE)
    page = studio.page
    studio.open()
    studio.wait_card_status(LANDSCAPE[0], "completed")
    wait_thumbnails(page, 7)
    page.fill("#prompt", "a paper boat drifting down a rainy street, close-up")
    assert in_viewport(page, page.locator("#submit"))
    studio.shot("gallery-1440x900", docs="wide-studio")


# -- 2. the video first on its page ----------------------------------------------------------------


def video_id(studio: Studio, prompt: str) -> str:
    page: dict[str, Any] = httpx.get(f"{studio.server.url}/v1/videos?limit=100", timeout=10).json()
    return next(v["id"] for v in page["data"] if v["prompt"] == prompt)


@pytest.mark.parametrize("name", [*VIEWPORTS, "1440x900"])
@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_the_video_is_the_largest_thing_on_its_page(
    layout_studio: Callable[[dict[str, int]], Studio], name: str, shape: str
) -> None:
    viewport = WIDE if name == "1440x900" else VIEWPORTS[name]
    studio = layout_studio(viewport)
    page = studio.page
    prompt = LANDSCAPE[0] if shape == "landscape" else PORTRAIT[0]
    studio.open(f"/#/videos/{video_id(studio, prompt)}")
    studio.player_duration()
    page.wait_for_selector(".snippet pre")
    player = box(page.locator("video.player"))
    width = viewport["width"]
    blocks = page.locator(".detail-head, .detail-section").all()
    assert len(blocks) >= 3
    if name != "375x812":
        area = player["width"] * player["height"]
        for block in blocks:
            b = box(block)
            assert area > b["width"] * b["height"], block.evaluate("e => e.className")
        # Parameters beside the player, not under an empty column: both columns are used.
        params = box(page.locator(".params"))
        assert params["x"] >= player["x"] + player["width"]
        main = box(page.locator(".detail-main"))
        side = box(page.locator(".detail-side"))
        assert min(main["height"], side["height"]) > 0.5 * max(main["height"], side["height"])
    else:
        # One column: the video comes first, as wide as the page allows.
        for block in blocks:
            assert box(block)["y"] >= player["y"] + player["height"]
        if shape == "landscape":
            assert player["width"] >= width - 40
        else:
            assert player["height"] > player["width"]
    assert 0 <= player["y"] < 200  # at the top, in the first screenful
    # The code wraps inside its box: nothing sticks out sideways.
    pre = page.locator(".snippet pre")
    assert pre.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    section = box(page.locator(".detail-section.reproduce"))
    code = box(pre)
    assert code["x"] + code["width"] <= section["x"] + section["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # A frame rather than the loading spinner in the picture.
    page.evaluate(
        """async () => {
            const v = document.querySelector('video.player');
            v.muted = true;
            await v.play();
            v.pause();
            const seeked = new Promise(r => v.addEventListener('seeked', r, {once: true}));
            v.currentTime = 1.5;
            await seeked;
            v.muted = false;
        }"""
    )
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 3")
    page.wait_for_timeout(500)  # the controls' loading indicator fades out
    tag = {"1280x800": "desktop", "375x812": "phone"}.get(name)
    docs = None if tag is None else f"{tag}-video{'' if shape == 'landscape' else '-portrait'}"
    studio.shot(f"video-{shape}-{name}", docs=docs)


# -- 3. the submit button is always in reach ------------------------------------------------------


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_create_button_is_in_reach_and_ctrl_enter_submits(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    studio.open()
    # A prompt of its own per width (and no random tag: the screenshot goes to the docs).
    prompt = f"a kite over the dunes, seen {'from the beach' if name == '1280x800' else 'up close'}"
    page.click("#prompt")
    page.keyboard.type(prompt)
    # Typing a prompt and pressing Create video needs no scrolling.
    assert page.evaluate("window.scrollY") == 0
    assert in_viewport(page, page.locator("#submit")), box(page.locator("#submit"))
    studio.shot(f"create-{name}", docs=None if name == "1280x800" else "phone-create")

    # The longest form (an image, its preview, the advanced options) keeps the button in reach.
    page.click("label.segment:has-text('Image')")
    page.click("details.advanced summary")
    page.locator("#seed").scroll_into_view_if_needed()
    assert in_viewport(page, page.locator("#submit"))
    page.click("label.segment:has-text('Text')")

    # Ctrl+Enter from the prompt submits.
    studio.choose("#model", "tiny")
    studio.choose("#size", "640x360")
    page.focus("#prompt")
    page.keyboard.press("Control+Enter")
    card = studio.wait_card_status(prompt, "completed")
    assert card.count() == 1
    if name == "1280x800":
        # Its card came in sight at the top of the gallery: no toast for it, queued or ready.
        assert page.locator("#toasts .toast").count() == 0


# -- 4. honest estimates ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_embedded_engine_is_free_here(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    studio.open()
    estimate = page.locator("#estimate")
    studio.choose("#model", "sora-2")  # served by the embedded engine
    assert "Free on this server" in estimate.inner_text()
    assert "$" not in estimate.inner_text()
    # The expected time comes from similar videos made here (seven tiny ones).
    studio.choose("#model", "tiny")
    studio.choose("#size", "640x360")
    studio.choose("#seconds", "4")
    text = estimate.inner_text()
    assert "Free on this server" in text
    assert "32 frames at 640" in text and "to make, judging by" in text, text
    assert "similar videos here" in text, text
    # A profile with a price shows it, Sora's price only where a profile charges it.
    studio.choose("#model", "priced")
    studio.choose("#seconds", "4")
    assert "$0.20" in estimate.inner_text()
    assert "this server's price" in estimate.inner_text()
    studio.choose("#model", "sora-2-pro")
    assert "Sora's published price" in estimate.inner_text()
    assert in_viewport(page, estimate)


# -- 5. toasts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_no_toast_for_the_video_on_screen(
    layout_studio: Callable[[dict[str, int]], Studio], gallery_server: LiveServer, name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    prompt = unique("a slow tide coming in")
    video = create_video(gallery_server, prompt=prompt, model="slow", size="160x90", seconds="2")
    studio.open(f"/#/videos/{video['id']}")
    page.wait_for_selector(".stage-placeholder")
    page.wait_for_selector(".stage video.player", timeout=30000)  # it finished on screen
    page.wait_for_timeout(300)
    assert page.locator("#toasts .toast").count() == 0
    assert page.locator("#view-video .status-pill.completed").count() == 1


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_toasts_newest_first_at_most_three_and_they_go(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    studio.open()
    texts = page.evaluate(
        """async () => {
            const m = await import('/studio/js/dialogs.js');
            for (const n of [1, 2, 3, 4, 5]) m.toast(`message ${n}`, {timeout: 600});
            return [...document.querySelectorAll('#toasts .toast')].map(t => t.innerText.trim());
        }"""
    )
    assert texts == ["message 5", "message 4", "message 3"]
    toasts = box(page.locator("#toasts"))
    submit = box(page.locator("#submit"))
    # They never cover the create button.
    assert (
        toasts["y"] + toasts["height"] <= submit["y"]
        or submit["y"] + submit["height"] <= toasts["y"]
        or toasts["x"] >= submit["x"] + submit["width"]
    )
    page.wait_for_function("() => document.querySelectorAll('#toasts .toast').length === 0")


def test_a_video_made_off_screen_gets_a_toast(
    layout_studio: Callable[[dict[str, int]], Studio],
) -> None:
    studio = layout_studio(PHONE)  # the gallery is below the form, out of sight
    page = studio.page
    studio.open()
    studio.choose("#model", "tiny")
    studio.choose("#size", "640x360")
    prompt = unique("a snail crossing a leaf")
    page.fill("#prompt", prompt)
    page.click("#submit")
    page.locator("#toasts .toast", has_text="queued").wait_for()
    # Find the card and measure it in one step in the page: a status change replaces the card's
    # element, and a handle taken a moment earlier would measure a detached element (top 0).
    top = page.evaluate(
        """prompt => [...document.querySelectorAll('.card')]
            .find(c => c.querySelector('.card-link')?.textContent.includes(prompt))
            .getBoundingClientRect().top""",
        prompt,
    )
    assert top >= page.viewport_size["height"]


# -- 6. the key dialog and failures ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_key_dialog_knows_open_local_mode(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    studio.open()
    page.click("#key-button")
    dialog = page.locator("#key-dialog")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "no key is needed" in text
    assert "needs a key" not in text
    assert in_viewport(page, page.locator("#key-cancel"))
    page.click("#key-cancel")


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_failures_in_plain_words_with_details_behind_a_toggle(
    layout_studio: Callable[[dict[str, int]], Studio], gallery_server: LiveServer, name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    prompt = unique("this render breaks [fail:raise]")
    video = create_video(gallery_server, prompt=prompt, model="fake", size="160x90", seconds="1")
    failed = wait_finished(gallery_server, video["id"])
    assert failed["status"] == "failed"
    operator_text = failed["error"]["message"]
    studio.open(f"/#/videos/{video['id']}")
    stage = page.locator(".stage-placeholder.failed")
    stage.wait_for()
    assert "The engine could not make this video." in stage.inner_text()
    assert "engine_error" in stage.inner_text()
    details = page.locator(".failure-details p")
    assert not details.is_visible()  # the operator's text waits behind the toggle
    assert operator_text not in page.locator("body").inner_text()
    page.click(".failure-details summary")
    assert details.is_visible() and details.inner_text() == operator_text
    studio.shot(f"failed-{name}")


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_server_error_on_create_reads_plainly(
    layout_studio: Callable[[dict[str, int]], Studio], name: str
) -> None:
    studio = layout_studio(VIEWPORTS[name])
    page = studio.page
    operator_text = "database is locked (sqlite3.OperationalError) at store.py:120"
    page.route(
        "**/v1/videos",
        lambda route: (
            route.fulfill(
                status=500,
                json={
                    "error": {"message": operator_text, "type": "server_error", "code": "internal"}
                },
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    studio.open()
    studio.choose("#model", "tiny")
    page.fill("#prompt", unique("a moth circling a lamp"))
    page.keyboard.press("Control+Enter")
    alert = page.locator("#form-alert")
    alert.wait_for()
    assert "The server had a problem (500, internal)" in alert.inner_text()
    assert operator_text not in alert.inner_text()
    alert.locator("summary").click()
    assert operator_text in alert.inner_text()


def test_words_the_engine_could_not_draw_are_named(
    layout_studio: Callable[[dict[str, int]], Studio],
) -> None:
    """`not_understood` in /v1/studio/videos/{id} (when the server reports it) becomes one line;
    absent or empty, nothing is shown."""
    studio = layout_studio(LAPTOP)
    page = studio.page
    target = video_id(studio, LANDSCAPE[0])

    def with_words(route: Any) -> None:
        body = route.fetch().json()
        body["not_understood"] = ["dragon", "harp"]
        route.fulfill(json=body)

    studio.open(f"/#/videos/{target}")
    page.wait_for_selector(".params")
    assert page.locator(".not-drawn").count() == 0  # this server does not report any
    page.route(f"**/v1/studio/videos/{target}", with_words)
    page.reload()
    line = page.locator(".not-drawn")
    line.wait_for()
    assert line.inner_text() == "Not drawn: dragon, harp"
