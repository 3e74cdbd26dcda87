"""Random single-op models covering each op's parameter space.

Every generator takes a numpy Generator and returns a Case: the model bytes,
its input arrays and a short description for failure messages.  Shapes,
strides, padding, dilation, depth multipliers, per-channel scales, fused
activations, zero points (including the int8 edges), missing biases, batches
and requantization multipliers from tiny (flushed to zero) to large
(saturating) are all drawn here.

Usage::

    rng = np.random.default_rng(1234)
    case = CASES["CONV_2D"](rng)
    run_tflm(case.model, case.inputs)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from oplib.model import (
    TensorSpec,
    binary_options,
    conv2d_options,
    depthwise_conv2d_options,
    fully_connected_options,
    pool2d_options,
    reducer_options,
    reshape_options,
    single_op_model,
    softmax_options,
)

ACTIVATIONS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@dataclass
class Case:
    model: bytes
    inputs: list[np.ndarray]
    description: str


def _int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random int8 data; sometimes concentrated near a corner of the range."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return rng.integers(-128, 128, shape).astype(np.int8)
    if kind == 1:
        return rng.integers(-128, -100, shape).astype(np.int8)
    if kind == 2:
        return rng.integers(100, 128, shape).astype(np.int8)
    return np.clip(np.round(rng.normal(0, 40, shape)), -128, 127).astype(np.int8)


def _zero_point(rng: np.random.Generator) -> int:
    return int(rng.choice([-128, 127, 0, -1, int(rng.integers(-128, 128))]))


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _requant_scales(rng: np.random.Generator, activation: str, depth: int, channels: int
                    ) -> tuple[float, list[float], float]:
    """(input scale, filter scales, output scale) that spread the outputs over
    the activation's int8 range; sometimes far off on purpose: a tiny output
    scale saturates, a huge one gives multipliers below 2^-32 (flushed to 0)."""
    if activation == "RELU6":
        output_scale = 6.0 / 255 * _log_uniform(rng, 0.7, 1.5)
    elif activation == "RELU_N1_TO_1":
        output_scale = 2.0 / 255 * _log_uniform(rng, 0.7, 1.5)
    else:
        output_scale = _log_uniform(rng, 1e-3, 1.0)
    input_scale = _log_uniform(rng, 1e-3, 2.0)
    accumulator_std = np.sqrt(depth) * 73 * 80
    center = output_scale * 40 / (input_scale * accumulator_std)
    filter_scales = [center * _log_uniform(rng, 0.5, 2.0) for _ in range(channels)]
    kind = rng.integers(0, 12)
    if kind == 0:
        output_scale *= _log_uniform(rng, 1e-4, 1e-2)  # large multipliers: saturation
    elif kind == 1:
        output_scale *= _log_uniform(rng, 1e6, 1e12)  # multipliers near or below 2^-32
    return input_scale, filter_scales, output_scale


def _bias(rng: np.random.Generator, channels: int, depth: int) -> np.ndarray:
    """Bias comparable to the accumulator, sometimes dominating it."""
    magnitude = np.sqrt(depth) * 73 * 80 * float(rng.choice([0.1, 1.0, 3.0, 1000.0]))
    magnitude = min(magnitude, float(1 << 30))
    return rng.uniform(-magnitude, magnitude, channels).astype(np.int64).astype(np.int32)


def _output_zero_point(rng: np.random.Generator, activation: str) -> int:
    return -128 if activation in ("RELU", "RELU6") and rng.integers(0, 2) else _zero_point(rng)


def _spatial(rng: np.random.Generator, kernel: int, stride: int, dilation: int, padding: str) -> int:
    effective = (kernel - 1) * dilation + 1
    lo = effective if padding == "VALID" else 1
    return int(rng.integers(lo, lo + 10))


def _conv_like(rng: np.random.Generator, depthwise: bool) -> Case:
    padding = str(rng.choice(["SAME", "VALID"]))
    k_h, k_w = (int(v) for v in rng.integers(1, 6, 2))
    stride = tuple(int(v) for v in rng.choice([1, 1, 2, 3], 2))
    dilation = tuple(int(v) for v in rng.choice([1, 1, 1, 2, 3], 2))
    in_h = _spatial(rng, k_h, stride[0], dilation[0], padding)
    in_w = _spatial(rng, k_w, stride[1], dilation[1], padding)
    batches = int(rng.choice([1, 1, 1, 2, 3]))
    activation = str(rng.choice(ACTIVATIONS))
    if padding == "SAME":
        out_h, out_w = -(-in_h // stride[0]), -(-in_w // stride[1])
    else:
        out_h = (in_h - (k_h - 1) * dilation[0] - 1) // stride[0] + 1
        out_w = (in_w - (k_w - 1) * dilation[1] - 1) // stride[1] + 1
    if depthwise:
        in_c = int(rng.choice([1, 2, 3, 4, 5, 8, 12, 16]))
        multiplier = int(rng.choice([1, 1, 1, 2, 3, 4, 8]))
        out_c = in_c * multiplier
        filter_shape = (1, k_h, k_w, out_c)
        depth = k_h * k_w
        axis = 3
    else:
        in_c = int(rng.choice([1, 2, 3, 4, 7, 8, 16, 24]))
        groups = int(rng.choice([1, 1, 1, 1, 2])) if in_c % 2 == 0 else 1
        out_c = int(rng.integers(1, 9)) * groups
        filter_shape = (out_c, k_h, k_w, in_c // groups)
        depth = k_h * k_w * in_c // groups
        axis = 0
    per_channel = bool(rng.integers(0, 3))
    input_scale, filter_scales, output_scale = _requant_scales(rng, activation, depth, out_c if per_channel else 1)
    weights = rng.integers(-127, 128, filter_shape).astype(np.int8)
    has_bias = rng.integers(0, 4) > 0
    bias = _bias(rng, out_c, depth) if has_bias else None
    in_zp, out_zp = _zero_point(rng), _output_zero_point(rng, activation)
    specs = [
        TensorSpec((batches, in_h, in_w, in_c), scale=input_scale, zero_point=in_zp),
        TensorSpec(filter_shape, data=weights, scale=filter_scales, zero_point=0, quantized_dimension=axis),
        TensorSpec((out_c,), dtype=np.int32, data=bias, scale=[input_scale * s for s in filter_scales],
                   quantized_dimension=0) if has_bias else None,
    ]
    out = TensorSpec((batches, out_h, out_w, out_c), scale=output_scale, zero_point=out_zp)
    if depthwise:
        options = depthwise_conv2d_options(padding, stride, dilation, multiplier, activation)
        op, extra = "DEPTHWISE_CONV_2D", f"multiplier={multiplier}"
    else:
        options = conv2d_options(padding, stride, dilation, activation)
        op, extra = "CONV_2D", f"groups={in_c // filter_shape[3]}"
    # Bias omitted entirely rather than index -1.  (TFLM's DEPTHWISE_CONV_2D
    # crashes on a -1 bias; tests/test_ops_conv.py covers that form separately.)
    if not has_bias and (depthwise or rng.integers(0, 2)):
        specs = specs[:2]
    model = single_op_model(op, specs, [out], options)
    x = _int8(rng, (batches, in_h, in_w, in_c))
    desc = (f"{op} in={x.shape} filter={filter_shape} {padding} stride={stride} dilation={dilation} {extra} "
            f"act={activation} per_channel={per_channel} bias={has_bias} zp=({in_zp},{out_zp}) "
            f"scales=({input_scale:.3g},{output_scale:.3g})")
    return Case(model, [x], desc)


def conv2d_case(rng: np.random.Generator) -> Case:
    return _conv_like(rng, depthwise=False)


def depthwise_conv2d_case(rng: np.random.Generator) -> Case:
    return _conv_like(rng, depthwise=True)


def fully_connected_case(rng: np.random.Generator) -> Case:
    depth = int(rng.choice([1, 3, 8, 16, 63, 64, 100, 257]))
    rows = int(rng.integers(1, 20))
    batches = int(rng.choice([1, 1, 2, 3, 5]))
    keep_num_dims = bool(rng.integers(0, 2))
    if keep_num_dims:
        input_shape = (batches, 1, depth)
        output_shape = (batches, 1, rows)
    else:
        input_shape = (batches, depth) if rng.integers(0, 2) else (batches, 1, 1, depth)
        output_shape = (batches, rows)
    per_channel = rng.integers(0, 4) == 0
    activation = str(rng.choice(ACTIVATIONS))
    input_scale, weight_scales, output_scale = _requant_scales(rng, activation, depth, rows if per_channel else 1)
    # Asymmetric weights exercise the per-tensor kernel's weight offset.
    weight_zp = 0 if per_channel or rng.integers(0, 3) else int(rng.integers(-20, 21))
    weights = rng.integers(-127, 128, (rows, depth)).astype(np.int8)
    has_bias = rng.integers(0, 4) > 0
    bias_scale = [input_scale * s for s in weight_scales]
    bias = TensorSpec((rows,), dtype=np.int32, data=_bias(rng, rows, depth), scale=bias_scale) if has_bias else None
    in_zp, out_zp = _zero_point(rng), _output_zero_point(rng, activation)
    specs = [TensorSpec(input_shape, scale=input_scale, zero_point=in_zp),
             TensorSpec((rows, depth), data=weights, scale=weight_scales, zero_point=weight_zp), bias]
    if not has_bias and rng.integers(0, 2):
        specs = specs[:2]
    out = TensorSpec(output_shape, scale=output_scale, zero_point=out_zp)
    model = single_op_model("FULLY_CONNECTED", specs, [out], fully_connected_options(activation, keep_num_dims))
    x = _int8(rng, input_shape)
    desc = (f"FULLY_CONNECTED in={input_shape} rows={rows} keep_num_dims={keep_num_dims} per_channel={per_channel} "
            f"weight_zp={weight_zp} bias={has_bias} act={activation} zp=({in_zp},{out_zp}) "
            f"scales=({input_scale:.3g},{output_scale:.3g})")
    return Case(model, [x], desc)


def softmax_case(rng: np.random.Generator) -> Case:
    depth = int(rng.choice([1, 2, 4, 10, 37, 100, 300]))
    rank = int(rng.integers(1, 5))
    outer = [int(v) for v in rng.integers(1, 4, rank - 1)]
    shape = tuple(outer + [depth])
    input_scale = float(rng.choice([_log_uniform(rng, 1e-3, 1.0), 1.0 / 16, 0.1]))
    beta = float(rng.choice([1.0, 1.0, 0.5, 2.0, _log_uniform(rng, 1e-2, 1e2)]))
    if beta * input_scale * 2 ** 26 <= 1.0:
        beta = 1.0
    in_zp = _zero_point(rng)
    model = single_op_model("SOFTMAX", [TensorSpec(shape, scale=input_scale, zero_point=in_zp)],
                            [TensorSpec(shape, scale=1.0 / 256, zero_point=-128)], softmax_options(beta))
    x = _int8(rng, shape)  # depth < 512 keeps TFLM's sum of exponentials below its limit
    return Case(model, [x], f"SOFTMAX shape={shape} beta={beta:.4g} input_scale={input_scale:.4g} zp={in_zp}")


def _pool(rng: np.random.Generator, op: str) -> Case:
    padding = str(rng.choice(["SAME", "VALID"]))
    f_h, f_w = (int(v) for v in rng.integers(1, 6, 2))
    stride = tuple(int(v) for v in rng.choice([1, 1, 2, 3], 2))
    in_h = _spatial(rng, f_h, stride[0], 1, padding)
    in_w = _spatial(rng, f_w, stride[1], 1, padding)
    channels = int(rng.choice([1, 2, 3, 8, 16, 33]))
    batches = int(rng.choice([1, 1, 2]))
    if padding == "SAME":
        out_h, out_w = -(-in_h // stride[0]), -(-in_w // stride[1])
    else:
        out_h, out_w = (in_h - f_h) // stride[0] + 1, (in_w - f_w) // stride[1] + 1
    scale, zp = _log_uniform(rng, 1e-3, 2.0), _zero_point(rng)
    activation = str(rng.choice(ACTIVATIONS))
    model = single_op_model(op, [TensorSpec((batches, in_h, in_w, channels), scale=scale, zero_point=zp)],
                            [TensorSpec((batches, out_h, out_w, channels), scale=scale, zero_point=zp)],
                            pool2d_options((f_h, f_w), padding, stride, activation))
    x = _int8(rng, (batches, in_h, in_w, channels))
    return Case(model, [x], f"{op} in={x.shape} filter={(f_h, f_w)} {padding} stride={stride} act={activation} "
                            f"scale={scale:.3g} zp={zp}")


def average_pool2d_case(rng: np.random.Generator) -> Case:
    return _pool(rng, "AVERAGE_POOL_2D")


def max_pool2d_case(rng: np.random.Generator) -> Case:
    return _pool(rng, "MAX_POOL_2D")


def reshape_case(rng: np.random.Generator) -> Case:
    dims = [int(v) for v in rng.integers(1, 6, int(rng.integers(1, 5)))]
    total = int(np.prod(dims))
    new_shape = [total] if rng.integers(0, 2) else [1, total]
    if total % 2 == 0 and rng.integers(0, 2):
        new_shape = [2, total // 2]
    with_shape_input = bool(rng.integers(0, 2))
    dtype = np.int8 if rng.integers(0, 4) else np.int32
    q = dict(scale=0.5, zero_point=3) if dtype == np.int8 else {}
    inputs = [TensorSpec(tuple(dims), dtype=dtype, **q)]
    if with_shape_input:
        inputs.append(TensorSpec((len(new_shape),), dtype=np.int32, data=np.array(new_shape, np.int32)))
    option_shape = [-1] + new_shape[1:] if len(new_shape) > 1 else new_shape
    model = single_op_model("RESHAPE", inputs, [TensorSpec(tuple(new_shape), dtype=dtype, **q)],
                            reshape_options(option_shape))
    x = (rng.integers(-128, 128, dims).astype(np.int8) if dtype == np.int8
         else rng.integers(-(1 << 31), (1 << 31) - 1, dims, dtype=np.int64).astype(np.int32))
    return Case(model, [x], f"RESHAPE {tuple(dims)} -> {tuple(new_shape)} dtype={np.dtype(dtype).name} "
                            f"shape_input={with_shape_input}")


def mean_case(rng: np.random.Generator) -> Case:
    rank = int(rng.integers(1, 5))
    dims = [int(v) for v in rng.integers(1, 7, rank)]
    if rank == 4 and rng.integers(0, 2):
        axes = [1, 2] if rng.integers(0, 2) else [2, 1]  # the spatial mean of NHWC tensors
    else:
        n_axes = int(rng.integers(1, rank + 1))
        axes = [int(a) for a in rng.choice(rank, n_axes, replace=False)]
        axes = [a - rank if rng.integers(0, 3) == 0 else a for a in axes]  # some negative
    keep_dims = bool(rng.integers(0, 2))
    reduced = {a % rank for a in axes}
    out_dims = [1 if i in reduced else d for i, d in enumerate(dims)] if keep_dims else \
        [d for i, d in enumerate(dims) if i not in reduced]
    if not out_dims:
        out_dims = [1]
    in_scale = _log_uniform(rng, 1e-3, 2.0)
    out_scale = in_scale * float(rng.choice([1.0, _log_uniform(rng, 0.05, 20.0), _log_uniform(rng, 1e-4, 1e4)]))
    in_zp, out_zp = _zero_point(rng), _zero_point(rng)
    model = single_op_model(
        "MEAN",
        [TensorSpec(tuple(dims), scale=in_scale, zero_point=in_zp),
         TensorSpec((len(axes),), dtype=np.int32, data=np.array(axes, np.int32))],
        [TensorSpec(tuple(out_dims), scale=out_scale, zero_point=out_zp)], reducer_options(keep_dims))
    x = _int8(rng, tuple(dims))
    return Case(model, [x], f"MEAN in={tuple(dims)} axes={axes} keep_dims={keep_dims} "
                            f"scales=({in_scale:.3g},{out_scale:.3g}) zp=({in_zp},{out_zp})")


# --- two-input elementwise ops, QUANTIZE, DEQUANTIZE ---------------------------

def _broadcast_shapes(rng: np.random.Generator, max_rank: int
                      ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(input1, input2, output) shapes: equal, or broadcast along random
    dimensions with either input shorter (TFLM right-aligns ranks)."""
    rank = int(rng.integers(1, max_rank + 1))
    out = tuple(int(v) for v in rng.integers(1, 6, rank))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return out, out, out

    def operand() -> tuple[int, ...]:
        keep = int(rng.integers(1, rank + 1))  # trailing dims kept (the rest dropped)
        dims = [d if rng.integers(0, 3) else 1 for d in out[rank - keep:]]
        return tuple(dims)

    a, b = (operand(), out) if kind == 1 else (out, operand()) if kind == 2 else (operand(), operand())
    return a, b, tuple(np.broadcast_shapes(a, b))  # the output shape TFLite derives


