"""Per-op speed of the newer op kernels against TFLite Micro on the host.

For each op (int8 and float32) one single-op model of a realistic layer size
(tests/oplib builds them) runs through edgesim.Model and through
tflite_micro.runtime.Interpreter (TFLM reference kernels) on the same input;
the median time of one inference (input in, output out, through each
runtime's Python API) and the ratio are printed.  Outputs are compared on the
way; a difference is reported, not hidden.  Target: no op slower than TFLM
(ratio >= 1).

Usage:
    .venv/bin/python benchmarks/bench_ops.py [--repeat 200] [--ops RELU TRANSPOSE ...]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the single-op model builder (tests/oplib)

from oplib.model import TensorSpec, single_op_model  # noqa: E402
from oplib.activation_cases import leaky_relu_options  # noqa: E402  (registers the activation ops)
from oplib.shape_cases import _i32, _options, schema  # noqa: E402
from oplib.reduce_cases import RESIZE_REDUCE_CASES  # noqa: E402,F401  (registers the resize/reduce ops)
from oplib.matmul_cases import transpose_conv_options  # noqa: E402
from oplib.sequence_cases import svdf_options, with_variables  # noqa: E402
from oplib.lstm_cases import lstm_case  # noqa: E402

IMAGE = (1, 24, 24, 32)


def _spec(shape: tuple[int, ...], dtype: str, **kw) -> TensorSpec:
    if dtype == "float32":
        return TensorSpec(shape, np.float32, **kw)
    return TensorSpec(shape, np.int8, scale=kw.pop("scale", 0.05), zero_point=kw.pop("zero_point", -3), **kw)


def _data(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    if dtype == "float32":
        return rng.normal(0, 2, shape).astype(np.float32)
    return rng.integers(-128, 128, shape).astype(np.int8)


def models(dtype: str, rng: np.random.Generator) -> dict[str, tuple[bytes, list[np.ndarray]]]:
    """op -> (model, inputs) at layer sizes typical of the TinyML models."""
    s, x = IMAGE, _data(IMAGE, dtype, rng)
    unary = lambda op, options=None, out=None: (  # noqa: E731
        single_op_model(op, [_spec(s, dtype)], [out or _spec(s, dtype)], options), [x])
    m = {
        "RELU": unary("RELU"), "RELU6": unary("RELU6"), "LEAKY_RELU": unary("LEAKY_RELU", leaky_relu_options(0.2)),
        "LOGISTIC": unary("LOGISTIC", out=_spec(s, dtype, scale=1 / 256, zero_point=-128)),
        "TANH": unary("TANH", out=_spec(s, dtype, scale=1 / 128, zero_point=0)),
        "HARD_SWISH": unary("HARD_SWISH"),
        "PRELU": (single_op_model("PRELU", [_spec(s, dtype), _spec((32,), dtype, data=_data((32,), dtype, rng))],
                                  [_spec(s, dtype)]), [x]),
        "CONCATENATION": (single_op_model("CONCATENATION", [_spec(s, dtype), _spec(s, dtype)],
                                          [_spec((1, 24, 24, 64), dtype)], _options(schema.ConcatenationOptionsT, axis=3)),
                          [x, x]),
        "PAD": (single_op_model("PAD", [_spec(s, dtype), _i32([[0, 0], [1, 1], [1, 1], [0, 0]])],
                                [_spec((1, 26, 26, 32), dtype)], _options(schema.PadOptionsT)), [x]),
        "STRIDED_SLICE": (single_op_model("STRIDED_SLICE", [_spec(s, dtype), _i32([0, 0, 0, 0]), _i32([1, 24, 24, 32]),
                                                            _i32([1, 2, 2, 1])], [_spec((1, 12, 12, 32), dtype)],
                                          _options(schema.StridedSliceOptionsT)), [x]),
        "TRANSPOSE": (single_op_model("TRANSPOSE", [_spec(s, dtype), _i32([0, 3, 1, 2])], [_spec((1, 32, 24, 24), dtype)],
                                      _options(schema.TransposeOptionsT)), [x]),
        "RESIZE_NEAREST_NEIGHBOR": (single_op_model("RESIZE_NEAREST_NEIGHBOR", [_spec(s, dtype), _i32([48, 48])],
                                                    [_spec((1, 48, 48, 32), dtype)],
                                                    _options(schema.ResizeNearestNeighborOptionsT)), [x]),
        "RESIZE_BILINEAR": (single_op_model("RESIZE_BILINEAR", [_spec(s, dtype), _i32([48, 48])],
                                            [_spec((1, 48, 48, 32), dtype)], _options(schema.ResizeBilinearOptionsT)), [x]),
        "REDUCE_MAX": (single_op_model("REDUCE_MAX", [_spec(s, dtype), _i32([1, 2])], [_spec((1, 32), dtype)],
                                       _options(schema.ReducerOptionsT)), [x]),
        "SUM": (single_op_model("SUM", [_spec(s, dtype), _i32([1, 2])], [_spec((1, 32), dtype, scale=5.0)],
                                _options(schema.ReducerOptionsT)), [x]),
        "L2_NORMALIZATION": unary("L2_NORMALIZATION", _options(schema.L2NormOptionsT),
                                  _spec(s, dtype, scale=1 / 128, zero_point=0)),
    }
    filt = TensorSpec((16, 3, 3, 32), np.float32, data=rng.normal(0, 1, (16, 3, 3, 32)).astype(np.float32)) \
        if dtype == "float32" else TensorSpec((16, 3, 3, 32), data=_data((16, 3, 3, 32), "int8", rng), scale=0.01)
    small = (1, 12, 12, 32)
    m["TRANSPOSE_CONV"] = (single_op_model("TRANSPOSE_CONV", [_i32([1, 24, 24, 16]), filt, _spec(small, dtype)],
                                           [_spec((1, 24, 24, 16), dtype, scale=0.5)],
                                           transpose_conv_options("SAME", (2, 2), "NONE")), [_data(small, dtype, rng)])
    a, b = (4, 32, 48), (4, 48, 32)
    m["BATCH_MATMUL"] = (single_op_model("BATCH_MATMUL", [_spec(a, dtype), _spec(b, dtype)],
                                         [_spec((4, 32, 32), dtype, scale=20.0)], _options(schema.BatchMatMulOptionsT)),
                         [_data(a, dtype, rng), _data(b, dtype, rng)])
    # A keyword-spotting-sized LSTM: 25 steps of 16 features into 32 units.
    lstm = lstm_case(rng, dtype, invokes=1, sizes=(1, 25, 16, 32))
    m["UNIDIRECTIONAL_SEQUENCE_LSTM"] = (lstm.model, lstm.inputs)
    return m


def median_us(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed inferences per runtime and op (median)")
    parser.add_argument("--ops", nargs="*", help="only these ops (default: all)")
    args = parser.parse_args()
    from edgesim import Model
    from tflite_micro import runtime

    rng = np.random.default_rng(0)
    slower = []
    print(f"{'op':26s} {'type':8s} {'edgesim us':>11s} {'tflm us':>9s} {'ratio':>7s}")
    for dtype in ("int8", "float32"):
        for op, (model, inputs) in models(dtype, rng).items():
            if args.ops and op not in args.ops:
                continue
            ours = Model(model)
            tflm = runtime.Interpreter.from_bytes(model, arena_size=4 << 20)

            def run_tflm() -> np.ndarray:
                for i, v in enumerate(inputs):
                    tflm.set_input(v, i)
                tflm.invoke()
                return tflm.get_output(0)

            def run_ours() -> np.ndarray:
                return ours.invoke(*inputs)

            same = np.array_equal(np.asarray(run_ours()).view(np.uint8), np.asarray(run_tflm()).view(np.uint8))
            t_ours, t_tflm = median_us(run_ours, args.repeat), median_us(run_tflm, args.repeat)
            ratio = t_tflm / t_ours
            if ratio < 1:
                slower.append(f"{op} {dtype}")
            print(f"{op:26s} {dtype:8s} {t_ours:11.1f} {t_tflm:9.1f} {ratio:6.1f}x{'' if same else '  OUTPUT DIFFERS'}")
    print("slower than TFLM:", ", ".join(slower) if slower else "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
