"""Camera frames -> the 96x96 int8 input of the person detection model.

One call does centre crop to a square, resize (exact area average or
bilinear) and ``int8 = gray - 128``, in the same C integer kernel the
firmware runs, so host and board produce identical bytes.  The arithmetic
(BT.601 luma in Q15, RGB565 bit replication, rounding) is documented in
``edgesim/kernels/include/edgesim/image.h``.

Usage::

    import cv2
    from edgesim.compute.image import preprocess

    frame = cv2.imread("person.jpg")                      # (h, w, 3) BGR uint8
    model_input = preprocess(frame, pixel_format="bgr888")  # (96, 96) int8
    model_input = preprocess(gray, resize="bilinear")       # (h, w) uint8 gray

Frame layouts accepted by :func:`preprocess` (rows top-down):

=============  =============================================================
pixel_format   array
=============  =============================================================
``gray8``      (h, w) or (h, w, 1) uint8
``rgb888``     (h, w, 3) uint8, R G B
``bgr888``     (h, w, 3) uint8, B G R (OpenCV's order)
``rgb565``     (h, w) uint16 pixel values, or (h, w, 2) uint8 bytes high
               byte first (as an OV767x sensor streams them)
``rgb565le``   (h, w) uint16 pixel values, or (h, w, 2) uint8 bytes low byte
               first (a little-endian framebuffer)
``yuyv``       (h, w, 2) uint8: per row Y0 U Y1 V ...; w even (alias ``yuv422``)
=============  =============================================================

Raw sensor buffers (with an optional row stride) go to :func:`preprocess_buffer`.
"""
from __future__ import annotations

import numpy as np

from edgesim import _image, constants
from edgesim.errors import KernelError

#: Side of the model input, from config.h.
SIDE: int = constants.IMAGE_SIDE
#: Largest accepted frame width or height, from config.h.
MAX_DIM: int = constants.IMAGE_MAX_DIM

PIXEL_FORMATS: dict[str, int] = {
    "gray8": _image.PIXEL_GRAY8,
    "rgb888": _image.PIXEL_RGB888,
    "bgr888": _image.PIXEL_BGR888,
    "rgb565": _image.PIXEL_RGB565,
    "rgb565le": _image.PIXEL_RGB565LE,
    "yuyv": _image.PIXEL_YUYV,
    "yuv422": _image.PIXEL_YUYV,
}
RESIZE_METHODS: dict[str, int] = {"area": _image.RESIZE_AREA, "bilinear": _image.RESIZE_BILINEAR}

# trailing dimension(s) of an array frame: format -> (channels, dtype) options
_LAYOUTS: dict[str, tuple[tuple[int | None, type], ...]] = {
    "gray8": ((None, np.uint8), (1, np.uint8)),
    "rgb888": ((3, np.uint8),),
    "bgr888": ((3, np.uint8),),
    "rgb565": ((None, np.uint16), (2, np.uint8)),
    "rgb565le": ((None, np.uint16), (2, np.uint8)),
    "yuyv": ((2, np.uint8),),
    "yuv422": ((2, np.uint8),),
}


def _code(table: dict[str, int], name: str, what: str) -> int:
    try:
        return table[name]
    except KeyError:
        raise KernelError(f"unknown {what} {name!r}; choose one of {', '.join(sorted(table))}") from None


def preprocess_buffer(data: bytes | bytearray | memoryview | np.ndarray, width: int, height: int,
                      pixel_format: str = "gray8", resize: str = "area", stride: int = 0, side: int = SIDE,
                      channels: int = 1) -> np.ndarray:
    """Preprocess a raw frame buffer of ``height`` rows.

    ``stride`` is the number of bytes from one row to the next (0: rows are
    packed, and the buffer must hold exactly width * height pixels).  The
    result is (side, side) int8 for gray, (side, side, 3) for ``channels=3`` (RGB).

    >>> preprocess_buffer(bytes(160 * 120 * 2), 160, 120, "rgb565").shape
    (96, 96)
    """
    fmt = _code(PIXEL_FORMATS, pixel_format, "pixel format")
    method = _code(RESIZE_METHODS, resize, "resize method")
    for name, value in (("width", width), ("height", height), ("stride", stride)):
        if not 0 <= value <= 2**31 - 1:
            raise KernelError(f"image preprocess: {name} {value} is out of range")
    if isinstance(data, np.ndarray):
        data = np.ascontiguousarray(data)
    out = _image.preprocess(data, width, height, stride, fmt, method, int(side), int(channels))
    shape = (side, side) if channels == 1 else (side, side, channels)
    return np.frombuffer(out, dtype=np.int8).reshape(shape)


def preprocess(frame: np.ndarray, pixel_format: str = "gray8", resize: str = "area", side: int = SIDE,
               channels: int = 1) -> np.ndarray:
    """Crop, resize and quantize a frame array into the (side, side) int8 model input
    ((side, side, 3) with ``channels=3``: R, G, B).

    >>> import numpy as np
    >>> preprocess(np.full((120, 160), 200, np.uint8))[0, 0]
    np.int8(72)
    """
    _code(PIXEL_FORMATS, pixel_format, "pixel format")
    frame = np.asarray(frame)
    if frame.ndim not in (2, 3):
        raise KernelError(f"image preprocess: expected a (height, width[, channels]) array, got shape {frame.shape}")
    frame_channels = frame.shape[2] if frame.ndim == 3 else None
    layouts = _LAYOUTS[pixel_format]
    if (frame_channels, frame.dtype.type) not in layouts:
        expected = " or ".join(f"(h, w{'' if c is None else f', {c}'}) {np.dtype(t).name}" for c, t in layouts)
        raise KernelError(f"image preprocess: a {pixel_format} frame must be {expected}, "
                          f"got shape {frame.shape} {frame.dtype}")
    if frame.dtype == np.uint16:
        # uint16 pixel values (either endianness): hand the kernel little-endian bytes.
        frame = frame.astype("<u2", copy=False)
        pixel_format = "rgb565le"
    height, width = frame.shape[:2]
    return preprocess_buffer(frame, width, height, pixel_format, resize, side=side, channels=channels)
