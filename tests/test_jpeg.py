"""The baseline JPEG decoder kernel (edgesim/kernels/dsp/image/jpeg*.c) against OpenCV.

Measured against OpenCV 5 (libjpeg-turbo, default "islow" IDCT and "fancy"
upsampling): max abs diff 0 and mean abs diff 0, gray and RGB, for both shared
photos and for every sampling (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1), odd sizes
and restart intervals below.  So the documented tolerance is exact equality.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from edgesim.compute import jpeg  # noqa: E402
from edgesim.errors import SourceError  # noqa: E402
from native_build import build_harness, kernel_sources, run_fuzzer, run_harness  # noqa: E402

SAMPLINGS = {
    "444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
    "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
    "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
    "440": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440,
    "411": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411,
}


def photo(testdata_dir: Path, name: str) -> Path:
    return testdata_dir / "person_detection" / f"{name}.jpg"


def encode(bgr: np.ndarray, *params: int) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, list(params))
    assert ok
    return data.tobytes()


def opencv_gray(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def opencv_rgb(data: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@pytest.fixture
def small_bgr(testdata_dir: Path) -> np.ndarray:
    """A 45x37 crop of the person photo: odd size, partial MCUs on both edges."""
    image = cv2.imread(str(photo(testdata_dir, "person")))
    return cv2.resize(image, (45, 37), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("name", ["person", "no_person"])
def test_gray_equals_opencv_exactly(testdata_dir: Path, name: str) -> None:
    data = photo(testdata_dir, name).read_bytes()
    gray = jpeg.decode(data)
    assert gray.dtype == np.uint8 and gray.shape == opencv_gray(data).shape
    assert np.array_equal(gray, opencv_gray(data))


@pytest.mark.parametrize("name", ["person", "no_person"])
def test_rgb_equals_opencv_exactly(testdata_dir: Path, name: str) -> None:
    data = photo(testdata_dir, name).read_bytes()
    rgb = jpeg.decode(data, rgb=True)
    assert rgb.shape == opencv_rgb(data).shape
    assert np.array_equal(rgb, opencv_rgb(data))


@pytest.mark.parametrize("size", [(45, 37), (17, 9), (33, 1), (1, 1)])
@pytest.mark.parametrize("sampling", sorted(SAMPLINGS))
def test_every_sampling_and_size_equals_opencv(small_bgr: np.ndarray, sampling: str, size: tuple) -> None:
    """Partial MCUs on both edges, one-row and one-pixel images: gray and RGB identical."""
    image = cv2.resize(small_bgr, size, interpolation=cv2.INTER_AREA)
    data = encode(image, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, SAMPLINGS[sampling])
    assert np.array_equal(jpeg.decode(data), opencv_gray(data))
    assert np.array_equal(jpeg.decode(data, rgb=True), opencv_rgb(data))
    assert jpeg.info(data) == (size[0], size[1], 3)


def test_grayscale_file_in_gray_and_rgb(small_bgr: np.ndarray) -> None:
    data = encode(cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY))
    assert jpeg.info(data) == (45, 37, 1)
    gray = jpeg.decode(data)
    assert np.array_equal(gray, opencv_gray(data))
    assert np.array_equal(jpeg.decode(data, rgb=True), np.repeat(gray[:, :, None], 3, axis=2))


@pytest.mark.parametrize("interval", [1, 2, 5])
def test_restart_markers(small_bgr: np.ndarray, interval: int) -> None:
    data = encode(small_bgr, cv2.IMWRITE_JPEG_RST_INTERVAL, interval)
    assert b"\xff\xd0" in data
    assert np.array_equal(jpeg.decode(data), opencv_gray(data))
    assert np.array_equal(jpeg.decode(data, rgb=True), opencv_rgb(data))


def test_restart_marker_out_of_sequence_is_named(small_bgr: np.ndarray) -> None:
    data = bytearray(encode(small_bgr, cv2.IMWRITE_JPEG_RST_INTERVAL, 1))
    at = data.index(b"\xff\xd1")
    data[at + 1] = 0xD3
    with pytest.raises(SourceError, match="restart marker out of sequence"):
        jpeg.decode(bytes(data))


def test_progressive_is_rejected_by_name(small_bgr: np.ndarray) -> None:
    data = encode(small_bgr, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)
    with pytest.raises(SourceError, match="progressive JPEG is not supported"):
        jpeg.decode(data)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not a JPEG"),
        (b"BM\x00\x00", "not a JPEG"),
        (b"\xff\xd8\xff\xd9", "before any scan"),
        (b"\xff\xd8\xff\xe0\x00\x40JFIF", "past the end"),
    ],
)
def test_garbage_is_rejected_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        jpeg.decode(data)


def test_truncations_are_rejected(testdata_dir: Path) -> None:
    data = photo(testdata_dir, "no_person").read_bytes()
    for cut in (1, 100, 600, len(data) // 2, len(data) - 3, len(data) - 1):
        with pytest.raises(SourceError, match="JPEG: corrupt or unsupported image: "):
            jpeg.decode(data[:cut])


def test_truncations_and_mutations_under_sanitizers(small_bgr: np.ndarray, tmp_path: Path) -> None:
    """Every prefix and 3000 random mutations of two small files, under ASan + UBSan."""
    exe = build_harness("test_jpeg", ["tests/c/test_jpeg.c", *kernel_sources("common", "dsp/image")])
    files = {
        "rst420": encode(small_bgr, cv2.IMWRITE_JPEG_RST_INTERVAL, 2),
        "422": encode(small_bgr, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, SAMPLINGS["422"]),
    }
    for seed, (name, data) in enumerate(files.items(), start=1):
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(data)
        ok, _checksum, truncations, mutations, accepted = run_harness(exe, path, "3000", str(seed),
                                                                      timeout=300).split()
        assert ok == "ok" and int(truncations) == len(data) and int(mutations) == 3000
        # most mutations must be caught; those accepted only changed entropy-coded pixels
        assert int(accepted) < 1500


def test_libfuzzer_target_runs_clean_for_a_bounded_time(small_bgr: np.ndarray, tmp_path: Path) -> None:
    tiny = cv2.resize(small_bgr, (17, 9))
    seeds = [encode(tiny, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, s) for s in SAMPLINGS.values()]
    seeds += [encode(tiny, cv2.IMWRITE_JPEG_RST_INTERVAL, 1), encode(cv2.cvtColor(tiny, cv2.COLOR_BGR2GRAY))]
    run_fuzzer("fuzz_jpeg", ["tests/fuzz/fuzz_jpeg.c", *kernel_sources("common", "dsp/image")], tmp_path,
               seconds=15, max_len=4096, seeds={f"seed{i}": bytes([i & 1]) + seed for i, seed in enumerate(seeds)})


def test_stray_bytes_before_eoi_are_skipped_but_eoi_is_required(small_bgr: np.ndarray) -> None:
    data = encode(small_bgr)
    assert data.endswith(b"\xff\xd9")
    padded = data[:-2] + b"\x00\x17\x00" + data[-2:]  # an encoder's padding after the scan
    assert np.array_equal(jpeg.decode(padded), opencv_gray(data))
    with pytest.raises(SourceError, match="without an EOI marker"):
        jpeg.decode(data[:-2] + b"\x00\x17\x00")
