"""Camera and video sources through OpenCV's VideoCapture.

``camera`` or ``camera:0`` opens a local camera by index, ``camera:URL`` an
IP camera or stream (rtsp://, http://), and video files are read the same way
(see edgesim.sources.files).  Frames come out as bgr888 (OpenCV's order) or
gray8 for single-channel video.

Usage:

    with CameraSource(0) as camera:          # or CameraSource("rtsp://host/stream")
        for frame in camera:
            frame.pixels.shape, frame.pixel_format   # (480, 640, 3), "bgr888"
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterator

from edgesim.errors import SourceError
from edgesim.sources.base import ImageFrame, Source


def import_cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise SourceError("camera and video input need OpenCV: pip install 'edgesim[live]' "
                          "(or opencv-python-headless)") from None
    return cv2


def frame_format(pixels: Any) -> tuple[Any, str]:
    """(pixels, pixel format) for a decoded OpenCV frame; drops alpha."""
    if pixels.ndim == 2:
        return pixels, "gray8"
    if pixels.shape[2] == 1:
        return pixels[:, :, 0], "gray8"
    return pixels[:, :, :3], "bgr888"


def quietly(cv2: Any, open_capture: Callable[[], Any]) -> Any:
    """Run open_capture with OpenCV's own warnings muted: a failure becomes our one clear SourceError."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        return open_capture()
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        return open_capture()
    finally:
        logging.setLogLevel(previous)


class VideoCaptureSource(Source):
    """Frames from cv2.VideoCapture: a camera (live) or a video file (replayed, with frame count).

    Live frames are stamped with the time since the first frame; file frames
    with frame index / FPS, so replaying a file is repeatable.
    """

    kind = "camera"

    def __init__(self, target: int | str, *, is_live: bool, description: str) -> None:
        super().__init__(description)
        cv2 = import_cv2()
        self.is_live = is_live
        self._origin = str(target)
        self._capture = quietly(cv2, lambda: cv2.VideoCapture(target))
        if not self._capture.isOpened():
            self._capture.release()
            if isinstance(target, int):
                raise SourceError(f"cannot open camera {target}: no such camera, or it is busy or not "
                                  f"permitted; try another index (camera:1) or a stream URL (camera:rtsp://...)")
            raise SourceError(f"cannot open {target}: OpenCV could not open it as a video file or stream "
                              f"(missing, corrupt, or a codec this OpenCV build lacks)")
        self._fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not is_live:
            count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            self.total_chunks = count if count > 0 else None
            if self.total_chunks and self._fps > 0:
                self.duration_ms = self.total_chunks * 1000.0 / self._fps

    def __iter__(self) -> Iterator[ImageFrame]:
        index = 0
        start = time.monotonic()
        while not self.closed:
            ok, pixels = self._capture.read()
            if not ok or pixels is None:
                if index == 0:
                    raise SourceError(f"{self._origin}: no frame could be read (empty, corrupt or "
                                      f"unsupported video, or the camera delivered nothing)")
                # Containers whose frame count is an estimate may be one frame off; more is damage.
                if self.total_chunks is not None and index < self.total_chunks - 1:
                    raise SourceError(f"{self._origin}: video ends after {index} of its {self.total_chunks} "
                                      f"frames: the file is truncated or corrupt")
                return
            if self.is_live:
                t_ms = (time.monotonic() - start) * 1000.0
            else:
                t_ms = index * 1000.0 / self._fps if self._fps > 0 else float(index)
            pixels, pixel_format = frame_format(pixels)
            yield ImageFrame(t_ms=t_ms, pixels=pixels, pixel_format=pixel_format, origin=self._origin, index=index)
            index += 1

    def close(self) -> None:
        if not self.closed:
            self._capture.release()
        super().close()


def open_camera(target: str) -> VideoCaptureSource:
    """``camera`` spec tail -> source: "" or digits = camera index, anything else = stream URL."""
    if target == "" or target.isdigit():
        index = int(target or 0)
        return VideoCaptureSource(index, is_live=True, description=f"camera {index}")
    return VideoCaptureSource(target, is_live=True, description=f"video stream {target}")


def open_video_file(path: Path) -> VideoCaptureSource:
    """A video file, replayed frame by frame."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: file is empty")
    return VideoCaptureSource(str(path), is_live=False, description=f"video file {path}")
