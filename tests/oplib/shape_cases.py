"""Random single-op models of the data movement ops, int8, float32 and int32.

Each generator takes a numpy Generator and a dtype name and returns an
oplib.cases.Case.  Axes are drawn negative as well as positive; STRIDED_SLICE
draws negative strides, out-of-range begin/end and every mask TFLM honours,
and computes the output shape the way TFLM's prepare checks it.

Usage::

    case = SHAPE_CASES["STRIDED_SLICE"](np.random.default_rng(1), "int8")
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.activation_cases import random_float
from oplib.cases import Case, _int8, _log_uniform, _zero_point
from oplib.model import _TENSOR_TYPES, OPS, TensorSpec, single_op_model

_TENSOR_TYPES.setdefault(np.dtype(np.int64), schema.TensorType.INT64)  # SLICE's begin/size may be int64

_B, _O = schema.BuiltinOperator, schema.BuiltinOptions
OPS.update({
    "CONCATENATION": (_B.CONCATENATION, _O.ConcatenationOptions, 2),
    "PACK": (_B.PACK, _O.PackOptions, 2),
    "UNPACK": (_B.UNPACK, _O.UnpackOptions, 2),
    "SPLIT": (_B.SPLIT, _O.SplitOptions, 2),
    "SPLIT_V": (_B.SPLIT_V, _O.SplitVOptions, 2),
    "PAD": (_B.PAD, _O.PadOptions, 2),
    "PADV2": (_B.PADV2, _O.PadV2Options, 2),
    "SLICE": (_B.SLICE, _O.SliceOptions, 2),
    "STRIDED_SLICE": (_B.STRIDED_SLICE, _O.StridedSliceOptions, 2),
    "SQUEEZE": (_B.SQUEEZE, _O.SqueezeOptions, 1),
    "EXPAND_DIMS": (_B.EXPAND_DIMS, _O.ExpandDimsOptions, 1),
    "TRANSPOSE": (_B.TRANSPOSE, _O.TransposeOptions, 2),
    "GATHER": (_B.GATHER, _O.GatherOptions, 2),
})

DTYPES = {"int8": np.int8, "float32": np.float32, "int32": np.int32}


def _options(cls: type, **fields: object) -> object:
    o = cls()
    for k, v in fields.items():
        setattr(o, k, v)
    return o


def _shape(rng: np.random.Generator, lo_rank: int = 1, hi_rank: int = 4, hi_dim: int = 5) -> tuple[int, ...]:
    return tuple(int(d) for d in rng.integers(1, hi_dim + 1, int(rng.integers(lo_rank, hi_rank + 1))))


class _Tensors:
    """Tensor specs and data of one dtype; int8 ones share one random quantization."""

    def __init__(self, rng: np.random.Generator, dtype: str):
        self.rng, self.dtype = rng, DTYPES[dtype]
        self.scale = _log_uniform(rng, 1e-3, 1.0) if dtype == "int8" else None
        self.zero_point = _zero_point(rng) if dtype == "int8" else 0

    def spec(self, shape: tuple[int, ...], data: np.ndarray | None = None) -> TensorSpec:
        return TensorSpec(shape, self.dtype, data=data, scale=self.scale, zero_point=self.zero_point)

    def data(self, shape: tuple[int, ...]) -> np.ndarray:
        if self.dtype == np.int8:
            return _int8(self.rng, shape)
        if self.dtype == np.float32:
            return random_float(self.rng, shape)
        return self.rng.integers(-2**31, 2**31, shape, dtype=np.int64).astype(np.int32)


def _i32(values: list[int] | np.ndarray) -> TensorSpec:
    a = np.asarray(values, np.int32)
    return TensorSpec(a.shape, np.int32, data=a)


def concatenation_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    base = _shape(rng)
    axis = int(rng.integers(0, len(base)))
    shapes = [base[:axis] + (int(rng.integers(1, 5)),) + base[axis + 1:] for _ in range(int(rng.integers(1, 5)))]
    out = base[:axis] + (sum(s[axis] for s in shapes),) + base[axis + 1:]
    written_axis = axis - len(base) if rng.integers(0, 2) else axis
    model = single_op_model("CONCATENATION", [t.spec(s) for s in shapes], [t.spec(out)],
                            _options(schema.ConcatenationOptionsT, axis=written_axis))
    return Case(model, [t.data(s) for s in shapes], f"CONCATENATION {dtype} {shapes} axis {written_axis}")


def pack_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 3)
    n = int(rng.integers(1, 5))
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    a = axis % (len(shape) + 1)
    out = shape[:a] + (n,) + shape[a:]
    model = single_op_model("PACK", [t.spec(shape) for _ in range(n)], [t.spec(out)],
                            _options(schema.PackOptionsT, valuesCount=n, axis=axis))
    return Case(model, [t.data(shape) for _ in range(n)], f"PACK {dtype} {n} x {shape} axis {axis}")


def unpack_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 4)
    axis = int(rng.integers(-len(shape), len(shape)))
    a = axis % len(shape)
    out = shape[:a] + shape[a + 1:]
    model = single_op_model("UNPACK", [t.spec(shape)], [t.spec(out) for _ in range(shape[a])],
                            _options(schema.UnpackOptionsT, num=shape[a], axis=axis))
    return Case(model, [t.data(shape)], f"UNPACK {dtype} {shape} axis {axis}")


def split_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = list(_shape(rng))
    axis = int(rng.integers(-len(shape), len(shape)))
    n = int(rng.integers(1, 4))
    shape[axis] = n * int(rng.integers(1, 4))
    out = list(shape)
    out[axis] = shape[axis] // n
    model = single_op_model("SPLIT", [_i32([axis]), t.spec(tuple(shape))], [t.spec(tuple(out)) for _ in range(n)],
                            _options(schema.SplitOptionsT, numSplits=n))
    return Case(model, [t.data(tuple(shape))], f"SPLIT {dtype} {shape} axis {axis} into {n}")


def split_v_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = list(_shape(rng))
    axis = int(rng.integers(-len(shape), len(shape)))
    sizes = [int(s) for s in rng.integers(1, 4, int(rng.integers(1, 4)))]
    shape[axis] = sum(sizes)
    written = list(sizes)
    if rng.integers(0, 2):
        written[int(rng.integers(0, len(sizes)))] = -1
    outs = []
    for s in sizes:
        o = list(shape)
        o[axis] = s
        outs.append(t.spec(tuple(o)))
    model = single_op_model("SPLIT_V", [t.spec(tuple(shape)), _i32(written), _i32([axis])], outs,
                            _options(schema.SplitVOptionsT, numSplits=len(sizes)))
    return Case(model, [t.data(tuple(shape))], f"SPLIT_V {dtype} {shape} axis {axis} sizes {written}")


def _pad(rng: np.random.Generator, dtype: str, v2: bool) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 5, 4)
    paddings = rng.integers(0, 4, (len(shape), 2)) * (rng.random((len(shape), 1)) < 0.7)
    out = tuple(int(d + p.sum()) for d, p in zip(shape, paddings))
    inputs = [t.spec(shape), _i32(paddings)]
    if v2:
        inputs.append(t.spec((1,), data=t.data((1,))))  # constant_values, same quantization as the output
    op = "PADV2" if v2 else "PAD"
    options = _options(schema.PadV2OptionsT if v2 else schema.PadOptionsT)
    model = single_op_model(op, inputs, [t.spec(out)], options)
    return Case(model, [t.data(shape)], f"{op} {dtype} {shape} paddings {paddings.tolist()}")


def pad_case(rng: np.random.Generator, dtype: str) -> Case:
    return _pad(rng, dtype, False)


def padv2_case(rng: np.random.Generator, dtype: str) -> Case:
    return _pad(rng, dtype, True)


def slice_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 5, 5)
    begin = [int(rng.integers(0, d)) for d in shape]
    size = [int(rng.integers(1, d - b + 1)) if rng.integers(0, 4) else -1 for d, b in zip(shape, begin)]
    out = tuple(d - b if s == -1 else s for d, b, s in zip(shape, begin, size))
    index_type = np.int64 if rng.integers(0, 3) == 0 else np.int32
    vec = lambda v: TensorSpec((len(v),), index_type, data=np.asarray(v, index_type))  # noqa: E731
    model = single_op_model("SLICE", [t.spec(shape), vec(begin), vec(size)], [t.spec(out)],
                            _options(schema.SliceOptionsT))
    return Case(model, [t.data(shape)], f"SLICE {dtype} {shape} begin {begin} size {size} ({np.dtype(index_type)})")


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if hi < v else (lo if v < lo else v)


def strided_slice_output_shape(shape: tuple[int, ...], begin: list[int], end: list[int], strides: list[int],
                               begin_mask: int, end_mask: int, shrink_mask: int) -> tuple[int, ...]:
    """TFLM's CheckOutputSize (StartForAxis / StopForAxis, float ceil)."""
    out = []
    for i, size in enumerate(shape):
        stride, shrink = strides[i], bool(shrink_mask >> i & 1)
        s = (-2**31 if stride > 0 else 2**31 - 1) if begin_mask >> i & 1 else begin[i]
        s += size if s < 0 else 0
        start = _clamp(s, 0, size) if stride > 0 else _clamp(s, -1, size - 1)
        e = (2**31 - 1 if stride > 0 else -2**31) if end_mask >> i & 1 else end[i]
        e += size if e < 0 else 0
        stop = start + 1 if shrink else (_clamp(e, 0, size) if stride > 0 else _clamp(e, -1, size - 1))
        dim = max(0, math.ceil(np.float32(stop - start) / np.float32(stride)))
        if not shrink:
            out.append(int(dim))
    return tuple(out)


