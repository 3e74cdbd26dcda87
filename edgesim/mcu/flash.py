"""Flashing firmware onto an Arduino Nano 33 BLE (Sense).

    from edgesim.mcu.flash import flash_image
    result = flash_image(Path("wake_word.bin"), Path("wake_word.elf"))   # finds the board itself
    print(result.tool, result.port)

Two ways onto the board:

* **bossac over USB** (no extra hardware): the board is found by USB VID:PID
  (Arduino 0x2341; 0x805A while a sketch or edgesim firmware runs, 0x005A in
  the bootloader).  Opening its port at 1200 baud and closing it ("1200-baud
  touch") makes the running firmware (edgesim's USB stack as Arduino's
  sketches) jump to the bootloader, which enumerates as a new port;
  Arduino's bossac then writes the image, which the bootloader places at
  0x10000, behind its own 64 KiB.  Only Arduino's fork of bossac (1.9.1-arduino2 or later, in the
  Arduino15 tools folder) speaks to the nRF52840 bootloader; Debian's
  ``bossa-cli`` does not, and is refused with that explanation.
* **pyocd over SWD** when a debug probe (CMSIS-DAP, J-Link, ST-Link) is attached:
  ``pyocd load --target nrf52840 image.elf`` (the ELF carries its addresses).

Everything that touches hardware is a parameter (port lister, serial opener,
process runner, clock), so tests drive the whole sequence with fakes.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from edgesim.errors import TargetError

ARDUINO_VID = 0x2341
NANO33BLE_APP_PIDS = frozenset({0x805A})          # firmware running, CDC serial port
NANO33BLE_BOOTLOADER_PIDS = frozenset({0x005A})   # double-tap / 1200-baud bootloader
APP_OFFSET = 0x10000                               # first byte after the Arduino bootloader
FLASH_BYTES = 1024 * 1024
RAM_BYTES = 256 * 1024
MIN_BOSSAC = (1, 9, 1, 2)                          # 1.9.1-arduino2: first with nRF52840 support
BOOTLOADER_WAIT_S = 10.0
BOSSAC_TIMEOUT_S = 180.0

Runner = Callable[..., subprocess.CompletedProcess]


@dataclass(frozen=True)
class BoardPort:
    """One USB serial port of an Arduino Nano 33 BLE."""

    device: str
    vid: int
    pid: int
    serial_number: str | None = None
    description: str = ""

    @property
    def in_bootloader(self) -> bool:
        return self.pid in NANO33BLE_BOOTLOADER_PIDS


@dataclass
class FlashResult:
    """What was flashed, with which tool, through which port (None for SWD)."""

    tool: str
    command: list[str]
    port: str | None
    output: str = ""
    steps: list[str] = field(default_factory=list)


def serial_ports() -> list:
    """Every serial port pyserial sees (serial.tools.list_ports.comports())."""
    try:
        from serial.tools import list_ports
    except ImportError:
        raise TargetError("serial ports need pyserial: pip install 'edgesim[live]'") from None
    return list(list_ports.comports())


def find_boards(comports: Callable[[], Iterable] = serial_ports) -> list[BoardPort]:
    """Nano 33 BLE ports (application or bootloader) among the serial ports."""
    boards = []
    for info in comports():
        vid, pid = getattr(info, "vid", None), getattr(info, "pid", None)
        if vid == ARDUINO_VID and pid in NANO33BLE_APP_PIDS | NANO33BLE_BOOTLOADER_PIDS:
            boards.append(BoardPort(info.device, vid, pid, getattr(info, "serial_number", None),
                                    getattr(info, "description", "") or ""))
    return boards


def touch_1200(device: str, open_serial: Callable[..., object] | None = None) -> None:
    """Open and close ``device`` at 1200 baud: the firmware's cue to enter its bootloader."""
    if open_serial is None:
        import serial

        open_serial = serial.Serial
    try:
        port = open_serial(device, baudrate=1200)
        try:
            port.dtr = False  # type: ignore[attr-defined]
        finally:
            port.close()  # type: ignore[attr-defined]
    except OSError as error:  # serial.SerialException is an OSError
        raise TargetError(f"cannot open {device} for the 1200-baud touch: {error} "
                          "(is another program, e.g. a serial monitor, using the port?)") from None


