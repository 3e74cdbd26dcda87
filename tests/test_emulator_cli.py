"""`edgesim run --target emulator` prints the host's events; `edgesim eval --target
emulator --compare host` checks a labelled dataset bit for bit (and fails on a difference)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_path
from firmware_support import require_firmware_tools


def edgesim(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "EDGESIM_MODELS": str(shared_path("models"))}
    return subprocess.run([sys.executable, "-m", "edgesim", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT, env=env)


def events(stdout: str) -> list[dict]:
    return [e for e in map(json.loads, stdout.splitlines()) if e["type"] in ("inference", "detection")]


@pytest.mark.parametrize("app,source", [
    ("wake_word", ("testdata", "micro_speech", "yes_1000ms.wav")),
    ("gesture", ("testdata", "magic_wand", "stroke_digit3.csv")),
])
def test_run_on_the_emulator_prints_the_host_s_events(app: str, source: tuple[str, ...]) -> None:
    require_firmware_tools()
    path = str(shared_path(*source))
    host = edgesim("run", app, "--source", path, "--json")
    emulated = edgesim("run", app, "--source", path, "--json", "--target", "emulator", "--board", "mps2-an386")
    assert host.returncode == 0 and emulated.returncode == 0, emulated.stderr
    assert events(emulated.stdout) == events(host.stdout) and events(host.stdout)
    summary = json.loads(emulated.stdout.splitlines()[-1])
    assert summary["target"] == "emulator" and summary["instructions_per_inference"]["invoke"] > 0
    assert summary["channel"] == "semihosting"  # files take the fast channel by default


def test_the_uart_channel_is_chosen_by_flag_or_by_link_faults() -> None:
    require_firmware_tools()
    path = str(shared_path("testdata", "magic_wand", "stroke_digit3.csv"))
    fast = edgesim("run", "gesture", "--source", path, "--json", "--target", "emulator")
    for extra in (["--channel", "uart"], ["--link-faults", "1e-3"]):
        wire = edgesim("run", "gesture", "--source", path, "--json", "--target", "emulator", *extra)
        assert wire.returncode == 0, wire.stderr
        assert json.loads(wire.stdout.splitlines()[-1])["channel"] == "uart"
        assert events(wire.stdout) == events(fast.stdout) and events(fast.stdout)


def test_eval_compare_host_on_a_labelled_folder(tmp_path: Path) -> None:
    require_firmware_tools()
    real = shared_path("testdata", "magic_wand", "real")
    rows = (real / "labels.csv").read_text().splitlines()[1::10]  # one stroke per digit
    for row in rows:
        shutil.copy(real / row.split(",")[0], tmp_path)
    (tmp_path / "labels.csv").write_text("file,label\n" + "\n".join(",".join(r.split(",")[:2]) for r in rows) + "\n")
    result = edgesim("eval", "gesture", str(tmp_path), "--target", "emulator", "--compare", "host", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["compare"] == {"target": "host", "identical": True, "differences": []}
    assert report["files"] == len(rows) == 10


def test_emulator_rejects_boards_qemu_cannot_run() -> None:
    result = edgesim("run", "gesture", "--source", str(shared_path("testdata", "magic_wand", "stroke_digit3.csv")),
                     "--target", "emulator", "--board", "nano33ble")
    assert result.returncode == 1 and "mps2-an386 only" in result.stderr


def test_sigterm_stops_the_emulator_with_the_command() -> None:
    """QEMU runs in its own session: a terminated `edgesim run` must still take it down."""
    import signal
    import time

    require_firmware_tools()
    env = {**os.environ, "EDGESIM_MODELS": str(shared_path("models"))}
    process = subprocess.Popen([sys.executable, "-m", "edgesim", "run", "wake_word", "--target", "emulator",
                                "--source", "synthetic:noise,duration=600", "--realtime", "--json"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and '"inference"' in process.stdout.readline()  # QEMU is up
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        qemu = [pid for pid in children if "qemu-system-arm" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(qemu) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143
    finally:
        process.kill()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{qemu[0]}").exists() and Path(f"/proc/{qemu[0]}/stat").read_text().split(")")[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "QEMU outlived the terminated command"
        time.sleep(0.1)
