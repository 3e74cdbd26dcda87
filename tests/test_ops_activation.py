"""Activation ops (RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU, LOGISTIC,
TANH, HARD_SWISH) through edgesim.Model, int8 and float32, byte-equal to
TFLite Micro (TFLite's reference kernels for RELU_N1_TO_1, which TFLM lacks)."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, run_edgesim, single_op_model

pytest.importorskip("tflite_micro")
from oplib.activation_cases import ACTIVATION_CASES  # noqa: E402  (needs tflite_micro's schema)
from oplib.oracle import assert_cases_equal, run_litert_reference  # noqa: E402

CASES_PER_OP = 60
TFLM_OPS = ["RELU", "RELU6", "LEAKY_RELU", "PRELU", "LOGISTIC", "TANH", "HARD_SWISH"]


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("op", TFLM_OPS)
def test_random_models_equal_tflm(op: str, dtype: str) -> None:
    rng = np.random.default_rng(20261205 + TFLM_OPS.index(op))
    assert_cases_equal([ACTIVATION_CASES[op](rng, dtype) for _ in range(CASES_PER_OP)])


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_relu_n1_to_1_equals_tflite_reference(dtype: str) -> None:
    pytest.importorskip("ai_edge_litert")
    rng = np.random.default_rng(5)
    assert_cases_equal([ACTIVATION_CASES["RELU_N1_TO_1"](rng, dtype) for _ in range(CASES_PER_OP)],
                       oracle=run_litert_reference)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_sigmoids_cover_every_int8_input(op: str) -> None:
    """All 256 inputs at scales around the saturation radius, where the
    fixed-point exp and Newton-Raphson steps are exercised end to end."""
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    cases = []
    from oplib.cases import Case
    for scale in [1 / 16, 0.0234, 0.1, 0.5, 2.0 ** -7, 3.9]:
        out = (1 / 256, -128) if op == "LOGISTIC" else (1 / 128, 0)
        model = single_op_model(op, [TensorSpec(x.shape, scale=scale, zero_point=3)],
                                [TensorSpec(x.shape, scale=out[0], zero_point=out[1])])
        cases.append(Case(model, [x], f"{op} scale {scale}"))
    assert_cases_equal(cases)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_float_sigmoids_equal_tflm_on_dense_inputs(op: str) -> None:
    """Every float32 in runs where glibc's expf/tanhf (TFLM calls them; edgesim
    carries its own copies, quant/expf.c and tanhf.c) switch formulas, the two
    inputs where glibc's FMA and pre-FMA expf differ, a prime-stride sweep
    over all bit patterns, and the specials, compared as bits."""
    starts = [0.25, 0.5, 1.0, 8.0, 9.0, 16.0]
    dense = np.concatenate([np.arange(1 << 14, dtype=np.uint32) + np.float32(v).view(np.uint32) - (1 << 13)
                            for v in starts])
    sweep = np.arange(5, 1 << 32, 1 << 16 | 1, dtype=np.uint64).astype(np.uint32)
    specials = np.array([0x4202422f, 0xc27c65d9, 0, 1, 0x00800000, 0x24000000, 0x41b00000, 0x7f800000, 0x7fc00000],
                        dtype=np.uint32)
    bits = np.concatenate([dense, sweep, specials])
    x = np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32).reshape(1, -1)
    from oplib.cases import Case
    model = single_op_model(op, [TensorSpec(x.shape, np.float32)], [TensorSpec(x.shape, np.float32)])
    assert_cases_equal([Case(model, [x], f"{op} float32 over {x.size} inputs")])


def test_invalid_models_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="RELU: input and output must both be int8 or both float32"):
        run_edgesim(single_op_model("RELU", [TensorSpec((4,), np.float32)], [TensorSpec((4,), scale=0.1)]), [])
    with pytest.raises(ModelError, match="TANH: output shape != input shape"):
        run_edgesim(single_op_model("TANH", [TensorSpec((4,), scale=0.1)], [TensorSpec((5,), scale=1 / 128)]), [])
    with pytest.raises(ModelError, match="LOGISTIC: int8 output must have zero point -128"):
        run_edgesim(single_op_model("LOGISTIC", [TensorSpec((4,), scale=0.1)], [TensorSpec((4,), scale=1 / 256)]), [])
    with pytest.raises(ModelError, match="PRELU: output shape is not the broadcast"):
        run_edgesim(single_op_model("PRELU", [TensorSpec((2, 3), np.float32),
                                              TensorSpec((2,), np.float32, data=np.ones(2, np.float32))],
                                    [TensorSpec((2, 3), np.float32)]), [])
