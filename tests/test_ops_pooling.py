"""AVERAGE_POOL_2D and MAX_POOL_2D through edgesim.Model, equal to TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, assert_random_cases_equal_tflm, mismatch, pool2d_options, run_edgesim, single_op_model

pytest.importorskip("tflite_micro")
CASES_PER_OP = 200


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_random_models_equal_tflm(op: str) -> None:
    assert_random_cases_equal_tflm(op, seed=20261124, count=CASES_PER_OP)


def test_person_detect_average_pool_and_rounding_ties() -> None:
    """3x3 VALID pool of a 3x3x256 map (person_detect), with sums that hit
    exact .5 ties in both signs."""
    rng = np.random.default_rng(9)
    model = single_op_model("AVERAGE_POOL_2D", [TensorSpec((1, 3, 3, 256), scale=0.02, zero_point=-128)],
                            [TensorSpec((1, 1, 1, 256), scale=0.02, zero_point=-128)],
                            pool2d_options((3, 3), "VALID", (2, 2)))
    assert mismatch(model, [rng.integers(-128, 128, (1, 3, 3, 256)).astype(np.int8)], "person pool") is None
    ties = single_op_model("AVERAGE_POOL_2D", [TensorSpec((1, 1, 2, 4), scale=1.0)], [TensorSpec((1, 1, 1, 4), scale=1.0)],
                           pool2d_options((1, 2), "VALID"))
    x = np.array([[[[1, -1, 3, -3], [0, 0, 0, 0]]]], np.int8)  # means 0.5, -0.5, 1.5, -1.5
    assert mismatch(ties, [x], "ties") is None


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_quantization_must_match(op: str) -> None:
    model = single_op_model(op, [TensorSpec((1, 4, 4, 2), scale=0.1, zero_point=0)],
                            [TensorSpec((1, 2, 2, 2), scale=0.2, zero_point=0)], pool2d_options((2, 2), "VALID", (2, 2)))
    with pytest.raises(ModelError, match=f"{op}: input and output quantization must be equal"):
        run_edgesim(model, [])
