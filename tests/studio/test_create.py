"""Making videos in the studio: text, image reference, characters, errors, keyboard only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from studio.browser import Studio, create_video, unique, wait_finished
from support.server import LiveServer

X = "\N{MULTIPLICATION SIGN}"  # how the studio writes sizes: 640 x 360 with a real times sign


def fill_text_request(studio: Studio, prompt: str, *, size: str = "640x360") -> None:
    page = studio.page
    studio.choose("#model", "tiny")
    studio.choose("#size", size)
    studio.choose("#seconds", "4")
    page.fill("#prompt", prompt)


def test_text_video_reaches_completed_and_plays_with_its_duration(studio: Studio) -> None:
    page = studio.page
    studio.open()
    prompt = unique("a red fox trotting through fresh snow at dusk")
    fill_text_request(studio, prompt)
    # The estimate is shown before submitting: tiny has no price, so it is free here.
    estimate = page.locator("#estimate")
    assert "Free on this server" in estimate.inner_text()
    assert "32 frames" in estimate.inner_text()  # 4 s at 8 fps
    studio.shot("create-text")

    page.click("#submit")
    card = studio.card(prompt)
    card.wait_for()
    studio.shot("gallery-rendering")
    studio.wait_card_status(prompt, "completed")
    card.locator("img.thumb").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card img.thumb')].some(i => i.naturalWidth > 0)"
    )
    studio.shot("gallery")

    # Hover-scrub: moving across the thumbnail walks through the spritesheet's frames.
    sheet = httpx.head(
        f"{studio.server.url}/v1/videos/{card.get_attribute('data-id')}/content?variant=spritesheet"
    )
    columns, rows = sheet.headers["x-spritesheet-columns"], sheet.headers["x-spritesheet-rows"]
    box = card.locator(".card-media").bounding_box()
    assert box is not None
    positions = []
    for fraction in (0.05, 0.95):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2, steps=3)
        scrub = card.locator(".scrub.active")
        scrub.wait_for()
        positions.append(scrub.evaluate("el => el.style.backgroundPosition"))
        assert scrub.evaluate("el => el.style.backgroundSize") == f"{columns}00% {rows}00%"
    assert positions[0] == "0% 0%" and positions[1] == "100% 100%"
    studio.shot("hover-scrub")
    page.mouse.move(0, 0)

    card.locator(".card-link").click()
    assert abs(studio.player_duration() - 4.0) < 0.2
    # It plays, with its sound track decoded.
    page.evaluate("document.querySelector('video.player').play()")
    page.wait_for_function("() => document.querySelector('video.player').currentTime > 0.3")
    assert page.evaluate("document.querySelector('video.player').muted") is False
    assert "With sound" in page.locator(".stage-caption").inner_text()
    params = page.locator(".params").inner_text()
    assert f"640 {X} 360" in params and "Text to video" in params
    assert page.locator("a:has-text('Download MP4')").get_attribute("download", timeout=1000)
    studio.shot("video-page", full_page=True)

    # "Reuse settings" takes the prompt and parameters back to the form for another try.
    page.get_by_role("button", name="Reuse settings").click()
    page.wait_for_selector("#view-studio:not([hidden])")
    assert page.input_value("#prompt") == prompt
    assert (page.input_value("#model"), page.input_value("#size")) == ("tiny", "640x360")


def test_snippets_reproduce_the_request(studio: Studio, tmp_path: Path) -> None:
    page = studio.page
    server = studio.server
    prompt = unique("a lighthouse in a storm")
    video = wait_finished(server, create_video(server, prompt=prompt, seed=4242)["id"])
    studio.open(f"/#/videos/{video['id']}")
    page.wait_for_selector(".snippet pre")
    curl = page.locator(".snippet pre").inner_text()
    assert curl.startswith(f"curl -sS {server.url}/v1/videos")
    assert "Authorization" not in curl  # open mode: no key needed

    page.click("#tab-python")
    python = page.locator(".snippet pre").inner_text()
    assert "client.videos.create_and_poll(" in python
    assert '"seed": 4242' in python

    # Both run as written and make the same request again.
    made = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    again = httpx.get(f"{server.url}/v1/videos?limit=1").json()["data"][0]
    assert (again["prompt"], again["size"], again["model"]) == (prompt, "320x180", "tiny")
    script = tmp_path / "snippet.py"
    script.write_text(python)
    ran = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().endswith("completed")
    made_id = ran.stdout.split()[0]
    assert (tmp_path / f"{made_id}.mp4").stat().st_size > 1000


def test_image_to_video_with_a_mismatched_image_fixed_by_the_crop_control(
    studio: Studio, tmp_path: Path
) -> None:
    page = studio.page
    # A square image for a 16:9 video: red on the left, blue on the right.
    image = Image.new("RGB", (1000, 1000), (220, 40, 40))
    image.paste((40, 60, 220), (500, 0, 1000, 1000))
    path = tmp_path / "square.png"
    image.save(path)

    studio.open()
    page.click("label.segment:has-text('Image')")
    fill_text_request(studio, unique("the red and blue flag starts to wave"))
    page.set_input_files("#image", str(path))
    page.wait_for_selector("#image-preview:not([hidden])")
    info = page.locator("#image-info").inner_text()
    assert f"1000 {X} 1000" in info and f"640 {X} 360" in info and "cropped" in info
    canvas_size = page.evaluate(
        "(c => [c.width, c.height])(document.querySelector('#image-canvas'))"
    )
    assert canvas_size == [640, 360]  # exactly the video size, so the upload matches

    def pixel(x: int, y: int) -> list[int]:
        value: list[int] = page.evaluate(
            "([x, y]) => [...document.querySelector('#image-canvas').getContext('2d')"
            ".getImageData(x, y, 1, 1).data].slice(0, 3)",
            [x, y],
        )
        return value

    page.click("label.segment:has-text('Pad')")
    assert pixel(20, 180) == [0, 0, 0]  # black bars beside a 360x360 image
    studio.shot("image-pad")
    page.click("label.segment:has-text('Crop')")
    assert pixel(20, 180)[0] > 150  # the red half fills the frame edge to edge
    assert pixel(620, 180)[2] > 150
    page.fill("#crop-position", "0")  # crop from the top instead of the middle
    page.dispatch_event("#crop-position", "input")
    studio.shot("image-crop", docs="desktop-image")

    page.click("#submit")
    prompt = page.input_value("#prompt")
    studio.wait_card_status(prompt, "completed")
    studio.card(prompt).locator(".card-link").click()
    page.wait_for_selector(".params")
    assert "Image to video" in page.locator(".params").inner_text()
    assert "input_reference" in page.locator(".snippet pre").inner_text()


def test_validation_errors_are_shown_inline(studio: Studio) -> None:
    page = studio.page
    # A character this browser remembers but the server does not know (another project's).
    page.add_init_script(
        "localStorage.setItem('reelbox.characters', JSON.stringify("
        "{open: [{id: 'char_gone', name: 'Ghost', created_at: 0}]}))"
    )
    studio.open()

    page.click("#submit")  # no prompt
    error = page.locator("#prompt-error")
    assert error.is_visible()
    assert "Describe the video" in error.inner_text()
    assert page.get_attribute("#prompt", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "prompt"
    studio.shot("validation-inline")

    page.fill("#prompt", "typing fixes it")
    assert not error.is_visible()

    studio.choose("#model", "tiny")
    studio.choose("#size", "custom")
    page.fill("#width", "641")
    page.click("#submit")
    assert "even whole numbers" in page.locator("#size-error").inner_text()
    page.fill("#width", "640")

    # An error only the server can find comes back next to its field.
    page.check("#character-char_gone")
    page.click("#submit")
    page.locator("#characters-error").wait_for()
    assert "char_gone" in page.locator("#characters-error").inner_text()
    studio.shot("validation-server")


def test_keyboard_only_creation(studio: Studio) -> None:
    page = studio.page
    studio.open()
    prompt = unique("a paper boat drifting down a rainy street")

    def tab_to(element_id: str, limit: int = 40) -> list[str]:
        seen = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.id || document.activeElement.className")
            seen.append(focused)
            if focused == element_id:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on {element_id}"
                return seen
        raise AssertionError(f"{element_id} not reachable with Tab: {seen}")

    order = tab_to("prompt")
    assert order[0] == "skip-link"
    page.keyboard.type(prompt)
    tab_to("model")
    for _ in range(20):
        if page.input_value("#model") == "tiny":
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#model") == "tiny"
    tab_to("size")
    for _ in range(20):
        if page.input_value("#size") == "640x360":
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#size") == "640x360"
    tab_to("submit")
    page.keyboard.press("Enter")
    studio.wait_card_status(prompt, "completed")
    studio.shot("keyboard-created")


def test_characters_are_made_from_a_clip_saved_and_reused(studio: Studio, tmp_path: Path) -> None:
    page = studio.page
    server = studio.server
    clip = wait_finished(server, create_video(server, prompt=unique("a small green robot"))["id"])
    clip_path = tmp_path / "robot.mp4"
    clip_path.write_bytes(httpx.get(f"{server.url}/v1/videos/{clip['id']}/content").content)

    studio.open()
    page.click("#new-character")
    page.click("#character-save")  # nothing filled in yet
    assert "name" in page.locator("#character-name-error").inner_text()
    page.fill("#character-name", "Bolt")
    page.set_input_files("#character-clip", str(clip_path))
    studio.shot("character-dialog")
    page.click("#character-save")
    checkbox = page.locator(".character input[type=checkbox]")
    checkbox.wait_for()
    assert checkbox.is_checked()  # a new character is cast at once
    character_id = checkbox.get_attribute("value")
    assert character_id and character_id.startswith("char_")

    prompt = unique("Bolt waves at the camera")
    fill_text_request(studio, prompt)
    page.click("#submit")
    studio.wait_card_status(prompt, "completed")
    studio.card(prompt).locator(".card-link").click()
    page.wait_for_selector(".snippet pre")
    assert character_id in page.locator(".snippet pre").inner_text()

    # Remembered in this browser, since the API cannot list characters.
    studio.open()
    assert page.locator(".character-name").inner_text() == "Bolt"
    found: dict[str, Any] = httpx.get(f"{server.url}/v1/videos/characters/{character_id}").json()
    assert found["name"] == "Bolt"


def test_price_estimate_follows_the_model_size_and_length(
    studio: Studio, studio_server: LiveServer
) -> None:
    page = studio.page
    studio.open()
    studio.choose("#model", "sora-2-pro")
    studio.choose("#size", "1792x1024")
    studio.choose("#seconds", "8")
    estimate = page.locator("#estimate").inner_text()
    assert "Estimated cost" in estimate and "$4.00" in estimate  # 8 s at $0.50/s
    studio.choose("#size", "1280x720")
    assert "$2.40" in page.locator("#estimate").inner_text()  # 8 s at $0.30/s
    studio.choose("#model", "priced-alias")  # the profile's own price
    studio.choose("#seconds", "10")
    assert "$0.50" in page.locator("#estimate").inner_text()
    # Impossible combinations cannot be chosen: sora-2 has neither pro sizes nor 16 s.
    studio.choose("#model", "sora-2")
    sizes = page.eval_on_selector_all("#size option", "os => os.map(o => o.value)")
    seconds = page.eval_on_selector_all("#seconds option", "os => os.map(o => o.value)")
    assert sorted(sizes) == ["1280x720", "720x1280"]
    assert seconds == ["4", "8", "12"]
