"""The device target: an Arduino Nano 33 BLE (Sense) flashed with the app, over its USB serial port.

    edgesim flash wake_word                  # once
    edgesim run wake_word --target device    # then: same events as host and emulator

    from edgesim.targets.device import DeviceTarget
    with DeviceTarget(port="/dev/ttyACM0") as target:
        target.open(load_app("wake_word"))
        events = target.process(chunk) + target.finish()

It speaks the protocol session of every firmware target
(edgesim/targets/firmware.py), over pyserial (SerialTransport).  The firmware's link is the board's native
USB serial port (CDC-ACM, VID:PID 2341:805A), found by VID:PID when the port
is not given.  Firmware built with ``--console uart`` talks on Serial1 instead
(UARTE0 on pins D1/D0, 115200 baud) through a 3.3 V USB-serial adapter; with
no board port present, the one adapter plugged in is used.  Every read has a
timeout.  When the board disappears (unplugged,
reset), the target waits up to ``reconnect`` seconds for the port to come
back, handshakes again and continues with the next chunk; what was in flight
is lost and listed in ``stats()["warnings"]``.  If it does not come back,
TargetError says so.
"""
from __future__ import annotations

import os
import time
from typing import Any

from edgesim import protocol as p
from edgesim.errors import TargetError
from edgesim.events import Event
from edgesim.targets.firmware import FirmwareTarget
from edgesim.targets.transports import DeviceGone, SerialTransport

__all__ = ["DeviceGone", "DeviceTarget", "SerialTransport", "find_device_port"]

DEFAULT_RECONNECT_S = 30.0


def find_device_port() -> str:
    """The Nano 33 BLE's USB serial port, else the only USB-serial adapter (firmware built with --console uart)."""
    from edgesim.mcu import flash

    ports = flash.serial_ports()
    boards = flash.find_boards(lambda: ports)
    running = [b.device for b in boards if not b.in_bootloader]
    if len(running) == 1:
        return running[0]
    if len(running) > 1:
        raise TargetError(f"several Arduino Nano 33 BLE boards are plugged in ({', '.join(running)}); "
                          "pass --port")
    if any(b.in_bootloader for b in boards):
        raise TargetError("the Nano 33 BLE is in its bootloader (orange LED pulsing), not running the app: "
                          "flash it with `edgesim flash APP` or press reset once")
    arduino = {b.device for b in boards}
    adapters = [p.device for p in ports if getattr(p, "vid", None) and p.device not in arduino]
    if len(adapters) != 1:
        found = ", ".join(adapters) or "none"
        raise TargetError("no Arduino Nano 33 BLE running edgesim firmware on USB (VID:PID 2341:805A): plug it "
                          "in with a data cable and flash the app (`edgesim flash APP`); firmware built with "
                          "--console uart talks on Serial1 (TX D1 = P1.03, RX D0 = P1.10) instead: connect a "
                          f"3.3 V USB-serial adapter and pass --port (USB serial adapters found: {found})")
    return adapters[0]


class DeviceTarget(FirmwareTarget):
    """The app's firmware on a real board, fed over USB serial."""

    name = "device"
    description = "an Arduino Nano 33 BLE (Sense) flashed with the app (edgesim flash), over USB serial"
    options = {
        "port": "the board's USB serial port, or the adapter on Serial1 for --console uart firmware "
                "(default: found by VID:PID, else the only adapter)",
        "board": "board the firmware was built for (nano33ble)",
        "timeout": "seconds without an answer before the board counts as hung (default 30)",
        "reconnect": f"seconds to wait for an unplugged board to come back (default {DEFAULT_RECONNECT_S:.0f})",
        "features": "also return the firmware's model inputs (FEATURES frames) in .features",
        "model": "model path or store name the firmware was built with",
    }

    def __init__(self, **options: Any) -> None:
        options.setdefault("board", "nano33ble")
        super().__init__(**options)
        self.port = str(options.get("port") or "")
        self.reconnect_s = float(options.get("reconnect") or DEFAULT_RECONNECT_S)
        self.warnings: list[str] = []

    def _check_board(self) -> None:
        # A board runs what was flashed on it; mps2-an386 images run behind a UART bridge too.
        if self.board not in ("nano33ble", "mps2-an386"):
            raise TargetError(f"the device target talks to nano33ble boards, not {self.board!r}")

    def _connect(self) -> SerialTransport:
        if not self.port:
            self.port = find_device_port()
        return SerialTransport(self.port)

    def _describe_backend(self) -> str:
        return f"the board on {self.port}"

    def _hello_wait(self) -> str:
        flash = f"edgesim flash {self.app.name if self.app else 'APP'}{' --sensors' if self.forward_raw else ''}"
        what = "firmware reading its own sensors (built with --sensors)" if self.forward_raw else "firmware"
        return f"HELLO from the board on {self.port} (is edgesim {what} flashed? `{flash}`)"

    def _hang_error(self, error: p.ProtocolError) -> TargetError:
        return TargetError(f"the board on {self.port} stopped answering: {error}")

    def _on_link_error(self, error: TargetError) -> None:
        if isinstance(error, DeviceGone):
            return  # process() waits for the board to come back
        super()._on_link_error(error)

    def process(self, chunk: Any) -> list[Event]:
        try:
            return super().process(chunk)
        except DeviceGone as error:
            self._reconnect(error, getattr(chunk, "t_ms", None))
            return []

    def finish(self) -> list[Event]:
        try:
            return super().finish()
        except DeviceGone as error:
            raise TargetError(f"{error}; the board went away before the stream ended "
                              "(results of the last chunks are lost)") from None

    def _reconnect(self, error: DeviceGone, t_ms: float | None) -> None:
        """Wait for the port to come back, handshake again; TargetError when it does not."""
        self.close()
        lost_at = time.monotonic()
        deadline = lost_at + self.reconnect_s
        while time.monotonic() < deadline:
            if os.path.exists(self.port):
                try:
                    self._boot()
                except DeviceGone:
                    time.sleep(0.2)
                    continue
                self._start_stream()  # the board restarted its stream at CONFIG: timestamps from zero
                self.warnings.append(
                    f"the board on {self.port} went away ({error}) at stream time "
                    f"{t_ms if t_ms is not None else '?'} ms and came back after "
                    f"{time.monotonic() - lost_at:.1f} s; results in between are lost")
                return
            time.sleep(0.2)
        raise TargetError(f"{error}. The board was unplugged or reset and did not come back within "
                          f"{self.reconnect_s:.0f} s; plug it in again and rerun") from None

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out["port"] = self.port
        if self.warnings:
            out["warnings"] = [*out.get("warnings", []), *self.warnings]
        return out
