"""Gesture strokes drawn with the mouse in an OpenCV window (``--source mouse``).

Hold the left button and draw a digit; releasing the button finishes the
stroke, which is converted to the device's stroke format (int8 points,
mean-centred, +y up, at most STROKE_MAX_POINTS points) and yielded as a
StrokeChunk.  Press q or Esc, or close the window, to stop.  Needs a display
and an OpenCV build with GUI support (opencv-python, not -headless).

Usage:

    with open_mouse() as strokes:
        for stroke in strokes:
            print(len(stroke.points))
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Iterator

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import STROKE_MAX_POINTS, Source, StrokeChunk
from edgesim.sources.camera import import_cv2

WINDOW = "edgesim: draw a gesture (q to quit)"
CANVAS_SIDE = 400
# Largest distance from the stroke's centre in int8 units: recorded strokes
# reach about +-64 (half of the +-128 range), so drawn ones are scaled alike.
STROKE_HALF_EXTENT = 64
MIN_POINTS = 2
KEY_QUIT = (ord("q"), 27)


def has_display() -> bool:
    """True where a window can be shown (always on macOS/Windows; X11 or Wayland on Linux)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def stroke_from_canvas(points: np.ndarray) -> np.ndarray:
    """Canvas pixel coordinates (n, 2), y down -> stroke points (m, 2) int8, y up, m <= STROKE_MAX_POINTS.

    The stroke is centred on its mean and scaled so its farthest point is
    STROKE_HALF_EXTENT from the centre; long strokes are thinned evenly.
    """
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2) * [1.0, -1.0]
    if len(xy) > STROKE_MAX_POINTS:
        xy = xy[np.linspace(0, len(xy) - 1, STROKE_MAX_POINTS).round().astype(int)]
    xy -= xy.mean(axis=0)
    reach = np.abs(xy).max()
    if reach > 0:
        xy *= STROKE_HALF_EXTENT / reach
    return np.clip(np.rint(xy), -128, 127).astype(np.int8)


class MouseStrokeSource(Source):
    """Strokes drawn in an OpenCV window, one StrokeChunk per released mouse button."""

    kind = "stroke"
    is_live = True

    def __init__(self) -> None:
        super().__init__("mouse strokes drawn in an OpenCV window")
        if not has_display():
            raise SourceError("drawing strokes with the mouse needs a display (DISPLAY or WAYLAND_DISPLAY is not "
                              "set); use stroke CSV files as --source instead")
        self._cv2 = import_cv2()
        try:
            self._cv2.namedWindow(WINDOW)
        except self._cv2.error:
            raise SourceError("this OpenCV build has no GUI support (opencv-python-headless); install "
                              "opencv-python to draw strokes with the mouse, or use stroke CSV files") from None
        self._canvas = np.zeros((CANVAS_SIDE, CANVAS_SIDE, 3), dtype=np.uint8)
        self._current: list[tuple[int, int]] = []
        self._finished: list[np.ndarray] = []
        self._drawing = False
        self._cv2.setMouseCallback(WINDOW, self._on_mouse)

    def _on_mouse(self, event: int, x: int, y: int, _flags: int, _param: Any) -> None:
        cv2 = self._cv2
        if event == cv2.EVENT_LBUTTONDOWN:
            self._drawing, self._current = True, [(x, y)]
            self._canvas[:] = 0
        elif event == cv2.EVENT_MOUSEMOVE and self._drawing:
            cv2.line(self._canvas, self._current[-1], (x, y), (255, 255, 255), 3)
            self._current.append((x, y))
        elif event == cv2.EVENT_LBUTTONUP and self._drawing:
            self._drawing = False
            if len(self._current) >= MIN_POINTS:
                self._finished.append(np.array(self._current))

    def __iter__(self) -> Iterator[StrokeChunk]:
        cv2 = self._cv2
        start = time.monotonic()
        while not self.closed:
            cv2.imshow(WINDOW, self._canvas)
            key = cv2.waitKey(15) & 0xFF
            if key in KEY_QUIT or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                return
            while self._finished:
                yield StrokeChunk(t_ms=(time.monotonic() - start) * 1000.0,
                                  points=stroke_from_canvas(self._finished.pop(0)), origin="mouse")

    def close(self) -> None:
        if not self.closed:
            self._cv2.destroyWindow(WINDOW)
        super().close()


def open_mouse() -> MouseStrokeSource:
    return MouseStrokeSource()
