"""SOFTMAX (int8 -> int8) through edgesim.Model, equal to TFLite Micro for any beta."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, assert_random_cases_equal_tflm, mismatch, run_edgesim, single_op_model, softmax_options

pytest.importorskip("tflite_micro")
CASES_PER_OP = 250


def test_random_models_equal_tflm() -> None:
    assert_random_cases_equal_tflm("SOFTMAX", seed=20261123, count=CASES_PER_OP)


def _softmax(depth: int, input_scale: float, beta: float, output_scale: float = 1 / 256, output_zp: int = -128) -> bytes:
    return single_op_model("SOFTMAX", [TensorSpec((1, depth), scale=input_scale, zero_point=3)],
                           [TensorSpec((1, depth), scale=output_scale, zero_point=output_zp)], softmax_options(beta))


@pytest.mark.parametrize("beta", [1e-3, 0.3, 1.0, 7.5, 1e3, 1e6])
def test_every_input_difference_for_a_range_of_betas(beta: float) -> None:
    """Each row puts the row maximum against every possible difference
    (-255..0), so each exponent of the fixed-point exp is exercised."""
    x = np.stack([np.array([127, int(v)], np.int8) for v in range(-128, 128)])
    model = single_op_model("SOFTMAX", [TensorSpec(x.shape, scale=0.05, zero_point=0)],
                            [TensorSpec(x.shape, scale=1 / 256, zero_point=-128)], softmax_options(beta))
    assert mismatch(model, [x], f"beta={beta}") is None


def test_uniform_and_one_hot_rows() -> None:
    for depth in (1, 2, 10, 255, 511):
        for row in (np.full(depth, 7, np.int8), np.eye(1, depth, 0, dtype=np.int8)[0] * 100 - 50):
            assert mismatch(_softmax(depth, 0.1, 1.0), [row.astype(np.int8)[None]], f"depth={depth}") is None


def test_invalid_models_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="SOFTMAX: int8 output must have scale 1/256 and zero point -128"):
        run_edgesim(_softmax(4, 0.1, 1.0, output_scale=1 / 255), [])
    with pytest.raises(ModelError, match="SOFTMAX: beta \\* input scale too small"):
        run_edgesim(_softmax(4, 1e-9, 1e-9), [])
