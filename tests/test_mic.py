"""The microphone path through real PortAudio, fed by an ALSA file-plugin capture device.

There is no sound card on CI machines.  Each test writes raw samples to a
file and an asoundrc defining an ALSA ``type file`` PCM that plays that file
as its capture input (with a null slave), then runs the microphone code in a
subprocess whose HOME and XDG_CONFIG_HOME point at the temporary folder, so
the user's own ALSA configuration is neither used nor touched.  PortAudio
lists the PCM as an input device; what the source yields must be exactly
the samples in the file.

The file plugin alone delivers as fast as it is read.  The paced tests give
it a PulseAudio null sink's monitor as its slave (a private pulseaudio
daemon in the temporary HOME): the server's clock then releases the file's
samples at 16 kHz, as a real microphone would.
"""
from __future__ import annotations

import builtins
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from edgesim.errors import SourceError
from edgesim.sources.resample import Resampler, to_int16

REPO_ROOT = Path(__file__).resolve().parent.parent
DEVICE = "edgesim_test_capture"

# Runs inside the isolated environment: open the source, read `want` samples, save them.
CHILD = r"""
import json, sys, time
import numpy as np
from edgesim.errors import SourceError
from edgesim.sources import open_source
from edgesim.sources.mic import open_mic

spec, rate, want, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
result = {}
try:
    source = open_mic(spec.partition(":")[2], device_rate_hz=rate) if rate else open_source(spec, "audio")
    with source:
        result.update(description=source.description, notes=source.notes, live=source.is_live)
        chunks, got, first_at = [], 0, 0.0
        for chunk in source:
            first_at = first_at or time.monotonic()
            chunks.append(chunk)
            got += len(chunk.samples)
            if got >= want:
                break
        result["after_first_chunk_s"] = time.monotonic() - first_at
        result["first_chunk"] = len(chunks[0].samples)
        samples = np.concatenate([c.samples for c in chunks])
        result["starts_contiguous"] = all(b.start_sample == a.start_sample + len(a.samples)
                                          for a, b in zip(chunks, chunks[1:]))
        result["first_start"] = chunks[0].start_sample
        result["dtype"] = str(samples.dtype)
        np.save(out, samples[:want])
except SourceError as error:
    result["error"] = str(error)
print(json.dumps(result))
"""


def _portaudio_or_skip() -> None:
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError) as error:
        pytest.skip(f"sounddevice/PortAudio not available ({error}); install libportaudio2 and sounddevice")


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALSA_", "PULSE_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    server = home / "pulse_server"  # written by the paced_home fixture
    if server.exists():
        env["PULSE_SERVER"] = server.read_text()
    return env


def file_capture_device(home: Path, samples: np.ndarray, slave: str = "null") -> None:
    """An asoundrc in `home` whose PCM DEVICE captures `samples` (int16, native order),
    at the pace of the ALSA PCM `slave` (null: as fast as it is read)."""
    raw = home / "capture.raw"
    samples.astype(np.int16).tofile(raw)
    device = (f'pcm.{DEVICE} {{\n    type file\n    slave.pcm "{slave}"\n    file "/dev/null"\n'
              f'    infile "{raw}"\n    format "raw"\n}}\n')
    with (home / ".asoundrc").open("a") as asoundrc:
        asoundrc.write(device)


