"""Every op kernel under ASan + UBSan, outside the interpreter.

tests/c/op_harness.c binds each tensor, the op's persistent data and its
scratch memory to separate heap blocks of exactly the declared size, so any
out-of-bounds access, misaligned access or signed overflow in a kernel aborts
the run.  Outputs must still equal TFLite Micro's.  RESHAPE runs both with its
output aliasing the input (the planner's choice) and copied.
"""
from __future__ import annotations

import numpy as np
import pytest

from oplib import bitwise_equal, run_tflm
from oplib.cases import CASES
from oplib.harness import run_harness

pytest.importorskip("tflite_micro")
CASES_PER_OP = 25


@pytest.mark.parametrize("mcu_loops", [False, True], ids=["host-loops", "mcu-loops"])
def test_kernels_are_clean_under_sanitizers_and_equal_tflm(mcu_loops: bool) -> None:
    """mcu-loops builds the loop orders compiled for the Cortex-M4, so the
    host checks them against TFLM too."""
    rng = np.random.default_rng(77)
    cases = [(op, CASES[op](rng)) for op in CASES for _ in range(CASES_PER_OP)]
    results = run_harness([(c.model, c.inputs) for _, c in cases], sanitize=True, mcu_loops=mcu_loops)
    failures = []
    for (op, case), result in zip(cases, results):
        try:
            expected = run_tflm(case.model, case.inputs)
        except RuntimeError:
            if result.status == 0:
                failures.append(f"{case.description}: TFLM rejects it, the kernel ran")
            continue
        if result.status != 0:
            failures.append(f"{case.description}: status {result.status} {result.detail}")
        elif not all(bitwise_equal(e, a) for e, a in zip(expected, result.outputs)):
            failures.append(f"{case.description}: output differs")
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("alias", [False, True])
def test_reshape_copies_or_aliases(alias: bool) -> None:
    rng = np.random.default_rng(8)
    cases = [CASES["RESHAPE"](rng) for _ in range(10)]
    results = run_harness([(c.model, c.inputs) for c in cases], sanitize=True, alias_output=alias)
    for case, result in zip(cases, results):
        assert result.status == 0, result.detail
        np.testing.assert_array_equal(result.outputs[0].ravel(), case.inputs[0].ravel())
