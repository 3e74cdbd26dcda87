"""The terminal display: banner, colour rules, score bars with thresholds, large detection lines, stroke rasters;
checked as text and in a real terminal under tmux (capture-pane)."""
from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, shared_path
from edgesim.apps import load_app
from edgesim.display import (Style, TerminalDisplay, _clip_visible, colour_wanted, score_bar, stroke_raster,
                             thresholds)
from edgesim.events import DetectionEvent, InferenceEvent, SummaryEvent
from edgesim.sources.files import read_stroke_csv


class FakeTty(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_score_bar_marks_every_threshold() -> None:
    assert score_bar(0.5, [0.75], width=8) == "\u2588\u2588\u2588\u2588\u00b7\u00b7|\u00b7"
    assert score_bar(1.0, [0.25, 0.75], width=8, unicode=False) == "##|###|#"
    assert thresholds(load_app("person_detection")) == {"on": 160 / 255, "off": 96 / 255}
    assert thresholds(load_app("wake_word").with_params(["detection_threshold=200"])) == {"threshold": 200 / 255}


def test_colour_follows_no_color_and_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_wanted(FakeTty()) and not colour_wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_wanted(FakeTty())
    assert Style(False)("yes", "green") == "yes" and Style(True)("yes", "green") == "\033[32myes\033[0m"


def test_a_stroke_is_drawn_as_a_text_raster(testdata_dir: Path) -> None:
    rows = stroke_raster(read_stroke_csv(testdata_dir / "magic_wand/stroke_digit1.csv"))
    assert len(rows) == 10 and all(len(row) <= 24 for row in rows)
    marked = [row.count("#") for row in rows]
    assert all(marked) and sum(marked) < 60  # a "1": every row crossed by a thin, mostly vertical line
    flat = stroke_raster(np.array([[0, 0], [100, 0]], np.int8))
    assert [row for row in flat if row] == ["#" * 24] and 3 <= [bool(row) for row in flat].index(True) <= 5  # centred
    assert {row.index("#") for row in rows if row} <= set(range(10, 14))  # the "1" stands in the middle


def test_status_line_never_wraps_and_keeps_its_escapes() -> None:
    text = "\033[1mabcdef\033[0m" + "x" * 50
    clipped = _clip_visible(text, 10)
    assert clipped.replace("\033[1m", "").replace("\033[0m", "") == "abcdefxxxx"


def test_warnings_and_detections_land_above_the_status_line(testdata_dir: Path) -> None:
    out, status = FakeTty(), FakeTty()
    app = load_app("wake_word")
    display = TerminalDisplay(app, object(), out=out, status=status, target_name="emulator", colour=False)
    assert "wake_word" in out.getvalue() and "target  emulator" in out.getvalue()
    display.event(InferenceEvent.from_raw(990, [-128, -128, 127, -128], app.labels, 1 / 256, -128))
    assert "yes" in status.getvalue() and "|" in status.getvalue()
    display.warn("the microphone overflowed")
    warnings.warn("a library complains", RuntimeWarning)
    display.event(DetectionEvent(1270, "yes", 0.99))
    display.event(SummaryEvent({"app": "wake_word", "target": "host", "warnings": ["late"]}))
    display.close()
    # Every warning starts on a cleared line; the status line is erased before anything else is printed.
    assert "\r\033[Kedgesim: warning: the microphone overflowed\n" in status.getvalue()
    assert "edgesim: warning: RuntimeWarning: a library complains (test_display.py:" in status.getvalue()
    assert warnings.showwarning is not display._python_warning  # restored by close()
    assert ">>  Y E S  <<" in out.getvalue() and "warning: late" in out.getvalue()


def tmux_run(args: list[str], tmp_path: Path, wait_for: str, columns: int = 140) -> str:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing (tools/bootstrap.sh dev installs it)")
        pytest.skip("tmux is not installed")
    session = f"edgesim-test-{os.getpid()}-{time.monotonic_ns()}"  # a fresh tmux server per run
    env = f"EDGESIM_MODELS={shlex.quote(str(shared_path('models')))} PYTHONPATH={shlex.quote(str(REPO_ROOT))}"
    command = f"cd {shlex.quote(str(REPO_ROOT))} && {env} {sys.executable} -m edgesim {shlex.join(args)}; sleep 60"
    subprocess.run(["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", str(columns), "-y", "50",
                    command], check=True)
    try:
        deadline = time.monotonic() + 60
        screen = ""
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "-L", session, "capture-pane", "-p", "-t", session],
                                    capture_output=True, text=True).stdout
            if wait_for in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{wait_for!r} never appeared:\n{screen}")
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)


def test_the_terminal_shows_banner_bars_and_detections_under_tmux(testdata_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("yes_1000ms.wav", "no_1000ms.wav"):
        (folder / name).symlink_to(testdata_dir / "micro_speech" / name)
    screen = tmux_run(["run", "wake_word", "--source", str(folder)], tmp_path, "deadline misses")
    assert "edgesim" in screen and "app     wake_word" in screen and "recognize_commands (threshold 0.63)" in screen
    lines = screen.splitlines()
    no_line = next(line for line in lines if ">>  N O  <<" in line)
    yes_line = next(line for line in lines if ">>  Y E S  <<" in line)
    assert "no_1000ms.wav" in no_line and "yes_1000ms.wav" in yes_line
    assert lines.index(no_line) < lines.index(yes_line)  # name order
    assert "2 detections (no x1, yes x1)" in screen


def test_bars_show_while_running_and_strokes_are_drawn_under_tmux(testdata_dir: Path, tmp_path: Path) -> None:
    clip = str(testdata_dir / "micro_speech/yes_1000ms.wav")
    screen = tmux_run(["run", "wake_word", "--source", clip, "--realtime", "--tail-ms", "3000"], tmp_path, "|")
    status = next(line for line in screen.splitlines() if "dBFS" in line)
    assert "yes " in status and "|" in status  # a score bar with its threshold mark
    screen = tmux_run(["run", "gesture", "--source", str(testdata_dir / "magic_wand/stroke_digit1.csv")],
                      tmp_path, "deadline misses")
    assert "  #" in screen and ">>  1  <<" in screen


def test_strokes_found_in_imu_data_are_drawn_too() -> None:
    from edgesim.sources.base import ImuChunk
    from imu_reference import synthetic_circle_stream

    samples = synthetic_circle_stream()
    out, status = FakeTty(), FakeTty()
    display = TerminalDisplay(load_app("gesture"), object(), out=out, status=status, colour=False)
    before = out.getvalue()
    for offset in range(0, len(samples), 30):
        display.chunk(ImuChunk(offset * 1000 / 119, samples[offset:offset + 30].astype(np.float32)))
    drawn = out.getvalue()[len(before):]
    assert drawn.count("#") > 20 and len(drawn.splitlines()) == 10  # one stroke, one 10-row raster
