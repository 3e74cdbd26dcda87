"""Random single-op models of the activation ops, int8 and float32.

Each generator takes a numpy Generator and a dtype ("int8" or "float32") and
returns an oplib.cases.Case.  Scales run from tiny to large, zero points hit
the int8 edges, LEAKY_RELU's alpha may be negative or above 1 and PRELU's
alpha broadcasts along any subset of axes.

Usage::

    case = ACTIVATION_CASES["LOGISTIC"](np.random.default_rng(1), "int8")
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.cases import Case, _int8, _log_uniform, _zero_point
from oplib.model import OPS, TensorSpec, single_op_model

OPS.update({
    "RELU": (schema.BuiltinOperator.RELU, schema.BuiltinOptions.NONE, 2),
    "RELU6": (schema.BuiltinOperator.RELU6, schema.BuiltinOptions.NONE, 2),
    "RELU_N1_TO_1": (schema.BuiltinOperator.RELU_N1_TO_1, schema.BuiltinOptions.NONE, 1),
    "LEAKY_RELU": (schema.BuiltinOperator.LEAKY_RELU, schema.BuiltinOptions.LeakyReluOptions, 2),
    "PRELU": (schema.BuiltinOperator.PRELU, schema.BuiltinOptions.NONE, 1),
    "LOGISTIC": (schema.BuiltinOperator.LOGISTIC, schema.BuiltinOptions.NONE, 2),
    "TANH": (schema.BuiltinOperator.TANH, schema.BuiltinOptions.NONE, 2),
    "HARD_SWISH": (schema.BuiltinOperator.HARD_SWISH, schema.BuiltinOptions.NONE, 1),
})


def leaky_relu_options(alpha: float) -> schema.LeakyReluOptionsT:
    o = schema.LeakyReluOptionsT()
    o.alpha = alpha
    return o


def random_shape(rng: np.random.Generator, max_rank: int = 4) -> tuple[int, ...]:
    rank = int(rng.integers(1, max_rank + 1))
    return tuple(int(d) for d in rng.integers(1, 7, rank))


def random_float(rng: np.random.Generator, shape: tuple[int, ...], spread: float = 4.0) -> np.ndarray:
    """Floats around the interesting range, with exact zeros, -0.0 and large values mixed in."""
    x = (rng.normal(0, spread, shape) * rng.choice([0.1, 1.0, 1.0, 5.0], shape)).astype(np.float32)
    special = np.array([0.0, -0.0, 1e-30, -1e-30, 3.0, -3.0, 6.0, 1e6, -1e6, 20.0, -20.0], np.float32)
    mask = rng.random(shape) < 0.1
    x[mask] = rng.choice(special, int(mask.sum()))
    return x


def _unary(op: str, rng: np.random.Generator, dtype: str, in_quant: tuple[float, int],
           out_quant: tuple[float, int], options: object = None, what: str = "") -> Case:
    shape = random_shape(rng)
    if dtype == "float32":
        model = single_op_model(op, [TensorSpec(shape, np.float32)], [TensorSpec(shape, np.float32)], options)
        return Case(model, [random_float(rng, shape)], f"{op} float32 {shape} {what}")
    model = single_op_model(op, [TensorSpec(shape, scale=in_quant[0], zero_point=in_quant[1])],
                            [TensorSpec(shape, scale=out_quant[0], zero_point=out_quant[1])], options)
    return Case(model, [_int8(rng, shape)], f"{op} int8 {shape} in {in_quant} out {out_quant} {what}")


def _in_quant(rng: np.random.Generator, lo: float = 1e-3, hi: float = 1.0) -> tuple[float, int]:
    return _log_uniform(rng, lo, hi), _zero_point(rng)


def relu_case(rng: np.random.Generator, dtype: str) -> Case:
    scale, zp = _in_quant(rng)
    return _unary("RELU", rng, dtype, (scale, zp), (scale * _log_uniform(rng, 0.2, 5.0), _zero_point(rng)))


def relu_n1_to_1_case(rng: np.random.Generator, dtype: str) -> Case:
    scale, zp = _in_quant(rng, 1e-3, 0.1)
    return _unary("RELU_N1_TO_1", rng, dtype, (scale, zp), (_log_uniform(rng, 2 / 255 / 2, 2 / 255 * 4), _zero_point(rng)))


def relu6_case(rng: np.random.Generator, dtype: str) -> Case:
    scale, zp = _in_quant(rng, 1e-3, 0.2)
    # TFLM assumes the output shares the input's quantization; sometimes it does not.
    out = (scale, zp) if rng.integers(0, 3) else _in_quant(rng)
    return _unary("RELU6", rng, dtype, (scale, zp), out)


def leaky_relu_case(rng: np.random.Generator, dtype: str) -> Case:
    alpha = float(rng.choice([0.2, 0.01, 0.0, 1.0, -0.5, 1.7, float(rng.uniform(-2, 2))]))
    scale, zp = _in_quant(rng)
    out = (scale * _log_uniform(rng, 0.2, 5.0), _zero_point(rng))
    return _unary("LEAKY_RELU", rng, dtype, (scale, zp), out, leaky_relu_options(alpha), f"alpha {alpha}")


def logistic_case(rng: np.random.Generator, dtype: str) -> Case:
    zp = -128 if rng.integers(0, 8) else _zero_point(rng)  # TFLM rejects other zero points
    return _unary("LOGISTIC", rng, dtype, _in_quant(rng, 1e-3, 4.0), (1 / 256, zp))


def tanh_case(rng: np.random.Generator, dtype: str) -> Case:
    return _unary("TANH", rng, dtype, _in_quant(rng, 1e-3, 4.0), (1 / 128, 0))


def hard_swish_case(rng: np.random.Generator, dtype: str) -> Case:
    scale, zp = _in_quant(rng, 1e-3, 1.0)
    return _unary("HARD_SWISH", rng, dtype, (scale, zp), (scale * _log_uniform(rng, 0.02, 3.0), _zero_point(rng)))


def prelu_case(rng: np.random.Generator, dtype: str) -> Case:
    shape = random_shape(rng)
    # alpha: the trailing axes of the input, some of them (or all but one) broadcast.
    alpha_rank = int(rng.integers(1, len(shape) + 1))
    alpha_shape = tuple(d if rng.integers(0, 3) else 1 for d in shape[len(shape) - alpha_rank:])
    what = f"alpha {alpha_shape}"
    if dtype == "float32":
        alpha = rng.uniform(-1.5, 1.5, alpha_shape).astype(np.float32)
        model = single_op_model("PRELU", [TensorSpec(shape, np.float32), TensorSpec(alpha_shape, np.float32, data=alpha)],
                                [TensorSpec(shape, np.float32)])
        return Case(model, [random_float(rng, shape)], f"PRELU float32 {shape} {what}")
    in_scale, in_zp = _in_quant(rng)
    alpha_scale, alpha_zp = _log_uniform(rng, 1e-3, 0.05), _zero_point(rng)
    out = (in_scale * _log_uniform(rng, 0.2, 5.0), _zero_point(rng))
    model = single_op_model("PRELU", [TensorSpec(shape, scale=in_scale, zero_point=in_zp),
                                      TensorSpec(alpha_shape, data=_int8(rng, alpha_shape), scale=alpha_scale,
                                                 zero_point=alpha_zp)],
                            [TensorSpec(shape, scale=out[0], zero_point=out[1])])
    return Case(model, [_int8(rng, shape)], f"PRELU int8 {shape} {what} in {(in_scale, in_zp)} out {out}")


ACTIVATION_CASES: dict[str, Callable[[np.random.Generator, str], Case]] = {
    "RELU": relu_case,
    "RELU6": relu6_case,
    "RELU_N1_TO_1": relu_n1_to_1_case,
    "LEAKY_RELU": leaky_relu_case,
    "PRELU": prelu_case,
    "LOGISTIC": logistic_case,
    "TANH": tanh_case,
    "HARD_SWISH": hard_swish_case,
}
