"""The board's own microphone or camera as a source, through the device target: ``--source device[:PORT]``.

Firmware built with ``--sensors`` (``edgesim flash wake_word --sensors``) reads
the board's sensors itself.  Asked with CONFIG's RAW flag (protocol.h), it
forwards their input as RAW frames instead of running the model; this source
turns them into AudioChunks (audio apps) or ImageFrames (camera apps: the
IMAGE chunks of one frame put together), so ``edgesim record`` saves exactly
what the board heard or saw.  Nothing is dropped on the way: the board waits
for the link, so a camera frame read after a countdown may be a few frames
old.  The port is found as for ``--target device`` when not given.  On the
emulated board (mps2-an386 built with --sensors, e.g. behind a pty) the
sensors are documented test signals
(firmware/boards/mps2-an386/sensors/test_signal.c).

Usage:

    with open_device("/dev/ttyACM0", load_app("wake_word")) as board:
        for chunk in board:       # endless; close() stops the board's forwarding
            ...
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np

from edgesim import _protocol
from edgesim import protocol as p
from edgesim.app import App
from edgesim.errors import EdgesimError, SourceError
from edgesim.sources.base import PIXEL_FORMATS, AudioChunk, ImageFrame, Source

_INPUT_NAMES = {p.AUDIO: "audio", p.IMAGE: "camera", p.IMU: "IMU"}
_SENSORS = {"audio": (p.AUDIO, "microphone"), "camera": (p.IMAGE, "camera")}
_IMAGE = struct.Struct(_protocol.LAYOUTS["IMAGE_HEADER"][0])


@dataclass
class _PartialFrame:
    """A camera frame whose IMAGE chunks are still arriving."""

    width: int
    height: int
    pixel_format: str
    pixels: bytearray
    filled: int = 0


class DeviceSource(Source):
    """The board's microphone samples or camera frames, forwarded by its --sensors firmware over the device link."""

    is_live = True

    def __init__(self, app: App, port: str = "", timeout: float | None = None) -> None:
        from edgesim.targets.device import DeviceTarget

        if app.sensor.kind not in _SENSORS:
            raise SourceError(f"--source device records the board's microphone or camera; app {app.name!r} reads "
                              f"{app.sensor.kind}")
        self.kind = app.sensor.kind
        self._input, sensor = _SENSORS[self.kind]
        self._target = DeviceTarget(port=port, timeout=timeout)
        self._target.open_input(app)
        super().__init__(f"the board's {sensor} on {self._target.port}")
        self._produced = 0  # samples, or frames
        self._frame: _PartialFrame | None = None
        self._opened_at = time.monotonic()

    def __iter__(self) -> Iterator[Union[AudioChunk, ImageFrame]]:
        for raw in self._target.raw_input():
            if self.closed:
                return
            if raw.input != self._input:
                raise SourceError(f"the board on {self._target.port} forwards "
                                  f"{_INPUT_NAMES.get(raw.input, f'type {raw.input}')} input, not {self.kind}: "
                                  f"is the right app flashed on it?")
            chunk = self._samples(raw) if self.kind == "audio" else self._frame_piece(raw)
            if chunk is not None:
                yield chunk

    def _samples(self, raw: p.Raw) -> AudioChunk:
        if len(raw.data) % 2:
            raise SourceError(f"the board on {self._target.port} sent {len(raw.data)} bytes of audio, "
                              f"not whole int16 samples")
        if raw.position != self._produced:
            raise SourceError(f"the board's sample stream jumped from sample {self._produced} to "
                              f"{raw.position}: its microphone lost data")
        chunk = AudioChunk(self._produced, np.frombuffer(raw.data, "<i2").astype(np.int16), origin=self.description)
        self._produced += len(chunk.samples)
        return chunk

    def _frame_piece(self, raw: p.Raw) -> ImageFrame | None:
        """One IMAGE chunk of frame number ``raw.position``; the frame once its last chunk is in."""
        if len(raw.data) < _IMAGE.size:
            raise SourceError(f"the board on {self._target.port} sent a camera chunk of {len(raw.data)} bytes, "
                              f"shorter than its header")
        from edgesim.compute.image import PIXEL_FORMATS as FORMAT_IDS  # name -> the id IMAGE frames carry

        width, height, code, offset = _IMAGE.unpack_from(raw.data)
        name = next((n for n in PIXEL_FORMATS if FORMAT_IDS[n] == code), None)
        if name is None:
            raise SourceError(f"the board's camera sends pixel format {code}; record saves "
                              f"{', '.join(PIXEL_FORMATS)}")
        if offset == 0:
            if raw.position != self._produced:
                raise SourceError(f"the board's camera stream jumped from frame {self._produced} to {raw.position}")
            channels = 1 if name == "gray8" else 3
            self._frame = _PartialFrame(width, height, name, bytearray(width * height * channels))
        frame = self._frame
        if frame is None or frame.filled != offset or raw.position != self._produced:
            raise SourceError(f"the board's camera frame {raw.position} arrived with a chunk at byte {offset} "
                              f"out of order")
        piece = raw.data[_IMAGE.size:]
        if frame.filled + len(piece) > len(frame.pixels):
            raise SourceError(f"the board's camera frame {raw.position} is larger than "
                              f"{frame.width}x{frame.height} {frame.pixel_format}")
        frame.pixels[frame.filled:frame.filled + len(piece)] = piece
        frame.filled += len(piece)
        if frame.filled < len(frame.pixels):
            return None
        self._frame = None
        self._produced += 1
        shape = (frame.height, frame.width) if frame.pixel_format == "gray8" else (frame.height, frame.width, 3)
        return ImageFrame((time.monotonic() - self._opened_at) * 1000.0,
                          np.frombuffer(bytes(frame.pixels), np.uint8).reshape(shape), frame.pixel_format,
                          origin=self.description, index=raw.position)

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
    """The board on ``port`` ("" = found by USB VID:PID) forwarding its microphone or camera for ``app``."""
    return DeviceSource(app, port, timeout)

