"""RESHAPE and MEAN through edgesim.Model, equal to TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import (TensorSpec, assert_random_cases_equal_tflm, mismatch, reducer_options, reshape_options,
                   run_edgesim, single_op_model)

pytest.importorskip("tflite_micro")
CASES_PER_OP = 200


@pytest.mark.parametrize("op", ["RESHAPE", "MEAN"])
def test_random_models_equal_tflm(op: str) -> None:
    assert_random_cases_equal_tflm(op, seed=20261125, count=CASES_PER_OP)


@pytest.mark.parametrize("in_scale,out_scale", [(0.02, 0.02), (0.02, 0.013), (1.0, 1e-3), (1e-3, 1.0)])
def test_magic_wand_spatial_mean_equal_tflm(in_scale: float, out_scale: float) -> None:
    rng = np.random.default_rng(2)
    model = single_op_model("MEAN", [TensorSpec((1, 4, 4, 64), scale=in_scale, zero_point=-128),
                                     TensorSpec((2,), dtype=np.int32, data=np.array([1, 2], np.int32))],
                            [TensorSpec((1, 64), scale=out_scale, zero_point=-3)], reducer_options(False))
    assert mismatch(model, [rng.integers(-128, 128, (1, 4, 4, 64)).astype(np.int8)], "spatial mean") is None


def test_reshape_between_models_of_different_rank_keeps_bytes() -> None:
    x = np.arange(-60, 60, dtype=np.int8).reshape(1, 120)
    model = single_op_model("RESHAPE", [TensorSpec((1, 120), scale=0.5, zero_point=1)],
                            [TensorSpec((1, 5, 4, 6), scale=0.5, zero_point=1)], reshape_options([-1, 5, 4, 6]))
    np.testing.assert_array_equal(run_edgesim(model, [x])[0], x.reshape(1, 5, 4, 6))
    assert mismatch(model, [x], "reshape") is None


def test_invalid_models_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="RESHAPE: input and output element counts differ"):
        run_edgesim(single_op_model("RESHAPE", [TensorSpec((2, 3))], [TensorSpec((7,))], reshape_options([7])), [])
    with pytest.raises(ModelError, match="MEAN: axis out of range"):
        run_edgesim(single_op_model("MEAN", [TensorSpec((2, 3), scale=0.1),
                                             TensorSpec((1,), dtype=np.int32, data=np.array([2], np.int32))],
                                    [TensorSpec((2,), scale=0.1)], reducer_options(False)), [])
    with pytest.raises(ModelError, match="MEAN: axis must be a constant tensor"):
        run_edgesim(single_op_model("MEAN", [TensorSpec((2, 3), scale=0.1), TensorSpec((1,), dtype=np.int32)],
                                    [TensorSpec((2,), scale=0.1)], reducer_options(False)), [])
