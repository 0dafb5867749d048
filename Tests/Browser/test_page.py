"""End-to-end test of the drawing page in a real Chromium against the real ocr-server.

Strokes from fixtures/ (drawn in a 280x280 square) are replayed as pointer events on the canvas,
scaled to the canvas's actual size; the answers shown are the real model's.
Run: python -m pytest Tests/Browser -q   (or scripts/browser-test.sh, which installs and builds first)
"""

from __future__ import annotations

import base64
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import load_fixture

ANSWER_TIMEOUT_S = 20
FIXTURE_SIZE = 280.0


# MARK: helpers


def open_page(driver, base_url: str) -> None:
    driver.get(f"{base_url}/")
    # The module script has run once the 13 class bars exist.
    WebDriverWait(driver, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#bars li")) == 13)


def panel(driver) -> dict:
    return driver.execute_script(
        """const p = document.getElementById('result');
           return {state: p.dataset.state, answers: Number(p.dataset.answers || 0), label: p.dataset.label ?? null,
                   text: p.dataset.text ?? null, source: p.dataset.source ?? null, mode: p.dataset.mode ?? null};""")


def wait_for_answer(driver, previous_answers: int, source: str) -> dict:
    """Waits until a newer answer than `previous_answers`, for exactly `source`, is on screen."""
    def arrived(d):
        p = panel(d)
        if p["state"] == "error":
            message = d.find_element(By.ID, "message").text
            raise AssertionError(f"the page shows an error instead of an answer: {message!r}")
        return p if p["state"] == "done" and p["answers"] > previous_answers and p["source"] == source else False
    return WebDriverWait(driver, ANSWER_TIMEOUT_S).until(arrived)


def scaled(strokes, scale=1.0, dx=0.0, dy=0.0):
    """Moves fixture strokes (280x280 square) into a sub-square of it: x' = x*scale + dx."""
    return [[[x * scale + dx, y * scale + dy] for x, y in stroke] for stroke in strokes]


def draw(driver, strokes, pointer: str = interaction.POINTER_MOUSE) -> None:
    """Replays strokes as real pointer input on the canvas, in one action sequence per stroke."""
    canvas = driver.find_element(By.ID, "pad")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height};",
        canvas)
    assert abs(rect["w"] - rect["h"]) < 1, f"the canvas is not square: {rect}"
    k = rect["w"] / FIXTURE_SIZE
    for stroke in strokes:
        device = PointerInput(pointer, f"{pointer}-input")
        actions = ActionBuilder(driver, mouse=device, duration=0)
        points = [(round(rect["x"] + x * k), round(rect["y"] + y * k)) for x, y in stroke]
        actions.pointer_action.move_to_location(*points[0])
        actions.pointer_action.pointer_down()
        for x, y in points[1:]:
            # A few milliseconds per segment, like a quick hand: the page must see a stream of moves.
            actions.pointer_action.move_to_location(x, y)
            actions.pointer_action.pause(0.004)
        actions.pointer_action.pointer_up()
        actions.perform()


def bar_values(driver) -> dict:
    return driver.execute_script(
        """const out = {};
           for (const li of document.querySelectorAll('#bars li')) out[li.dataset.label] =
             parseFloat(getComputedStyle(li.querySelector('.bar-fill')).getPropertyValue('--value'));
           return out;""")


def assert_preview_shown(driver) -> None:
    seen = driver.find_element(By.ID, "seen-image")
    assert seen.is_displayed(), "the 28x28 input image is not shown"
    assert seen.get_attribute("src").startswith("data:image/png;base64,")
    size = driver.execute_script(
        "const i = arguments[0]; return [i.naturalWidth, i.naturalHeight, getComputedStyle(i).imageRendering];", seen)
    assert size[:2] == [28, 28], f"the preview is not the 28x28 model input: {size}"
    assert size[2] == "pixelated"