def strided_slice_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 4, 6)
    rank = len(shape)
    strides = [int(rng.choice([1, 1, 2, 3, -1, -2])) for _ in shape]
    # Mostly slices that select something (end past begin in the stride's
    # direction, possibly out of range), sometimes anything at all.
    begin = [int(rng.integers(-d - 2, d + 2)) for d in shape]
    end = [int(rng.integers(-d - 2, d + 2)) for d in shape]
    for i, d in enumerate(shape):
        if rng.integers(0, 4):
            begin[i] = int(rng.integers(0, d)) - (d if rng.integers(0, 3) == 0 else 0)
            end[i] = begin[i] % d + strides[i] * int(rng.integers(1, d + 2))
    begin_mask, end_mask = int(rng.integers(0, 1 << rank)), int(rng.integers(0, 1 << rank))
    shrink_mask = 0
    if rng.integers(0, 3) == 0:  # shrink an axis whose begin is a valid index
        i = int(rng.integers(0, rank))
        begin[i], strides[i] = int(rng.integers(-shape[i], shape[i])), 1
        begin_mask &= ~(1 << i)
        shrink_mask = 1 << i
    out = strided_slice_output_shape(shape, begin, end, strides, begin_mask, end_mask, shrink_mask)
    options = _options(schema.StridedSliceOptionsT, beginMask=begin_mask, endMask=end_mask,
                       shrinkAxisMask=shrink_mask)
    model = single_op_model("STRIDED_SLICE", [t.spec(shape), _i32(begin), _i32(end), _i32(strides)], [t.spec(out)],
                            options)
    return Case(model, [t.data(shape)], f"STRIDED_SLICE {dtype} {shape} begin {begin} end {end} strides {strides} "
                                        f"masks b{begin_mask} e{end_mask} s{shrink_mask} -> {out}")


