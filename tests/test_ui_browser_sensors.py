"""The browser as a sensor: chromium's fake microphone (a WAV file) and fake webcam feed `--source browser`.

Chromium's --use-file-for-fake-audio-capture plays a WAV as the microphone, looped; the page captures it
with getUserMedia at 16 kHz and sends int16 samples over the WebSocket, so the words in the file must be
heard.  The fake webcam (a moving test pattern) must reach the person detector as frames.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np

import pytest

from conftest import REPO_ROOT, shared_path
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


def test_record_takes_the_page_microphone(browser: Any, tmp_path: Path) -> None:
    from edgesim.sources.wav import read_wav

    out = tmp_path / "clips"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "EDGESIM_MODELS": str(shared_path("models"))}
    record = subprocess.Popen([sys.executable, "-m", "edgesim", "record", "wake_word", "--source", "browser",
                               "--label", "yes", "--out", str(out), "--count", "2", "--seconds", "2",
                               "--countdown", "0.5", "--no-browser", "--ui-port", "0"],
                              cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert record.stderr is not None
        url = ""
        for line in record.stderr:
            found = re.search(r"dashboard at (http://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "record --source browser printed no page URL"
        page = browser.new_page()
        page.goto(url)
        page.click("#mic-button")
        _, stderr = record.communicate(timeout=90)
        page.close()
    finally:
        record.kill()
    assert record.returncode == 0, stderr
    takes = sorted((out / "yes").glob("*.wav"))
    assert len(takes) == 2 and "2 take(s) saved" in stderr
    for take in takes:
        samples = read_wav(take).samples
        # The fake microphone loops words with at most 1.5 s of silence between them: 2 s always hold some.
        assert len(samples) == 32000 and np.abs(samples.astype(np.int32)).max() > 1000
