"""A whole float32 model (the legacy magic wand: conv, depthwise, max pools,
fully connected, softmax in float) runs bit-identically to TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

import edgesim
from conftest import shared_path
from oplib import run_tflm

pytest.importorskip("tflite_micro")


def test_float_magic_wand_equals_tflm_bit_for_bit() -> None:
    data = shared_path("models", "magic_wand_legacy_accel.tflite").read_bytes()
    model = edgesim.Model(data)
    assert model.inputs[0].dtype == np.float32 and model.outputs[0].dtype == np.float32
    rng = np.random.default_rng(7)
    for i in range(40):
        x = rng.normal(0, 10 ** rng.uniform(-1, 3), model.inputs[0].shape).astype(np.float32)
        actual = model.invoke(x)
        expected = run_tflm(data, [x])[0]
        # Compare the bits: equal floats, same NaNs, same signed zeros.
        assert np.array_equal(actual.view(np.uint32), expected.view(np.uint32)), f"input {i}"
