"""``--source browser``: the dashboard page as the sensor (microphone, webcam, drawing canvas).

The page (``edgesim run APP --ui --source browser``) sends its input over the
dashboard's WebSocket; each message becomes a chunk of the app's kind:

  binary  b"A" + int16 little-endian mono samples at 16 kHz   -> AudioChunk
          (the page captures with getUserMedia in an AudioContext at 16 kHz)
  binary  b"F" + width, height (uint16 LE) + width*height gray8 pixels -> ImageFrame
  text    {"type": "stroke", "points": [[x, y], ...]} canvas pixels, y down -> StrokeChunk

A malformed message raises ValueError naming the problem; the server then
closes that connection (and logs why) while the run goes on.  Chunk times
come from sample and message counts, never from the wall clock.  Like every
live source, it never ends by itself: Ctrl-C stops the run.

    source = BrowserSource("audio")
    server.input_handler = source.handle
    for chunk in source: ...
"""
from __future__ import annotations

import json
import queue
import struct
from typing import Iterator

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import AUDIO_RATE_HZ, AudioChunk, Chunk, ImageFrame, Source, StrokeChunk
from edgesim.ui.websocket import OP_BINARY, OP_TEXT

MAX_AUDIO_SAMPLES = AUDIO_RATE_HZ          # one message carries at most 1 s of audio
FRAME_SIDES = (16, 640)                    # accepted frame width/height range
MAX_STROKE_POINTS = 4096
CANVAS_LIMIT = 10_000.0                    # canvas coordinates beyond this are not a drawing
QUEUE_CHUNKS = 256
# Nominal stream time between camera frames and between strokes sent by the page.
STROKE_INTERVAL_MS = 1000.0


def stroke_points(text: bytes) -> np.ndarray:
    """The (n, 2) float canvas points of a stroke message, or ValueError."""
    try:
        message = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("text message is not JSON") from None
    if not isinstance(message, dict) or message.get("type") != "stroke":
        raise ValueError('text messages must be {"type": "stroke", "points": [[x, y], ...]}')
    points = message.get("points")
    if not isinstance(points, list) or not 2 <= len(points) <= MAX_STROKE_POINTS:
        raise ValueError(f"a stroke needs 2 to {MAX_STROKE_POINTS} points")
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                            for v in p) for p in points):
        raise ValueError("stroke points must be [x, y] number pairs")
    xy = np.array(points, dtype=np.float64)
    if not np.isfinite(xy).all() or np.abs(xy).max() > CANVAS_LIMIT:
        raise ValueError("stroke points must be finite canvas coordinates")
    return xy


class BrowserSource(Source):
    """Chunks sent by the dashboard page (see the module docstring)."""

    is_live = True

    def __init__(self, kind: str, frame_rate_hz: float = 5.0) -> None:
        if kind not in ("audio", "camera", "imu", "stroke"):
            raise SourceError(f"the browser cannot feed {kind} input")
        what = {"audio": "microphone", "camera": "webcam", "imu": "drawing canvas", "stroke": "drawing canvas"}[kind]
        super().__init__(f"the dashboard page's {what}")
        self.kind = "stroke" if kind == "imu" else kind
        self.frame_interval_ms = 1000.0 / frame_rate_hz
        self._queue: queue.Queue[Chunk] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._samples = 0
        self._count = 0
        self.overflows = 0

    def handle(self, opcode: int, payload: bytes) -> None:
        """One WebSocket message from the page (called on the server's thread); ValueError when malformed."""
        chunk = self._parse(opcode, payload)
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:  # the run fell behind: drop the oldest, as the ring buffer does for devices
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self.overflows += 1
            self._queue.put_nowait(chunk)

    def _parse(self, opcode: int, payload: bytes) -> Chunk:
        if opcode == OP_TEXT:
            if self.kind != "stroke":
                raise ValueError(f"this app takes {self.kind} input, not strokes")
            from edgesim.sources.mouse import stroke_from_canvas

            chunk = StrokeChunk(self._count * STROKE_INTERVAL_MS, stroke_from_canvas(stroke_points(payload)),
                                origin="browser")
            self._count += 1
            return chunk
        if opcode != OP_BINARY or not payload:
            raise ValueError("empty or unknown message")
        tag, body = payload[:1], payload[1:]
        if tag == b"A":
            if self.kind != "audio":
                raise ValueError(f"this app takes {self.kind} input, not audio")
            if len(body) % 2 or not 0 < len(body) // 2 <= MAX_AUDIO_SAMPLES:
                raise ValueError(f"audio messages carry 1 to {MAX_AUDIO_SAMPLES} int16 samples")
            samples = np.frombuffer(body, dtype="<i2").astype(np.int16)
            chunk = AudioChunk(self._samples, samples, origin="browser")
            self._samples += len(samples)
            return chunk
        if tag == b"F":
            if self.kind != "camera":
                raise ValueError(f"this app takes {self.kind} input, not camera frames")
            if len(body) < 4:
                raise ValueError("frame message too short for its size header")
            width, height = struct.unpack("<HH", body[:4])
            if not (FRAME_SIDES[0] <= width <= FRAME_SIDES[1] and FRAME_SIDES[0] <= height <= FRAME_SIDES[1]):
                raise ValueError(f"frame size {width}x{height} is outside {FRAME_SIDES[0]}..{FRAME_SIDES[1]} pixels")
            if len(body) - 4 != width * height:
                raise ValueError(f"frame of {width}x{height} needs {width * height} gray bytes, got {len(body) - 4}")
            pixels = np.frombuffer(body[4:], dtype=np.uint8).reshape(height, width).copy()
            chunk = ImageFrame(self._count * self.frame_interval_ms, pixels, "gray8", origin="browser",
                               index=self._count)
            self._count += 1
            return chunk
        raise ValueError(f"unknown binary message tag {tag!r} (expected A or F)")

    def __iter__(self) -> Iterator[Chunk]:
        while not self.closed:
            try:
                yield self._queue.get(timeout=0.1)
            except queue.Empty:
                continue

