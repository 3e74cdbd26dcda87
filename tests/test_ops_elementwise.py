"""ADD, SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, QUANTIZE and
DEQUANTIZE through edgesim.Model, equal to TFLite Micro (floats bit for bit).

Random single-op models (fixed seeds, oplib.cases) cover broadcasting of
either or both inputs over ranks 1-5, constant operands, int8 scales from
matched to 1000x apart and at TFLM's limits, edge zero points, fused
activations, float specials (signed zeros, infinities, NaN, subnormals) and
QUANTIZE's float -> int8 and int8 -> int8 forms.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, assert_random_cases_equal_tflm, binary_options, mismatch, run_edgesim, single_op_model

pytest.importorskip("tflite_micro")
CASES_PER_OP = 60
BINARY = ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"]


@pytest.mark.parametrize("op", [*BINARY, *(f"{op}/float32" for op in BINARY), "QUANTIZE", "DEQUANTIZE"])
def test_random_models_equal_tflm(op: str) -> None:
    assert_random_cases_equal_tflm(op, seed=20261205, count=CASES_PER_OP)


def test_resnet_style_residual_add() -> None:
    """The MLPerf ResNet-8 shape: two [1, 32, 32, 16] activations with different scales."""
    rng = np.random.default_rng(3)
    shape = (1, 32, 32, 16)
    model = single_op_model("ADD", [TensorSpec(shape, scale=0.031, zero_point=-5), TensorSpec(shape, scale=0.057, zero_point=12)],
                            [TensorSpec(shape, scale=0.066, zero_point=-128)], binary_options("ADD", "RELU"))
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(2)]
    assert mismatch(model, inputs, "residual add") is None


@pytest.mark.parametrize("value", [3e9, -3e9, np.inf, -np.inf, np.nan, 2.5, -2.5, 0.5, -0.5, 127.49, -128.5])
def test_quantize_rounding_and_out_of_range_values(value: float) -> None:
    """Half-away rounding, and quotients beyond int32 (converted as on x86-64)."""
    for zero_point in (-128, -1, 0, 5, 127):
        model = single_op_model("QUANTIZE", [TensorSpec((4,), dtype=np.float32)],
                                [TensorSpec((4,), scale=1.0, zero_point=zero_point)], version=1)
        x = np.array([value, -value, value / 3, 0.0], np.float32)
        assert mismatch(model, [x], f"QUANTIZE {value} zp={zero_point}") is None


def test_mismatched_shapes_and_types_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="ADD: input shapes do not broadcast to the output shape"):
        run_edgesim(single_op_model("ADD", [TensorSpec((2, 3), scale=1.0), TensorSpec((3, 2), scale=1.0)],
                                    [TensorSpec((2, 3), scale=1.0)], binary_options("ADD")), [])
    with pytest.raises(ModelError, match="MUL: inputs and output must all be int8 or all float32"):
        run_edgesim(single_op_model("MUL", [TensorSpec((4,), scale=1.0), TensorSpec((4,), dtype=np.float32)],
                                    [TensorSpec((4,), scale=1.0)], binary_options("MUL")), [])
    with pytest.raises(ModelError, match="SUB: input/output scales give a multiplier outside"):
        run_edgesim(single_op_model("SUB", [TensorSpec((4,), scale=1.0), TensorSpec((4,), scale=1.0)],
                                    [TensorSpec((4,), scale=1e-9)], binary_options("SUB")), [])
    with pytest.raises(ModelError, match="DEQUANTIZE: only int8 -> float32 is supported"):
        run_edgesim(single_op_model("DEQUANTIZE", [TensorSpec((4,), dtype=np.int16, scale=1.0)],
                                    [TensorSpec((4,), dtype=np.float32)]), [])
