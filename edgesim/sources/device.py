"""The board's own microphone as a source, through the device target: ``--source device[:PORT]``.

Firmware built with ``--sensors`` (``edgesim flash wake_word --sensors``) reads
the board's microphone itself.  Asked with CONFIG's RAW flag (protocol.h), it
forwards those samples as RAW frames instead of running the model; this
source turns them into AudioChunks, so ``edgesim record`` saves exactly what
the board heard.  The port is found as for ``--target device`` when not given.
On the emulated board (mps2-an386 built with --sensors, e.g. behind a pty)
the "microphone" is a documented test signal
(firmware/boards/mps2-an386/sensors/test_signal.c).

Usage:

    with open_device("/dev/ttyACM0", load_app("wake_word")) as board:
        for chunk in board:       # endless; close() stops the board's forwarding
            ...
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from edgesim import protocol as p
from edgesim.app import App
from edgesim.errors import EdgesimError, SourceError, TargetError
from edgesim.sources.base import AudioChunk, Source

_INPUT_NAMES = {p.AUDIO: "audio", p.IMAGE: "camera", p.IMU: "IMU"}


class DeviceSource(Source):
    """Samples from the board's microphone, forwarded by its --sensors firmware over the device link."""

    kind = "audio"
    is_live = True

    def __init__(self, app: App, port: str = "", timeout: float | None = None) -> None:
        from edgesim.targets.device import DeviceTarget

        if app.sensor.kind != "audio":
            raise SourceError(f"--source device records the board's microphone; app {app.name!r} reads "
                              f"{app.sensor.kind} (only audio apps can record from the board so far)")
        self._target = DeviceTarget(port=port, timeout=timeout)
        try:
            self._target.open_input(app)
        except TargetError as error:
            hint = "" if "--sensors" in str(error) else (
                f"; recording needs firmware built with --sensors by this edgesim (edgesim flash {app.name} "
                f"--sensors)")
            raise SourceError(f"{error}{hint}") from None
        super().__init__(f"the board's microphone on {self._target.port}")
        self._produced = 0

    def __iter__(self) -> Iterator[AudioChunk]:
        for raw in self._target.raw_input():
            if self.closed:
                return
            if raw.input != p.AUDIO:
                raise SourceError(f"the board on {self._target.port} forwards "
                                  f"{_INPUT_NAMES.get(raw.input, f'type {raw.input}')} input, not audio: is the "
                                  f"right app flashed on it?")
            if raw.position != self._produced:
                raise SourceError(f"the board's sample stream jumped from sample {self._produced} to "
                                  f"{raw.position}: its microphone lost data")
            samples = np.frombuffer(raw.data, "<i2").astype(np.int16)
            yield AudioChunk(self._produced, samples, origin=self.description)
            self._produced += len(samples)

    def close(self) -> None:
        if not self.closed:
            try:
                self._target.finish()  # END: the board stops forwarding and goes back to its own loop
            except EdgesimError:
                pass  # the board went away or hung: nothing left to stop
            finally:
                self._target.close()
        super().close()


def open_device(port: str, app: App, timeout: float | None = None) -> DeviceSource:
    """The board on ``port`` ("" = found by USB VID:PID) forwarding its microphone for ``app``."""
    return DeviceSource(app, port, timeout)
