"""TRANSPOSE_CONV and BATCH_MATMUL through edgesim.Model, int8 and float32, byte-equal to
TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")
from oplib.matmul_cases import MATMUL_CASES  # noqa: E402
from oplib.oracle import assert_cases_equal  # noqa: E402

CASES_PER_OP = 60


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("op", list(MATMUL_CASES))
def test_random_models_equal_tflm(op: str, dtype: str) -> None:
    rng = np.random.default_rng(20261208 + list(MATMUL_CASES).index(op) * 2 + (dtype == "float32"))
    assert_cases_equal([MATMUL_CASES[op](rng, dtype) for _ in range(CASES_PER_OP)])
