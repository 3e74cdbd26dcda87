"""Still images without OpenCV: the BMP/PNG reader and the JPEG kernel give OpenCV's pixels."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim.errors import SourceError
from edgesim.sources.still_images import Unsupported, decode_image

cv2 = pytest.importorskip("cv2", reason="OpenCV (the reference decoder) not installed: pip install 'edgesim[dev]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow (writes palette and 1-bit test images) not installed")


def opencv_pixels(blob: bytes) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels.ndim == 3:
        pixels = pixels[:, :, 2::-1]  # BGR(A) -> RGB, alpha dropped
    return pixels


def assert_like_opencv(blob: bytes) -> None:
    pixels, pixel_format = decode_image(blob, "test image")
    expected = opencv_pixels(blob)
    assert pixel_format == ("gray8" if expected.ndim == 2 else "rgb888")
    np.testing.assert_array_equal(pixels, expected)


def pil_bytes(image: "Image.Image", fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("name", ["person.jpg", "no_person.jpg", "person.bmp", "person_96x96.bmp"])
def test_shared_images_decode_like_opencv(name: str) -> None:
    assert_like_opencv(shared_path("testdata", "person_detection", name).read_bytes())


@pytest.mark.parametrize("shape", [(17, 23), (17, 23, 3), (16, 9, 4), (1, 1, 3)])
@pytest.mark.parametrize("suffix,options", [(".png", [cv2.IMWRITE_PNG_COMPRESSION, 9]),
                                            (".png", [cv2.IMWRITE_PNG_COMPRESSION, 0]), (".bmp", [])])
def test_opencv_written_images(shape: tuple[int, ...], suffix: str, options: list[int]) -> None:
    rng = np.random.default_rng(sum(shape))
    # Smooth gradients plus noise: PNG's encoder then picks every filter type.
    base = np.add.outer(np.arange(shape[0]), np.arange(shape[1])).astype(np.int32) * 3
    pixels = base.reshape(shape[:2] + (1,) * (len(shape) - 2)) + rng.integers(0, 40, shape)
    ok, blob = cv2.imencode(suffix, (pixels % 256).astype(np.uint8), options)
    assert ok
    assert_like_opencv(blob.tobytes())


@pytest.mark.parametrize("mode,fmt", [("P", "PNG"), ("P", "BMP"), ("1", "PNG"), ("1", "BMP"), ("L", "PNG"),
                                      ("L", "BMP"), ("RGBA", "PNG"), ("LA", "PNG")])
def test_pillow_written_palette_and_bilevel_images(mode: str, fmt: str) -> None:
    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 256, (13, 29, 3), dtype=np.uint8), "RGB")
    image = rgb.convert(mode) if mode != "P" else rgb.quantize(colors=16)
    assert_like_opencv(pil_bytes(image, fmt))


def test_corrupt_and_unsupported_files_give_one_clear_error(tmp_path: Path) -> None:
    ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    blob = png.tobytes()
    with pytest.raises(SourceError, match="corrupt or unsupported image"):
        decode_image(blob[:40], "cut.png")
    with pytest.raises(SourceError, match="cut.bmp"):
        ok, bmp = cv2.imencode(".bmp", np.zeros((8, 8), np.uint8))
        decode_image(bmp.tobytes()[:-20], "cut.bmp")
    with pytest.raises(Unsupported):
        decode_image(b"GIF89a" + bytes(20), "x.gif")
    progressive = Image.fromarray(np.full((16, 16, 3), 90, np.uint8))
    with pytest.raises(Unsupported, match="progressive"):
        decode_image(pil_bytes(progressive, "JPEG", progressive=True), "p.jpg")