def seven_png(path: Path) -> Path:
    """A photo-like upload: dark ink on light paper, the seven fixture drawn with Pillow."""
    image = Image.new("RGB", (280, 280), (250, 248, 240))
    pen = ImageDraw.Draw(image)
    for stroke in load_fixture("seven")["strokes"]:
        pen.line([tuple(p) for p in stroke], fill=(20, 24, 60), width=16, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pen.ellipse((x - 8, y - 8, x + 8, y + 8), fill=(20, 24, 60))
    image.save(path, "PNG")
    return path


# MARK: tests


def test_page_is_served_with_a_strict_content_security_policy(base_url):
    with urllib.request.urlopen(f"{base_url}/") as response:
        csp = response.headers.get("Content-Security-Policy", "")
        body = response.read().decode()
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, f"missing or loose CSP: {csp!r}"
    assert "unsafe-inline" not in csp
    assert "<title>" in body


def test_drawing_a_seven_is_read_as_seven(driver, base_url):
    open_page(driver, base_url)
    assert panel(driver)["state"] == "idle"
    draw(driver, load_fixture("seven")["strokes"])
    answer = wait_for_answer(driver, 0, "2 strokes")
    assert answer["label"] == "7"
    assert driver.find_element(By.ID, "verdict-label").text == "7"
    bars = bar_values(driver)
    assert len(bars) == 13
    assert max(bars, key=bars.get) == "7"
    assert 0.99 < sum(bars.values()) < 1.01, f"the bars are not a probability distribution: {bars}"
    assert_preview_shown(driver)
    assert driver.find_element(By.ID, "how-image").get_attribute("src").startswith("data:image/png")
    announcer = driver.find_element(By.ID, "announcer")
    WebDriverWait(driver, 5).until(lambda d: "digit 7" in announcer.get_attribute("textContent"))


def test_a_rejected_digit_says_what_it_looked_like(driver, rejecting_base_url):
    open_page(driver, rejecting_base_url)
    draw(driver, load_fixture("seven")["strokes"])
    answer = wait_for_answer(driver, 0, "2 strokes")
    assert answer["label"] == "scribble"
    assert driver.find_element(By.ID, "result").get_attribute("data-decision") == "rejected"
    assert driver.find_element(By.ID, "verdict-label").text == "scribble"
    caption = "Not a digit, star or smiley (rejected: it looked most like the digit 7, but not enough)"
    assert driver.find_element(By.ID, "verdict-caption").text == caption
    # The bars are the network's ranking, so the 7 it resembled still leads them.
    bars = bar_values(driver)
    assert max(bars, key=bars.get) == "7"
    announcer = driver.find_element(By.ID, "announcer")
    WebDriverWait(driver, 5).until(lambda d: "looked most like the digit 7" in announcer.get_attribute("textContent"))


def test_drawing_a_star_with_a_finger_is_read_as_star(driver, base_url):
    open_page(driver, base_url)
    draw(driver, load_fixture("star")["strokes"], pointer=interaction.POINTER_TOUCH)
    answer = wait_for_answer(driver, 0, "1 strokes")
    assert answer["label"] == "star"
    assert driver.find_element(By.ID, "verdict-label").text == "★"


def test_number_mode_reads_two_digits_and_boxes_them(driver, base_url):
    open_page(driver, base_url)
    driver.find_element(By.CSS_SELECTOR, "label[for='mode-multi']").click()
    two = scaled(load_fixture("two")["strokes"], 0.45, 10, 75)
    four = scaled(load_fixture("four")["strokes"], 0.45, 145, 75)
    draw(driver, two + four)
    answer = wait_for_answer(driver, 0, "3 strokes")
    assert answer["mode"] == "multi"
    assert answer["text"] == "24"
    assert driver.find_element(By.ID, "verdict-label").text == "24"
    chips = driver.find_elements(By.CSS_SELECTOR, "#glyph-list .glyph-chip")
    assert [c.find_element(By.CSS_SELECTOR, ".glyph-symbol").text for c in chips] == ["2", "4"]
    # Choosing the second glyph shows its own bars, and keeps the chip (and keyboard focus) in place.
    chips[1].click()
    WebDriverWait(driver, 5).until(lambda d: max(bar_values(d), key=bar_values(d).get) == "4")
    assert [c.get_attribute("aria-pressed") for c in chips] == ["false", "true"]


def test_uploading_a_png_posts_the_file(driver, base_url, tmp_path):
    open_page(driver, base_url)
    path = seven_png(tmp_path / "seven.png")
    driver.find_element(By.ID, "file").send_keys(str(path))
    answer = wait_for_answer(driver, 0, "image")
    assert answer["label"] == "7"
    assert_preview_shown(driver)


def test_a_late_answer_never_replaces_a_newer_one(driver, base_url):
    open_page(driver, base_url)
    # Hold the first recognition answer back for 2 s, and ignore the page's abort, so that the
    # real server's answer to the old drawing really does arrive after the newer one.
    driver.execute_script(
        """const realFetch = window.fetch.bind(window);
           let first = true;
           window.fetch = (url, init = {}) => {
             if (!first || !String(url).includes('recognize')) return realFetch(url, init);
             first = false;
             const { signal, ...rest } = init;
             return realFetch(url, rest).then((r) => new Promise((done) => setTimeout(() => done(r), 2000)));
           };""")
    draw(driver, load_fixture("seven")["strokes"][:1])
    WebDriverWait(driver, 5).until(lambda d: panel(d)["state"] == "busy")
    driver.find_element(By.ID, "clear").click()
    draw(driver, load_fixture("star")["strokes"])
    answer = wait_for_answer(driver, 0, "1 strokes")
    assert answer["label"] == "star"
    time.sleep(2.5)  # long after the held-back answer has been delivered
    assert panel(driver) == answer


def test_dropping_a_png_on_the_canvas_posts_the_file(driver, base_url, tmp_path):
    open_page(driver, base_url)
    data = base64.b64encode(seven_png(tmp_path / "seven.png").read_bytes()).decode()
    # WebDriver cannot drag a file from the desktop; the same drop events are dispatched with a real File.
    driver.execute_script(
        """const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
           const transfer = new DataTransfer();
           transfer.items.add(new File([bytes], 'seven.png', { type: 'image/png' }));
           const canvas = document.getElementById('pad');
           for (const type of ['dragenter', 'dragover', 'drop']) {
             canvas.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
           }""", data)
    answer = wait_for_answer(driver, 0, "image")
    assert answer["label"] == "7"
    assert "is-dropping" not in driver.find_element(By.ID, "pad-frame").get_attribute("class")


def test_undo_clear_and_ctrl_z(driver, base_url):
    open_page(driver, base_url)
    strokes = load_fixture("four")["strokes"]
    draw(driver, strokes)
    first = wait_for_answer(driver, 0, "2 strokes")

    driver.find_element(By.ID, "undo").click()
    wait_for_answer(driver, first["answers"], "1 strokes")

    # Ctrl+Z removes the last stroke; with nothing left the panel goes back to waiting.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "z")
    WebDriverWait(driver, 5).until(lambda d: panel(d)["state"] == "idle")
    assert driver.find_element(By.ID, "verdict-label").text == "?"
    assert driver.find_element(By.ID, "undo").get_attribute("aria-disabled") == "true"

    draw(driver, strokes)
    again = wait_for_answer(driver, first["answers"] + 1, "2 strokes")
    assert again["label"] == "4"
    driver.find_element(By.ID, "clear").click()
    WebDriverWait(driver, 5).until(lambda d: panel(d)["state"] == "idle")
    assert driver.find_element(By.ID, "verdict-label").text == "?"
    assert not driver.find_element(By.ID, "seen-image").is_displayed()
    # The canvas is blank again: no ink pixel left.
    inked = driver.execute_script(
        """const c = document.getElementById('pad'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false;""")
    assert inked is False


def test_screenshots_desktop_and_mobile(driver, base_url, screenshot_dir):
    """Desktop (1280x900 viewport) and phone (390 px wide, whole page) pictures after drawing."""
    emulate(driver, 1280, 900, scale=1, mobile=False)
    try:
        open_page(driver, base_url)
        driver.find_element(By.CSS_SELECTOR, "label[for='mode-multi']").click()
        two = scaled(load_fixture("two")["strokes"], 0.45, 10, 75)
        four = scaled(load_fixture("four")["strokes"], 0.45, 145, 75)
        draw(driver, two + four)
        wait_for_answer(driver, 0, "3 strokes")
        driver.execute_script("window.scrollTo(0, 0)")
        desktop = screenshot_dir / "desktop.png"
        assert driver.save_screenshot(str(desktop))
        save_full_page(driver, screenshot_dir / "desktop-full.png")
        open_page(driver, base_url)
        driver.find_element(By.CSS_SELECTOR, "label[for='mode-page']").click()
        strokes, source = two_lines()
        draw(driver, strokes)
        wait_for_answer(driver, 0, source)
        driver.execute_script("window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(screenshot_dir / "desktop-page.png"))

        # Usable down to 360 px: nothing may stick out sideways.
        for phone_width in (360, 390):
            emulate(driver, phone_width, 844, scale=2, mobile=True)
            open_page(driver, base_url)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= phone_width, f"the page scrolls sideways at {phone_width} px: {width} px wide"
        draw(driver, load_fixture("seven")["strokes"], pointer=interaction.POINTER_TOUCH)
        wait_for_answer(driver, 0, "2 strokes")
        mobile = screenshot_dir / "mobile.png"
        save_full_page(driver, mobile)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    for shot in (desktop, mobile):
        assert shot.stat().st_size > 10_000
    print(f"screenshots in {screenshot_dir}")


def two_lines():
    """"24 7" over "42", each glyph a fixture at 0.3 of the square: 5 glyphs, and their stroke count."""
    def at(name, dx, dy):
        return scaled(load_fixture(name)["strokes"], 0.3, dx, dy)
    strokes = (at("two", 10, 20) + at("four", 70, 20) + at("seven", 180, 20)
               + at("four", 10, 150) + at("two", 70, 150))
    return strokes, f"{len(strokes)} strokes"


def color_rows(driver, rgb, tolerance=40):
    """The canvas rows (as fractions of its height) holding pixels within `tolerance` of `rgb`, and their count."""
    return driver.execute_script(
        """const [r, g, b, tol] = arguments;
           const c = document.getElementById('pad');
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           let count = 0, top = 0, bottom = 0;
           for (let i = 0; i < d.length; i += 4) {
             if (d[i + 3] < 200) continue;
             if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > tol) continue;
             count++;
             if (Math.floor(i / 4 / c.width) < c.height / 2) top++; else bottom++;
           }
           return {count, top, bottom};""", *rgb, tolerance)


def css_color(driver, name):
    """A colour custom property of the canvas as [r, g, b] (the page writes them as #rrggbb)."""
    value = driver.execute_script(
        "return getComputedStyle(document.getElementById('pad')).getPropertyValue(arguments[0]).trim()", name)
    assert value.startswith("#") and len(value) == 7, f"{name} is not a #rrggbb colour: {value!r}"
    return [int(value[i:i + 2], 16) for i in (1, 3, 5)]


def test_page_mode_reads_two_lines_boxes_them_and_copies_the_text(driver, base_url):
    open_page(driver, base_url)
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    driver.find_element(By.CSS_SELECTOR, "label[for='mode-page']").click()
    strokes, source = two_lines()
    line_color = css_color(driver, "--line-box")
    box_color = css_color(driver, "--box")
    assert color_rows(driver, line_color)["count"] == 0
    draw(driver, strokes)
    answer = wait_for_answer(driver, 0, source)
    assert answer["mode"] == "page"
    assert answer["text"] == "24 7\n42"
    lines = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#page-lines li")]
    assert lines == ["24 7", "42"]
    assert driver.find_element(By.ID, "verdict-caption").text == "3 numbers on 2 lines"
    chips = driver.find_elements(By.CSS_SELECTOR, "#glyph-list .glyph-chip")
    assert [c.find_element(By.CSS_SELECTOR, ".glyph-symbol").text for c in chips] == ["2", "4", "7", "4", "2"]
    # A line box around each line (upper and lower half of the canvas), number boxes in the box colour.
    WebDriverWait(driver, 5).until(lambda d: color_rows(d, line_color)["count"] > 200)
    line_pixels = color_rows(driver, line_color)
    assert line_pixels["top"] > 100 and line_pixels["bottom"] > 100, f"not a box around each line: {line_pixels}"
    number_pixels = color_rows(driver, box_color)
    assert number_pixels["top"] > 100 and number_pixels["bottom"] > 100, f"no number boxes: {number_pixels}"

    driver.find_element(By.ID, "copy-reading").click()
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "copy-reading-text").text == "Copied")
    copied = driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('failed: ' + e));")
    assert copied == "24 7\n42"

    # Back to one glyph: the page's boxes go, the page block hides.
    driver.find_element(By.CSS_SELECTOR, "label[for='mode-single']").click()
    WebDriverWait(driver, ANSWER_TIMEOUT_S).until(lambda d: panel(d)["mode"] == "single" and panel(d)["state"] == "done")
    assert not driver.find_element(By.ID, "page-reading").is_displayed()
    assert color_rows(driver, line_color)["count"] == 0


