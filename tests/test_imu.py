"""Magic wand IMU kernels (edgesim.compute.imu, kernels/dsp/imu): reference rasters
and classifications, bit-exact agreement with an independent model of the
upstream sketch, streaming behaviour, bad input, sanitizers and fuzzing."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from edgesim.errors import KernelError
from edgesim.compute.imu import RASTER_MAX_POINTS, STROKE_MAX_POINTS, StrokeSegmenter, rasterize, stroke_from_floats
from imu_reference import SketchModel, rasterize_reference, synthetic_circle_stream
from native_build import (assert_compiles_warning_free, build_harness, kernel_sources, require_compiler, run_fuzzer,
                          run_harness)

# testdata/README.md: int8 outputs of magic_wand.tflite for the synthetic digits
DIGIT_OUTPUTS = {
    0: [49, -128, -124, -126, -128, -127, -82, -128, -102, -128],
    1: [-124, 106, -127, -123, -126, -127, -124, -127, -126, -125],
    3: [-128, -128, -127, 117, -128, -119, -128, -128, -128, -128],
    7: [-117, -127, -81, -76, -107, -107, -125, -46, -124, -114],
}


def load_stroke(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2).astype(np.int8)


@pytest.fixture(scope="module")
def classify():
    """raster -> int8 scores of magic_wand.tflite (TFLM reference kernels)."""
    from conftest import shared_path
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(shared_path("models", "magic_wand.tflite")))

    def run(raster: np.ndarray) -> np.ndarray:
        interpreter.set_input(raster.reshape(1, 32, 32, 3), 0)
        interpreter.invoke()
        return interpreter.get_output(0).reshape(-1)

    return run


# ---- rasterizer ----

@pytest.mark.parametrize("digit", sorted(DIGIT_OUTPUTS))
def test_synthetic_digit_strokes_rasterize_to_reference_bytes_and_classify(testdata_dir: Path, classify,
                                                                          digit: int) -> None:
    folder = testdata_dir / "magic_wand"
    raster = rasterize(load_stroke(folder / f"stroke_digit{digit}.csv"))
    expected = np.fromfile(folder / f"stroke_digit{digit}_raster.bin", dtype=np.int8).reshape(32, 32, 3)
    np.testing.assert_array_equal(raster, expected)
    scores = classify(raster)
    assert scores.tolist() == DIGIT_OUTPUTS[digit]
    assert int(np.argmax(scores)) == digit


def test_all_real_strokes_get_the_labelled_top1(testdata_dir: Path, classify) -> None:
    folder = testdata_dir / "magic_wand" / "real"
    with open(folder / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 100
    for row in rows:
        scores = classify(rasterize(load_stroke(folder / row["file"])))
        assert int(np.argmax(scores)) == int(row["model_top1"]) == int(row["label"]), row["file"]
        assert int(scores.max()) == int(row["model_top_score_int8"]), row["file"]


def test_rasterizer_equals_an_independent_integer_formulation() -> None:
    rng = np.random.default_rng(5)
    strokes = [np.array([[-128, -128], [127, 127], [-128, 127], [127, -128], [0, 0]], np.int8),
               np.array([[5, 5]], np.int8), np.array([[3, 3], [3, 3], [3, 3]], np.int8)]
    for _ in range(40):
        n = int(rng.integers(2, 300))
        walk = np.cumsum(rng.integers(-12, 13, (n, 2)), axis=0) + rng.integers(-60, 60, 2)
        strokes.append(np.clip(walk, -128, 127).astype(np.int8))
    strokes.append(rng.integers(-128, 128, (200, 2)).astype(np.int8))
    for points in strokes:
        for ranges in ((2457, 2457), (1025, 1025), (8192, 3000)):
            np.testing.assert_array_equal(rasterize(points, *ranges), rasterize_reference(points, *ranges))


def test_mouse_strokes_from_floats() -> None:
    t = np.linspace(0, 2 * np.pi, 60)
    xy = np.stack([0.4 * np.sin(t), 0.4 * np.cos(t)], axis=1)
    points = stroke_from_floats(xy)
    assert points.dtype == np.int8 and points[0].tolist() == [0, 51]  # 0.4 * 128 = 51.2
    assert stroke_from_floats(np.array([[0.5 / 128, -1.5 / 128], [9.0, -9.0]])).tolist() == [[1, -2], [127, -128]]
    raster = rasterize(points)
    drawn = (raster > -128).any(axis=2)
    assert 50 < drawn.sum() < 120  # a ring of radius ~11 px (circumference ~67), not a blob
    assert not drawn[12:20, 12:20].any()  # hollow middle


# ---- segmenter ----

def strokes_of(samples: np.ndarray, chunk: int) -> list[np.ndarray]:
    segmenter = StrokeSegmenter()
    found = []
    for start in range(0, len(samples), chunk):
        found += segmenter.push(samples[start:start + chunk])
    return found


def test_synthetic_wand_circle_is_one_stroke_classified_zero(classify) -> None:
    samples = synthetic_circle_stream()
    strokes = strokes_of(samples, len(samples))
    assert len(strokes) == 1
    stroke = strokes[0]
    assert 60 // 2 < len(stroke) <= STROKE_MAX_POINTS
    raster = rasterize(stroke)
    drawn = (raster > -128).any(axis=2)
    rows, cols = np.nonzero(drawn)
    assert rows.max() - rows.min() > 15 and cols.max() - cols.min() > 15  # a full-size figure
    assert not drawn[13:19, 13:19].any()  # a ring around an empty middle
    assert int(np.argmax(classify(raster))) == 0
    # chunking does not matter: one sample at a time or in odd-sized pieces
    for chunk in (1, 7, 119):
        assert [s.tolist() for s in strokes_of(samples, chunk)] == [stroke.tolist()]


def test_segmenter_is_bit_exact_with_an_independent_model_of_the_sketch() -> None:
    samples = np.concatenate([synthetic_circle_stream(seed=1), synthetic_circle_stream(seed=2, radius_deg=12.0),
                              synthetic_circle_stream(seed=7, radius_deg=20.0, tilt_deg=50.0)])
    model = SketchModel()
    expected = [s for s in (model.push(sample) for sample in samples) if s is not None]
    got = strokes_of(samples, 50)
    assert len(expected) == 3
    assert [s.tolist() for s in got] == [s.tolist() for s in expected]


def test_still_and_tiny_motion_give_no_stroke() -> None:
    rng = np.random.default_rng(2)
    still = np.zeros((1000, 6), np.float32)
    still[:, 2] = 1.0
    still += rng.normal(0, 0.01, still.shape).astype(np.float32)
    segmenter = StrokeSegmenter()
    assert segmenter.push(still) == []
    assert segmenter.state == StrokeSegmenter.WAITING
    # Movement that draws nothing is discarded by the minimum extent rule:
    # a fast shake of about +-1.6 degrees, and a twist about the wand's own x axis.
    shake = still.copy()
    shake[500:600, 5] += 100.0 * np.sin(2 * np.pi * 10.0 * np.arange(100) / 119.0)
    twist = still.copy()
    twist[500:600, 3] += 200.0
    for samples in (shake, twist):
        segmenter = StrokeSegmenter()
        states = []
        for i in range(len(samples)):
            segmenter.push(samples[i:i + 1])
            states.append(segmenter.state)
        assert StrokeSegmenter.DRAWING in states  # it did see movement ...
        assert StrokeSegmenter().push(samples) == []  # ... but no stroke came out


def test_reset_forgets_history() -> None:
    samples = synthetic_circle_stream()
    segmenter = StrokeSegmenter()
    first = segmenter.push(samples)
    segmenter.push(samples[: len(samples) // 2])  # leave a stroke half drawn
    segmenter.reset()
    assert segmenter.state == StrokeSegmenter.WAITING
    assert [s.tolist() for s in segmenter.push(samples)] == [s.tolist() for s in first]


# ---- bad input ----

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 2e6, -3e38])
def test_non_finite_or_absurd_samples_are_rejected_without_touching_state(bad: float) -> None:
    samples = synthetic_circle_stream()
    reference = strokes_of(samples, 100)
    segmenter = StrokeSegmenter()
    found = segmenter.push(samples[:200])
    for axis in range(6):
        corrupt = samples[200:300].copy()
        corrupt[37, axis] = bad
        with pytest.raises(KernelError, match="sample 37 has a NaN, infinite"):
            segmenter.push(corrupt)
    found += segmenter.push(samples[200:])
    assert [s.tolist() for s in found] == [s.tolist() for s in reference]


@pytest.mark.parametrize("call,message", [
    (lambda: StrokeSegmenter().push(np.zeros((0, 6), np.float32)), "no samples"),
    (lambda: StrokeSegmenter().push(np.zeros((10, 3), np.float32)), r"expected an \(n, 6\)"),
    (lambda: StrokeSegmenter().push(np.zeros(60, np.float32)), r"expected an \(n, 6\)"),
    (lambda: StrokeSegmenter(sample_rate_hz=0), "sample_rate_hz"),
    (lambda: StrokeSegmenter(sample_rate_hz=float("nan")), "sample_rate_hz"),
    (lambda: rasterize(np.zeros((0, 2), np.int8)), "no points"),
    (lambda: rasterize(np.zeros((5, 2), np.float32)), "int8"),
    (lambda: rasterize(np.zeros((5, 3), np.int8)), r"\(n, 2\)"),
    (lambda: rasterize(np.zeros((RASTER_MAX_POINTS + 1, 2), np.int8)), "at most|more than"),
    (lambda: rasterize(np.zeros((5, 2), np.int8), 1024, 2457), "ranges"),
    (lambda: stroke_from_floats(np.array([[np.nan, 0.0]])), "finite"),
])
def test_bad_calls_raise_clear_errors(call, message: str) -> None:
    with pytest.raises(KernelError, match=message):
        call()


# ---- C: sanitizers, cross compiler, fuzzing ----

def imu_sources() -> list[Path]:
    return kernel_sources("common", "dsp/imu")


def test_c_kernels_under_sanitizers_match_the_binding(tmp_path: Path, testdata_dir: Path) -> None:
    exe = build_harness("test_imu", ["tests/c/test_imu.c", *imu_sources()])
    assert run_harness(exe, "selftest").startswith("ok")

    samples = np.concatenate([synthetic_circle_stream(seed=3), synthetic_circle_stream(seed=4, radius_deg=25.0)])
    samples[150, 4] = np.nan  # rejected by the harness too, and skipped
    (tmp_path / "stream").write_bytes(samples.astype("<f4").tobytes())
    run_harness(exe, "segment", tmp_path / "stream", tmp_path / "out")
    expected = b""
    segmenter = StrokeSegmenter()
    for start in range(0, len(samples)):
        if start == 150:
            continue
        for stroke in segmenter.push(samples[start:start + 1]):
            expected += np.int32(len(stroke)).tobytes() + stroke.tobytes() + rasterize(stroke).tobytes()
    assert len(expected) > 0 and (tmp_path / "out").read_bytes() == expected

    for path in sorted((testdata_dir / "magic_wand").glob("stroke_digit*.csv")):
        points = load_stroke(path)
        (tmp_path / "points").write_bytes(points.tobytes())
        run_harness(exe, "raster", tmp_path / "points", tmp_path / "raster", timeout=60)
        assert (tmp_path / "raster").read_bytes() == rasterize(points).tobytes()


def test_kernels_compile_warning_free_for_x86_and_cortex_m4(tmp_path: Path) -> None:
    assert_compiles_warning_free(kernel_sources("dsp/imu"), tmp_path)


def test_libfuzzer_target_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    stream = synthetic_circle_stream()[::2].astype("<f4").tobytes()
    seeds = {"stream": b"\x00\x63" + stream, "points": b"\x01\x99\x09\x99\x09" + load_points_seed()}
    run_fuzzer("fuzz_imu", ["tests/fuzz/fuzz_imu.c", *imu_sources()], tmp_path,
               seconds=15, max_len=20000, timeout_per_input=10, seeds=seeds)


def test_emulated_cortex_m4_segments_and_rasterizes_bit_identically(models_dir: Path) -> None:
    """The float segmenter on the Cortex-M4 FPU (QEMU, gesture firmware) gives
    exactly the host's rasters: same strokes, same pixels."""
    require_compiler("arm-none-eabi-gcc")
    require_compiler("qemu-system-arm")
    from edgesim.apps import load_app
    from edgesim.sources.base import ImuChunk
    from edgesim.targets.emulator import EmulatorTarget

    samples = np.concatenate([synthetic_circle_stream(seed=1), synthetic_circle_stream(seed=2, radius_deg=12.0),
                              synthetic_circle_stream(seed=6, radius_deg=22.0, draw_s=1.2)])
    host = [rasterize(stroke).tobytes() for stroke in StrokeSegmenter().push(samples)]
    assert len(host) >= 2
    with EmulatorTarget(features=True, channel="semihosting", model=str(models_dir / "magic_wand.tflite")) as target:
        target.open(load_app("gesture"))
        for start in range(0, len(samples), 64):
            target.process(ImuChunk(t_ms=start * 1000 / 119, samples=samples[start:start + 64]))
        target.finish()
        emulated = [np.asarray(f).astype(np.int8).tobytes() for f in target.features]
    assert emulated == host


def load_points_seed() -> bytes:
    t = np.linspace(0, 6, 50)
    return stroke_from_floats(np.stack([0.5 * np.cos(t), 0.5 * np.sin(t)], axis=1)).tobytes()
