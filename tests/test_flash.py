"""Flashing orchestration (edgesim/mcu/flash.py) against a stand-in bossac that records its arguments.

No board exists here: the USB port list, the 1200-baud touch and the clock are
faked; bossac is a real executable on PATH (a shell script), run as a real
subprocess, so the command line it receives is exactly what a board would get.
"""
from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from edgesim.mcu import flash
from edgesim.errors import TargetError


@dataclass
class FakePortInfo:
    """What serial.tools.list_ports.comports() yields (the attributes flash.py reads)."""

    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None = "ABC123"
    description: str = "Nano 33 BLE"


APP = FakePortInfo("/dev/ttyACM0", 0x2341, 0x805A)
LOADER = FakePortInfo("/dev/ttyACM1", 0x2341, 0x005A)
OTHER = FakePortInfo("/dev/ttyUSB0", 0x0403, 0x6001, description="FTDI")


class FakeUsb:
    """A USB bus whose board re-enumerates as the bootloader after a 1200-baud touch."""

    def __init__(self, ports: list[FakePortInfo], enters_bootloader: bool = True) -> None:
        self.ports = list(ports)
        self.enters_bootloader = enters_bootloader
        self.touched: list[tuple[str, int]] = []

    def comports(self) -> list[FakePortInfo]:
        return list(self.ports)

    def open_serial(self, device: str, baudrate: int) -> "FakeUsb":
        self.touched.append((device, baudrate))
        self._device = device
        return self

    dtr = True

    def close(self) -> None:
        if self.enters_bootloader:
            self.ports = [p for p in self.ports if p.device != self._device] + [LOADER]


def write_bossac(folder: Path, version: str) -> Path:
    """A bossac stand-in: prints a version banner for --help, records other calls' arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "bossac"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--help" ]; then\n'
        f'  echo "Basic Open Source SAM-BA Application (BOSSA) Version {version}"; exit 1\n'
        "fi\n"
        'for a in "$@"; do printf "%s\\n" "$a"; done > "$BOSSAC_RECORD"\n'
        'echo "Write 4096 bytes to flash"; echo "Done in 0.5 seconds"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "wake_word.bin"
    path.write_bytes(bytes(4096))
    return path


@pytest.fixture(autouse=True)
def record_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in bossac (a subprocess) writes its arguments where BOSSAC_RECORD says."""
    monkeypatch.setenv("BOSSAC_RECORD", str(tmp_path / "bossac-args.txt"))


def tool_env(tmp_path: Path, *bin_dirs: Path) -> dict[str, str]:
    """HOME without Arduino15 and PATH with only the given folders, for finding bossac."""
    return {"HOME": str(tmp_path / "home"), "PATH": os.pathsep.join(map(str, bin_dirs))}


def recorded_args(tmp_path: Path) -> list[str]:
    return (tmp_path / "bossac-args.txt").read_text().splitlines()


def test_touch_wait_and_bossac_arguments(tmp_path: Path, image: Path) -> None:
    write_bossac(tmp_path / "bin", "1.9.1-arduino2")
    env = tool_env(tmp_path, tmp_path / "bin")
    usb = FakeUsb([OTHER, APP])
    result = flash.flash_image(image, comports=usb.comports, open_serial=usb.open_serial, env=env,
                               probes=lambda: [], sleep=lambda s: None)
    assert usb.touched == [("/dev/ttyACM0", 1200)]
    assert result.tool == "bossac" and result.port == "/dev/ttyACM1"
    # ArduinoCore-mbed's recipe: the bootloader maps bossac's offset 0 to 0x10000
    assert recorded_args(tmp_path) == ["-d", "--port=/dev/ttyACM1", "-U", "-i", "-e", "-w", str(image), "-R"]
    assert "Done" in result.output
    assert result.steps == ["1200-baud touch on /dev/ttyACM0", "bootloader on /dev/ttyACM1"]


def test_board_already_in_bootloader_is_not_touched(tmp_path: Path, image: Path) -> None:
    write_bossac(tmp_path / "bin", "1.9.1-arduino5")
    usb = FakeUsb([LOADER])
    result = flash.flash_image(image, comports=usb.comports, open_serial=usb.open_serial,
                               env=tool_env(tmp_path, tmp_path / "bin"), probes=lambda: [])
    assert usb.touched == [] and result.port == LOADER.device
    assert "--port=/dev/ttyACM1" in recorded_args(tmp_path)


def test_arduino15_bossac_is_preferred_newest_first(tmp_path: Path, image: Path) -> None:
    tools = tmp_path / "home" / ".arduino15" / "packages" / "arduino" / "tools" / "bossac"
    write_bossac(tools / "1.9.1-arduino2", "1.9.1-arduino2")
    newest = write_bossac(tools / "1.9.1-arduino5", "1.9.1-arduino5")
    write_bossac(tmp_path / "bin", "1.9.1")  # Debian's, on PATH
    env = tool_env(tmp_path, tmp_path / "bin")
    assert flash.bossac_candidates(env)[0] == newest
    assert flash.find_bossac(env) == newest


