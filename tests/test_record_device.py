"""`edgesim record --source device`: the board's own microphone and camera through the device target.

The board is the mps2-an386 firmware built with --sensors in QEMU behind a pty
(test_device.PtyBoard), opened with pyserial like /dev/ttyACM0.  Its
"microphone" and "camera" are the test signals of
firmware/boards/mps2-an386/sensors/test_signal.c, derived here independently
from their documented definitions, so every recorded sample and pixel is checked.
"""
from __future__ import annotations

import os
import struct
import pty
import shutil
import threading
import tty
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim import protocol as p
from edgesim.apps import load_app
from edgesim.cli import main
from edgesim.errors import SourceError, TargetError
from edgesim.evaluation.datasets import find_labelled_files
from edgesim.sources.wav import read_wav
from test_device import PtyBoard

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and gcc-arm-none-eabi (tools/bootstrap.sh dev)")


def signal_samples(start: int, stop: int) -> np.ndarray:
    """s[n] = (((n * 2654435761) mod 2^32) >> 16 & 0x3FFF) - 8192, n from 0 at each CONFIG."""
    n = np.arange(start, stop, dtype=np.uint64)
    return ((((n * 2654435761) % 2**32) >> 16 & 0x3FFF).astype(np.int32) - 8192).astype(np.int16)


def camera_frame(index: int) -> np.ndarray:
    """Pixel (x, y) of camera frame f (f from 0 at each CONFIG) is (x + 2y + 7f) mod 256, 96x96 gray8."""
    y, x = np.mgrid[0:96, 0:96]
    return ((x + 2 * y + 7 * index) % 256).astype(np.uint8)


@pytest.fixture(scope="module", autouse=True)
def shared_models():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EDGESIM_MODELS", str(shared_path("models")))
        yield


def sensor_board(app: str, tmp_path: Path) -> PtyBoard:
    from edgesim.mcu.firmware_builder import build_app

    return PtyBoard(build_app(app, board="mps2-an386", sensors=True).elf, tmp_path / "ttyACM0").plug()


@pytest.fixture
def microphone_board(tmp_path: Path):
    board = sensor_board("wake_word", tmp_path)
    yield board
    board.unplug()