def wait_for_bootloader(previous: Sequence[BoardPort], comports: Callable[[], Iterable] = serial_ports,
                        timeout: float = BOOTLOADER_WAIT_S, poll: float = 0.2,
                        sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic) -> BoardPort:
    """The bootloader port that appears after a 1200-baud touch; TargetError after ``timeout``."""
    before = {b.device for b in previous if b.in_bootloader}
    deadline = clock() + timeout
    while True:
        loaders = [b for b in find_boards(comports) if b.in_bootloader]
        fresh = [b for b in loaders if b.device not in before] or loaders
        if fresh:
            return fresh[0]
        if clock() >= deadline:
            raise TargetError(f"the board did not enter its bootloader within {timeout:.0f} s after the "
                              "1200-baud touch; double-tap its reset button (the orange LED pulses) and "
                              "run the command again")
        sleep(poll)


def arduino15_dirs(env: dict[str, str] | None = None) -> list[Path]:
    """Where the Arduino IDE / arduino-cli keep their packages on this OS."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("HOME", str(Path.home())))
    dirs = []
    if env.get("ARDUINO_DATA_DIR"):
        dirs.append(Path(env["ARDUINO_DATA_DIR"]))
    dirs += [home / ".arduino15", home / "Library" / "Arduino15"]
    if env.get("LOCALAPPDATA"):
        dirs.append(Path(env["LOCALAPPDATA"]) / "Arduino15")
    return dirs


def _version_key(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)(?:-arduino(\d+))?", text)
    if not match:
        return ()
    return tuple(int(g) if g is not None else -1 for g in match.groups())


def bossac_candidates(env: dict[str, str] | None = None) -> list[Path]:
    """Arduino15 bossac executables, newest version first, then bossac on PATH."""
    exe = "bossac.exe" if sys.platform == "win32" else "bossac"
    found: list[Path] = []
    for root in arduino15_dirs(env):
        tools = root / "packages" / "arduino" / "tools" / "bossac"
        if tools.is_dir():
            versions = sorted((d for d in tools.iterdir() if (d / exe).is_file()),
                              key=lambda d: _version_key(d.name), reverse=True)
            found += [d / exe for d in versions]
    path = env.get("PATH") if env is not None else None
    on_path = shutil.which("bossac", path=path)
    if on_path:
        found.append(Path(on_path))
    return found


def bossac_version(bossac: Path, run: Runner = subprocess.run) -> str:
    """The version bossac prints in its --help banner, e.g. '1.9.1-arduino2' ('' if none)."""
    try:
        result = run([str(bossac), "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TargetError(f"cannot run {bossac}: {error}") from None
    match = re.search(r"Version\s+([0-9][\w.\-]*)", (result.stdout or "") + (result.stderr or ""))
    return match.group(1) if match else ""


def find_bossac(env: dict[str, str] | None = None, run: Runner = subprocess.run) -> Path:
    """A bossac that supports the nRF52840 bootloader, or TargetError saying what was found."""
    rejected = []
    for candidate in bossac_candidates(env):
        version = bossac_version(candidate, run)
        key = _version_key(version)
        if len(key) == 4 and key[3] >= 0 and key >= MIN_BOSSAC:
            return candidate
        rejected.append(f"{candidate} (version {version or 'unknown'})")
    if rejected:
        raise TargetError(
            "no bossac with nRF52840 support: found " + ", ".join(rejected) + ". Debian's bossa-cli "
            "cannot talk to the Nano 33 BLE bootloader; install Arduino's fork (1.9.1-arduino2 or later, "
            "e.g. `arduino-cli core install arduino:mbed_nano`, which puts it under "
            "~/.arduino15/packages/arduino/tools/bossac/), or attach an SWD probe and use --tool pyocd")
    raise TargetError("bossac not found: install the Arduino mbed core (`arduino-cli core install "
                      "arduino:mbed_nano`, which brings Arduino's bossac), put bossac on PATH, or attach "
                      "an SWD probe and use --tool pyocd")


def bossac_command(bossac: Path, port: str, image: Path) -> list[str]:
    """ArduinoCore-mbed's upload recipe for the Nano 33 BLE.

    No --offset: bossac's nRF52840 flash starts at 0 and the Arduino
    bootloader puts byte 0 of the upload at APP_OFFSET (0x10000), where the
    image is linked; an explicit offset would land it 64 KiB too high.
    """
    return [str(bossac), "-d", f"--port={port}", "-U", "-i", "-e", "-w", str(image), "-R"]


def find_swd_probes() -> list[str]:
    """Unique ids of attached SWD probes (empty when pyocd is not installed or none is there)."""
    try:
        from pyocd.probe.aggregator import DebugProbeAggregator  # type: ignore[import-not-found]
    except ImportError:
        return []
    return [probe.unique_id for probe in DebugProbeAggregator.get_all_connected_probes()]


def pyocd_command(elf: Path, probe: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "pyocd", "load", "--target", "nrf52840"]
    if probe:
        command += ["--uid", probe]
    return command + [str(elf)]


def check_fits(image: Path) -> None:
    """Refuse an image that would not fit the flash behind the bootloader."""
    size = image.stat().st_size
    room = FLASH_BYTES - APP_OFFSET
    if size > room:
        raise TargetError(f"{image.name} is {size} bytes; the Nano 33 BLE has {room} bytes of flash "
                          f"after its bootloader")


def _run_tool(command: list[str], run: Runner, what: str) -> str:
    try:
        result = run(command, capture_output=True, text=True, timeout=BOSSAC_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise TargetError(f"{what} did not finish within {BOSSAC_TIMEOUT_S:.0f} s; unplug and replug the "
                          "board, then try again") from None
    except OSError as error:
        raise TargetError(f"cannot run {command[0]}: {error}") from None
    output = (result.stdout or "") + (result.stderr or "")
    if result.returncode != 0:
        tail = " | ".join(line.strip() for line in output.strip().splitlines()[-5:])
        raise TargetError(f"{what} failed (exit code {result.returncode}): {tail}")
    return output


def flash_image(image: Path, elf: Path | None = None, port: str | None = None, tool: str = "auto", *,
                comports: Callable[[], Iterable] = serial_ports,
                open_serial: Callable[..., object] | None = None,
                run: Runner = subprocess.run, env: dict[str, str] | None = None,
                probes: Callable[[], list[str]] = find_swd_probes,
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> FlashResult:
    """Write ``image`` (raw .bin linked at 0x10000) to a Nano 33 BLE.

    tool: "bossac" (USB bootloader), "pyocd" (SWD probe, needs ``elf``) or
    "auto" (bossac when a board is on USB, else pyocd when a probe is attached).
    port: the board's serial port; found by VID:PID when omitted.
    """
    if tool not in ("auto", "bossac", "pyocd"):
        raise TargetError(f"unknown flashing tool {tool!r}; choose auto, bossac or pyocd")
    check_fits(image)
    boards = find_boards(comports) if tool != "pyocd" else []
    if tool == "pyocd" or (tool == "auto" and not boards and port is None):
        found = probes()
        if not found:
            if tool == "pyocd":
                raise TargetError("no SWD probe found (pyocd lists none; is pyocd installed and the probe "
                                  "plugged in?)")
            raise TargetError(f"no Arduino Nano 33 BLE found on USB (VID 0x{ARDUINO_VID:04x}, PID "
                              f"0x{min(NANO33BLE_APP_PIDS):04x} or 0x{min(NANO33BLE_BOOTLOADER_PIDS):04x}) "
                              "and no SWD probe attached; plug the board in (firmware built with --console uart "
                              "shows no USB port: double-tap reset to start its bootloader), or pass --port")
        if elf is None:
            raise TargetError("flashing over SWD needs the ELF image")
        command = pyocd_command(elf, found[0])
        return FlashResult("pyocd", command, None, _run_tool(command, run, "pyocd"),
                           [f"SWD probe {found[0]}"])

    bossac = find_bossac(env, run)
    steps: list[str] = []
    if port is not None:
        chosen = next((b for b in boards if b.device == port), None)
        if chosen is None:
            chosen = BoardPort(port, ARDUINO_VID, min(NANO33BLE_APP_PIDS))  # trust the user's port
    elif boards:
        chosen = boards[0]
    else:
        raise TargetError(f"no Arduino Nano 33 BLE found on USB (VID 0x{ARDUINO_VID:04x}); plug it in "
                          "(a data cable, not a charge-only one). A board running firmware built with --console uart "
                          "(or a crashed one) has no USB serial port: double-tap its reset "
                          "button to start the bootloader (the orange LED pulses) and run again")
    if not chosen.in_bootloader:
        steps.append(f"1200-baud touch on {chosen.device}")
        touch_1200(chosen.device, open_serial)
        chosen = wait_for_bootloader(boards, comports, sleep=sleep, clock=clock)
    steps.append(f"bootloader on {chosen.device}")
    command = bossac_command(bossac, chosen.device, image)
    output = _run_tool(command, run, "bossac")
    return FlashResult("bossac", command, chosen.device, output, steps)
