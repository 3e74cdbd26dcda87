"""Renode (Antmicro's emulator) running edgesim firmware on its Arduino Nano 33 BLE model.

    from edgesim.mcu.renode import find_renode, RenodeScript, RenodeMachine
    script = RenodeScript(app="wake_word", elf=image.elf, audio_raw=Path("yes.s16le"))
    text = script.render()                       # the .resc Renode runs
    with RenodeMachine(script) as machine:       # starts renode, connects to uart0's socket
        link = Link(machine)                     # a protocol Transport, like QEMU's and a serial port

Renode needs dotnet >= 6 and is found as ``$RENODE`` or ``renode`` on PATH;
without it every entry point raises one TargetError that says so.

The board is Renode's ``platforms/boards/arduino_nano_33_ble.repl`` (nRF52840
plus the Sense's sensors); inputs go in the way its models take them:

    sysbus.pdm SetInputFile @audio.s16le           PDM microphone: raw s16le mono samples
    sysbus.twi0.lsm9ds1_imu FeedAccelerationSample x y z   LSM9DS1 accelerometer [g], one per sample
    sysbus.twi0.lsm9ds1_imu FeedAngularRateSample x y z    gyroscope [deg/s]
    sysbus.spi2.camera ImageSource @frame.jpg      ArduCAM Mini 2MP Plus: the JPEG it captures
    uart0 -> server socket terminal                 the edgesim frame protocol

``machine EnableProfiler @file`` adds the metrics dump that
edgesim.mcu.renode_metrics parses and plots.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from edgesim import resources
from edgesim.errors import TargetError

PLATFORM = "platforms/boards/arduino_nano_33_ble.repl"
UART = "sysbus.uart0"
IMU = "sysbus.twi0.lsm9ds1_imu"
PDM = "sysbus.pdm"
CAMERA = "sysbus.spi2.camera"
# The model reports at most this many FIFO samples per FIFO_SRC read, so the
# driver reads the LSM9DS1 FIFO in chunks as on the board (the model's default, 0, means 1).
IMU_FIFO_DEPTH = 32
# Renode's LSM9DS1 model scales angular rate by 15 LSB/dps at +-2000 dps; the
# firmware (like Arduino_LSM9DS1) converts with 32768/2000 = 16.384 LSB/dps, so
# fed rates are pre-scaled to arrive as the intended deg/s.
GYRO_FEED_SCALE = 16.384 / 15.0
NOT_FOUND = ("Renode not found: set $RENODE to the renode executable or put `renode` on PATH "
             "(Renode needs dotnet >= 6; see https://renode.io for packages). "
             "The emulator (--target emulator) runs the same firmware without it")
APP_INPUT = {"wake_word": "audio", "person_detection": "camera", "gesture": "imu"}


def find_renode(env: dict[str, str] | None = None) -> Path:
    """The renode executable from $RENODE or PATH; TargetError with how to get it."""
    env = dict(os.environ if env is None else env)
    configured = env.get("RENODE")
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise TargetError(f"$RENODE is {configured!r}, which is not an executable file. {NOT_FOUND}")
    found = shutil.which("renode", path=env.get("PATH"))
    if found is None:
        raise TargetError(NOT_FOUND)
    return Path(found)


def find_renode_test(env: dict[str, str] | None = None) -> Path:
    """renode-test beside renode, or on PATH."""
    renode = find_renode(env)
    beside = renode.with_name("renode-test")
    if beside.is_file():
        return beside
    found = shutil.which("renode-test", path=(env or os.environ).get("PATH"))
    if found is None:
        raise TargetError(f"renode-test not found beside {renode} or on PATH; it ships with Renode's "
                          "packages (renode-test runs the robot files in renode/)")
    return Path(found)


def write_audio_raw(samples: np.ndarray, path: Path) -> Path:
    """int16 mono samples as the raw s16le file the PDM model reads."""
    path.write_bytes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return path


def _number(value: float) -> str:
    return f"{float(value):.6f}".rstrip("0").rstrip(".") if value else "0"


@dataclass
class RenodeScript:
    """One Renode session for an app: the machine, its input and where its UART goes.

    Exactly the inputs the app's sensor needs are used: audio_raw for
    wake_word, image for person_detection, imu (n, 6) for gesture; with none
    of them the firmware is expected to be host-fed over the UART protocol.
    """

    app: str
    elf: Path
    uart_port: int = 3456
    audio_raw: Path | None = None
    image: Path | None = None
    imu: np.ndarray | None = None
    profile: Path | None = None
    extra: Sequence[str] = field(default_factory=tuple)

    def input_commands(self) -> list[str]:
        lines = []
        if self.audio_raw is not None:
            lines.append(f"{PDM} SetInputFile @{self.audio_raw}")
        if self.image is not None:
            lines.append(f"{CAMERA} ImageSource @{self.image}")
        if self.imu is not None:
            samples = np.asarray(self.imu, dtype=np.float64).reshape(-1, 6)
            lines.append(f"{IMU} MaxFifoDepth {IMU_FIFO_DEPTH}")
            for ax, ay, az, gx, gy, gz in samples:
                lines.append(f"{IMU} FeedAccelerationSample {_number(ax)} {_number(ay)} {_number(az)}")
                lines.append(f"{IMU} FeedAngularRateSample {_number(gx * GYRO_FEED_SCALE)} "
                             f"{_number(gy * GYRO_FEED_SCALE)} {_number(gz * GYRO_FEED_SCALE)}")
        return lines

    def render(self) -> str:
        """The .resc text: create the board, load the ELF, feed inputs, wire the UART, start."""
        lines = [
            f":name: edgesim {self.app} on Arduino Nano 33 BLE Sense (generated by edgesim.mcu.renode)",
            f":description: {self.app} firmware; results as edgesim protocol frames on uart0 "
            f"(server socket terminal on port {self.uart_port})",
            "",
            'mach create "nano33ble"',
            f"machine LoadPlatformDescription @{PLATFORM}",
            f"sysbus LoadELF @{self.elf}",
            *self.input_commands(),
            f'emulation CreateServerSocketTerminal {self.uart_port} "edgesim_uart" false',
            f"connector Connect {UART} edgesim_uart",
        ]
        if self.profile is not None:
            lines.append(f"machine EnableProfiler @{self.profile}")
        lines += list(self.extra)
        lines.append("start")
        return "\n".join(lines) + "\n"


ROBOT_TEMPLATE = """\
*** Comments ***
{app} on Renode's Arduino Nano 33 BLE Sense model, fed through its {sensor} model.
The frame socket is connected before the emulation starts, so the boot HELLO is seen.
Generated by edgesim.mcu.renode (`python -m edgesim.mcu.renode renode/`); run with
`edgesim test --target renode`, which builds the on-board-sensor firmware and
passes ELF, INPUT and EXPECT.  The firmware reports detections as edgesim
protocol frames on uart0; EdgesimFrames.py decodes them.

