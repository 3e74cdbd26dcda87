"""SVDF through edgesim.Model over several time steps (the variable state
tensor carried between invokes), int8 with int16 or int8 state and float32,
byte-equal to TFLite Micro at every step."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import run_edgesim

pytest.importorskip("tflite_micro")
from oplib.sequence_cases import run_steps_edgesim, run_steps_tflm, svdf_case  # noqa: E402

CASES = 40


@pytest.mark.parametrize("dtype", ["int8", "int8_state", "float32"])
def test_svdf_steps_equal_tflm(dtype: str) -> None:
    rng = np.random.default_rng(20261209 + ["int8", "int8_state", "float32"].index(dtype))
    failures = []
    for _ in range(CASES):
        case = svdf_case(rng, dtype)
        expected = run_steps_tflm(case.model, case.inputs)
        actual = run_steps_edgesim(case.model, case.inputs)
        for step, (e, a) in enumerate(zip(expected, actual)):
            if e.dtype != a.dtype or e.shape != a.shape or e.tobytes() != a.tobytes():
                failures.append(f"{case.description}: step {step} differs: {a.ravel()[:6]} vs TFLM {e.ravel()[:6]}")
                break
    assert not failures, f"{len(failures)} of {CASES} cases differ:\n" + "\n".join(failures[:10])


def test_state_must_be_a_variable_tensor() -> None:
    from oplib.model import TensorSpec, single_op_model
    from oplib.sequence_cases import svdf_options

    f32 = np.float32
    model = single_op_model("SVDF", [TensorSpec((1, 2), f32), TensorSpec((2, 2), f32, data=np.ones((2, 2), f32)),
                                     TensorSpec((2, 3), f32, data=np.ones((2, 3), f32)), None,
                                     TensorSpec((1, 6), f32, data=np.zeros((1, 6), f32))],
                            [TensorSpec((1, 2), f32)], svdf_options(1, "NONE"))
    with pytest.raises(ModelError, match="SVDF: the state must be a variable tensor"):
        run_edgesim(model, [np.zeros((1, 2), f32)])
