"""RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, REDUCE_MAX, SUM and
L2_NORMALIZATION through edgesim.Model, int8 and float32, byte-equal to
TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, run_edgesim, single_op_model

pytest.importorskip("tflite_micro")
from oplib.oracle import assert_cases_equal  # noqa: E402
from oplib.reduce_cases import RESIZE_REDUCE_CASES  # noqa: E402
from oplib.shape_cases import _i32, _options, schema  # noqa: E402

CASES_PER_OP = 60


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("op", list(RESIZE_REDUCE_CASES))
def test_random_models_equal_tflm(op: str, dtype: str) -> None:
    rng = np.random.default_rng(20261207 + list(RESIZE_REDUCE_CASES).index(op) * 2 + (dtype == "float32"))
    assert_cases_equal([RESIZE_REDUCE_CASES[op](rng, dtype) for _ in range(CASES_PER_OP)])


def test_invalid_models_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="REDUCE_MAX: int8 output must share the input's scale and zero point"):
        run_edgesim(single_op_model("REDUCE_MAX", [TensorSpec((2, 3), scale=0.1), _i32([1])],
                                    [TensorSpec((2,), scale=0.2)], _options(schema.ReducerOptionsT)), [])
    with pytest.raises(ModelError, match=r"RESIZE_BILINEAR: output shape != \[batch, size, channels\]"):
        run_edgesim(single_op_model("RESIZE_BILINEAR", [TensorSpec((1, 2, 2, 1), np.float32), _i32([3, 3])],
                                    [TensorSpec((1, 4, 4, 1), np.float32)], _options(schema.ResizeBilinearOptionsT)),
                    [])