@needs_qemu
def test_two_takes_hold_exactly_the_boards_samples(microphone_board: PtyBoard, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "clips"
    record = ["record", "wake_word", "--label", "yes", "--out", str(out), "--source",
              f"device:{microphone_board.link}", "--seconds", "0.5", "--countdown", "0.25"]
    assert main([*record, "--count", "2"]) == 0
    err = capsys.readouterr().err
    assert f"from the board's microphone on {microphone_board.link}" in err and "2 take(s) saved" in err
    files = find_labelled_files(out, load_app("wake_word"))
    assert [f.label for f in files] == ["yes", "yes"] and all(f.path.parent == out / "yes" for f in files)
    # The countdown runs on the board's clock: 0.25 s (4000 samples) of its stream before each take, discarded.
    takes = [read_wav(f.path) for f in files]
    assert all((take.source_rate_hz, take.source_channels, take.source_bits) == (16000, 1, 16) for take in takes)
    assert np.array_equal(takes[0].samples, signal_samples(4000, 12000))
    assert np.array_equal(takes[1].samples, signal_samples(16000, 24000))
    # Recording ended the forwarding (END); a new session starts the board's stream again (CONFIG).
    assert main([*record, "--count", "1", "--layout", "csv", "--out", str(tmp_path / "again")]) == 0
    (again,) = find_labelled_files(tmp_path / "again", load_app("wake_word"))
    assert np.array_equal(read_wav(again.path).samples, signal_samples(4000, 12000))


@needs_qemu
def test_two_camera_takes_hold_exactly_the_boards_frames(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    board = sensor_board("person_detection", tmp_path)
    try:
        # Garbage on the line first, a false frame start among it: the firmware skips it between sensor polls.
        noise = np.random.default_rng(4).integers(0, 256, 300, dtype=np.uint8).tobytes()
        with open(board.link, "wb", buffering=0) as port:
            port.write(noise[:100] + b"\xe5\x01\x03\x00\x00\x00\x40\x00" + noise[100:])
        out = tmp_path / "photos"
        assert main(["record", "person_detection", "--label", "person", "--out", str(out), "--source",
                     f"device:{board.link}", "--count", "2", "--countdown", "0", "--layout", "csv"]) == 0
    finally:
        board.unplug()
    files = find_labelled_files(out, load_app("person_detection"))
    assert [f.label for f in files] == ["person", "person"] and all(f.path.suffix == ".png" for f in files)
    for index, saved in enumerate(files):  # nothing is dropped on the way: frames 0 and 1 of the session
        assert np.array_equal(cv2.imread(str(saved.path), cv2.IMREAD_UNCHANGED), camera_frame(index))


@needs_qemu
def test_host_fed_firmware_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edgesim.mcu.firmware_builder import build_app

    board = PtyBoard(build_app("wake_word", board="mps2-an386").elf, tmp_path / "ttyACM0").plug()
    try:
        assert main(["record", "wake_word", "--label", "yes", "--out", str(tmp_path / "clips"),
                     "--source", f"device:{board.link}", "--countdown", "0"]) == 1
    finally:
        board.unplug()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reads frames from the host, not its own sensors" in err[0] and "--sensors" in err[0]
    assert not (tmp_path / "clips").exists() or not any((tmp_path / "clips").rglob("*.wav"))


def test_serial_garbage_is_a_clear_error(tmp_path: Path) -> None:
    """A port spewing bytes that are no edgesim frames: the handshake times out and says what is needed."""
    from edgesim.sources.device import open_device

    master, slave = pty.openpty()
    tty.setraw(slave)
    stop = threading.Event()

    def spew() -> None:
        rng = np.random.default_rng(3)
        while not stop.is_set():
            try:
                os.write(master, rng.integers(0, 256, 64, dtype=np.uint8).tobytes() + b"\xe5\x01")
            except OSError:
                return
            stop.wait(0.01)

    thread = threading.Thread(target=spew, daemon=True)
    thread.start()
    try:
        with pytest.raises(TargetError,
                           match=r"no answer to CONFIG.*built with --sensors.*edgesim flash wake_word --sensors"):
            open_device(os.ttyname(slave), load_app("wake_word"), timeout=1.5)
    finally:
        stop.set()
        thread.join(timeout=5)
        os.close(master)
        os.close(slave)


def test_missing_port_and_imu_apps(tmp_path: Path) -> None:
    from edgesim.sources.device import open_device

    with pytest.raises(TargetError, match="cannot open .*ttyACM9"):
        open_device(str(tmp_path / "ttyACM9"), load_app("wake_word"), timeout=1)
    with pytest.raises(SourceError, match="records the board's microphone or camera; app 'gesture' reads imu"):
        open_device(str(tmp_path / "ttyACM9"), load_app("gesture"))


class ScriptedBoard:
    """Stands in for DeviceTarget: a board whose RAW frames are given (stream faults the pty cannot make)."""

    frames: list = []

    def __init__(self, **options) -> None:
        self.port = "/dev/ttyFAKE"

    def open_input(self, app) -> None:
        pass

    def raw_input(self):
        yield from self.frames

    def finish(self) -> list:
        return []

    def close(self) -> None:
        pass


@pytest.mark.parametrize("frames,app,message", [
    ([(p.AUDIO, 0, b"\x01\x00" * 4), (p.AUDIO, 5, b"\x01\x00")], "wake_word", "jumped from sample 4 to 5"),
    ([(p.AUDIO, 0, b"\x01\x00\x02")], "wake_word", "not whole int16 samples"),
    ([(p.IMU, 0, bytes(24))], "wake_word", "forwards IMU input, not audio"),
    ([(p.IMAGE, 0, struct.pack("<HHB3xI", 4, 2, 0, 4) + bytes(4))], "person_detection", "chunk at byte 4 out of order"),
    ([(p.IMAGE, 0, struct.pack("<HHB3xI", 4, 2, 0, 0) + bytes(12))], "person_detection", "larger than 4x2 gray8"),
    ([(p.IMAGE, 0, struct.pack("<HHB3xI", 4, 2, 3, 0) + bytes(16))], "person_detection", "pixel format 3"),
], ids=["sample-gap", "odd-bytes", "wrong-sensor", "chunk-order", "oversized-frame", "pixel-format"])
def test_damaged_sensor_streams_are_named(frames: list, app: str, message: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.sources.device import open_device

    monkeypatch.setattr("edgesim.targets.device.DeviceTarget", ScriptedBoard)
    monkeypatch.setattr(ScriptedBoard, "frames", [p.Raw(*frame) for frame in frames])
    with open_device("", load_app(app)) as board:
        with pytest.raises(SourceError, match=message):
            list(board)


def test_camera_chunks_make_one_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.sources.device import open_device

    pixels = bytes(range(24))  # 4x2 rgb888 in two chunks
    monkeypatch.setattr("edgesim.targets.device.DeviceTarget", ScriptedBoard)
    monkeypatch.setattr(ScriptedBoard, "frames", [
        p.Raw(p.IMAGE, 0, struct.pack("<HHB3xI", 4, 2, 1, 0) + pixels[:10]),
        p.Raw(p.IMAGE, 0, struct.pack("<HHB3xI", 4, 2, 1, 10) + pixels[10:])])
    with open_device("", load_app("person_detection")) as board:
        (frame,) = list(board)
    assert frame.pixel_format == "rgb888" and frame.index == 0
    assert frame.pixels.tobytes() == pixels and frame.pixels.shape == (2, 4, 3)
