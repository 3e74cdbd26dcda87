"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright (never downloads a browser).

One browser for the module; each test starts `edgesim run ... --ui --no-browser --port 0` and looks at the page.
Screenshots go to the test's tmp dir (pytest keeps the last runs under its basetemp) as artifacts.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import shared_path
from ui_support import UiRun, write_yes_no_stream

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def require_browser() -> None:
    """Playwright and Debian's chromium, or skip saying how to get them (fail under CI=true)."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e .[dev])")
    if not shutil.which(CHROMIUM):
        missing.append("Debian's chromium (tools/bootstrap.sh dev, or apt-get install --no-install-recommends chromium)")
    if missing:
        message = f"browser tests need {' and '.join(missing)}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def testdata_dir() -> Path:
    return shared_path("testdata")


PAGE_ERRORS: list[str] = []


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    """Every JavaScript error or console error on a page fails the test that opened it."""
    PAGE_ERRORS.clear()
    yield
    assert not PAGE_ERRORS, PAGE_ERRORS


def open_page(browser: Any, run: UiRun) -> Any:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.on("pageerror", lambda error: PAGE_ERRORS.append(f"page error: {error}"))
    page.on("console", lambda message: PAGE_ERRORS.append(f"console: {message.text}")
            if message.type == "error" else None)
    page.goto(run.url)
    return page


def test_a_wav_with_yes_and_no_shows_both_detections(browser: Any, testdata_dir: Path, tmp_path: Path) -> None:
    stream = tmp_path / "yes_no.wav"
    write_yes_no_stream(testdata_dir, stream)
    with UiRun("wake_word", "--source", str(stream)) as run:
        page = open_page(browser, run)
        page.wait_for_selector("#detections li[data-label='yes']", timeout=30_000)
        page.wait_for_selector("#detections li[data-label='no']", timeout=30_000)
        page.wait_for_selector("#connection[data-state='ended']", timeout=30_000)
        page.screenshot(path=str(tmp_path / "wake_word.png"), full_page=True)
        labels = page.eval_on_selector_all("#detections li", "items => items.map(li => li.dataset.label)")
        assert labels == ["no", "yes"]  # newest first
        assert page.inner_text("#flash").lower() == "no"
        assert "dBFS" in page.inner_text("#level-text")
        assert page.is_visible("#spectrogram") and not page.is_visible("#draw")
        # The spectrogram holds the features drawn: its right edge is not blank.
        painted = page.evaluate("""() => { const c = document.getElementById('spectrogram');
            const d = c.getContext('2d').getImageData(c.width - 40, 0, 40, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] + d[i + 1] + d[i + 2] > 0; return n; }""")
        assert painted > 1000
        page.close()


def test_drawing_a_digit_on_the_canvas_gives_a_detection(browser: Any, tmp_path: Path) -> None:
    with UiRun("gesture") as run:  # with --ui, the page's canvas is gesture's default source
        page = open_page(browser, run)
        # The page fills its pills once /app.json has arrived: wait for that, then read.
        page.wait_for_selector("#source-pill:text-is('source: browser')", timeout=30_000)
        page.wait_for_selector("#connection[data-state='live']")
        box = page.locator("#draw").bounding_box()
        assert box is not None
        x, top, height = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15, box["height"] * 0.7
        page.mouse.move(x, top)
        page.mouse.down()
        for step in range(1, 31):
            page.mouse.move(x + step * 0.3, top + height * step / 30)
        page.mouse.up()
        page.wait_for_selector("#detections li[data-label='1']", timeout=30_000)
        page.screenshot(path=str(tmp_path / "gesture.png"), full_page=True)
        assert page.inner_text("#flash") == "1"
        assert page.locator("#scores .row").count() == 3  # the top-3 digits
        page.close()


@pytest.mark.parametrize("image,label", [("person_detection/person.jpg", "person"),
                                         ("person_detection/no_person.jpg", "notperson")])
def test_an_image_shows_person_or_notperson(browser: Any, testdata_dir: Path, tmp_path: Path, image: str,
                                            label: str) -> None:
    with UiRun("person_detection", "--source", str(testdata_dir / image)) as run:
        page = open_page(browser, run)
        page.wait_for_selector(f"#scores .row.top[data-label='{label}']", timeout=30_000)
        page.wait_for_selector("#connection[data-state='ended']", timeout=30_000)
        page.wait_for_timeout(300)  # the frame image decodes asynchronously
        page.screenshot(path=str(tmp_path / f"person_detection_{label}.png"), full_page=True)
        detections = page.eval_on_selector_all("#detections li", "items => items.map(li => li.dataset.label)")
        assert detections == (["person"] if label == "person" else [])
        page.close()


def test_compare_with_the_emulator_shows_identical(browser: Any, testdata_dir: Path, tmp_path: Path) -> None:
    from firmware_support import require_firmware_tools

    require_firmware_tools()
    with UiRun("wake_word", "--source", str(testdata_dir / "micro_speech/yes_1000ms.wav"),
               "--compare", "emulator") as run:
        page = open_page(browser, run)
        page.wait_for_selector("#connection[data-state='ended']", timeout=120_000)
        page.wait_for_selector("#compare[data-state='identical']")
        page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
        assert "27 events identical" in page.inner_text("#compare")  # 26 inferences (clip + tail) + 1 detection
        assert page.eval_on_selector_all("#other-events li", "items => items.length") == 1
        page.close()
