"""CONV_2D and DEPTHWISE_CONV_2D through edgesim.Model, equal to TFLite Micro.

Random single-op models (fixed seed) cover strides, SAME/VALID padding,
dilation, grouped convolution, depth multipliers, per-tensor and per-channel
scales, fused activations, edge zero points, missing biases, batches and
extreme requantization multipliers; targeted cases pin the shapes of the
reference models and the error messages of invalid models.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import ModelError
from oplib import (TensorSpec, assert_random_cases_equal_tflm, conv2d_options, depthwise_conv2d_options, mismatch,
                   run_edgesim, run_tflm, single_op_model)

pytest.importorskip("tflite_micro")
CASES_PER_OP = 250


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_random_models_equal_tflm(op: str) -> None:
    assert_random_cases_equal_tflm(op, seed=20261121, count=CASES_PER_OP)


def _conv_model(in_shape, filter_shape, out_shape, options, *, depthwise=False, per_channel=True, bias=True,
                in_zp=-128, seed=0):
    rng = np.random.default_rng(seed)
    channels = filter_shape[3] if depthwise else filter_shape[0]
    scales = list(rng.uniform(0.002, 0.02, channels)) if per_channel else [0.01]
    specs = [TensorSpec(in_shape, scale=0.05, zero_point=in_zp),
             TensorSpec(filter_shape, data=rng.integers(-127, 128, filter_shape).astype(np.int8), scale=scales,
                        quantized_dimension=3 if depthwise else 0)]
    if bias:
        specs.append(TensorSpec((channels,), dtype=np.int32,
                                data=rng.integers(-5000, 5000, channels).astype(np.int32)))
    op = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    return single_op_model(op, specs, [TensorSpec(out_shape, scale=0.2, zero_point=-128)], options)


@pytest.mark.parametrize("name,in_shape,filter_shape,out_shape,options,depthwise", [
    # person_detect: first conv (3x3 s2, per-channel), pointwise, 3x3 depthwise s1/s2
    ("conv3x3s2", (1, 96, 96, 1), (8, 3, 3, 1), (1, 48, 48, 8), conv2d_options("SAME", (2, 2), activation="RELU6"), False),
    ("pointwise", (1, 12, 12, 32), (64, 1, 1, 32), (1, 12, 12, 64), conv2d_options("SAME", activation="RELU6"), False),
    ("dw3x3s1", (1, 24, 24, 32), (1, 3, 3, 32), (1, 24, 24, 32), depthwise_conv2d_options("SAME", activation="RELU6"), True),
    ("dw3x3s2", (1, 24, 24, 16), (1, 3, 3, 16), (1, 12, 12, 16), depthwise_conv2d_options("SAME", (2, 2), activation="RELU6"), True),
    # micro_speech: 10x8 depthwise, stride 2, depth multiplier 8
    ("dw10x8m8", (1, 49, 40, 1), (1, 10, 8, 8), (1, 25, 20, 8),
     depthwise_conv2d_options("SAME", (2, 2), depth_multiplier=8, activation="RELU"), True),
    # magic_wand: 3x3 s2 conv on RGB and deeper inputs
    ("conv3x3rgb", (1, 32, 32, 3), (16, 3, 3, 3), (1, 16, 16, 16), conv2d_options("SAME", (2, 2), activation="RELU"), False),
    ("conv3x3deep", (1, 8, 8, 32), (64, 3, 3, 32), (1, 4, 4, 64), conv2d_options("SAME", (2, 2), activation="RELU"), False),
    ("dilated", (2, 11, 13, 4), (5, 3, 2, 4), (2, 7, 11, 5), conv2d_options("VALID", (1, 1), (2, 2)), False),
    ("grouped", (1, 6, 6, 8), (6, 3, 3, 4), (1, 6, 6, 6), conv2d_options("SAME"), False),
])
def test_reference_model_shapes_equal_tflm(name, in_shape, filter_shape, out_shape, options, depthwise) -> None:
    rng = np.random.default_rng(1)
    for per_channel in (True, False):
        model = _conv_model(in_shape, filter_shape, out_shape, options, depthwise=depthwise, per_channel=per_channel)
        x = rng.integers(-128, 128, in_shape).astype(np.int8)
        assert mismatch(model, [x], name) is None


def test_depthwise_bias_given_as_minus_one_equals_omitted_bias() -> None:
    """TFLM crashes on a -1 bias index in DEPTHWISE_CONV_2D; edgesim treats it
    as 'no bias', which must equal TFLM's output for the bias-less model."""
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (1, 3, 3, 6)).astype(np.int8)
    specs = [TensorSpec((1, 7, 7, 3), scale=0.1, zero_point=5), TensorSpec((1, 3, 3, 6), data=w, scale=0.02)]
    out = [TensorSpec((1, 7, 7, 6), scale=0.3, zero_point=-2)]
    options = depthwise_conv2d_options("SAME", depth_multiplier=2)
    x = rng.integers(-128, 128, (1, 7, 7, 3)).astype(np.int8)
    expected = run_tflm(single_op_model("DEPTHWISE_CONV_2D", specs, out, options), [x])[0]
    actual = run_edgesim(single_op_model("DEPTHWISE_CONV_2D", specs + [None], out, options), [x])[0]
    np.testing.assert_array_equal(actual, expected)