def _float_data(rng: np.random.Generator, shape: tuple[int, ...], specials: bool = True) -> np.ndarray:
    """Floats of many magnitudes; sometimes signed zeros, infinities and NaN."""
    x = (rng.normal(0, 1, shape) * 10.0 ** rng.integers(-3, 4, shape)).astype(np.float32)
    if specials and x.size and rng.integers(0, 4) == 0:
        picks = rng.integers(0, x.size, max(1, x.size // 8))
        x.ravel()[picks] = rng.choice(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e38, -1e-40], np.float32),
                                      picks.size)
    return x


def _binary_scales(rng: np.random.Generator, op: str) -> tuple[float, float, float]:
    """Input and output scales TFLM accepts for `op` (ADD/SUB/SQUARED_DIFFERENCE
    abort on an output multiplier >= 1), from matched to far apart."""
    s1 = _log_uniform(rng, 1e-3, 2.0)
    s2 = s1 * float(rng.choice([1.0, _log_uniform(rng, 0.1, 10.0), _log_uniform(rng, 1e-3, 1e3)]))
    if op in ("ADD", "SUB"):
        out = max(s1, s2) * _log_uniform(rng, 2 ** -12, 16.0)
    elif op == "SQUARED_DIFFERENCE":
        out = max(s1, s2) ** 2 * _log_uniform(rng, 1.0, 4000.0)
    else:
        out = s1 * s2 * _log_uniform(rng, 0.5, 300.0) if op == "MUL" else _log_uniform(rng, 1e-3, 2.0)
    return s1, s2, out


