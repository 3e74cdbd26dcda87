"""`make demo` (python -m edgesim.demo) on a machine without microphone or network."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT


def run_demo(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "EDGESIM_MODEL_BASE_URL": "http://127.0.0.1:9", **env_extra}
    return subprocess.run([sys.executable, "-m", "edgesim.demo", "--files"], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)


def test_demo_replays_the_reference_clips_offline(models_dir: Path, testdata_dir: Path, tmp_path: Path) -> None:
    result = run_demo({"EDGESIM_MODELS": str(models_dir)}, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "replaying the reference clips" in out
    assert "micro_speech/yes_1000ms.wav" in out and "-> yes (1.00)" in out
    detected = [line.split("detected ")[1].split()[0] for line in out.splitlines() if "detected '" in line]
    assert detected == ["'yes'", "'no'", "'yes'", "'no'", "'yes'", "'no'"]
    assert "Next:" in out


def test_demo_without_models_says_how_to_provide_them(models_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no_models"
    empty.mkdir()
    result = run_demo({"EDGESIM_MODELS": str(empty)}, tmp_path)
    assert result.returncode == 1
    assert "EDGESIM_MODELS" in result.stderr and "micro_speech_quantized" in result.stderr
    assert "Traceback" not in result.stderr
