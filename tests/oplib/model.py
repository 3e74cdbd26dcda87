"""Build a one-operator TFLite flatbuffer with the schema's Python object API.

The schema module generated from TFLite's schema.fbs ships inside the
`tflite-micro` wheel; its `ModelT.Pack()` writes the flatbuffer with the
`flatbuffers` package.

Usage::

    inp = TensorSpec((1, 8, 8, 3), scale=0.5, zero_point=-3)
    filt = TensorSpec((4, 3, 3, 3), data=w, scale=[0.01, 0.02, 0.03, 0.04], quantized_dimension=0)
    bias = TensorSpec((4,), data=b, dtype=np.int32)
    out = TensorSpec((1, 8, 8, 4), scale=0.25, zero_point=5)
    model = single_op_model("CONV_2D", [inp, filt, bias], [out], conv2d_options(padding="SAME"))

A TensorSpec with `data` is a constant (stored in a model buffer); without it
the tensor is a subgraph input (for op inputs) or output.  `None` in the input
list is an omitted optional input (tensor index -1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_TENSOR_TYPES = {
    np.dtype(np.int8): schema.TensorType.INT8,
    np.dtype(np.int32): schema.TensorType.INT32,
    np.dtype(np.int16): schema.TensorType.INT16,
    np.dtype(np.uint8): schema.TensorType.UINT8,
    np.dtype(np.float32): schema.TensorType.FLOAT32,
}

# op name -> (BuiltinOperator code, BuiltinOptions union type, default version)
OPS: dict[str, tuple[int, int, int]] = {
    "CONV_2D": (schema.BuiltinOperator.CONV_2D, schema.BuiltinOptions.Conv2DOptions, 3),
    "DEPTHWISE_CONV_2D": (schema.BuiltinOperator.DEPTHWISE_CONV_2D, schema.BuiltinOptions.DepthwiseConv2DOptions, 3),
    "FULLY_CONNECTED": (schema.BuiltinOperator.FULLY_CONNECTED, schema.BuiltinOptions.FullyConnectedOptions, 4),
    "SOFTMAX": (schema.BuiltinOperator.SOFTMAX, schema.BuiltinOptions.SoftmaxOptions, 2),
    "AVERAGE_POOL_2D": (schema.BuiltinOperator.AVERAGE_POOL_2D, schema.BuiltinOptions.Pool2DOptions, 2),
    "MAX_POOL_2D": (schema.BuiltinOperator.MAX_POOL_2D, schema.BuiltinOptions.Pool2DOptions, 2),
    "RESHAPE": (schema.BuiltinOperator.RESHAPE, schema.BuiltinOptions.ReshapeOptions, 1),
    "MEAN": (schema.BuiltinOperator.MEAN, schema.BuiltinOptions.ReducerOptions, 2),
    "ADD": (schema.BuiltinOperator.ADD, schema.BuiltinOptions.AddOptions, 2),
    "SUB": (schema.BuiltinOperator.SUB, schema.BuiltinOptions.SubOptions, 2),
    "MUL": (schema.BuiltinOperator.MUL, schema.BuiltinOptions.MulOptions, 2),
    "MAXIMUM": (schema.BuiltinOperator.MAXIMUM, schema.BuiltinOptions.MaximumMinimumOptions, 2),
    "MINIMUM": (schema.BuiltinOperator.MINIMUM, schema.BuiltinOptions.MaximumMinimumOptions, 2),
    "SQUARED_DIFFERENCE": (schema.BuiltinOperator.SQUARED_DIFFERENCE,
                           schema.BuiltinOptions.SquaredDifferenceOptions, 2),
    "QUANTIZE": (schema.BuiltinOperator.QUANTIZE, schema.BuiltinOptions.QuantizeOptions, 2),
    "DEQUANTIZE": (schema.BuiltinOperator.DEQUANTIZE, schema.BuiltinOptions.DequantizeOptions, 2),
}

PADDING = {"SAME": schema.Padding.SAME, "VALID": schema.Padding.VALID}
ACTIVATION = {
    "NONE": schema.ActivationFunctionType.NONE,
    "RELU": schema.ActivationFunctionType.RELU,
    "RELU_N1_TO_1": schema.ActivationFunctionType.RELU_N1_TO_1,
    "RELU6": schema.ActivationFunctionType.RELU6,
    "TANH": schema.ActivationFunctionType.TANH,
}


class _AlignedBufferT(schema.BufferT):
    """A model buffer whose data starts on a 16-byte boundary, as the TFLite
    converter writes them (int32 bias and float scales can be read in place)."""

    def Pack(self, builder: flatbuffers.Builder) -> int:
        data = None
        if self.data is not None:
            raw = bytes(self.data)
            builder.StartVector(1, len(raw), 16)
            builder.head -= len(raw)
            builder.Bytes[builder.head:builder.head + len(raw)] = raw
            data = builder.EndVector()
        schema.BufferStart(builder)
        if data is not None:
            schema.BufferAddData(builder, data)
        return schema.BufferEnd(builder)


def pack_model(m: schema.ModelT) -> bytes:
    """An edited model object back to .tflite bytes, its buffers 16-byte aligned as the converter writes them."""
    for k, b in enumerate(m.buffers):
        aligned = _AlignedBufferT()
        aligned.data = b.data
        m.buffers[k] = aligned
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@dataclass
class TensorSpec:
    """One tensor: shape, dtype, optional constant data and affine quantization.

    scale/zero_point may be lists for per-channel quantization along
    `quantized_dimension`; scale None leaves the tensor unquantized.
    """

    shape: Sequence[int]
    dtype: Any = np.int8
    data: np.ndarray | None = None
    scale: float | Sequence[float] | None = None
    zero_point: int | Sequence[int] = 0
    quantized_dimension: int = 0
    name: str = ""

    def quantization(self) -> schema.QuantizationParametersT | None:
        if self.scale is None:
            return None
        q = schema.QuantizationParametersT()
        scales = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        zero_points = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if zero_points.size == 1 and scales.size > 1:
            zero_points = np.repeat(zero_points, scales.size)
        q.scale = [float(s) for s in scales]
        q.zeroPoint = [int(z) for z in zero_points]
        q.quantizedDimension = self.quantized_dimension
        return q


def conv2d_options(padding: str = "SAME", stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
                   activation: str = "NONE") -> schema.Conv2DOptionsT:
    """stride and dilation are (height, width)."""
    o = schema.Conv2DOptionsT()
    o.padding = PADDING[padding]
    o.strideH, o.strideW = stride
    o.dilationHFactor, o.dilationWFactor = dilation
    o.fusedActivationFunction = ACTIVATION[activation]
    return o


def depthwise_conv2d_options(padding: str = "SAME", stride: tuple[int, int] = (1, 1),
                             dilation: tuple[int, int] = (1, 1), depth_multiplier: int = 1,
                             activation: str = "NONE") -> schema.DepthwiseConv2DOptionsT:
    o = schema.DepthwiseConv2DOptionsT()
    o.padding = PADDING[padding]
    o.strideH, o.strideW = stride
    o.dilationHFactor, o.dilationWFactor = dilation
    o.depthMultiplier = depth_multiplier
    o.fusedActivationFunction = ACTIVATION[activation]
    return o


def fully_connected_options(activation: str = "NONE", keep_num_dims: bool = False) -> schema.FullyConnectedOptionsT:
    o = schema.FullyConnectedOptionsT()
    o.fusedActivationFunction = ACTIVATION[activation]
    o.keepNumDims = keep_num_dims
    return o


def softmax_options(beta: float = 1.0) -> schema.SoftmaxOptionsT:
    o = schema.SoftmaxOptionsT()
    o.beta = beta
    return o


def pool2d_options(filter_size: tuple[int, int], padding: str = "VALID", stride: tuple[int, int] = (1, 1),
                   activation: str = "NONE") -> schema.Pool2DOptionsT:
    """filter_size and stride are (height, width)."""
    o = schema.Pool2DOptionsT()
    o.padding = PADDING[padding]
    o.filterHeight, o.filterWidth = filter_size
    o.strideH, o.strideW = stride
    o.fusedActivationFunction = ACTIVATION[activation]
    return o


def reshape_options(new_shape: Sequence[int] | None) -> schema.ReshapeOptionsT:
    o = schema.ReshapeOptionsT()
    o.newShape = None if new_shape is None else [int(v) for v in new_shape]
    return o


def reducer_options(keep_dims: bool) -> schema.ReducerOptionsT:
    o = schema.ReducerOptionsT()
    o.keepDims = keep_dims
    return o


def binary_options(op: str, activation: str = "NONE") -> Any:
    """Options of ADD, SUB, MUL (fused activation) or MAXIMUM, MINIMUM,
    SQUARED_DIFFERENCE (none)."""
    if op in ("ADD", "SUB", "MUL"):
        o = {"ADD": schema.AddOptionsT, "SUB": schema.SubOptionsT, "MUL": schema.MulOptionsT}[op]()
        o.fusedActivationFunction = ACTIVATION[activation]
        return o
    if op in ("MAXIMUM", "MINIMUM"):
        return schema.MaximumMinimumOptionsT()
    return schema.SquaredDifferenceOptionsT()


def single_op_model(op: str, inputs: Sequence[TensorSpec | None], outputs: Sequence[TensorSpec],
                    options: Any = None, version: int | None = None) -> bytes:
    """Serialize a model whose only operator is `op`; see the module docstring."""
    code, options_type, default_version = OPS[op]
    model = schema.ModelT()
    model.version = 3
    model.description = f"edgesim single-op test: {op}"
    model.buffers = [schema.BufferT()]  # buffer 0 is the conventional empty buffer
    opcode = schema.OperatorCodeT()
    opcode.builtinCode = code
    opcode.deprecatedBuiltinCode = min(code, 127)
    opcode.version = default_version if version is None else version
    model.operatorCodes = [opcode]

    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs = [], [], []

    def add_tensor(spec: TensorSpec, default_name: str) -> int:
        t = schema.TensorT()
        t.shape = [int(d) for d in spec.shape]
        t.type = _TENSOR_TYPES[np.dtype(spec.dtype)]
        t.name = spec.name or default_name
        t.quantization = spec.quantization()
        t.buffer = 0
        if spec.data is not None:
            data = np.ascontiguousarray(spec.data, dtype=spec.dtype)
            assert data.shape == tuple(t.shape), f"{t.name}: data shape {data.shape} != {tuple(t.shape)}"
            buf = _AlignedBufferT()
            buf.data = data.astype(data.dtype.newbyteorder("<")).tobytes()
            model.buffers.append(buf)
            t.buffer = len(model.buffers) - 1
        graph.tensors.append(t)
        return len(graph.tensors) - 1

    op_inputs = []
    for i, spec in enumerate(inputs):
        if spec is None:
            op_inputs.append(-1)
            continue
        index = add_tensor(spec, f"input{i}")
        op_inputs.append(index)
        if spec.data is None:
            graph.inputs.append(index)
    op_outputs = []
    for i, spec in enumerate(outputs):
        index = add_tensor(spec, f"output{i}")
        op_outputs.append(index)
        graph.outputs.append(index)

    operator = schema.OperatorT()
    operator.opcodeIndex = 0
    operator.inputs = op_inputs
    operator.outputs = op_outputs
    if options is not None:
        operator.builtinOptionsType = options_type
        operator.builtinOptions = options
    graph.operators = [operator]
    model.subgraphs = [graph]

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
