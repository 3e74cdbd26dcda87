"""Magic wand gestures: IMU stream -> strokes -> the 32x32x3 int8 model input.

The C kernels follow the upstream Arduino magic wand sketch step by step
(gravity and gyroscope drift estimation, orientation integration, movement
based stroke segmentation, projection onto the drawing plane, Q12 DDA
rasterization with a red -> green -> blue colour ramp); see
``edgesim/kernels/include/edgesim/imu.h``.  Host and firmware run the same
code and agree bit for bit.

Usage::

    import numpy as np
    from edgesim.compute.imu import StrokeSegmenter, rasterize

    segmenter = StrokeSegmenter()                 # 119 Hz, as the LSM9DS1 FIFO
    for chunk in imu_chunks:                      # (n, 6): ax, ay, az [g], gx, gy, gz [deg/s]
        for stroke in segmenter.push(chunk):      # (k, 2) int8 points, +y up
            model_input = rasterize(stroke)       # (32, 32, 3) int8

    # An already-segmented stroke, e.g. drawn with a mouse in [-1, 1] units:
    model_input = rasterize(stroke_from_floats(xy))
"""
from __future__ import annotations

import numpy as np

from edgesim import _imu, constants
from edgesim.errors import KernelError

#: Gyroscope sample rate the sketch assumes (config.h).
SAMPLE_RATE_HZ: int = constants.IMU_SAMPLE_RATE_HZ
#: Most points a segmented stroke has (every second of at most 320 samples).
STROKE_MAX_POINTS: int = constants.STROKE_MAX_POINTS
RASTER_SHAPE: tuple[int, int, int] = (constants.RASTER_SIDE, constants.RASTER_SIDE, constants.RASTER_CHANNELS)
#: Default raster half-extent in stroke units (0.6) in Q12.
RASTER_RANGE_Q12: int = constants.RASTER_RANGE_Q12
#: Most points :func:`rasterize` accepts.
RASTER_MAX_POINTS: int = constants.RASTER_MAX_POINTS


class StrokeSegmenter:
    """Streaming stroke segmenter: push IMU samples, get finished strokes.

    State (orientation history, gravity, drift, a stroke in progress) carries
    across :meth:`push` calls; how the stream is chunked does not change the
    result.

    >>> segmenter = StrokeSegmenter()
    >>> segmenter.push(np.zeros((100, 6), np.float32))
    []
    """

    WAITING = _imu.STATE_WAITING
    DRAWING = _imu.STATE_DRAWING
    DONE = _imu.STATE_DONE

    def __init__(self, sample_rate_hz: float = SAMPLE_RATE_HZ) -> None:
        self._native = _imu.Segmenter(float(sample_rate_hz))

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        """Feed (n, 6) samples [ax, ay, az, gx, gy, gz] (g, deg/s); returns the
        strokes that finished, each an (k, 2) int8 array of x, y points.

        Raises KernelError for an empty chunk, a wrong shape, or NaN, infinite
        or absurd (> 1e6) values; the segmenter state is then unchanged.
        """
        array = np.asarray(samples)
        if array.ndim != 2 or array.shape[1] != 6:
            raise KernelError(f"StrokeSegmenter.push: expected an (n, 6) array of "
                              f"[ax, ay, az, gx, gy, gz], got shape {array.shape}")
        data = np.ascontiguousarray(array, dtype=np.float32)
        return [np.frombuffer(s, dtype=np.int8).reshape(-1, 2) for s in self._native.push(data)]

    def reset(self) -> None:
        """Forget all history and any stroke in progress."""
        self._native.reset()

    @property
    def state(self) -> int:
        """WAITING, DRAWING (a stroke is in progress) or DONE."""
        return self._native.state


def rasterize(points: np.ndarray, x_range_q12: int = RASTER_RANGE_Q12,
              y_range_q12: int = RASTER_RANGE_Q12, side: int = RASTER_SHAPE[0]) -> np.ndarray:
    """Draw a stroke of (n, 2) int8 points (x, y; 128 = 1.0, +y up) into the
    (side, side, 3) int8 model input (background -128; side 1..32, default 32).

    >>> rasterize(np.array([[0, 0], [40, 40]], np.int8)).shape
    (32, 32, 3)
    """
    array = np.asarray(points)
    if array.ndim != 2 or array.shape[1] != 2 or array.dtype != np.int8:
        raise KernelError(f"rasterize: expected an (n, 2) int8 array of x, y points, "
                          f"got shape {array.shape} {array.dtype} (convert floats with stroke_from_floats)")
    raster = _imu.rasterize(np.ascontiguousarray(array), int(x_range_q12), int(y_range_q12), int(side))
    return np.frombuffer(raster, dtype=np.int8).reshape(side, side, RASTER_SHAPE[2])


def stroke_from_floats(xy: np.ndarray) -> np.ndarray:
    """Float stroke coordinates (1.0 = 128, +y up) -> int8 points as the
    device stores them: round half away from zero, then saturate.

    >>> stroke_from_floats(np.array([[0.5, -2.0]])).tolist()
    [[64, -128]]
    """
    array = np.asarray(xy, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != 2 or not np.isfinite(array).all():
        raise KernelError(f"stroke_from_floats: expected an (n, 2) array of finite x, y, got shape {array.shape}")
    scaled = array * np.float32(128.0)
    whole = np.trunc(scaled)  # scaled - whole is exact, so the .5 test is too
    rounded = whole + np.sign(scaled) * (np.abs(scaled - whole) >= 0.5)
    return np.clip(rounded, -128, 127).astype(np.int8)
