"""Random single-op SVDF models, int8 (int16 or int8 state) and float32, run
for several time steps so the state carried between invokes is compared too.

A variable tensor (the op state) is neither a model input nor a constant:
`with_variables` marks tensors of a built model variable and takes them out
of the subgraph inputs.

Usage::

    case = svdf_case(np.random.default_rng(1), "int8")   # case.inputs: one array per step
    assert_steps_equal([case])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from oplib.activation_cases import random_float
from oplib.cases import Case, _int8, _log_uniform, _zero_point
from oplib.model import ACTIVATION, OPS, TensorSpec, pack_model, single_op_model

OPS.update({"SVDF": (schema.BuiltinOperator.SVDF, schema.BuiltinOptions.SVDFOptions, 4)})


def with_variables(model: bytes, names: set[str]) -> bytes:
    """`model` with the tensors called `names` variable (and no longer subgraph inputs)."""
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    graph = m.subgraphs[0]
    variable = [i for i, t in enumerate(graph.tensors) if t.name.decode() in names]
    for i in variable:
        graph.tensors[i].isVariable = True
    graph.inputs = [i for i in graph.inputs if i not in variable]
    return pack_model(m)


def svdf_options(rank: int, activation: str) -> schema.SVDFOptionsT:
    o = schema.SVDFOptionsT()
    o.rank = rank
    o.fusedActivationFunction = ACTIVATION[activation]
    return o


def svdf_case(rng: np.random.Generator, dtype: str, steps: int = 4) -> Case:
    batch, input_size, units, rank, memory = (int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 5)),
                                               int(rng.integers(1, 3)), int(rng.integers(1, 6)))
    filters = units * rank
    what = f"batch {batch} input {input_size} units {units} rank {rank} memory {memory}"
    if dtype == "float32":
        activation = str(rng.choice(["NONE", "RELU", "RELU6", "RELU_N1_TO_1", "TANH"]))
        f32 = lambda shape, s=1.0: rng.normal(0, s, shape).astype(np.float32)  # noqa: E731
        inputs = [TensorSpec((batch, input_size), np.float32),
                  TensorSpec((filters, input_size), np.float32, data=f32((filters, input_size))),
                  TensorSpec((filters, memory), np.float32, data=f32((filters, memory))),
                  TensorSpec((units,), np.float32, data=f32((units,))),  # TFLM crashes without a bias
                  TensorSpec((batch, memory * filters), np.float32, name="state")]
        model = single_op_model("SVDF", inputs, [TensorSpec((batch, units), np.float32)], svdf_options(rank, activation))
        data = [random_float(rng, (batch, input_size), 1.0) for _ in range(steps)]
        return Case(with_variables(model, {"state"}), data, f"SVDF float32 {what} {activation}")
    state_type = np.int16 if dtype == "int8" else np.int8  # "int8_state": the int8-state variant
    in_scale, feature_scale = _log_uniform(rng, 1e-3, 0.1), _log_uniform(rng, 1e-3, 0.05)
    # Scales that keep the state within about a tenth of its type's range and
    # spread the outputs over int8 (sometimes saturating).
    state_range = 3000 if state_type == np.int16 else 12
    state_scale = in_scale * feature_scale * np.sqrt(input_size) * 80 * 60 / state_range * _log_uniform(rng, 0.5, 4)
    time_scale = _log_uniform(rng, 1e-4, 1e-2)
    time_max = 3000 if state_type == np.int16 else 127
    accumulator = np.sqrt(memory * rank) * state_range * time_max / 3
    out_scale = state_scale * time_scale * accumulator / 40 * _log_uniform(rng, 0.3, 3)
    bias_scale = float(np.float32(state_scale) * np.float32(time_scale))
    inputs = [TensorSpec((batch, input_size), scale=in_scale, zero_point=_zero_point(rng)),
              TensorSpec((filters, input_size), data=rng.integers(-127, 128, (filters, input_size)).astype(np.int8),
                         scale=feature_scale),
              TensorSpec((filters, memory), state_type,
                         data=rng.integers(-time_max, time_max + 1, (filters, memory)).astype(state_type),
                         scale=time_scale),
              TensorSpec((units,), np.int32, data=rng.integers(-5000, 5000, units).astype(np.int32), scale=bias_scale),
              TensorSpec((batch, memory * filters), state_type, scale=state_scale,
                         zero_point=0 if state_type == np.int16 else _zero_point(rng), name="state")]
    model = single_op_model("SVDF", inputs, [TensorSpec((batch, units), scale=out_scale, zero_point=_zero_point(rng))],
                            svdf_options(rank, "NONE"))
    data = [_int8(rng, (batch, input_size)) for _ in range(steps)]
    return Case(with_variables(model, {"state"}), data,
                f"SVDF int8 {what} state {np.dtype(state_type)} scales {in_scale:.3g} {state_scale:.3g} {out_scale:.3g}")


def run_steps_tflm(model: bytes, steps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Output 0 after each step, on one TFLM interpreter (state carried)."""
    from tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    outputs = []
    for x in steps:
        interpreter.set_input(np.ascontiguousarray(x), 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0), copy=True))
    return outputs


def run_steps_edgesim(model: bytes, steps: Sequence[np.ndarray]) -> list[np.ndarray]:
    from edgesim import Model

    m = Model(model)
    return [np.array(m.invoke(x), copy=True) for x in steps]
