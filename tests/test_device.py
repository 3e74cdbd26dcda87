"""The device target's serial path against the QEMU-emulated board behind a pseudo-terminal.

No Nano 33 BLE exists here, so the "board" is the mps2-an386 firmware in QEMU,
its UART socket bridged to a pty (PtyBoard).  The device target opens the pty
with pyserial exactly as it would open /dev/ttyACM0, through a symlink that a
"replug" re-points, so unplugging (closing the pty) and replugging (a fresh
QEMU on a new pty) exercise the real reconnect code.
"""
from __future__ import annotations

import os
import pty
import select
import shutil
import threading
import time
import tty
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim.errors import TargetError

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and gcc-arm-none-eabi (tools/bootstrap.sh dev)")


class PtyBoard:
    """A firmware image in QEMU whose UART is a pty at `link` (a stable path, like /dev/ttyACM0)."""

    def __init__(self, elf: Path, link: Path) -> None:
        self.elf = elf
        self.link = link
        self.machine = None
        self.master = self.slave = -1
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def plug(self) -> "PtyBoard":
        from edgesim.mcu.qemu import QemuMachine

        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)  # no line discipline: bytes pass unchanged, as on a USB CDC port
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))
        self.machine = QemuMachine(self.elf)
        self.stop.clear()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        return self

    def _pump(self) -> None:
        while not self.stop.is_set():
            try:
                data = self.machine.read(4096, 0.01)
                if data:
                    os.write(self.master, data)
                ready, _, _ = select.select([self.master], [], [], 0.01)
                if ready:
                    self.machine.write(os.read(self.master, 4096))
            except (OSError, TargetError):
                return

    def unplug(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1
        if self.link.is_symlink():
            self.link.unlink()
        if self.machine is not None:
            self.machine.close()
            self.machine = None


@pytest.fixture(scope="module", autouse=True)
def shared_models():
    """Models from ../shared/models (no network here)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EDGESIM_MODELS", str(shared_path("models")))
        yield


@pytest.fixture(scope="module")
def wake_word_elf() -> Path:
    from edgesim.mcu.firmware_builder import build_app

    return build_app("wake_word", board="mps2-an386").elf


@pytest.fixture
def yes_chunks(testdata_dir: Path) -> list:
    from edgesim.sources.base import AudioChunk
    from edgesim.sources.wav import read_wav

    audio = read_wav(testdata_dir / "micro_speech" / "yes_1000ms.wav").samples
    audio = np.concatenate([np.zeros(4000, np.int16), audio, np.zeros(4000, np.int16)])
    return [AudioChunk(start, audio[start:start + 1600]) for start in range(0, len(audio), 1600)]


def run_stream(target, chunks) -> list:
    events = []
    for chunk in chunks:
        events += target.process(chunk)
    return events + target.finish()


def test_serial_path_gives_the_emulators_events(wake_word_elf: Path, yes_chunks: list, tmp_path: Path) -> None:
    from edgesim.apps import load_app
    from edgesim.targets.device import DeviceTarget
    from edgesim.targets.emulator import EmulatorTarget

    app = load_app("wake_word")
    with EmulatorTarget() as emulator:
        emulator.open(app)
        expected = run_stream(emulator, yes_chunks)
    board = PtyBoard(wake_word_elf, tmp_path / "ttyACM0").plug()
    try:
        with DeviceTarget(port=str(board.link), board="mps2-an386", timeout=20) as device:
            device.open(app)
            got = run_stream(device, yes_chunks)
            assert device.stats()["port"] == str(board.link)
    finally:
        board.unplug()
    assert [e.to_json() for e in got] == [e.to_json() for e in expected]
    assert any(getattr(e, "label", None) == "yes" for e in got)


def test_unplug_then_replug_resumes_with_a_warning(wake_word_elf: Path, yes_chunks: list, tmp_path: Path) -> None:
    from edgesim.apps import load_app
    from edgesim.targets.device import DeviceTarget

    board = PtyBoard(wake_word_elf, tmp_path / "ttyACM0").plug()
    try:
        with DeviceTarget(port=str(board.link), board="mps2-an386", timeout=20, reconnect=20) as device:
            device.open(load_app("wake_word"))
            device.process(yes_chunks[0])
            board.unplug()
            replug = threading.Timer(1.0, board.plug)
            replug.start()
            for chunk in yes_chunks[1:4]:
                device.process(chunk)  # the first of these meets the unplugged port
            replug.join()
            events = run_stream(device, yes_chunks[4:])
            warnings = device.stats()["warnings"]
    finally:
        board.unplug()
    gone = [warning for warning in warnings if "went away" in warning]  # the link may also report the cut frames
    assert len(gone) == 1 and "came back after" in gone[0]
    assert events, "the target kept producing events after the replug"


def test_unplugged_for_good_is_a_clear_error(wake_word_elf: Path, yes_chunks: list, tmp_path: Path) -> None:
    from edgesim.apps import load_app
    from edgesim.targets.device import DeviceTarget

    board = PtyBoard(wake_word_elf, tmp_path / "ttyACM0").plug()
    try:
        with DeviceTarget(port=str(board.link), board="mps2-an386", timeout=20, reconnect=1.5) as device:
            device.open(load_app("wake_word"))
            board.unplug()
            start = time.monotonic()
            with pytest.raises(TargetError, match="unplugged or reset and did not come back within 2 s"):
                for chunk in yes_chunks:
                    device.process(chunk)
            assert time.monotonic() - start < 10
    finally:
        board.unplug()


def test_silent_port_times_out_cleanly(tmp_path: Path) -> None:
    """A port with no edgesim firmware behind it: a clear timeout, not a hang."""
    from edgesim.apps import load_app
    from edgesim.targets.device import DeviceTarget

    master, slave = pty.openpty()
    tty.setraw(slave)
    try:
        start = time.monotonic()
        with DeviceTarget(port=os.ttyname(slave), timeout=1.5) as device:
            with pytest.raises(TargetError, match="no answer to CONFIG.*HELLO from the board.*is edgesim firmware flashed"):
                device.open(load_app("wake_word"))
        assert time.monotonic() - start < 10
    finally:
        os.close(master)
        os.close(slave)


def test_missing_port_is_named(tmp_path: Path) -> None:
    from edgesim.apps import load_app
    from edgesim.targets.device import DeviceTarget

    with DeviceTarget(port=str(tmp_path / "ttyACM9"), timeout=1) as device:
        with pytest.raises(TargetError, match="cannot open .*ttyACM9"):
            device.open(load_app("wake_word"))