def run_child(home: Path, spec: str, want: int, device_rate: int = 0) -> tuple[dict[str, Any], np.ndarray | None]:
    out = home / "captured.npy"
    completed = subprocess.run([sys.executable, "-c", CHILD, spec, str(device_rate), str(want), str(out)],
                               env=isolated_env(home), cwd=home, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result, (np.load(out) if out.exists() else None)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _portaudio_or_skip()
    return tmp_path


@pytest.fixture
def paced_home(home: Path) -> Iterator[Path]:
    """`home` with a private pulseaudio daemon: ALSA PCM "paced" is its null sink's monitor, which
    the server's clock runs at 16 kHz mono int16 (the pulse ALSA plugin connects PortAudio to it)."""
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio not installed (apt-get install pulseaudio libasound2-plugins): it paces the "
                    "capture device at real time")
    runtime = Path(tempfile.mkdtemp(prefix="es-pa-"))  # short: a unix socket path has at most 107 bytes
    socket = runtime / "native"
    (home / "default.pa").write_text(
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        "load-module module-null-sink sink_name=edgesim_null rate=16000 channels=1 format=s16le\n")
    (home / "pulse_server").write_text(f"unix:{socket}")
    (home / ".asoundrc").write_text('pcm.paced {\n    type pulse\n    device "edgesim_null.monitor"\n}\n')
    env = {**isolated_env(home), "XDG_RUNTIME_DIR": str(runtime)}
    daemon = subprocess.Popen(["pulseaudio", "-n", "-F", str(home / "default.pa"), "--daemonize=no",
                               "--exit-idle-time=-1", "--disable-shm=yes", "--log-target=stderr"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pulseaudio did not start: {daemon.communicate(timeout=5)[1][-2000:]}")
            time.sleep(0.1)
        yield home
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        shutil.rmtree(runtime, ignore_errors=True)


def test_samples_flow_from_the_alsa_file_through_portaudio(home: Path) -> None:
    pattern = np.random.default_rng(11).integers(-20000, 20000, 48000).astype(np.int16)
    file_capture_device(home, pattern)
    result, captured = run_child(home, f"mic:{DEVICE}", 8000)
    assert "error" not in result, result
    assert result["live"] and result["dtype"] == "int16" and result["starts_contiguous"]
    assert result["first_start"] == 0 and result["notes"] == []
    assert DEVICE in result["description"] and "16000 Hz" in result["description"]
    assert captured is not None and len(captured) == 8000
    assert np.array_equal(captured, pattern[:8000])


def test_device_at_another_rate_is_resampled(home: Path) -> None:
    t = np.arange(48000 * 2) / 48000
    tone_48k = to_int16(12000 * np.sin(2 * np.pi * 1000 * t))
    file_capture_device(home, tone_48k)
    result, captured = run_child(home, f"mic:{DEVICE}", 16000, device_rate=48000)
    assert "error" not in result, result
    assert any("runs at 48000 Hz; resampled to 16000 Hz" in note for note in result["notes"])
    assert captured is not None and len(captured) == 16000
    spectrum = np.abs(np.fft.rfft(captured.astype(np.float64)))
    assert np.argmax(spectrum) * 16000 / len(captured) == pytest.approx(1000, abs=1)
    expected = to_int16(Resampler(48000, 16000).process(tone_48k))[:16000]
    assert np.array_equal(captured, expected)


def test_device_by_index_and_default(home: Path) -> None:
    pattern = np.arange(-8000, 8000, dtype=np.int16)
    file_capture_device(home, pattern)
    for spec in ("mic:0", "mic"):
        result, captured = run_child(home, spec, 1000)
        assert "error" not in result, (spec, result)
        assert captured is not None and np.array_equal(captured, pattern[:1000])


@pytest.mark.parametrize("spec,problem", [
    ("mic:no-such-microphone", "no input device whose name contains 'no-such-microphone'"),
    ("mic:7", "no input device with index 7"),
])
def test_unknown_device_lists_the_available_ones(home: Path, spec: str, problem: str) -> None:
    file_capture_device(home, np.zeros(1000, dtype=np.int16))
    result, _ = run_child(home, spec, 100)
    assert problem in result["error"] and f"0: {DEVICE}" in result["error"]


def test_no_capture_device_is_a_clear_error(home: Path) -> None:
    result, captured = run_child(home, "mic", 100)  # empty HOME: PortAudio finds no input device
    assert captured is None
    assert result["error"].startswith("no microphone found")


@pytest.mark.parametrize("failure,problem", [
    (ImportError("No module named 'sounddevice'"), "needs the sounddevice package"),
    (OSError("PortAudio library not found"), "sudo apt-get install libportaudio2"),
])
def test_missing_portaudio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, failure: Exception,
                                            problem: str) -> None:
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise failure
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", failing_import)
    from edgesim.sources import open_source

    with pytest.raises(SourceError, match=problem):
        open_source("mic", "audio")


def test_paced_capture_delivers_the_file_at_real_time(paced_home: Path) -> None:
    pattern = np.random.default_rng(12).integers(-20000, 20000, 16000 * 4).astype(np.int16)
    file_capture_device(paced_home, pattern, slave="paced")
    result, captured = run_child(paced_home, f"mic:{DEVICE}", 32000)
    assert "error" not in result, result
    assert captured is not None and np.array_equal(captured, pattern[:32000])
    # A lower bound only (a loaded machine is slower, never faster): the samples after the first
    # chunk cannot arrive before the sound card's clock has produced them.
    after_first = (32000 - result["first_chunk"]) / 16000
    assert result["after_first_chunk_s"] >= 0.9 * after_first, result


def test_live_run_on_the_paced_microphone_hears_the_word(paced_home: Path, testdata_dir: Path) -> None:
    from edgesim.sources.wav import read_wav

    yes = read_wav(testdata_dir / "micro_speech" / "yes_1000ms.wav").samples
    silence = np.zeros(8000, dtype=np.int16)
    file_capture_device(paced_home, np.concatenate([silence, yes, silence, silence, silence, silence]), slave="paced")
    completed = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source", f"mic:{DEVICE}",
                                "--seconds", "3", "--json"], env=isolated_env(paced_home), cwd=paced_home,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    events = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [e["label"] for e in events if e["type"] == "detection"] == ["yes"], completed.stdout[-2000:]
    summary = events[-1]
    assert summary["type"] == "summary" and summary["stream_ms"] >= 3000
    assert "microphone" in summary["source"]
