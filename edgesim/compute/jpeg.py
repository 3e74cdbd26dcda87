"""Baseline JPEG decoding through the shared C kernel (the one the firmware uses for the camera).

    >>> from edgesim.compute import jpeg
    >>> gray = jpeg.decode(open("person.jpg", "rb").read())            # (H, W) uint8
    >>> rgb = jpeg.decode(open("person.jpg", "rb").read(), rgb=True)   # (H, W, 3) uint8
    >>> jpeg.info(data)                                                 # (width, height, components)

Gray output is the luma plane and RGB uses libjpeg's upsampling and color
conversion: both are bit-identical to OpenCV's decode.  Corrupt, truncated or unsupported files
(progressive, arithmetic, CMYK, 12-bit) raise SourceError saying why.
"""
from __future__ import annotations

import numpy as np

from edgesim import _jpeg


def info(data: bytes) -> tuple[int, int, int]:
    """(width, height, components) from the JPEG's frame header."""
    return _jpeg.info(data)


def decode(data: bytes, rgb: bool = False) -> np.ndarray:
    """Decode a baseline JPEG: (H, W) gray uint8, or (H, W, 3) RGB when rgb=True."""
    width, height, channels, pixels = _jpeg.decode(data, rgb=rgb)
    image = np.frombuffer(pixels, dtype=np.uint8)
    return image.reshape((height, width, 3) if channels == 3 else (height, width))