*** Settings ***
Suite Setup                   Setup
Suite Teardown                Teardown
Test Teardown                 Test Teardown
Resource                      ${{RENODEKEYWORDS}}
Library                       ${{CURDIR}}/EdgesimFrames.py

*** Variables ***
${{ELF}}                        ${{CURDIR}}/../build/renode/{app}.elf
${{INPUT}}                      ${{CURDIR}}/../build/renode/{app}.{suffix}
${{EXPECT}}                     {expect}
${{PORT}}                       {port}

*** Keywords ***
Create Board
    Execute Command           mach create "nano33ble"
    Execute Command           machine LoadPlatformDescription @{platform}
    Execute Command           sysbus LoadELF @${{ELF}}
{feed}
    Execute Command           emulation CreateServerSocketTerminal ${{PORT}} "edgesim_uart" false
    Execute Command           connector Connect {uart} edgesim_uart

*** Test Cases ***
Should Boot And Say Hello
    Create Board
    Connect Frames            ${{PORT}}
    Start Emulation
    Wait For Hello            {app}    timeout=60

Should Report The Expected Detection
    Create Board
    Execute Command           machine EnableProfiler @${{CURDIR}}/../build/renode/{app}.dump
    Connect Frames            ${{PORT}}
    Start Emulation
    Wait For Detection        {app}    ${{EXPECT}}    timeout=300
