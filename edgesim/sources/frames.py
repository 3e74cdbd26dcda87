"""The camera sensor defines the frame: every source's frames become the frame the app declares.

An app's camera sensor may declare the resolution its camera module delivers
(``Sensor(kind="camera", ..., format="gray8", resolution=(320, 240))``, an
ArduCAM at QVGA).  Frames from any source (a photo of any size, a folder, a
video, a webcam) are then converted once on the host, before any target sees
them, by the shared C kernel es_image_to_frame (dsp/image/frame.c: centre crop
to the declared proportions, exact area average, BT.601 luma), so the host,
the emulator, Renode and a board receive identical bytes.

    source = conform_source(open_source("photo.jpg", "camera"), app.sensor)
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from edgesim.constants import FW_FRAME_BUFFER_BYTES
from edgesim.errors import KernelError, SourceError
from edgesim.sources.base import Chunk, ImageFrame, Source

DECLARED_FORMATS = ("gray8",)


def check_resolution(where: str, sensor: Any) -> None:
    """AppError unless a declared resolution is usable (camera, gray8, sensible size)."""
    from edgesim.app import AppError
    from edgesim.constants import IMAGE_MAX_DIM

    resolution = sensor.resolution
    if sensor.kind != "camera":
        raise AppError(f"{where}: only a camera sensor declares a resolution, not a {sensor.kind} sensor")
    if (not isinstance(resolution, tuple) or len(resolution) != 2
            or not all(isinstance(v, int) and 1 <= v <= IMAGE_MAX_DIM for v in resolution)):
        raise AppError(f"{where}: sensor resolution must be (width, height) in pixels, 1..{IMAGE_MAX_DIM}, "
                       f"got {resolution!r}")
    if sensor.format not in DECLARED_FORMATS:
        raise AppError(f"{where}: a sensor with a declared resolution delivers {' or '.join(DECLARED_FORMATS)} "
                       f"frames; format is {sensor.format!r}")
    width, height = resolution
    if width * height > FW_FRAME_BUFFER_BYTES:
        raise AppError(f"{where}: a {width}x{height} gray8 frame ({width * height} bytes) does not fit the "
                       f"firmware's {FW_FRAME_BUFFER_BYTES}-byte frame buffer (320x240 gray at most)")


def check_frames_fit(specs: Iterable[str], sensor: Any) -> None:
    """Before streaming to a firmware target: SourceError naming the first file with a frame too large for it.

    Frames converted to a declared resolution always fit (check_resolution);
    otherwise every frame travels as the source gives it.  A video's frames
    share one size, so only its first frame is read.
    """
    from edgesim.sources import open_source
    from edgesim.sources.camera import VideoCaptureSource

    if sensor.kind != "camera" or sensor.resolution is not None:
        return
    for spec in specs:
        with open_source(spec, "camera") as source:
            for frame in source:
                if frame.pixels.nbytes > FW_FRAME_BUFFER_BYTES:
                    height, width = frame.pixels.shape[:2]
                    raise SourceError(
                        f"{frame.origin or spec}: its {width}x{height} {frame.pixel_format} frame is "
                        f"{frame.pixels.nbytes} bytes, more than the firmware's {FW_FRAME_BUFFER_BYTES}-byte frame "
                        f"buffer; declare the camera's frame in the app (Sensor(..., format=\"gray8\", "
                        f"resolution=(320, 240))) so every source is converted to it, or scale the file")
                if isinstance(source, VideoCaptureSource):
                    break


def to_sensor_frame(frame: ImageFrame, resolution: tuple[int, int]) -> ImageFrame:
    """``frame`` as the sensor delivers it: (height, width) gray8, converted by the C kernel."""
    from edgesim import _image
    from edgesim.compute.image import PIXEL_FORMATS

    pixels = np.asarray(frame.pixels)
    pixel_format = frame.pixel_format
    if pixels.dtype == np.uint16:  # rgb565 pixel values: the kernel reads little-endian bytes
        pixels, pixel_format = pixels.astype("<u2", copy=False), "rgb565le"
    if pixel_format not in PIXEL_FORMATS or pixels.ndim not in (2, 3):
        raise SourceError(f"{frame.origin or 'frame'}: cannot convert a {pixel_format} frame of shape {pixels.shape}")
    width, height = resolution
    try:
        data = _image.to_frame(np.ascontiguousarray(pixels), pixels.shape[1], pixels.shape[0], 0,
                               PIXEL_FORMATS[pixel_format], width, height)
    except KernelError as error:
        raise SourceError(f"{frame.origin or 'frame'}: cannot become a {width}x{height} sensor frame ({error})") from None
    out = np.frombuffer(data, np.uint8).reshape(height, width)
    return ImageFrame(frame.t_ms, out, "gray8", frame.origin, frame.index)


class SensorFrames(Source):
    """A camera source whose frames are converted to the sensor's declared resolution."""

    def __init__(self, source: Source, resolution: tuple[int, int]) -> None:
        width, height = resolution
        super().__init__(f"{source.description}, as {width}x{height} gray8 sensor frames")
        self.inner = source
        self.resolution = resolution
        self.kind = source.kind
        self.is_live = source.is_live
        self.total_chunks = source.total_chunks
        self.duration_ms = source.duration_ms
        self.notes = [*source.notes, f"frames converted to the sensor's {width}x{height} gray8"]

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self.inner:
            yield to_sensor_frame(chunk, self.resolution) if isinstance(chunk, ImageFrame) else chunk

    def __getattr__(self, name: str) -> Any:  # device counters such as overflows
        return getattr(self.__dict__["inner"], name)

    def close(self) -> None:
        self.inner.close()
        super().close()


def conform_source(source: Any, sensor: Any) -> Any:
    """``source`` unchanged, or wrapped so its frames match the sensor's declared resolution."""
    if sensor.kind != "camera" or sensor.resolution is None or isinstance(source, SensorFrames):
        return source
    return SensorFrames(source, sensor.resolution)
