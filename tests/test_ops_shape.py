"""Data movement ops (CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, PAD, PADV2,
SLICE, STRIDED_SLICE, SQUEEZE, EXPAND_DIMS, TRANSPOSE, GATHER) through
edgesim.Model, int8, float32 and int32, byte-equal to TFLite Micro."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import TensorSpec, run_edgesim, single_op_model

pytest.importorskip("tflite_micro")
from oplib.oracle import assert_cases_equal  # noqa: E402
from oplib.shape_cases import SHAPE_CASES, _i32, _options, schema  # noqa: E402

CASES_PER_OP = 40


@pytest.mark.parametrize("dtype", ["int8", "float32", "int32"])
@pytest.mark.parametrize("op", list(SHAPE_CASES))
def test_random_models_equal_tflm(op: str, dtype: str) -> None:
    rng = np.random.default_rng(20261206 + list(SHAPE_CASES).index(op) * 3 + ["int8", "float32", "int32"].index(dtype))
    assert_cases_equal([SHAPE_CASES[op](rng, dtype) for _ in range(CASES_PER_OP)])


def test_gather_index_outside_the_axis_is_a_clear_error() -> None:
    model = single_op_model("GATHER", [TensorSpec((4, 3), np.float32), TensorSpec((2,), np.int32)],
                            [TensorSpec((2, 3), np.float32)], _options(schema.GatherOptionsT, axis=0))
    with pytest.raises(ModelError, match="GATHER: index outside the gathered axis"):
        run_edgesim(model, [np.zeros((4, 3), np.float32), np.array([1, 4], np.int32)])


def test_invalid_models_fail_with_a_clear_reason() -> None:
    with pytest.raises(ModelError, match="CONCATENATION: inputs must match the output's type, quantization and shape"):
        run_edgesim(single_op_model("CONCATENATION", [TensorSpec((2, 3), scale=0.1), TensorSpec((2, 3), scale=0.2)],
                                    [TensorSpec((2, 6), scale=0.1)], _options(schema.ConcatenationOptionsT, axis=1)),
                    [])
    with pytest.raises(ModelError, match="TRANSPOSE: perm must list every input dimension once"):
        run_edgesim(single_op_model("TRANSPOSE", [TensorSpec((2, 3), np.float32), _i32([0, 0])],
                                    [TensorSpec((2, 2), np.float32)], _options(schema.TransposeOptionsT)), [])
    with pytest.raises(ModelError, match="PAD: output shape != input shape plus paddings"):
        run_edgesim(single_op_model("PAD", [TensorSpec((2, 3), np.float32), _i32([[1, 1], [0, 0]])],
                                    [TensorSpec((2, 3), np.float32)], _options(schema.PadOptionsT)), [])
