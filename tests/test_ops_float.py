"""float32 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SOFTMAX, pools and
MEAN through edgesim.Model, bit-identical to TFLite Micro.

The cases are the int8 generators' models (strides, padding, dilation, groups,
depth multipliers, batches, activations, axes) turned into float32 by
oplib.cases.as_float: same geometry, real-valued weights and inputs.  Equal
bits need TFLM's accumulation order and no fused multiply-add
(-ffp-contract=off in setup.py and the firmware build).
"""
from __future__ import annotations

import pytest

from oplib import assert_random_cases_equal_tflm

pytest.importorskip("tflite_micro")
CASES_PER_OP = 60


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "AVERAGE_POOL_2D",
                                "MAX_POOL_2D", "MEAN"])
def test_random_float_models_equal_tflm(op: str) -> None:
    assert_random_cases_equal_tflm(f"{op}/float32", seed=20261206, count=CASES_PER_OP)
