"""Small CLI defects (issue 11 item 7): Ctrl-C exits 130, a closed pipe is quiet, build/flash check the model
like run, run finds ../shared/models like the demo, the README's Python snippet runs as written."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_path
from edgesim.cli import main


def edgesim_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra}
    return env


@pytest.mark.parametrize("command", ["apps", "apps --json", "info {models}/person_detect.tflite --json",
                                     "run wake_word --source synthetic:noise,duration=3 --json"])
def test_a_reader_that_goes_away_ends_the_command_quietly(command: str) -> None:
    models = shared_path("models")
    # `| true` closes the pipe before edgesim writes: every write meets EPIPE.
    script = f"set -o pipefail; {sys.executable} -m edgesim {command.format(models=models)} | true"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                            env=edgesim_env(EDGESIM_MODELS=str(models)))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def _sigint_as_in_a_terminal() -> None:
    # An ignored or blocked SIGINT survives exec, and whatever ran earlier in this test process
    # (libraries start threads and may block signals) must not decide what the child gets:
    # a terminal's Ctrl-C reaches a process with the default disposition, unblocked.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_prints_the_summary_and_exits_130() -> None:
    models = shared_path("models")
    process = subprocess.Popen([sys.executable, "-m", "edgesim", "run", "wake_word", "--source",
                                "synthetic:noise,duration=600", "--realtime", "--json"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=edgesim_env(EDGESIM_MODELS=str(models)), preexec_fn=_sigint_as_in_a_terminal)
    assert process.stdout is not None
    first = process.stdout.readline()  # the first inference: the run is under way
    assert '"inference"' in first
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert '"interrupted": true' in out.splitlines()[-1] and "Traceback" not in err


def test_build_validates_the_model_like_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(shared_path("models", "micro_speech_quantized.tflite").read_bytes()[:4000])
    assert main(["build", "wake_word", "--model", str(truncated)]) == 1
    build_error = capsys.readouterr().err
    assert main(["run", "wake_word", "--model", str(truncated), "--source", "synthetic:silence"]) == 1
    assert build_error == capsys.readouterr().err and "truncated.tflite" in build_error
    float_model = shared_path("models", "audio_preprocessor_float.tflite")
    assert main(["build", "wake_word", "--model", str(float_model)]) == 1
    assert "edgesim:" in capsys.readouterr().err


def test_run_finds_the_shared_models_like_the_demo(tmp_path: Path) -> None:
    shared_path("models")
    env = edgesim_env(HOME=str(tmp_path))  # an empty download cache
    env.pop("EDGESIM_MODELS", None)
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source",
                             str(shared_path("testdata", "micro_speech", "yes_1000ms.wav")), "--json"],
                            capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert "models: using" in result.stderr and '"label": "yes"' in result.stdout


def test_the_readme_python_snippet_runs_as_written(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    monkeypatch.chdir(REPO_ROOT)
    [snippet] = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)
    exec(compile(snippet, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "[[-128 -128  127 -128]]"


def test_param_overrides_are_typed_and_checked() -> None:
    from dataclasses import replace

    from edgesim.app import AppError, Stage
    from edgesim.apps import load_app

    app = load_app("wake_word")
    tuned = app.with_params(["detection_threshold=180", "postprocess.suppression_ms=900", "report=yes"])
    assert tuned.postprocess.params["detection_threshold"] == 180
    assert tuned.postprocess.params["suppression_ms"] == 900 and tuned.postprocess.params["report"] == ["yes"]
    assert app.postprocess.params["detection_threshold"] == 160  # the original is untouched
    both = replace(app, preprocess=Stage("audio_frontend", {**app.preprocess.params, "minimum_count": 1,
                                                            "fast": False, "gain": 1.5}))
    with pytest.raises(AppError, match="both stages have it; say preprocess.minimum_count or postprocess"):
        both.with_params(["minimum_count=2"])
    assert both.with_params(["preprocess.minimum_count=2"]).preprocess.params["minimum_count"] == 2
    assert both.with_params(["fast=yes", "gain=0.5"]).preprocess.params["fast"] is True
    for bad, problem in [("fast=maybe", "expected true or false"), ("gain=inf", "finite"),
                         ("detection_threshold=1.5", "expected an integer"), ("=3", "expected NAME=VALUE"),
                         ("window_frames", "expected NAME=VALUE"), ("nosuch.gain=1", "has no parameter")]:
        with pytest.raises(AppError, match=problem):
            both.with_params([bad])
