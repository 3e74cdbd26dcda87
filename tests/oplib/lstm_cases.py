"""Random single-op UNIDIRECTIONAL_SEQUENCE_LSTM models, float32 and int8,
over more of the op's space than the converter reaches: time-major and
batch-major inputs of any batch, cell clipping that bites, cell state scales
2^-8..2^-15, non-zero weight zero points, scales at which gates saturate.
The hidden and cell states are variable tensors, so each case is run for
several invokes (one input per invoke).

Usage::

    case = lstm_case(np.random.default_rng(1), "int8")   # case.inputs: one array per invoke
"""
from __future__ import annotations

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.cases import Case, _int8, _log_uniform, _zero_point
from oplib.model import ACTIVATION, OPS, TensorSpec, single_op_model
from oplib.sequence_cases import with_variables

OPS.update({"UNIDIRECTIONAL_SEQUENCE_LSTM": (schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM,
                                             schema.BuiltinOptions.UnidirectionalSequenceLSTMOptions, 1)})


def lstm_options(cell_clip: float, time_major: bool, activation: str = "TANH") -> schema.UnidirectionalSequenceLSTMOptionsT:
    o = schema.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction = ACTIVATION[activation]
    o.cellClip = cell_clip
    o.timeMajor = time_major
    return o


def lstm_case(rng: np.random.Generator, dtype: str, invokes: int = 4,
              sizes: tuple[int, int, int, int] | None = None) -> Case:
    """sizes: (batch, steps, input size, units) of a batch-major layer without
    cell clipping (benchmarks), else all random."""
    if sizes is None:
        batch, steps, n_in, units = (int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 9)),
                                     int(rng.integers(1, 9)))
        time_major = bool(rng.integers(0, 2))
        clip = float(np.float32(_log_uniform(rng, 0.2, 4.0))) if rng.random() < 0.5 else 0.0
        if rng.random() < 0.1:  # below one step of the smallest cell scale: int8 clips the cell to 0
            clip = float(np.float32(rng.uniform(1e-6, 2.0 ** -16)))
    else:
        (batch, steps, n_in, units), time_major, clip = sizes, False, 0.0
    shape = (steps, batch, n_in) if time_major else (batch, steps, n_in)
    out_shape = shape[:2] + (units,)
    what = f"batch {batch} steps {steps} input {n_in} units {units} time_major {time_major} clip {clip:.3g}"
    if dtype == "float32":
        def f32(shape, s):
            return rng.normal(0, s, shape).astype(np.float32)

        spread = _log_uniform(rng, 0.2, 3.0)  # large: saturated gates
        weights = [TensorSpec((units, n_in), np.float32, data=f32((units, n_in), spread / np.sqrt(n_in)))
                   for _ in range(4)]
        recurrent = [TensorSpec((units, units), np.float32, data=f32((units, units), spread / np.sqrt(units)))
                     for _ in range(4)]
        biases = [TensorSpec((units,), np.float32, data=f32((units,), 1.0)) for _ in range(4)]
        hidden = TensorSpec((batch, units), np.float32, name="hidden")
        cell = TensorSpec((batch, units), np.float32, name="cell")
        output = TensorSpec(out_shape, np.float32)
        input_spec = TensorSpec(shape, np.float32)
        data = [rng.normal(0, 2.0, shape).astype(np.float32) for _ in range(invokes)]
    else:
        in_scale = _log_uniform(rng, 0.003, 0.05)
        hidden_scale = _log_uniform(rng, 1 / 256, 1 / 48)
        cell_scale = 2.0 ** -int(rng.integers(8, 16))

        def int8_weights(shape, fan_in, x_real_std):
            target = _log_uniform(rng, 0.5, 10.0)  # the gate pre-activation's spread (its range is +-8)
            scale = target / (np.sqrt(fan_in) * x_real_std) / 74.0
            zero_point = 0 if rng.random() < 0.7 else int(rng.integers(-10, 11))
            return TensorSpec(shape, data=rng.integers(-127, 128, shape).astype(np.int8), scale=scale,
                              zero_point=zero_point)

        weights = [int8_weights((units, n_in), n_in, 74 * in_scale) for _ in range(4)]
        recurrent = [int8_weights((units, units), units, 0.5) for _ in range(4)]
        biases = [TensorSpec((units,), np.int32, scale=in_scale * float(w.scale),
                             data=np.clip(rng.normal(0, 1.0, units) / (in_scale * float(w.scale)), -2**31, 2**31 - 1)
                             .astype(np.int32)) for w in weights]
        hidden = TensorSpec((batch, units), scale=hidden_scale, zero_point=_zero_point(rng), name="hidden")
        cell = TensorSpec((batch, units), np.int16, scale=cell_scale, name="cell")
        output = TensorSpec(out_shape, scale=hidden_scale, zero_point=hidden.zero_point)
        what += f" scales {in_scale:.3g} {hidden_scale:.3g} cell 2^{int(np.log2(cell_scale))}"
        input_spec = TensorSpec(shape, scale=in_scale, zero_point=_zero_point(rng))
        data = [_int8(rng, shape) for _ in range(invokes)]
    inputs = ([input_spec] + weights + recurrent + [None] * 3 + biases + [None] * 2 + [hidden, cell] + [None] * 4)
    model = single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [output], lstm_options(clip, time_major))
    return Case(with_variables(model, {"hidden", "cell"}), data, f"LSTM {dtype} {what}")