def _binary(rng: np.random.Generator, op: str, dtype: type) -> Case:
    # TFLM's int8 paths broadcast through 4-D shapes (ProcessBroadcastShapes
    # aborts beyond); its float paths take 5-D.
    a_shape, b_shape, out_shape = _broadcast_shapes(rng, 5 if dtype == np.float32 else 4)
    activation = str(rng.choice(ACTIVATIONS)) if op in ("ADD", "SUB", "MUL") else "NONE"
    if dtype == np.float32:
        specs = [TensorSpec(a_shape, dtype=np.float32), TensorSpec(b_shape, dtype=np.float32)]
        out = TensorSpec(out_shape, dtype=np.float32)
        inputs = [_float_data(rng, a_shape), _float_data(rng, b_shape)]
        desc = f"{op} float32 {a_shape} x {b_shape} -> {out_shape} act={activation}"
    else:
        s1, s2, so = _binary_scales(rng, op)
        z1, z2, zo = _zero_point(rng), _zero_point(rng), _output_zero_point(rng, activation)
        specs = [TensorSpec(a_shape, scale=s1, zero_point=z1), TensorSpec(b_shape, scale=s2, zero_point=z2)]
        out = TensorSpec(out_shape, scale=so, zero_point=zo)
        inputs = [_int8(rng, a_shape), _int8(rng, b_shape)]
        desc = (f"{op} int8 {a_shape} x {b_shape} -> {out_shape} act={activation} "
                f"scales=({s1:.3g},{s2:.3g},{so:.3g}) zp=({z1},{z2},{zo})")
    # A constant second operand (a bias, a scale) is common in real models.
    if rng.integers(0, 4) == 0:
        specs[1].data = inputs.pop(1)
    return Case(single_op_model(op, specs, [out], binary_options(op, activation)), inputs, desc)


