"""App definitions and the registry in apps/: discovery, validation, adding a fourth app by copying one file."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from edgesim.apps import APPS_DIR, all_apps, app_names, load_app
from edgesim.app import App, AppError, Sensor, Stage
from edgesim.cli import main


def test_the_three_reference_apps_are_registered() -> None:
    assert {"wake_word", "person_detection", "gesture"} <= set(app_names())
    wake = load_app("wake_word")
    assert wake.labels == ("silence", "unknown", "yes", "no")
    assert wake.model == "micro_speech_quantized" and wake.sensor.rate_hz == 16000
    assert load_app("person_detection").labels == ("notperson", "person")
    assert load_app("gesture").labels == tuple(str(d) for d in range(10))
    assert load_app("gesture").sensor.accepts == ("stroke",)


def test_each_app_file_is_one_screen() -> None:
    for name in ("wake_word", "person_detection", "gesture"):
        assert len((APPS_DIR / f"{name}.py").read_text().splitlines()) <= 45


def test_a_fourth_app_is_one_copied_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (APPS_DIR / "gesture.py").read_text().replace('name="gesture"', 'name="my_gesture"')
    path = tmp_path / "my_gesture.py"
    path.write_text(source)
    app = load_app(str(path))
    assert app.name == "my_gesture" and app.model == "magic_wand"
    # In the apps folder it is discovered by name.
    copy = APPS_DIR / "zz_test_copy.py"
    try:
        copy.write_text(source.replace('name="my_gesture"', 'name="zz_test_copy"'))
        assert "zz_test_copy" in app_names()
        assert main(["apps"]) == 0
        assert "zz_test_copy" in capsys.readouterr().out
    finally:
        copy.unlink()


def test_apps_command_lists_definitions_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    wake = next(r for r in rows if r["name"] == "wake_word")
    assert wake["postprocess"]["kernel"] == "recognize_commands"
    assert wake["postprocess"]["params"]["average_window_ms"] == 1000
    assert wake["postprocess"]["params"]["minimum_count"] == 3
    assert wake["postprocess"]["params"]["suppression_ms"] == 1500


BASE = load_app("gesture")


@pytest.mark.parametrize("change, message", [
    (dict(name="bad name"), "must be a Python identifier"),
    (dict(sensor=Sensor("radar", 10, (1,), "int8")), "sensor kind 'radar'"),
    (dict(sensor=Sensor("imu", 0, (6,), "float32")), "rate must be positive"),
    (dict(preprocess=Stage("fft")), "preprocess kernel 'fft'"),
    (dict(postprocess=Stage("vote")), "postprocess kernel 'vote'"),
    (dict(labels=("a", "a")), "distinct"),
    (dict(postprocess=Stage("hysteresis", {"label": "cat"})), "names 'cat'"),
])
def test_inconsistent_definitions_are_rejected(change: dict, message: str) -> None:
    with pytest.raises(AppError, match=message):
        replace(BASE, **change)


def test_loading_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(AppError, match="unknown app 'nope'.*wake_word"):
        load_app("nope")
    with pytest.raises(AppError, match="does not exist"):
        load_app(str(tmp_path / "missing.py"))
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(AppError, match="must define APP = App"):
        load_app(str(empty))
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(AppError, match="failed to load: RuntimeError: oops"):
        load_app(str(broken))


def test_with_model_and_to_dict() -> None:
    app = load_app("wake_word").with_model("/tmp/x.tflite")
    assert isinstance(app, App) and app.model == "/tmp/x.tflite"
    assert all(isinstance(a, App) for a in all_apps())
    assert json.loads(json.dumps(app.to_dict()))["model"] == "/tmp/x.tflite"
