"""FULLY_CONNECTED through edgesim.Model, equal to TFLite Micro.

Random models cover depths, batches, keep_num_dims, per-tensor (including
asymmetric weights) and per-channel scales, activations, zero points,
missing biases and extreme multipliers.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import (TensorSpec, assert_random_cases_equal_tflm, fully_connected_options, mismatch, run_edgesim,
                   single_op_model)

pytest.importorskip("tflite_micro")
CASES_PER_OP = 250


def test_random_models_equal_tflm() -> None:
    assert_random_cases_equal_tflm("FULLY_CONNECTED", seed=20261122, count=CASES_PER_OP)


def _fc(depth: int, rows: int, *, bias_scale: float | None, weights_zp: int = 0, activation: str = "NONE") -> bytes:
    rng = np.random.default_rng(depth * 31 + rows)
    w = rng.integers(-127, 128, (rows, depth)).astype(np.int8)
    specs = [TensorSpec((1, depth), scale=0.1, zero_point=-128), TensorSpec((rows, depth), data=w, scale=0.004,
                                                                            zero_point=weights_zp)]
    if bias_scale is not None:
        specs.append(TensorSpec((rows,), dtype=np.int32, data=rng.integers(-3000, 3000, rows).astype(np.int32),
                                scale=bias_scale))
    return single_op_model("FULLY_CONNECTED", specs, [TensorSpec((1, rows), scale=0.15, zero_point=14)],
                           fully_connected_options(activation))


def test_micro_speech_and_magic_wand_shapes_equal_tflm() -> None:
    rng = np.random.default_rng(5)
    for depth, rows in ((4000, 4), (64, 10)):
        for weights_zp in (0, 3):
            model = _fc(depth, rows, bias_scale=0.0004, weights_zp=weights_zp)
            assert mismatch(model, [rng.integers(-128, 128, (1, depth)).astype(np.int8)], f"{depth}x{rows}") is None


def test_bias_scale_check_matches_tflm() -> None:
    """TFLM rejects a per-tensor layer whose bias scale is not input*weight
    scale (within 2% of an output step); edgesim must reject the same."""
    x = np.zeros((1, 16), np.int8)
    assert mismatch(_fc(16, 3, bias_scale=0.0004), [x], "consistent bias scale") is None
    bad = _fc(16, 3, bias_scale=0.5)
    assert mismatch(bad, [x], "inconsistent bias scale") is None  # both reject
    with pytest.raises(ModelError, match="FULLY_CONNECTED: bias scale"):
        run_edgesim(bad, [x])


def test_invalid_models_fail_with_a_clear_reason() -> None:
    w = np.ones((3, 8), np.int8)
    out = TensorSpec((1, 3), scale=0.1)
    with pytest.raises(ModelError, match="FULLY_CONNECTED: input size is not a multiple of the weights depth"):
        run_edgesim(single_op_model("FULLY_CONNECTED", [TensorSpec((1, 7), scale=0.1), TensorSpec((3, 8), data=w, scale=0.1)],
                                    [out], fully_connected_options()), [])
    with pytest.raises(ModelError, match="FULLY_CONNECTED: output shape"):
        run_edgesim(single_op_model("FULLY_CONNECTED", [TensorSpec((1, 8), scale=0.1), TensorSpec((3, 8), data=w, scale=0.1)],
                                    [TensorSpec((1, 4), scale=0.1)], fully_connected_options()), [])
    with pytest.raises(ModelError, match="FULLY_CONNECTED: weights must be int8"):
        run_edgesim(single_op_model("FULLY_CONNECTED", [TensorSpec((1, 8), scale=0.1),
                                                        TensorSpec((3, 8), dtype=np.int32, data=w.astype(np.int32), scale=0.1)],
                                    [out], fully_connected_options()), [])