"""

ROBOT_FEED = {
    "audio": f"    Execute Command           {PDM} SetInputFile @${{INPUT}}",
    "camera": f"    Execute Command           {CAMERA} ImageSource @${{INPUT}}",
    "imu": f"    Execute Command           {IMU} MaxFifoDepth {IMU_FIFO_DEPTH}\n"
           f"    Execute Script            ${{INPUT}}",
}
ROBOT_SUFFIX = {"audio": "s16le", "camera": "jpg", "imu": "resc"}
# gesture: any digit (the IMU input is a synthetic circle drawn with the gyroscope, not a recording)
ROBOT_EXPECT = {"wake_word": "yes", "person_detection": "person", "gesture": "${EMPTY}"}


def render_robot(app: str, port: int = 3456) -> str:
    """The robot test of an app (static: inputs come in as robot variables)."""
    sensor = APP_INPUT[app]
    return ROBOT_TEMPLATE.format(app=app, sensor=sensor, suffix=ROBOT_SUFFIX[sensor], expect=ROBOT_EXPECT[app],
                                 port=port, platform=PLATFORM, feed=ROBOT_FEED[sensor], uart=UART)


def render_app_resc(app: str) -> str:
    """The checked-in renode/<app>.resc: the same as a generated script, with $variables for paths."""
    sensor = APP_INPUT[app]
    feed = {"audio": f"{PDM} SetInputFile $input",
            "camera": f"{CAMERA} ImageSource $input",
            "imu": f"{IMU} MaxFifoDepth {IMU_FIFO_DEPTH}\ninclude $input"}[sensor]
    return (f":name: edgesim {app} on Arduino Nano 33 BLE Sense\n"
            f":description: generated by edgesim.mcu.renode; `edgesim run {app} --target renode` writes a "
            f"concrete copy with your source.  Set $elf and $input before including this file.\n\n"
            f"$elf ?= @build/renode/{app}.elf\n"
            f"$input ?= @build/renode/{app}.{ROBOT_SUFFIX[sensor]}\n"
            f"$port ?= 3456\n\n"
            f'mach create "nano33ble"\n'
            f"machine LoadPlatformDescription @{PLATFORM}\n"
            f"sysbus LoadELF $elf\n"
            f"{feed}\n"
            f'emulation CreateServerSocketTerminal $port "edgesim_uart" false\n'
            f"connector Connect {UART} edgesim_uart\n")


def write_static_scripts(folder: Path) -> list[Path]:
    """(Re)write renode/<app>.resc and <app>.robot for every app."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for app in APP_INPUT:
        for suffix, text in ((".resc", render_app_resc(app)), (".robot", render_robot(app))):
            path = folder / f"{app}{suffix}"
            path.write_text(text)
            written.append(path)
    return written


class RenodeMachine:
    """A running Renode with the script loaded, as a protocol Transport (read/write on uart0).

    Renode is started headless; the UART socket is retried until Renode has
    created it (``connect_timeout``).  Renode is always killed on close.
    """

    def __init__(self, script: RenodeScript, workdir: Path, renode: Path | None = None,
                 connect_timeout: float = 60.0) -> None:
        self.script = script
        self.workdir = workdir
        self.renode = renode or find_renode()
        self.connect_timeout = connect_timeout
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None

    def __enter__(self) -> "RenodeMachine":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        resc = self.workdir / f"{self.script.app}.resc"
        resc.write_text(self.script.render())
        log = open(self.workdir / "renode.log", "wb")
        # --disable-gui (alias of --disable-xwt) also hides the Monitor, so Renode
        # runs the script headless and never waits on stdin; --plain: no colour codes.
        self.process = subprocess.Popen([str(self.renode), "--disable-gui", "--plain", str(resc)],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + self.connect_timeout
        while True:
            if self.process.poll() is not None:
                raise TargetError(f"renode exited with code {self.process.returncode} before its UART "
                                  f"socket opened; see {self.workdir / 'renode.log'}")
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.script.uart_port), timeout=1.0)
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise TargetError(f"renode did not open its UART socket on port {self.script.uart_port} "
                                      f"within {self.connect_timeout:.0f} s") from None
                time.sleep(0.2)

    def read(self, max_bytes: int, timeout: float) -> bytes:
        if self.sock is None:
            raise TargetError("the Renode machine is not running")
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(max_bytes)
        except socket.timeout:
            return b""
        except OSError as error:
            raise TargetError(f"lost Renode's UART socket: {error}") from None
        if not data:
            raise TargetError("Renode closed its UART socket (the emulation stopped)")
        return data

    def write(self, data: bytes) -> None:
        if self.sock is None:
            raise TargetError("the Renode machine is not running")
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise TargetError(f"lost Renode's UART socket: {error}") from None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def main(argv: list[str] | None = None) -> int:
    """`python -m edgesim.mcu.renode FOLDER`: rewrite the checked-in scripts from the generator."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else resources.renode_dir()
    for path in write_static_scripts(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
