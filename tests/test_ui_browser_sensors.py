"""The browser as a sensor: chromium's fake microphone (a WAV file) and fake webcam feed `--source browser`.

Chromium's --use-file-for-fake-audio-capture plays a WAV as the microphone, looped; the page captures it
with getUserMedia at 16 kHz and sends int16 samples over the WebSocket, so the words in the file must be
heard.  The fake webcam (a moving test pattern) must reach the person detector as frames.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import shared_path
from test_ui_browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from ui_support import UiRun, write_yes_no_stream


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright
    microphone = tmp_path_factory.mktemp("fake_mic") / "yes_no.wav"
    write_yes_no_stream(shared_path("testdata"), microphone)
    args = CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield browser
        browser.close()


def test_the_page_microphone_is_heard(browser: Any, tmp_path: Path) -> None:
    with UiRun("wake_word", "--source", "browser") as run:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(run.url)
        page.click("#mic-button")
        page.wait_for_selector("#mic-state:has-text('16000 Hz')", timeout=20_000)
        page.wait_for_selector("#detections li[data-label='yes']", timeout=60_000)
        page.wait_for_selector("#detections li[data-label='no']", timeout=60_000)
        page.screenshot(path=str(tmp_path / "microphone.png"), full_page=True)
        page.close()


def test_the_page_webcam_reaches_the_person_detector(browser: Any, tmp_path: Path) -> None:
    with UiRun("person_detection", "--source", "browser") as run:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(run.url)
        page.click("#camera-button")
        page.wait_for_selector("#scores .row.top", timeout=30_000)  # an inference on a webcam frame
        page.wait_for_timeout(500)
        page.screenshot(path=str(tmp_path / "webcam.png"), full_page=True)
        assert page.inner_text("#camera-state") == "streaming"
        page.close()
