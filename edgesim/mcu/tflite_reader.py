"""A small read-only view of a .tflite flatbuffer (schema 3), in pure Python.

Build-time tools (the per-operator profiler's table, the model compiler) need
each operator's tensors, options, quantization and constant data; the C
loader (edgesim/kernels/runtime/) validates the file first, so this reader
only decodes what it is asked for::

    graph = read_tflite(Path("person_detect.tflite").read_bytes())
    for op in graph.operators:
        op.name, op.inputs, op.outputs, op.options
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from edgesim.errors import ModelError

# schema BuiltinOperator values edgesim names (others print as BUILTIN_<n>).
BUILTIN_NAMES = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
    9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
    25: "SOFTMAX", 28: "TANH", 34: "PAD", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 43: "SQUEEZE", 45: "STRIDED_SLICE",
    114: "QUANTIZE",
    44: "UNIDIRECTIONAL_SEQUENCE_LSTM",
}
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED = 3, 4, 9
UNIDIRECTIONAL_SEQUENCE_LSTM = 44
# TensorType -> numpy dtype
DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 9: np.int8}
# (field id, struct format) of the builtin options each op's kernels read.
OPTION_FIELDS = {
    CONV_2D: {"padding": (0, "b"), "stride_w": (1, "i"), "stride_h": (2, "i"), "activation": (3, "b"),
              "dilation_w": (4, "i"), "dilation_h": (5, "i")},
    DEPTHWISE_CONV_2D: {"padding": (0, "b"), "stride_w": (1, "i"), "stride_h": (2, "i"), "depth_multiplier": (3, "i"),
                        "activation": (4, "b"), "dilation_w": (5, "i"), "dilation_h": (6, "i")},
    FULLY_CONNECTED: {"activation": (0, "b"), "weights_format": (1, "b"), "keep_num_dims": (2, "b")},
}
OPTION_DEFAULTS = {"dilation_w": 1, "dilation_h": 1, "stride_w": 1, "stride_h": 1}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: type
    data: np.ndarray | None          # constant data (model buffer), else None
    scales: np.ndarray               # float32, empty when not quantized
    zero_points: np.ndarray          # int64
    quantized_dimension: int
    data_offset: int = -1            # byte offset of `data` in the model file (-1: not constant)

    @property
    def scale(self) -> float:
        return float(self.scales[0]) if len(self.scales) else 0.0

    @property
    def zero_point(self) -> int:
        return int(self.zero_points[0]) if len(self.zero_points) else 0


@dataclass
class Operator:
    index: int
    code: int
    version: int
    inputs: list[int]                # tensor indices; -1 = omitted optional input
    outputs: list[int]
    options: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return BUILTIN_NAMES.get(self.code, f"BUILTIN_{self.code}")


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]


class _Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.buf, pos)[0]

    def field(self, table: int, fid: int) -> int | None:
        """Absolute position of field `fid` of the table at `table`, or None."""
        vtable = table - struct.unpack_from("<i", self.buf, table)[0]
        vsize = struct.unpack_from("<H", self.buf, vtable)[0]
        if 4 + 2 * fid >= vsize:
            return None
        off = struct.unpack_from("<H", self.buf, vtable + 4 + 2 * fid)[0]
        return table + off if off else None

    def scalar(self, table: int, fid: int, fmt: str, default: int | float = 0) -> int | float:
        pos = self.field(table, fid)
        return default if pos is None else struct.unpack_from("<" + fmt, self.buf, pos)[0]

    def table(self, table: int, fid: int) -> int | None:
        pos = self.field(table, fid)
        return None if pos is None else pos + self.u32(pos)

    def vector(self, table: int, fid: int) -> tuple[int, int]:
        """(start, length) of a vector field; (0, 0) when absent."""
        pos = self.field(table, fid)
        if pos is None:
            return 0, 0
        start = pos + self.u32(pos)
        return start + 4, self.u32(start)

    def array(self, table: int, fid: int, dtype: str) -> np.ndarray:
        start, n = self.vector(table, fid)
        return np.frombuffer(self.buf, dtype=dtype, count=n, offset=start) if n else np.zeros(0, dtype)

    def tables(self, table: int, fid: int) -> list[int]:
        start, n = self.vector(table, fid)
        return [start + 4 * i + self.u32(start + 4 * i) for i in range(n)]

    def string(self, table: int, fid: int) -> str:
        start, n = self.vector(table, fid)
        return self.buf[start:start + n].decode(errors="replace")


def read_tflite(data: bytes) -> Graph:
    """The first subgraph of a .tflite model.  ModelError if it cannot be read."""
    try:
        return _read(_Reader(bytes(data)))
    except (struct.error, ValueError, IndexError) as error:
        raise ModelError(f"not a readable .tflite flatbuffer: {error}") from None


def _read(r: _Reader) -> Graph:
    root = r.u32(0)
    codes = []
    for t in r.tables(root, 1):
        deprecated = int(r.scalar(t, 0, "b", 0))
        builtin = int(r.scalar(t, 3, "i", 0))
        codes.append((max(deprecated, builtin), int(r.scalar(t, 2, "i", 1))))
    buffer_tables = r.tables(root, 4)
    buffers = [r.array(b, 0, "u1") for b in buffer_tables]
    subgraph = r.tables(root, 2)[0]
    tensors = []
    for i, t in enumerate(r.tables(subgraph, 0)):
        dtype = DTYPES.get(int(r.scalar(t, 1, "b", 0)), np.uint8)
        shape = tuple(int(d) for d in r.array(t, 0, "<i4"))
        buffer = int(r.scalar(t, 2, "I", 0))
        raw = buffers[buffer] if buffer < len(buffers) else np.zeros(0, "u1")
        constant = raw.view(dtype).reshape(shape) if len(raw) else None
        q = r.table(t, 4)
        scales = r.array(q, 2, "<f4") if q is not None else np.zeros(0, "<f4")
        zeros = r.array(q, 3, "<i8") if q is not None else np.zeros(0, "<i8")
        qdim = int(r.scalar(q, 6, "i", 0)) if q is not None else 0
        offset = r.vector(buffer_tables[buffer], 0)[0] if constant is not None else -1
        tensors.append(Tensor(i, r.string(t, 3), shape, dtype, constant, scales, zeros, qdim, offset))
    operators = []
    for i, o in enumerate(r.tables(subgraph, 3)):
        code, version = codes[int(r.scalar(o, 0, "I", 0))]
        op = Operator(i, code, version, [int(x) for x in r.array(o, 1, "<i4")], [int(x) for x in r.array(o, 2, "<i4")])
        options = r.table(o, 4)
        for name, (fid, fmt) in OPTION_FIELDS.get(code, {}).items():
            op.options[name] = int(r.scalar(options, fid, fmt, OPTION_DEFAULTS.get(name, 0))) if options is not None \
                else OPTION_DEFAULTS.get(name, 0)
        operators.append(op)
    return Graph(tensors, operators, [int(x) for x in r.array(subgraph, 1, "<i4")],
                 [int(x) for x in r.array(subgraph, 2, "<i4")])