def _binary_cases(op: str) -> tuple[Callable[[np.random.Generator], Case], Callable[[np.random.Generator], Case]]:
    return (lambda rng: _binary(rng, op, np.int8)), (lambda rng: _binary(rng, op, np.float32))


def quantize_case(rng: np.random.Generator) -> Case:
    shape = tuple(int(v) for v in rng.integers(1, 9, int(rng.integers(1, 5))))
    out_scale, out_zp = _log_uniform(rng, 1e-4, 10.0), _zero_point(rng)
    if rng.integers(0, 3):  # float -> int8
        x = _float_data(rng, shape) * np.float32(out_scale * 100)
        model = single_op_model("QUANTIZE", [TensorSpec(shape, dtype=np.float32)],
                                [TensorSpec(shape, scale=out_scale, zero_point=out_zp)], version=1)
        return Case(model, [x], f"QUANTIZE float32 {shape} -> int8 scale={out_scale:.4g} zp={out_zp}")
    in_scale, in_zp = out_scale * float(rng.choice([1.0, _log_uniform(rng, 1e-3, 1e3)])), _zero_point(rng)
    model = single_op_model("QUANTIZE", [TensorSpec(shape, scale=in_scale, zero_point=in_zp)],
                            [TensorSpec(shape, scale=out_scale, zero_point=out_zp)])
    return Case(model, [_int8(rng, shape)], f"QUANTIZE int8 {shape} scales=({in_scale:.4g},{out_scale:.4g}) "
                                            f"zp=({in_zp},{out_zp})")