def test_on_a_phone_the_reading_shows_by_the_canvas_while_drawing(driver, base_url, screenshot_dir):
    """390x844 with touch: after drawing, the compact reading and the whole canvas are both on screen."""
    emulate(driver, 390, 844, scale=2, mobile=True)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        open_page(driver, base_url)
        live = driver.find_element(By.ID, "live-reading")
        assert live.is_displayed()
        assert driver.find_element(By.ID, "live-reading-text").text == "–"
        driver.find_element(By.CSS_SELECTOR, "label[for='mode-page']").click()
        strokes, source = two_lines()
        draw(driver, strokes, pointer=interaction.POINTER_TOUCH)
        answer = wait_for_answer(driver, 0, source)
        assert answer["text"] == "24 7\n42"
        WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "live-reading-text").text == "24 7 / 42")
        layout = driver.execute_script(
            """const box = (id) => { const r = document.getElementById(id).getBoundingClientRect();
                                    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
               return {view: window.innerHeight, width: window.innerWidth, live: box('live-reading'), pad: box('pad'),
                       result: box('result'), text: box('live-reading-text'),
                       clipped: (() => { const t = document.getElementById('live-reading-text');
                                         return t.scrollWidth > t.clientWidth; })()};""")
        for part in ("live", "pad"):
            rect = layout[part]
            assert rect["top"] >= 0 and rect["bottom"] <= layout["view"], f"{part} is not on screen: {layout}"
            assert rect["left"] >= 0 and rect["right"] <= layout["width"], f"{part} sticks out sideways: {layout}"
        assert not layout["clipped"], f"the compact reading is cut off: {layout}"
        # The details stay below, where they were.
        assert layout["result"]["top"] > layout["live"]["bottom"]
        assert driver.save_screenshot(str(screenshot_dir / "phone-page.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def emulate(driver, width: int, height: int, scale: float, mobile: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})


def save_full_page(driver, path: Path) -> None:
    size = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
    })
    path.write_bytes(base64.b64decode(shot["data"]))
