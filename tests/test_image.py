"""Camera frame preprocessing (edgesim.compute.image, kernels/dsp/image): exact
golden values from an independent numpy formulation of the integer
arithmetic in edgesim/image.h, the reference bitmaps and photos through the
person detection model, and bad input."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgesim.errors import KernelError
from edgesim.compute.image import MAX_DIM, SIDE, preprocess, preprocess_buffer
from native_build import (assert_compiles_warning_free, build_harness, kernel_sources, run_fuzzer, run_harness,
                          sanitizer_env)

FORMATS = ["gray8", "rgb888", "bgr888", "rgb565", "rgb565le", "yuyv"]
METHODS = ["area", "bilinear"]
# (width, height): camera sizes, odd margins, non-integer scale factors,
# exact 96, upscaling, degenerate strips.
SIZES = [(160, 120), (176, 144), (320, 240), (98, 131), (96, 96), (64, 48), (2, 1), (1000, 2), (2, 300)]


# ---- independent formulation of the documented arithmetic ----

def luma(frame: np.ndarray, pixel_format: str) -> np.ndarray:
    """Gray levels (int64) of a frame array laid out as edgesim.compute.image documents."""
    f = frame.astype(np.int64)
    if pixel_format == "gray8":
        return f
    if pixel_format in ("rgb888", "bgr888", "rgb565", "rgb565le"):
        if pixel_format == "bgr888":
            r, g, b = f[..., 2], f[..., 1], f[..., 0]
        elif pixel_format == "rgb888":
            r, g, b = f[..., 0], f[..., 1], f[..., 2]
        else:
            hi, lo = (f[..., 0], f[..., 1]) if pixel_format == "rgb565" else (f[..., 1], f[..., 0])
            v = hi * 256 + lo
            r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
            r, g, b = r5 * 8 + r5 // 4, g6 * 4 + g6 // 16, b5 * 8 + b5 // 4
        return (9798 * r + 19235 * g + 3735 * b + 16384) // 32768
    assert pixel_format == "yuyv"
    return f[..., 0]  # byte 2x of each row is pixel x's Y


def area_weights(s: int, d: int) -> np.ndarray:
    """(d, s) overlaps of output cells [o*s, (o+1)*s) with source cells [i*d, (i+1)*d)."""
    o = np.arange(d)[:, None]
    i = np.arange(s)[None, :]
    return np.clip(np.minimum((o + 1) * s, (i + 1) * d) - np.maximum(o * s, i * d), 0, None)


def bilinear_weights(s: int, d: int) -> np.ndarray:
    """(d, s) weights in units of 1/(2d) for half-pixel-centre sampling."""
    w = np.zeros((d, s), np.int64)
    for o in range(d):
        pos = min(max((2 * o + 1) * s - d, 0), 2 * d * (s - 1))
        i0, frac = divmod(pos, 2 * d)
        w[o, i0] += 2 * d - frac
        w[o, min(i0 + 1, s - 1)] += frac
    return w


def expected(frame: np.ndarray, pixel_format: str, method: str) -> np.ndarray:
    gray = luma(frame, pixel_format)
    h, w = gray.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = gray[top:top + s, left:left + s]
    if method == "area":
        wts, denominator = area_weights(s, SIDE), s * s
    else:
        wts, denominator = bilinear_weights(s, SIDE), (2 * SIDE) ** 2
    total = wts @ crop @ wts.T
    return ((total + denominator // 2) // denominator - 128).astype(np.int8)


def random_frame(rng: np.random.Generator, pixel_format: str, width: int, height: int) -> np.ndarray:
    channels = {"gray8": (), "rgb888": (3,), "bgr888": (3,), "rgb565": (2,), "rgb565le": (2,), "yuyv": (2,)}
    frame = rng.integers(0, 256, (height, width, *channels[pixel_format]), dtype=np.uint8)
    # Full-scale corners so the extremes of every channel are exercised.
    frame[0, 0] = 255
    frame[-1, -1] = 0
    return frame


# ---- golden values ----

@pytest.mark.parametrize("pixel_format", FORMATS)
def test_every_format_and_size_equals_the_documented_integer_arithmetic(pixel_format: str) -> None:
    rng = np.random.default_rng(FORMATS.index(pixel_format))
    for width, height in SIZES:
        frame = random_frame(rng, pixel_format, width, height)
        for method in METHODS:
            got = preprocess(frame, pixel_format, method)
            assert got.shape == (SIDE, SIDE) and got.dtype == np.int8
            np.testing.assert_array_equal(got, expected(frame, pixel_format, method),
                                          err_msg=f"{pixel_format} {width}x{height} {method}")


def test_known_values_pin_luma_weights_and_rounding() -> None:
    # Hand-computed: (9798*200 + 19235*100 + 3735*50 + 16384) >> 15 = 124.
    pixel = np.array([[[200, 100, 50]]], np.uint8)
    assert preprocess(pixel, "rgb888")[0, 0] == 124 - 128
    assert preprocess(pixel[..., ::-1], "bgr888")[0, 0] == 124 - 128
    white = np.full((5, 5), 0xFFFF, np.uint16)
    assert (preprocess(white, "rgb565") == 127).all()
    # Area average of a 2x2 checkerboard of 0/255 -> 127.5 rounds half up to 128.
    board = np.tile(np.array([[0, 255], [255, 0]], np.uint8), (96, 96))
    assert (preprocess(board, "gray8", "area") == 0).all()


def test_same_picture_in_every_format_gives_the_same_input() -> None:
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    r5, g6, b5 = (rgb[..., 0] >> 3).astype(np.uint16), (rgb[..., 1] >> 2).astype(np.uint16), (rgb[..., 2] >> 3).astype(np.uint16)
    values = (r5 << 11) | (g6 << 5) | b5
    for method in METHODS:
        reference = preprocess(rgb, "rgb888", method)
        np.testing.assert_array_equal(preprocess(np.ascontiguousarray(rgb[..., ::-1]), "bgr888", method), reference)
        from565 = preprocess(values, "rgb565", method)
        np.testing.assert_array_equal(preprocess(values.astype(">u2"), "rgb565", method), from565)
        big_endian_bytes = values.astype(">u2").view(np.uint8).reshape(120, 160, 2)
        np.testing.assert_array_equal(preprocess(big_endian_bytes, "rgb565", method), from565)
        np.testing.assert_array_equal(preprocess(big_endian_bytes[..., ::-1].copy(), "rgb565le", method), from565)
        gray = rng.integers(0, 256, (120, 160), dtype=np.uint8)
        yuyv = np.stack([gray, rng.integers(0, 256, gray.shape, dtype=np.uint8)], axis=-1)
        np.testing.assert_array_equal(preprocess(yuyv, "yuyv", method), preprocess(gray, "gray8", method))


def test_raw_buffer_with_row_padding_equals_the_packed_frame() -> None:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (120, 160, 2), dtype=np.uint8)
    padded = np.zeros((120, 176, 2), np.uint8)
    padded[:, :160] = frame
    for method in METHODS:
        got = preprocess_buffer(padded.tobytes()[: 119 * 352 + 320], 160, 120, "rgb565", method, stride=352)
        np.testing.assert_array_equal(got, preprocess(frame, "rgb565", method))


# ---- reference bitmaps and photos through the model ----

def read_bmp_gray(path: Path) -> np.ndarray:
    """8-bit palette BMP -> gray rows top-down, palette applied (gray palettes only)."""
    data = path.read_bytes()
    offset, header = struct.unpack_from("<II", data, 10)
    width, height, _, bpp, compression = struct.unpack_from("<iiHHI", data, 18)
    colours = struct.unpack_from("<I", data, 46)[0] or 256
    assert bpp == 8 and compression == 0
    palette = np.frombuffer(data, np.uint8, colours * 4, 14 + header).reshape(-1, 4)
    assert (palette[:, 0] == palette[:, 1]).all() and (palette[:, 1] == palette[:, 2]).all()
    row_bytes = (width + 3) // 4 * 4
    rows = np.frombuffer(data, np.uint8, row_bytes * abs(height), offset).reshape(abs(height), row_bytes)
    indices = rows[:, :width]
    if height > 0:  # bottom-up
        indices = indices[::-1]
    return palette[indices, 2]


def classify_person(model: Path, model_input: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(model))
    interpreter.set_input(model_input.reshape(1, SIDE, SIDE, 1), 0)
    interpreter.invoke()
    return interpreter.get_output(0).reshape(-1)


# bitmap, how stored bytes become natural gray, reference output (testdata/README.md)
BITMAPS = [
    ("person.bmp", "stored as int8", [-113, 113]),
    ("no_person.bmp", "gray", [77, -77]),
    ("person_96x96.bmp", "gray", [-113, 113]),
    ("no_person_96x96.bmp", "gray", [94, -94]),
]


@pytest.mark.parametrize("name,storage,reference", BITMAPS)
def test_reference_bitmaps_pass_through_unchanged(testdata_dir: Path, models_dir: Path, name: str,
                                                 storage: str, reference: list[int]) -> None:
    stored = read_bmp_gray(testdata_dir / "person_detection" / name)
    gray = stored ^ 0x80 if storage == "stored as int8" else stored
    for method in METHODS:
        got = preprocess(gray, "gray8", method)
        np.testing.assert_array_equal(got, (gray.astype(np.int16) - 128).astype(np.int8))
    assert classify_person(models_dir / "person_detect.tflite", got).tolist() == reference


@pytest.mark.parametrize("name,label", [("person.jpg", 1), ("no_person.jpg", 0)])
def test_photos_decoded_by_opencv_are_classified_right(testdata_dir: Path, models_dir: Path,
                                                       name: str, label: int) -> None:
    cv2 = pytest.importorskip("cv2")
    path = str(testdata_dir / "person_detection" / name)
    gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    for frame, pixel_format in ((gray, "gray8"), (bgr, "bgr888")):
        for method in METHODS:
            scores = classify_person(models_dir / "person_detect.tflite", preprocess(frame, pixel_format, method))
            assert int(np.argmax(scores)) == label, (pixel_format, method, scores)
            assert abs(int(scores[1]) - int(scores[0])) > 150, scores  # a clear decision, not a coin flip


# ---- bad input ----

@pytest.mark.parametrize("call,message", [
    (lambda: preprocess_buffer(b"", 0, 0), "at least 1"),
    (lambda: preprocess_buffer(b"\0" * 4, 0, 4), "at least 1"),
    (lambda: preprocess_buffer(b"\0" * 4, MAX_DIM + 1, 1), "ES_IMAGE_MAX_DIM"),
    (lambda: preprocess_buffer(b"\0", 1, 2**31 - 1), "ES_IMAGE_MAX_DIM"),
    (lambda: preprocess_buffer(b"\0" * 4, -2, -2), "out of range"),
    (lambda: preprocess_buffer(b"\0" * 12, 3, 2, "yuyv"), "even width"),
    (lambda: preprocess(np.zeros((4, 3, 2), np.uint8), "yuyv"), "even width"),
    (lambda: preprocess_buffer(b"\0" * 15, 4, 4), "buffer length"),
    (lambda: preprocess_buffer(b"\0" * 17, 4, 4), "buffer length"),
    (lambda: preprocess_buffer(b"\0" * 31, 4, 4, "rgb565"), "buffer length"),
    (lambda: preprocess_buffer(b"\0" * 16, 4, 4, stride=3), "stride"),
    (lambda: preprocess_buffer(b"\0" * 16, 4, 4, "hsv"), "unknown pixel format"),
    (lambda: preprocess_buffer(b"\0" * 16, 4, 4, resize="nearest"), "unknown resize method"),
    (lambda: preprocess(np.zeros((4, 4, 3), np.uint8), "gray8"), "must be"),
    (lambda: preprocess(np.zeros((4, 4), np.float32), "gray8"), "must be"),
    (lambda: preprocess(np.zeros((4, 4, 3), np.uint8), "rgb565"), "must be"),
    (lambda: preprocess(np.zeros(16, np.uint8)), "expected a (height, width"),
    (lambda: preprocess(np.zeros((0, 5), np.uint8)), "at least 1"),
])
def test_bad_frames_raise_clear_errors(call, message: str) -> None:
    with pytest.raises(KernelError, match=message.replace("(", r"\(")):
        call()


# ---- the C kernels under sanitizers ----

def image_harness() -> Path:
    return build_harness("test_image", ["tests/c/test_image.c", *image_sources()])


def test_c_kernels_under_sanitizers_match_the_binding(tmp_path: Path) -> None:
    exe = image_harness()
    assert run_harness(exe, "selftest").startswith("ok")
    codes = {"gray8": 0, "rgb888": 1, "bgr888": 2, "rgb565": 3, "rgb565le": 4, "yuyv": 5}
    rng = np.random.default_rng(11)
    for pixel_format in FORMATS:
        for width, height in [(160, 120), (98, 131), (64, 48)]:
            frame = random_frame(rng, pixel_format, width, height)
            (tmp_path / "frame").write_bytes(frame.tobytes())
            for m, method in enumerate(METHODS):
                run_harness(exe, "run", str(width), str(height), "0", str(codes[pixel_format]), str(m),
                            tmp_path / "frame", tmp_path / "out", timeout=60)
                got = np.frombuffer((tmp_path / "out").read_bytes(), np.int8).reshape(SIDE, SIDE)
                np.testing.assert_array_equal(got, preprocess(frame, pixel_format, method))
    # A frame one byte short: an error status with a reason, no over-read.
    (tmp_path / "short").write_bytes(bytes(160 * 120 * 3 - 1))
    result = subprocess.run([exe, "run", "160", "120", "0", "1", "0", tmp_path / "short", tmp_path / "out"],
                            capture_output=True, text=True, timeout=60, env=sanitizer_env())
    assert result.returncode == 8 and "buffer length" in result.stderr  # ES_ERR_INPUT_DATA


def image_sources() -> list[Path]:
    """The image kernels of this concern (the JPEG decoder shares the folder)."""
    return [p for p in kernel_sources("common", "dsp/image") if not p.name.startswith("jpeg")]


def test_kernels_compile_warning_free_for_x86_and_cortex_m4(tmp_path: Path) -> None:
    assert_compiles_warning_free([p for p in image_sources() if "dsp" in p.parts], tmp_path)


def test_libfuzzer_target_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    frame = np.random.default_rng(0).integers(0, 256, 40 * 30 * 2, dtype=np.uint8).tobytes()
    seeds = {"rgb565": bytes([40, 0, 30, 0, 0, 3, 0, 0]) + frame,
             "yuyv_strided": bytes([40, 0, 0, 0, 9, 5, 1, 1]) + frame}
    run_fuzzer("fuzz_image", ["tests/fuzz/fuzz_image.c", *image_sources()], tmp_path,
               seconds=15, max_len=20000, timeout_per_input=10, seeds=seeds)