def test_conv_bias_given_as_minus_one_equals_tflm() -> None:
    rng = np.random.default_rng(4)
    w = rng.integers(-127, 128, (4, 2, 2, 3)).astype(np.int8)
    model = single_op_model("CONV_2D", [TensorSpec((1, 5, 5, 3), scale=0.1, zero_point=-7),
                                        TensorSpec((4, 2, 2, 3), data=w, scale=0.02), None],
                            [TensorSpec((1, 5, 5, 4), scale=0.3, zero_point=1)], conv2d_options("SAME"))
    assert mismatch(model, [rng.integers(-128, 128, (1, 5, 5, 3)).astype(np.int8)], "conv -1 bias") is None


def _error_of(model: bytes) -> str:
    with pytest.raises(ModelError) as info:
        run_edgesim(model, [])
    return str(info.value)


def test_invalid_conv_models_fail_with_a_clear_reason() -> None:
    w = np.ones((2, 3, 3, 4), np.int8)
    inp, out = TensorSpec((1, 6, 6, 4), scale=0.1), TensorSpec((1, 6, 6, 2), scale=0.1)
    assert "CONV_2D: filter must be int8" in _error_of(single_op_model(
        "CONV_2D", [inp, TensorSpec(w.shape, dtype=np.int16, data=w.astype(np.int16), scale=0.1)], [out],
        conv2d_options()))
    filt = TensorSpec(w.shape, data=w, scale=0.1)
    assert "CONV_2D: bias length != output channels" in _error_of(single_op_model(
        "CONV_2D", [inp, filt, TensorSpec((3,), dtype=np.int32, data=np.zeros(3, np.int32))], [out], conv2d_options()))
    assert "do not match padding, stride" in _error_of(single_op_model(
        "CONV_2D", [inp, filt], [out], conv2d_options("SAME", (2, 2))))
    assert "stride or dilation" in _error_of(single_op_model("CONV_2D", [inp, filt], [out], conv2d_options(stride=(0, 1))))
    assert "unsupported fused activation" in _error_of(single_op_model(
        "CONV_2D", [inp, filt], [out], conv2d_options(activation="TANH")))
    assert "input and output need one positive scale" in _error_of(single_op_model(
        "CONV_2D", [TensorSpec((1, 6, 6, 4)), filt], [out], conv2d_options()))


def test_invalid_depthwise_models_fail_with_a_clear_reason() -> None:
    w = np.ones((1, 3, 3, 8), np.int8)
    inp = TensorSpec((1, 5, 5, 4), scale=0.1)
    assert "DEPTHWISE_CONV_2D: output channels != input channels * depth multiplier" in _error_of(single_op_model(
        "DEPTHWISE_CONV_2D", [inp, TensorSpec(w.shape, data=w, scale=0.1)], [TensorSpec((1, 5, 5, 8), scale=0.1)],
        depthwise_conv2d_options(depth_multiplier=3)))
    # (the loader or the kernel may catch this one; either names the scales)
    assert "scales" in _error_of(single_op_model(
        "DEPTHWISE_CONV_2D", [inp, TensorSpec(w.shape, data=w, scale=[0.1, 0.2, 0.3], quantized_dimension=3)],
        [TensorSpec((1, 5, 5, 8), scale=0.1)], depthwise_conv2d_options(depth_multiplier=2)))