def dequantize_case(rng: np.random.Generator) -> Case:
    shape = tuple(int(v) for v in rng.integers(1, 9, int(rng.integers(1, 5))))
    scale = float(rng.choice([_log_uniform(rng, 1e-6, 100.0), 1.0, 1 / 255, 3e-39, 1e36]))
    zp = _zero_point(rng)
    model = single_op_model("DEQUANTIZE", [TensorSpec(shape, scale=scale, zero_point=zp)],
                            [TensorSpec(shape, dtype=np.float32)])
    return Case(model, [_int8(rng, shape)], f"DEQUANTIZE {shape} scale={scale:.4g} zp={zp}")


# --- float32 variants of the conv-family ops --------------------------------

_BIAS_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}


def as_float(case: Case, rng: np.random.Generator) -> Case:
    """The same single-op model in float32: every int8 tensor (and the int32
    bias of conv-like ops) becomes an unquantized float32 tensor; constants and
    inputs keep their real values (dequantized) plus some noise."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
    import flatbuffers

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(case.model, 0))
    g = m.subgraphs[0]
    op = g.operators[0]
    code = m.operatorCodes[op.opcodeIndex]
    name = next(k for k, v in vars(schema.BuiltinOperator).items() if v == max(code.builtinCode,
                                                                               code.deprecatedBuiltinCode))
    bias_index = op.inputs[2] if name in _BIAS_OPS and len(op.inputs) > 2 else -1
    code.version = 1
    converted = {}
    for index, t in enumerate(g.tensors):
        if t.type != schema.TensorType.INT8 and index != bias_index:
            continue
        q = t.quantization
        scales = np.asarray(q.scale if q is not None and q.scale is not None else [1.0], np.float32)
        zps = np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [0], np.int64)
        axis = q.quantizedDimension if q is not None else 0
        buffer = m.buffers[t.buffer]
        if buffer.data is not None and len(buffer.data):
            raw = np.frombuffer(bytes(bytearray(buffer.data)), np.int8 if t.type == schema.TensorType.INT8 else np.int32)
            values = raw.reshape(t.shape).astype(np.float32)
            shape = [1] * values.ndim
            if scales.size > 1:
                shape[axis] = scales.size
            if index == bias_index:
                values = values * np.float32(1e-3)
            else:
                values = (values - zps.reshape(shape if zps.size > 1 else [1] * values.ndim)) * scales.reshape(
                    shape if scales.size > 1 else [1] * values.ndim)
            buffer.data = values.astype("<f4").tobytes()
        t.type = schema.TensorType.FLOAT32
        t.quantization = None
        converted[index] = (float(scales[0]), int(zps[0]))
    inputs = []
    for index, x in zip(g.inputs, case.inputs):
        if index in converted:
            scale, zp = converted[index]
            x = ((x.astype(np.float32) - zp) * np.float32(scale) + rng.normal(0, scale, x.shape)).astype(np.float32)
        inputs.append(x)
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return Case(bytes(builder.Output()), inputs, case.description.replace(name, f"{name} float32", 1))


def _float_variant(make: Callable[[np.random.Generator], Case]) -> Callable[[np.random.Generator], Case]:
    return lambda rng: as_float(make(rng), rng)



CASES: dict[str, Callable[[np.random.Generator], Case]] = {
    "CONV_2D": conv2d_case,
    "DEPTHWISE_CONV_2D": depthwise_conv2d_case,
    "FULLY_CONNECTED": fully_connected_case,
    "SOFTMAX": softmax_case,
    "AVERAGE_POOL_2D": average_pool2d_case,
    "MAX_POOL_2D": max_pool2d_case,
    "RESHAPE": reshape_case,
    "MEAN": mean_case,
    "CONV_2D/float32": _float_variant(conv2d_case),
    "DEPTHWISE_CONV_2D/float32": _float_variant(depthwise_conv2d_case),
    "FULLY_CONNECTED/float32": _float_variant(fully_connected_case),
    "SOFTMAX/float32": _float_variant(softmax_case),
    "AVERAGE_POOL_2D/float32": _float_variant(average_pool2d_case),
    "MAX_POOL_2D/float32": _float_variant(max_pool2d_case),
    "MEAN/float32": _float_variant(mean_case),
    **{f"{op}{suffix}": make for op in ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE")
       for suffix, make in zip(("", "/float32"), _binary_cases(op))},
    "QUANTIZE": quantize_case,
    "DEQUANTIZE": dequantize_case,
}