def squeeze_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = tuple(1 if rng.integers(0, 2) else d for d in _shape(rng, 1, 5))
    ones = [i for i, d in enumerate(shape) if d == 1]
    chosen = [i - len(shape) if rng.integers(0, 2) else i for i in ones if rng.integers(0, 2)]
    squeezed = {i % len(shape) for i in chosen} if chosen else set(ones)
    out = tuple(d for i, d in enumerate(shape) if i not in squeezed)
    model = single_op_model("SQUEEZE", [t.spec(shape)], [t.spec(out)],
                            _options(schema.SqueezeOptionsT, squeezeDims=chosen or None))
    return Case(model, [t.data(shape)], f"SQUEEZE {dtype} {shape} dims {chosen}")


def expand_dims_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 4)
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1))
    a = axis % (len(shape) + 1)
    out = shape[:a] + (1,) + shape[a:]
    model = single_op_model("EXPAND_DIMS", [t.spec(shape), _i32([axis])], [t.spec(out)],
                            _options(schema.ExpandDimsOptionsT))
    return Case(model, [t.data(shape)], f"EXPAND_DIMS {dtype} {shape} axis {axis}")


def transpose_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 5, 5)
    perm = [int(p) for p in rng.permutation(len(shape))]
    out = tuple(shape[p] for p in perm)
    model = single_op_model("TRANSPOSE", [t.spec(shape), _i32(perm)], [t.spec(out)], _options(schema.TransposeOptionsT))
    return Case(model, [t.data(shape)], f"TRANSPOSE {dtype} {shape} perm {perm}")


def gather_case(rng: np.random.Generator, dtype: str) -> Case:
    t = _Tensors(rng, dtype)
    shape = _shape(rng, 1, 4)
    batch_dims = int(rng.integers(0, len(shape))) if rng.integers(0, 3) == 0 else 0
    axis = int(rng.integers(batch_dims, len(shape)))
    index_shape = shape[:batch_dims] + _shape(rng, 1, 2, 4)
    indices = rng.integers(0, shape[axis], index_shape).astype(np.int32)
    out = shape[:axis] + index_shape[batch_dims:] + shape[axis + 1:]
    constant = bool(rng.integers(0, 2))
    idx_spec = TensorSpec(index_shape, np.int32, data=indices if constant else None)
    model = single_op_model("GATHER", [t.spec(shape), idx_spec], [t.spec(out)],
                            _options(schema.GatherOptionsT, axis=axis - len(shape) if rng.integers(0, 2) else axis,
                                     batchDims=batch_dims))
    inputs = [t.data(shape)] + ([] if constant else [indices])
    return Case(model, inputs, f"GATHER {dtype} {shape} indices {index_shape} axis {axis} batch_dims {batch_dims}")


SHAPE_CASES: dict[str, Callable[[np.random.Generator, str], Case]] = {
    "CONCATENATION": concatenation_case,
    "PACK": pack_case,
    "UNPACK": unpack_case,
    "SPLIT": split_case,
    "SPLIT_V": split_v_case,
    "PAD": pad_case,
    "PADV2": padv2_case,
    "SLICE": slice_case,
    "STRIDED_SLICE": strided_slice_case,
    "SQUEEZE": squeeze_case,
    "EXPAND_DIMS": expand_dims_case,
    "TRANSPOSE": transpose_case,
    "GATHER": gather_case,
}
