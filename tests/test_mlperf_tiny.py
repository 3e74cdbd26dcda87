"""The six MLPerf Tiny reference models (../shared/models/mlperf_tiny, see its
README) give TFLite Micro's outputs exactly on 200 random inputs each.

The oracle side reuses one tflite_micro interpreter per model (building one
per input would dominate the run time).  Inputs mix uniform int8 noise,
values clustered around the input zero point and saturated corners; the
float ToyCar autoencoder gets normal values of several magnitudes.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgesim
from conftest import shared_path
from oplib import bitwise_equal

pytest.importorskip("tflite_micro")
INPUTS_PER_MODEL = 200
MODELS = ["kws_ref_model.tflite", "vww_96_int8.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite",
          "model_ToyCar_quant_fullint_micro.tflite", "str_ww_ref_model.tflite"]


def _random_input(rng: np.random.Generator, info: edgesim.TensorInfo) -> np.ndarray:
    if info.dtype == np.float32:
        return (rng.normal(0, 1, info.shape) * 10.0 ** rng.uniform(-2, 2)).astype(np.float32)
    kind = rng.integers(0, 3)
    if kind == 0:
        x = rng.integers(-128, 128, info.shape)
    elif kind == 1:
        x = np.round(rng.normal(info.zero_point, rng.uniform(2, 60), info.shape))
    else:
        x = rng.choice([-128, 127, info.zero_point], info.shape)
    return np.clip(x, -128, 127).astype(info.dtype)


@pytest.mark.parametrize("name", MODELS)
def test_model_equals_tflm_on_random_inputs(name: str) -> None:
    from tflite_micro import runtime

    data = shared_path("models", "mlperf_tiny", name).read_bytes()
    model = edgesim.Model(data)
    oracle = runtime.Interpreter.from_bytes(data, arena_size=1 << 21)
    rng = np.random.default_rng(MODELS.index(name))
    for i in range(INPUTS_PER_MODEL):
        inputs = [_random_input(rng, info) for info in model.inputs]
        actual = model.invoke(*inputs)
        actual = [actual] if isinstance(actual, np.ndarray) else actual
        for k, x in enumerate(inputs):
            oracle.set_input(x, k)
        oracle.invoke()
        for k, a in enumerate(actual):
            assert bitwise_equal(np.asarray(oracle.get_output(k)), a), f"{name}: input {i}, output {k} differs"
