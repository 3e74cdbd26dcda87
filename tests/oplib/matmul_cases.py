"""Random single-op models of TRANSPOSE_CONV (int8 with per-channel and
per-tensor filter scales, with and without bias, every fused activation) and
BATCH_MATMUL (adj_x, adj_y, broadcast batch axes, constant or variable rhs),
int8 and float32.

Usage::

    case = MATMUL_CASES["TRANSPOSE_CONV"](np.random.default_rng(1), "int8")
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.activation_cases import random_float
from oplib.cases import ACTIVATIONS, Case, _bias, _int8, _log_uniform, _output_zero_point, _requant_scales, _zero_point
from oplib.model import ACTIVATION, OPS, PADDING, TensorSpec, single_op_model
from oplib.shape_cases import _i32

OPS.update({
    "TRANSPOSE_CONV": (schema.BuiltinOperator.TRANSPOSE_CONV, schema.BuiltinOptions.TransposeConvOptions, 3),
    "BATCH_MATMUL": (schema.BuiltinOperator.BATCH_MATMUL, schema.BuiltinOptions.BatchMatMulOptions, 2),
})


def transpose_conv_options(padding: str, stride: tuple[int, int], activation: str) -> schema.TransposeConvOptionsT:
    o = schema.TransposeConvOptionsT()
    o.padding = PADDING[padding]
    o.strideH, o.strideW = stride
    o.fusedActivationFunction = ACTIVATION[activation]
    return o


def transpose_conv_case(rng: np.random.Generator, dtype: str) -> Case:
    padding = str(rng.choice(["SAME", "VALID"]))
    stride = tuple(int(v) for v in rng.choice([1, 2, 2, 3], 2))
    batch, in_h, in_w, in_c = int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 6, 2)), int(rng.integers(1, 5))
    out_c, f_h, f_w = int(rng.integers(1, 5)), *(int(v) for v in rng.integers(1, 5, 2))
    if padding == "VALID":
        out_h, out_w = (in_h - 1) * stride[0] + f_h, (in_w - 1) * stride[1] + f_w
    else:
        out_h, out_w = in_h * stride[0], in_w * stride[1]
    activation = str(rng.choice(ACTIVATIONS))
    with_bias = bool(rng.integers(0, 4))
    output_shape = _i32([batch, out_h, out_w, out_c])
    in_shape, f_shape, out_shape = (batch, in_h, in_w, in_c), (out_c, f_h, f_w, in_c), (batch, out_h, out_w, out_c)
    what = f"{padding} stride {stride} in {in_shape} filter {f_shape} out {out_shape} {activation} bias {with_bias}"
    options = transpose_conv_options(padding, stride, activation)
    if dtype == "float32":
        filt = TensorSpec(f_shape, np.float32, data=rng.normal(0, 1, f_shape).astype(np.float32))
        bias = TensorSpec((out_c,), np.float32, data=rng.normal(0, 2, out_c).astype(np.float32)) if with_bias else None
        inputs = [output_shape, filt, TensorSpec(in_shape, np.float32)] + ([bias] if bias else [])
        model = single_op_model("TRANSPOSE_CONV", inputs, [TensorSpec(out_shape, np.float32)], options)
        return Case(model, [random_float(rng, in_shape, 2.0)], f"TRANSPOSE_CONV float32 {what}")
    per_channel = bool(rng.integers(0, 2))
    depth = in_c * f_h * f_w
    in_scale, filter_scales, out_scale = _requant_scales(rng, activation, depth, out_c if per_channel else 1)
    filt = TensorSpec(f_shape, data=rng.integers(-127, 128, f_shape).astype(np.int8), scale=filter_scales,
                      zero_point=0, quantized_dimension=0)
    bias = TensorSpec((out_c,), np.int32, data=_bias(rng, out_c, depth)) if with_bias else None
    inputs = [output_shape, filt, TensorSpec(in_shape, scale=in_scale, zero_point=_zero_point(rng))]
    model = single_op_model("TRANSPOSE_CONV", inputs + ([bias] if bias else []),
                            [TensorSpec(out_shape, scale=out_scale, zero_point=_output_zero_point(rng, activation))],
                            options)
    return Case(model, [_int8(rng, in_shape)], f"TRANSPOSE_CONV int8 {what} per-channel {per_channel}")


def batch_matmul_case(rng: np.random.Generator, dtype: str) -> Case:
    rows, depth, cols = (int(v) for v in rng.integers(1, 7, 3))
    adj_x, adj_y = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
    batch_rank = int(rng.integers(0, 4))
    batch = [int(v) for v in rng.integers(1, 4, batch_rank)]
    lhs_batch = [1 if rng.integers(0, 3) == 0 else b for b in batch]
    rhs_batch = [b if lb == 1 or rng.integers(0, 3) else 1 for b, lb in zip(batch, lhs_batch)]
    rhs_batch = rhs_batch[int(rng.integers(0, batch_rank + 1)):]  # rhs may have fewer axes
    out_batch = [max(lb, rb) for lb, rb in zip(lhs_batch, [1] * (len(lhs_batch) - len(rhs_batch)) + rhs_batch)]
    lhs_shape = tuple(lhs_batch) + ((depth, rows) if adj_x else (rows, depth))
    rhs_shape = tuple(rhs_batch) + ((cols, depth) if adj_y else (depth, cols))
    out_shape = tuple(out_batch) + (rows, cols)
    constant_rhs = bool(rng.integers(0, 2))
    options = schema.BatchMatMulOptionsT()
    options.adjX, options.adjY = adj_x, adj_y
    what = f"{lhs_shape} x {rhs_shape} -> {out_shape} adj {adj_x, adj_y} constant rhs {constant_rhs}"
    if dtype == "float32":
        y = rng.normal(0, 1, rhs_shape).astype(np.float32)
        rhs = TensorSpec(rhs_shape, np.float32, data=y if constant_rhs else None)
        model = single_op_model("BATCH_MATMUL", [TensorSpec(lhs_shape, np.float32), rhs],
                                [TensorSpec(out_shape, np.float32)], options)
        return Case(model, [random_float(rng, lhs_shape, 2.0)] + ([] if constant_rhs else [y]),
                    f"BATCH_MATMUL float32 {what}")
    in_scale, rhs_scale = _log_uniform(rng, 1e-3, 1.0), _log_uniform(rng, 1e-3, 1.0)
    x, y = _int8(rng, lhs_shape), _int8(rng, rhs_shape)
    x_zp, y_zp = _zero_point(rng), _zero_point(rng)
    # Output scale spreading the actual accumulators over int8; sometimes far
    # off on purpose (saturation, multipliers flushed to zero).
    xm = x.astype(np.int64) - x_zp
    ym = y.astype(np.int64) - y_zp
    acc = (np.swapaxes(xm, -1, -2) if adj_x else xm) @ (np.swapaxes(ym, -1, -2) if adj_y else ym)
    out_scale = in_scale * rhs_scale * max(1.0, float(np.abs(acc).max())) / 100 * _log_uniform(rng, 0.7, 1.5)
    out_scale *= float(rng.choice([1.0] * 6 + [1e-3, 1e4]))
    rhs = TensorSpec(rhs_shape, data=y if constant_rhs else None, scale=rhs_scale, zero_point=y_zp)
    model = single_op_model("BATCH_MATMUL", [TensorSpec(lhs_shape, scale=in_scale, zero_point=x_zp), rhs],
                            [TensorSpec(out_shape, scale=out_scale, zero_point=_zero_point(rng))], options)
    return Case(model, [x] + ([] if constant_rhs else [y]), f"BATCH_MATMUL int8 {what}")


MATMUL_CASES: dict[str, Callable[[np.random.Generator, str], Case]] = {
    "TRANSPOSE_CONV": transpose_conv_case,
    "BATCH_MATMUL": batch_matmul_case,
}
