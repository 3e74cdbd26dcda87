"""Byte-stream transports of the firmware targets (the protocol's Transport interface).

    QemuMachine     edgesim.mcu.qemu      QEMU's UART on a Unix socket (emulator target)
    RenodeMachine   edgesim.mcu.renode    Renode's uart0 server socket (renode target)
    SerialTransport here                  a serial port through pyserial (device target)
    FaultyTransport here                  any of them with bit flips, drops, repeats, stalls

Each has read(max_bytes, timeout) -> bytes (b"" on timeout, TargetError when
the other end is gone), write(data) and close().
"""
from __future__ import annotations

import time
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


class FaultyTransport:
    """Wraps a Transport and damages the bytes both ways, for tests and ``--link-faults RATE``.

    Each byte suffers a fault with probability ``rate``: a flipped bit, a
    dropped byte, a repeated byte or a stall (the rest of that chunk arrives
    ``stall_s`` later), one of the four at random.  Seeded, so a run is
    reproducible.  ``injected`` counts what was done.

        transport = FaultyTransport(QemuMachine(elf), rate=1e-3)
    """

    KINDS = ("flip", "drop", "repeat", "stall")

    def __init__(self, inner: Any, rate: float, seed: int = 0, stall_s: float = 0.005) -> None:
        import numpy as np

        if not 0.0 <= rate < 1.0:
            raise TargetError(f"link fault rate must be in [0, 1), not {rate}")
        self.inner = inner
        self.rate = rate
        self.stall_s = stall_s
        self.injected = dict.fromkeys(self.KINDS, 0)
        self._rng = np.random.default_rng(seed)

    def _damage(self, data: bytes) -> bytes:
        if not data or self.rate == 0.0:
            return data
        hits = (self._rng.random(len(data)) < self.rate).nonzero()[0]
        if len(hits) == 0:
            return data
        out = bytearray()
        last = 0
        for position, kind in zip(hits.tolist(), self._rng.integers(0, len(self.KINDS), len(hits)).tolist()):
            out += data[last:position]
            byte = data[position]
            name = self.KINDS[kind]
            self.injected[name] += 1
            if name == "flip":
                out.append(byte ^ (1 << int(self._rng.integers(0, 8))))
            elif name == "repeat":
                out += bytes((byte, byte))
            elif name == "stall":
                time.sleep(self.stall_s)
                out.append(byte)
            last = position + 1  # "drop": nothing appended
        out += data[last:]
        return bytes(out)

    def read(self, max_bytes: int, timeout: float) -> bytes:
        return self._damage(self.inner.read(max_bytes, timeout))

    def write(self, data: bytes) -> None:
        self.inner.write(self._damage(data))

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # e.g. QemuMachine.process, for fault handling
