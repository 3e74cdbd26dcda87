"""Timestamped chunks and the Source interface every sensor and file reader implements.

A Source is an iterable of chunks, oldest first.  Each chunk carries its
stream time ``t_ms`` (milliseconds from the start of the stream, derived from
sample counts, never from the wall clock, so a replayed file always gives the
same times) and ``origin`` (the file or device it came from).

Chunk kinds:
  AudioChunk   int16 mono samples at AUDIO_RATE_HZ (16 kHz)
  ImageFrame   one frame, (H, W) or (H, W, C) uint8, with its pixel format
  ImuChunk     (n, 6) float32 [ax, ay, az (g), gx, gy, gz (deg/s)]
  StrokeChunk  (n, 2) int8 points of one finished gesture stroke, +y up

Usage:

    from edgesim.sources import open_source

    with open_source("speech.wav", "audio") as source:
        print(source.description, source.notes, source.total_chunks)
        for chunk in source:
            print(chunk.t_ms, chunk.samples.shape)
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np

from edgesim import constants
from edgesim.errors import SourceError

# The rates and sizes the kernels expect (config.h via edgesim.constants).
AUDIO_RATE_HZ: int = constants.AUDIO_SAMPLE_RATE_HZ
# Audio chunks are one front end hop long, so each chunk completes one feature frame.
AUDIO_CHUNK_SAMPLES: int = constants.AUDIO_HOP_SAMPLES
IMU_RATE_HZ: int = constants.IMU_SAMPLE_RATE_HZ
STROKE_MAX_POINTS: int = constants.STROKE_MAX_POINTS

# Pixel formats an ImageFrame may carry (names shared with edgesim.app.Sensor.format).
PIXEL_FORMATS = ("gray8", "bgr888", "rgb888")
# Sensor kinds open_source() understands (edgesim.app.SENSOR_KINDS plus "stroke").
SOURCE_KINDS = ("audio", "camera", "imu", "stroke")


@dataclass(frozen=True)
class AudioChunk:
    """Mono int16 audio: ``samples`` starts at sample ``start_sample`` of the stream."""

    start_sample: int
    samples: np.ndarray
    origin: str = ""
    rate_hz: int = AUDIO_RATE_HZ

    kind = "audio"

    @property
    def t_ms(self) -> float:
        return self.start_sample * 1000.0 / self.rate_hz

    @property
    def end_ms(self) -> float:
        return (self.start_sample + len(self.samples)) * 1000.0 / self.rate_hz


@dataclass(frozen=True)
class ImageFrame:
    """One frame: ``pixels`` is (H, W) for gray8 or (H, W, 3) for bgr888/rgb888, uint8."""

    t_ms: float
    pixels: np.ndarray
    pixel_format: str
    origin: str = ""
    index: int = 0

    kind = "camera"


@dataclass(frozen=True)
class ImuChunk:
    """IMU samples (n, 6) float32: accelerometer x, y, z in g, gyroscope x, y, z in deg/s."""

    t_ms: float
    samples: np.ndarray
    rate_hz: float = IMU_RATE_HZ
    origin: str = ""

    kind = "imu"


@dataclass(frozen=True)
class StrokeChunk:
    """One finished stroke: (n, 2) int8 points, ``round(v*128)`` of the drawing-plane angle, +y up."""

    t_ms: float
    points: np.ndarray
    origin: str = ""

    kind = "stroke"


Chunk = Union[AudioChunk, ImageFrame, ImuChunk, StrokeChunk]


class Source(ABC):
    """An iterable of chunks from one sensor, file or folder.

    Attributes every source sets:
      kind          the chunk kind it yields ("audio", "camera", "imu", "stroke")
      is_live       True for real-time sensors (mic, camera, mouse): they never
                    end by themselves and drop data when the reader is slow
      description   a human sentence, e.g. "microphone 'USB Audio' at 48000 Hz, resampled to 16000 Hz"
      notes         conversions applied (resampling, down-mixing), for the user to see
      total_chunks  how many chunks iteration yields, when known (progress bars)
      duration_ms   stream length when known
    Sources are context managers; close() releases the device or file and is idempotent.
    """

    kind: str = ""
    is_live: bool = False

    def __init__(self, description: str) -> None:
        self.description = description
        self.notes: list[str] = []
        self.total_chunks: int | None = None
        self.duration_ms: float | None = None
        self.closed = False

    @abstractmethod
    def __iter__(self) -> Iterator[Chunk]:
        """Yield chunks oldest first until the source ends or is closed."""

    def streams(self) -> Iterator[tuple[str | None, "Source"]]:
        """Independent streams as (file, source) pairs: folders give one per file, other sources themselves."""
        yield None, self

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.description}>"


def require_kind(spec: str, wanted: str, offered: tuple[str, ...]) -> None:
    """Raise SourceError when a source spec cannot feed the app's sensor kind."""
    if wanted not in offered:
        raise SourceError(f"source {spec!r} gives {' or '.join(offered)} data, but this app needs {wanted} "
                          f"input; see 'edgesim run --help' for the sources of each kind")
