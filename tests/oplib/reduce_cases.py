"""Random single-op models of RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR,
REDUCE_MAX, SUM and L2_NORMALIZATION, int8 and float32.

Usage::

    case = RESIZE_REDUCE_CASES["RESIZE_BILINEAR"](np.random.default_rng(1), "int8")
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.activation_cases import random_float
from oplib.cases import Case, _int8, _log_uniform, _zero_point
from oplib.model import OPS, TensorSpec, single_op_model
from oplib.shape_cases import _i32, _options, _shape, _Tensors

_B, _O = schema.BuiltinOperator, schema.BuiltinOptions
OPS.update({
    "RESIZE_NEAREST_NEIGHBOR": (_B.RESIZE_NEAREST_NEIGHBOR, _O.ResizeNearestNeighborOptions, 3),
    "RESIZE_BILINEAR": (_B.RESIZE_BILINEAR, _O.ResizeBilinearOptions, 3),
    "REDUCE_MAX": (_B.REDUCE_MAX, _O.ReducerOptions, 2),
    "SUM": (_B.SUM, _O.ReducerOptions, 1),
    "L2_NORMALIZATION": (_B.L2_NORMALIZATION, _O.L2NormOptions, 2),
})


def _resize(rng: np.random.Generator, dtype: str, op: str) -> Case:
    t = _Tensors(rng, dtype)
    n, h, w, c = 1 + int(rng.integers(0, 2)), *(int(v) for v in rng.integers(1, 9, 2)), int(rng.integers(1, 5))
    out_h, out_w = (int(v) for v in rng.integers(1, 17, 2))
    mode = int(rng.integers(0, 3))  # plain, align_corners, half_pixel_centers
    cls = schema.ResizeBilinearOptionsT if op == "RESIZE_BILINEAR" else schema.ResizeNearestNeighborOptionsT
    options = _options(cls, alignCorners=mode == 1, halfPixelCenters=mode == 2)
    model = single_op_model(op, [t.spec((n, h, w, c)), _i32([out_h, out_w])], [t.spec((n, out_h, out_w, c))], options)
    return Case(model, [t.data((n, h, w, c))], f"{op} {dtype} {(n, h, w, c)} -> {(out_h, out_w)} mode {mode}")


def resize_nearest_neighbor_case(rng: np.random.Generator, dtype: str) -> Case:
    return _resize(rng, dtype, "RESIZE_NEAREST_NEIGHBOR")


def resize_bilinear_case(rng: np.random.Generator, dtype: str) -> Case:
    return _resize(rng, dtype, "RESIZE_BILINEAR")


def _reduce(rng: np.random.Generator, dtype: str, op: str) -> Case:
    shape = _shape(rng, 1, 4, 6)
    rank = len(shape)
    axes = sorted({int(a) for a in rng.integers(0, rank, int(rng.integers(1, rank + 1)))})
    written = [a - rank if rng.integers(0, 2) else a for a in axes]
    if rng.integers(0, 4) == 0:
        written.append(written[0])  # duplicates are ignored
    keep_dims = bool(rng.integers(0, 2))
    out = tuple(1 if i in axes else d for i, d in enumerate(shape)) if keep_dims else \
        tuple(d for i, d in enumerate(shape) if i not in axes)
    if dtype == "float32":
        model = single_op_model(op, [TensorSpec(shape, np.float32), _i32(written)], [TensorSpec(out, np.float32)],
                                _options(schema.ReducerOptionsT, keepDims=keep_dims))
        return Case(model, [random_float(rng, shape)], f"{op} float32 {shape} axes {written} keep {keep_dims}")
    in_q = (_log_uniform(rng, 1e-3, 1.0), _zero_point(rng))
    out_q = in_q if op == "REDUCE_MAX" else (in_q[0] * _log_uniform(rng, 0.5, 30.0), _zero_point(rng))
    model = single_op_model(op, [TensorSpec(shape, scale=in_q[0], zero_point=in_q[1]), _i32(written)],
                            [TensorSpec(out, scale=out_q[0], zero_point=out_q[1])],
                            _options(schema.ReducerOptionsT, keepDims=keep_dims))
    return Case(model, [_int8(rng, shape)], f"{op} int8 {shape} axes {written} keep {keep_dims} in {in_q} out {out_q}")


def reduce_max_case(rng: np.random.Generator, dtype: str) -> Case:
    return _reduce(rng, dtype, "REDUCE_MAX")


def sum_case(rng: np.random.Generator, dtype: str) -> Case:
    return _reduce(rng, dtype, "SUM")


def l2_normalization_case(rng: np.random.Generator, dtype: str) -> Case:
    shape = _shape(rng, 1, 4, 8)
    if dtype == "float32":
        x = random_float(rng, shape)
        if rng.integers(0, 4) == 0:
            x[..., :] = 0.0  # rows of zeros: the epsilon branch
        model = single_op_model("L2_NORMALIZATION", [TensorSpec(shape, np.float32)], [TensorSpec(shape, np.float32)],
                                _options(schema.L2NormOptionsT))
        return Case(model, [x], f"L2_NORMALIZATION float32 {shape}")
    zp = _zero_point(rng)
    model = single_op_model("L2_NORMALIZATION", [TensorSpec(shape, scale=_log_uniform(rng, 1e-3, 1.0), zero_point=zp)],
                            [TensorSpec(shape, scale=1 / 128, zero_point=0)], _options(schema.L2NormOptionsT))
    x = _int8(rng, shape)
    if rng.integers(0, 4) == 0:
        x[..., : max(1, shape[-1] - 1)] = zp  # tiny sums of squares: the input <= 1 branch
    return Case(model, [x], f"L2_NORMALIZATION int8 {shape} zp {zp}")


RESIZE_REDUCE_CASES: dict[str, Callable[[np.random.Generator, str], Case]] = {
    "RESIZE_NEAREST_NEIGHBOR": resize_nearest_neighbor_case,
    "RESIZE_BILINEAR": resize_bilinear_case,
    "REDUCE_MAX": reduce_max_case,
    "SUM": sum_case,
    "L2_NORMALIZATION": l2_normalization_case,
}
