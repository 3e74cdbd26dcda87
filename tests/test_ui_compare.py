"""--compare: two targets on the same chunks; identical while every event matches, else the first difference named."""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np

from conftest import REPO_ROOT, shared_path
from edgesim.apps import load_app
from edgesim.display import format_summary
from edgesim.events import DetectionEvent, Event, InferenceEvent
from edgesim.pipeline import Runner
from edgesim.sources.base import AudioChunk, Source
from edgesim.targets.base import Target
from edgesim.ui.compare import CompareTarget

APP = load_app("wake_word")


class Chunks(Source):
    kind = "audio"

    def __init__(self, n: int) -> None:
        super().__init__(f"{n} chunks")
        self.n = n

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(self.n):
            yield AudioChunk(i * 320, np.zeros(320, np.int16))


class Scripted(Target):
    """One inference per chunk; ``flip_at`` changes one raw score; ``lag`` returns events one chunk late."""

    def __init__(self, name: str, flip_at: int | None = None, lag: bool = False) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self.flip_at, self.lag = flip_at, lag
        self.count = 0
        self.held: list[Event] = []

    def open(self, app: Any) -> None:
        self.app = app

    def process(self, chunk: Any) -> list[Event]:
        raw = [-128, -128, 127, -128] if self.count != self.flip_at else [-128, -128, 126, -127]
        events: list[Event] = [InferenceEvent.from_raw(int(chunk.t_ms), raw, APP.labels, 1 / 256, -128)]
        if self.count == 5:
            events.append(DetectionEvent(int(chunk.t_ms), "yes", 0.9))
        self.count += 1
        if self.lag:
            events, self.held = self.held, events
        return events

    def finish(self) -> list[Event]:
        events, self.held = self.held, []
        return events

    def reset(self) -> None:
        self.count = 0


def test_identical_targets_stay_identical_even_when_one_answers_late() -> None:
    statuses: list[dict] = []
    target = CompareTarget(Scripted("host"), Scripted("emulator", lag=True), on_status=statuses.append)
    target.open(APP)
    summary = Runner(APP, target, Chunks(20)).run()
    compare = summary.stats["compare"]
    assert compare == {"targets": ["host", "emulator"], "checked": 21, "identical": True, "first_difference": None}
    assert statuses[-1]["identical"] and statuses[-1]["checked"] == 21
    assert summary.stats["target"] == "host" and not summary.stats["warnings"]


def test_the_first_difference_is_named() -> None:
    target = CompareTarget(Scripted("host"), Scripted("emulator", flip_at=7))
    target.open(APP)
    summary = Runner(APP, target, Chunks(20)).run()
    difference = summary.stats["compare"]["first_difference"]
    assert summary.stats["compare"]["identical"] is False and difference["index"] == 9  # 8 inferences + 1 detection
    assert difference["description"] == ("event 9: host gave inference at 140 ms, raw [-128, -128, 127, -128], "
                                         "emulator gave inference at 140 ms, raw [-128, -128, 126, -127]")
    assert any(w.startswith("host and emulator differ: event 9") for w in summary.stats["warnings"])
    assert "compared with emulator: DIFFERENT (event 9: host gave" in format_summary(summary, None)


def test_missing_events_are_a_difference() -> None:
    class Quiet(Scripted):
        def process(self, chunk: Any) -> list[Event]:
            return super().process(chunk)[:1]  # never reports the detection

    target = CompareTarget(Scripted("host"), Quiet("emulator"))
    target.open(APP)
    compare = Runner(APP, target, Chunks(20)).run().stats["compare"]
    assert not compare["identical"] and "detection 'yes' at 100 ms" in compare["first_difference"]["description"]


def test_compare_emulator_from_the_command_line() -> None:
    from firmware_support import require_firmware_tools

    require_firmware_tools()
    clip = str(shared_path("testdata", "micro_speech", "yes_1000ms.wav"))
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source", clip, "--json",
                             "--compare", "emulator"], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT,
                            env={"PYTHONPATH": str(REPO_ROOT), "EDGESIM_MODELS": str(shared_path("models")),
                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["compare"]["identical"] and summary["compare"]["checked"] == 27


def test_params_reach_the_emulator_too() -> None:
    from firmware_support import require_firmware_tools

    require_firmware_tools()
    clip = str(shared_path("testdata", "micro_speech", "yes_1000ms.wav"))
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source", clip, "--json",
                             "--compare", "emulator", "--param", "detection_threshold=255",
                             "--param", "infer_every_frames=3"], capture_output=True, text=True, timeout=300,
                            cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT), "EDGESIM_MODELS": str(shared_path("models")),
                                                "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    summary = events[-1]
    # threshold 255 is never reached and one inference per 3 frames: 17 inferences in 2 s (99 frames), on both targets.
    assert summary["detections"] == 0 and summary["inferences"] == 17
    assert summary["compare"]["identical"] and summary["compare"]["checked"] == 17
