"""Run a .tflite model on the host through edgesim's C runtime.

    >>> import numpy as np, edgesim
    >>> model = edgesim.Model("micro_speech_quantized.tflite")
    >>> model.inputs[0]
    TensorInfo(name='Reshape_1', shape=(1, 1960), dtype=dtype('int8'), scale=0.10171568393707275, zero_point=-128)
    >>> model.invoke(np.zeros((1, 1960), np.int8))
    array([[-128, -121, -120,  113]], dtype=int8)
    >>> model.arena_bytes, model.ops
    (7056, {'RESHAPE': 1, 'DEPTHWISE_CONV_2D': 1, 'FULLY_CONNECTED': 1, 'SOFTMAX': 1})

The same C code runs in the firmware, so results here are the device's results.
Malformed or unsupported models raise ModelError naming the file and the
problem ("person.tflite: unsupported operator: operator 3: unsupported op
CUSTOM 'SignalWindow'").
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np

from edgesim.errors import ModelError

# schema TensorType -> numpy dtype (types the runtime can hold)
_DTYPES = {
    0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
    7: np.int16, 8: np.complex64, 9: np.int8, 10: np.float64, 11: np.complex128,
    12: np.uint64, 15: np.uint32, 16: np.uint16,
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a model: real value = scale * (q - zero_point) when quantized.

    scale/zero_point are the first (or only) quantization parameters, 0.0/0 when
    the tensor is not quantized; channels > 1 means per-channel quantization
    along `quantized_dimension`.
    """

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int
    index: int = field(default=-1, repr=False)
    nbytes: int = field(default=0, repr=False)
    is_constant: bool = field(default=False, repr=False)
    channels: int = field(default=0, repr=False)
    quantized_dimension: int = field(default=0, repr=False)

    def describe(self) -> str:
        """'name [1, 96, 96, 1] int8 scale=0.00784 zp=-1' for listings."""
        quant = "not quantized"
        if self.channels == 1:
            quant = f"scale={self.scale:.6g} zp={self.zero_point}"
        elif self.channels > 1:
            quant = f"per-channel x{self.channels} (axis {self.quantized_dimension})"
        return f"{self.name} {list(self.shape)} {self.dtype} {quant}"


class Model:
    """A .tflite model loaded into the C runtime (path, bytes or bytearray).

    Attributes: inputs, outputs (lists of TensorInfo), tensors (all of them),
    arena_bytes (the exact arena the C runtime uses), weight_bytes (constant
    tensor data), ops (op name -> count, in order of first use), path, name.
    """

    def __init__(self, path_or_bytes: str | os.PathLike | bytes | bytearray | memoryview, name: str | None = None):
        from edgesim import _runtime

        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)  # immutable copy: constant tensors point into it
            self.path: Path | None = None
            self.name = name or "<model bytes>"
        else:
            self.path = Path(path_or_bytes)
            self.name = name or str(self.path)
            try:
                data = self.path.read_bytes()
            except OSError as error:
                raise ModelError(f"{self.path}: cannot read model file: {error.strerror or error}") from error
        self._native = _runtime.Model(data, self.name)
        self.tensors = [
            TensorInfo(name=n, shape=tuple(shape), dtype=np.dtype(_DTYPES.get(code, np.uint8)), scale=scale,
                       zero_point=zp, index=i, nbytes=nbytes, is_constant=const, channels=channels,
                       quantized_dimension=axis)
            for i, (n, shape, code, nbytes, const, scale, zp, channels, axis) in enumerate(self._native.tensors())
        ]
        self.inputs = [self.tensors[i] for i in self._native.inputs]
        self.outputs = [self.tensors[i] for i in self._native.outputs]
        self.ops = dict(Counter(op for op, _version in self._native.nodes()))
        self.arena_bytes: int = self._native.arena_bytes
        self.weight_bytes = sum(t.nbytes for t in self.tensors if t.is_constant)

    def __repr__(self) -> str:
        return f"Model({self.name!r}, {len(self.tensors)} tensors, {sum(self.ops.values())} ops)"

    def invoke(self, *inputs: object) -> np.ndarray | list[np.ndarray]:
        """Run one inference.  Give one array-like per model input, each of the
        input's exact shape; values are converted to the input dtype only when
        that loses nothing.  Returns the output array (a list of arrays for
        models with several outputs)."""
        if len(inputs) == 1 and len(self.inputs) > 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])
        if len(inputs) != len(self.inputs):
            raise ModelError(f"{self.name}: model has {len(self.inputs)} input(s), got {len(inputs)}")
        buffers = [self._checked(info, value) for info, value in zip(self.inputs, inputs)]
        raw = self._native.invoke(buffers)
        # copy(): a writable array the caller owns, not a view of the bytes.
        results = [np.frombuffer(b, dtype=info.dtype).reshape(info.shape).copy() for b, info in zip(raw, self.outputs)]
        return results[0] if len(results) == 1 else results

    def _checked(self, info: TensorInfo, value: object) -> np.ndarray:
        array = np.asarray(value)
        if array.shape != info.shape:
            raise ModelError(f"{self.name}: input '{info.name}' needs shape {info.shape}, got {array.shape}")
        return np.ascontiguousarray(_lossless_cast(array, info.dtype, f"{self.name}: input '{info.name}'"))


def _lossless_cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """`array` as `dtype`, or ModelError when some value would change."""
    if array.dtype == dtype:
        return array
    if np.can_cast(array.dtype, dtype, casting="safe"):
        return array.astype(dtype)
    if array.dtype.kind in "biuf" and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if array.size == 0 or (
            np.all(np.isfinite(array)) and array.min() >= info.min and array.max() <= info.max
            and np.all(np.asarray(array) == np.round(array))
        ):
            return array.astype(dtype)
        raise ModelError(f"{what} is {dtype}: values of the given {array.dtype} array do not fit "
                         f"(range {info.min}..{info.max}, integers only)")
    converted = array.astype(dtype)
    if np.array_equal(converted.astype(array.dtype), array):
        return converted
    raise ModelError(f"{what} is {dtype}; converting the given {array.dtype} array would lose values")

