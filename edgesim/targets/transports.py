"""Byte-stream transports of the firmware targets (the protocol's Transport interface).

    QemuMachine     edgesim.mcu.qemu      QEMU's UART on a Unix socket (emulator target)
    RenodeMachine   edgesim.mcu.renode    Renode's uart0 server socket (renode target)
    SerialTransport here                  a serial port through pyserial (device target)

Each has read(max_bytes, timeout) -> bytes (b"" on timeout, TargetError when
the other end is gone), write(data) and close().
"""
from __future__ import annotations

from typing import Any, Callable

from edgesim.errors import TargetError

BAUDRATE = 115200  # ignored by USB CDC, used by UART bridges


class DeviceGone(TargetError):
    """The serial port vanished or failed (board unplugged or reset)."""


class SerialTransport:
    """A protocol Transport over a serial port (pyserial)."""

    def __init__(self, port: str, open_serial: Callable[..., Any] | None = None) -> None:
        try:
            import serial
        except ImportError:
            raise TargetError("the device target needs pyserial: pip install 'edgesim[live]'") from None
        self._errors: tuple[type[BaseException], ...] = (serial.SerialException, OSError)
        self.port = port
        try:
            self.serial = (open_serial or serial.Serial)(port, baudrate=BAUDRATE, timeout=0, write_timeout=5)
        except self._errors as error:
            raise DeviceGone(f"cannot open {port}: {error}") from None

    def read(self, max_bytes: int, timeout: float) -> bytes:
        try:
            self.serial.timeout = max(timeout, 0.0)
            data = self.serial.read(1)
            if data:
                waiting = self.serial.in_waiting
                if waiting:
                    data += self.serial.read(min(waiting, max_bytes - 1))
            return data
        except self._errors as error:
            raise DeviceGone(f"lost {self.port}: {error}") from None

    def write(self, data: bytes) -> None:
        try:
            self.serial.write(data)
        except self._errors as error:
            raise DeviceGone(f"lost {self.port} while sending: {error}") from None

    def close(self) -> None:
        try:
            self.serial.close()
        except self._errors:
            pass
