"""Fixtures for the drawing page's browser test: the real server and a headless Chromium.

The server is the release build of `ocr-server`, started on a free port and stopped at the end.
Set OCR_SERVER_URL to test a server that is already running instead (nothing is started then).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
READY_TIMEOUT_S = 120


def free_port() -> int:
    # The kernel picks a free port; it is released just before the server binds it again.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_binary() -> Path:
    explicit = os.environ.get("OCR_SERVER_BIN")
    if explicit:
        return Path(explicit)
    bin_dir = subprocess.run(
        ["swift", "build", "-c", "release", "--show-bin-path"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()
    return Path(bin_dir) / "ocr-server"


def wait_ready(base_url: str, process: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"ocr-server exited with status {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"status {response.status}"
        except urllib.error.HTTPError as error:
            last = f"status {error.code}"
        except OSError as error:
            last = str(error)
        time.sleep(0.25)
    raise RuntimeError(f"ocr-server was not ready after {READY_TIMEOUT_S} s ({last})")


@pytest.fixture(scope="session")
def base_url():
    external = os.environ.get("OCR_SERVER_URL")
    if external:
        url = external.rstrip("/")
        wait_ready(url, None)
        yield url
        return
    yield from serve()


@pytest.fixture(scope="session")
def rejecting_base_url(tmp_path_factory):
    """A second server whose model copy carries a rejection threshold no digit reaches, so every
    digit drawn is rejected: a copy of the shipped manifest beside a link to the shipped weights."""
    if os.environ.get("OCR_SERVER_URL"):
        pytest.skip("needs a server this test starts with its own model manifest")
    shipped = ROOT / "Models" / "glyphnet.json"
    manifest = json.loads(shipped.read_text())
    manifest["rejection"] = {"score": "max_probability", "threshold": 1.5, "temperature": 1.0}
    folder = tmp_path_factory.mktemp("rejecting-model")
    (folder / manifest["weights"]).symlink_to(shipped.parent / manifest["weights"])
    (folder / "glyphnet.json").write_text(json.dumps(manifest))
    yield from serve("--model", str(folder / "glyphnet.json"))


def serve(*arguments: str):
    """Starts the server binary on a free port, yields its URL once ready, and stops it."""
    binary = server_binary()
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it first with `swift build -c release`")
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([str(binary), "--port", str(port), *arguments], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    except RuntimeError as error:
        log.seek(0)
        pytest.fail(f"{error}\n--- server output ---\n{log.read().decode(errors='replace')[-4000:]}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def driver():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--force-color-profile=srgb", "--hide-scrollbars"):
        options.add_argument(argument)
    # Debian's packages: `chromium` and the matching `chromedriver` from `chromium-driver`, both on PATH.
    chromium = os.environ.get("CHROMIUM_BINARY") or shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chromedriver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromedriver:
        pytest.fail("chromedriver is not installed (Debian package chromium-driver)")
    browser = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(autouse=True)
def no_console_errors(driver):
    """Every test ends with a check that the page logged no errors (script errors, CSP violations, failed loads)."""
    driver.get_log("browser")  # drop what earlier tests left behind
    yield
    errors = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    assert errors == [], f"the browser console reported errors: {errors}"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("OCR_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="ocr-page-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())
