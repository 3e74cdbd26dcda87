"""Single-op .tflite models for the op tests, and the runtimes that run them.

Usage::

    from oplib import TensorSpec, single_op_model, conv2d_options, run_tflm, run_edgesim

    model = single_op_model("CONV_2D", [inp, filt, bias], [out], conv2d_options(stride=(2, 2)))
    expected = run_tflm(model, [x])
    assert (run_edgesim(model, [x])[0] == expected[0]).all()
"""
from oplib.model import (
    TensorSpec,
    binary_options,
    conv2d_options,
    depthwise_conv2d_options,
    fully_connected_options,
    pool2d_options,
    reducer_options,
    reshape_options,
    single_op_model,
    softmax_options,
)
from oplib.runners import assert_random_cases_equal_tflm, bitwise_equal, mismatch, run_edgesim, run_tflm

__all__ = [
    "TensorSpec",
    "binary_options",
    "assert_random_cases_equal_tflm",
    "bitwise_equal",
    "conv2d_options",
    "depthwise_conv2d_options",
    "fully_connected_options",
    "pool2d_options",
    "reducer_options",
    "mismatch",
    "reshape_options",
    "run_edgesim",
    "run_tflm",
    "single_op_model",
    "softmax_options",
]