def test_debian_bossac_is_refused_with_the_reason(tmp_path: Path, image: Path) -> None:
    write_bossac(tmp_path / "bin", "1.9.1")
    usb = FakeUsb([APP])
    with pytest.raises(TargetError, match=r"version 1\.9\.1\).*Debian's bossa-cli cannot talk to the Nano 33 BLE"):
        flash.flash_image(image, comports=usb.comports, open_serial=usb.open_serial,
                          env=tool_env(tmp_path, tmp_path / "bin"), probes=lambda: [])
    assert usb.touched == []  # refused before the board was disturbed


def test_missing_bossac_names_the_remedy(tmp_path: Path, image: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(TargetError, match="bossac not found.*arduino:mbed_nano"):
        flash.find_bossac(tool_env(tmp_path, tmp_path / "empty"))


def test_bootloader_that_never_appears_times_out_cleanly(tmp_path: Path, image: Path) -> None:
    write_bossac(tmp_path / "bin", "1.9.1-arduino2")
    usb = FakeUsb([APP], enters_bootloader=False)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(TargetError, match="did not enter its bootloader within 10 s.*double-tap"):
        flash.flash_image(image, comports=usb.comports, open_serial=usb.open_serial,
                          env=tool_env(tmp_path, tmp_path / "bin"), probes=lambda: [],
                          sleep=sleep, clock=lambda: now[0])
    assert now[0] >= 10.0
    assert not (tmp_path / "bossac-args.txt").exists()


def test_failing_bossac_reports_its_output(tmp_path: Path, image: Path) -> None:
    script = write_bossac(tmp_path / "bin", "1.9.1-arduino2")
    script.write_text(script.read_text().replace('echo "Done in 0.5 seconds"',
                                                  'echo "No device found on ttyACM1" >&2; exit 1'))
    usb = FakeUsb([LOADER])
    with pytest.raises(TargetError, match="bossac failed \\(exit code 1\\): .*No device found on ttyACM1"):
        flash.flash_image(image, comports=usb.comports, open_serial=usb.open_serial,
                          env=tool_env(tmp_path, tmp_path / "bin"), probes=lambda: [])


def test_no_board_and_no_probe(tmp_path: Path, image: Path) -> None:
    with pytest.raises(TargetError, match="no Arduino Nano 33 BLE found on USB \\(VID 0x2341.*no SWD probe"):
        flash.flash_image(image, comports=lambda: [OTHER], probes=lambda: [], env=tool_env(tmp_path))


def test_swd_probe_uses_pyocd_with_the_elf(tmp_path: Path, image: Path) -> None:
    elf = tmp_path / "wake_word.elf"
    elf.write_bytes(b"\x7fELF")
    calls: list[list[str]] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, "100%", "")

    result = flash.flash_image(image, elf, comports=lambda: [], probes=lambda: ["0240000012345"], run=run)
    assert result.tool == "pyocd"
    assert calls == [[*calls[0][:3], "load", "--target", "nrf52840", "--uid", "0240000012345", str(elf)]]
    assert calls[0][1:3] == ["-m", "pyocd"]


def test_oversized_image_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(flash.FLASH_BYTES - flash.APP_OFFSET + 1))
    with pytest.raises(TargetError, match="flash after its bootloader"):
        flash.flash_image(big, comports=lambda: [APP])


def test_port_in_use_during_touch(tmp_path: Path, image: Path) -> None:
    write_bossac(tmp_path / "bin", "1.9.1-arduino2")

    def busy(device: str, baudrate: int) -> None:
        raise OSError(16, "Device or resource busy")

    with pytest.raises(TargetError, match="cannot open /dev/ttyACM0 for the 1200-baud touch.*serial monitor"):
        flash.flash_image(image, comports=lambda: [APP], open_serial=busy,
                          env=tool_env(tmp_path, tmp_path / "bin"), probes=lambda: [])


def test_device_port_is_the_boards_usb_port_else_the_one_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The firmware's console is the native USB port; --console uart firmware is reached through an adapter."""
    from edgesim.targets import device

    monkeypatch.setattr(flash, "serial_ports", lambda: [APP, OTHER])
    assert device.find_device_port() == APP.device
    monkeypatch.setattr(flash, "serial_ports", lambda: [OTHER])
    assert device.find_device_port() == OTHER.device
    monkeypatch.setattr(flash, "serial_ports", lambda: [LOADER])
    with pytest.raises(TargetError, match="in its bootloader"):
        device.find_device_port()
    monkeypatch.setattr(flash, "serial_ports", lambda: [])
    with pytest.raises(TargetError, match="2341:805A.*--console uart.*adapter and pass --port .*found: none"):
        device.find_device_port()
