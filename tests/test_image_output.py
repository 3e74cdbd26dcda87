"""Image preprocessing to any square size, gray or RGB (es_image_preprocess_to), against the
documented integer arithmetic restated in numpy (the separable weights of tests/test_image.py)."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.compute.image import preprocess
from edgesim.errors import KernelError
from test_image import area_weights, bilinear_weights, luma, random_frame


def channel_values(frame: np.ndarray, pixel_format: str, channel: int) -> np.ndarray:
    """Channel c (R, G, B) of every pixel widened to 8 bits as image.h documents; gray gives gray."""
    f = frame.astype(np.int64)
    if pixel_format == "gray8":
        return f
    if pixel_format == "rgb888":
        return f[..., channel]
    if pixel_format == "bgr888":
        return f[..., 2 - channel]
    hi, lo = (f[..., 0], f[..., 1]) if pixel_format == "rgb565" else (f[..., 1], f[..., 0])
    v = hi * 256 + lo
    five, six = ((v >> 11) & 31, (v >> 5) & 63, v & 31)[channel], (v >> 5) & 63
    return six * 4 + six // 16 if channel == 1 else five * 8 + five // 4


def expected(frame: np.ndarray, pixel_format: str, method: str, side: int, channels: int) -> np.ndarray:
    planes = [luma(frame, pixel_format)] if channels == 1 else [channel_values(frame, pixel_format, c)
                                                                for c in range(3)]
    out = []
    for plane in planes:
        h, w = plane.shape
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        crop = plane[top:top + s, left:left + s]
        if method == "area":
            weights, denominator = area_weights(s, side), s * s
        else:
            weights, denominator = bilinear_weights(s, side), (2 * side) ** 2
        out.append((weights @ crop @ weights.T + denominator // 2) // denominator - 128)
    result = np.stack(out, axis=-1).astype(np.int8)
    return result[..., 0] if channels == 1 else result


@pytest.mark.parametrize("pixel_format", ["gray8", "rgb888", "bgr888", "rgb565", "rgb565le"])
@pytest.mark.parametrize("side, channels", [(96, 3), (32, 1), (48, 3), (1, 3), (224, 3), (130, 1)])
def test_any_side_gray_or_rgb_equals_the_documented_arithmetic(pixel_format: str, side: int, channels: int) -> None:
    rng = np.random.default_rng(side * 7 + channels)
    for width, height in ((160, 120), (98, 131), (64, 48), (2, 300)):
        frame = random_frame(rng, pixel_format, width, height)
        for method in ("area", "bilinear"):
            got = preprocess(frame, pixel_format, method, side=side, channels=channels)
            want = expected(frame, pixel_format, method, side, channels)
            assert got.shape == want.shape
            np.testing.assert_array_equal(got, want, err_msg=f"{pixel_format} {width}x{height} {method}")


def test_the_person_detection_default_is_unchanged() -> None:
    frame = random_frame(np.random.default_rng(1), "rgb888", 160, 120)
    assert np.array_equal(preprocess(frame, "rgb888"), preprocess(frame, "rgb888", side=96, channels=1))


@pytest.mark.parametrize("call, message", [
    (lambda: preprocess(np.zeros((4, 4, 2), np.uint8), "yuyv", channels=3), "RGB output from YUYV"),
    (lambda: preprocess(np.zeros((4, 4), np.uint8), side=0), "1..1024 pixels square"),
    (lambda: preprocess(np.zeros((4, 4), np.uint8), side=1025), "1..1024 pixels square"),
    (lambda: preprocess(np.zeros((4, 4), np.uint8), channels=2), "1 or 3 channels"),
])
def test_outputs_the_kernel_cannot_make_are_refused(call, message: str) -> None:
    with pytest.raises(KernelError, match=message):
        call()
