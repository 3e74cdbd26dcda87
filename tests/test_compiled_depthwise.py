"""Randomized single-op depthwise models through the compiled depthwise
kernels (ops/fast/dw_*.c) on the emulated Cortex-M4: the compiled schedule
gives the interpreter's outputs, and those equal TFLM reference on the host.

Shapes are picked to reach each kernel the model compiler chooses: tiny
planes (3x3), channel counts of 4 groups and of one, strides 1 and 2 (also
mixed), SAME and VALID padding, batches of 2, kh x 1 windows (1-D models),
wide planes of few channels (the per-plane kernel), a channel count that is
not a multiple of 4 (the interpreter runs it); each kernel in the three requantization
modes: per-channel scales from tiny to huge (generic), the full int8 range
(SSAT only) and a clamp inside it (RELU6 with 200 steps).  The one-channel
band kernel runs in micro_speech and person_detect (test_compiled_model.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oplib.cases import _bias, _int8, _output_zero_point, _requant_scales, _zero_point
from oplib.model import TensorSpec, depthwise_conv2d_options, single_op_model
from test_compiled_model import tflm_outputs

pytestmark = pytest.mark.usefixtures("firmware_models")

# (input h, w, channels, kernel h, w, stride (h, w), padding, activation, expected compiled kernel or None)
CASES = [
    (6, 6, 12, 3, 3, (1, 1), "SAME", "RELU6", "es_fast_dw_3x3_pixels_s8"),
    (3, 3, 8, 3, 3, (1, 1), "SAME", "NONE", "es_fast_dw_3x3_pixels_s8"),
    (7, 5, 16, 3, 3, (2, 2), "VALID", "RELU", "es_fast_dw_3x3_pixels_s8"),
    (12, 11, 4, 3, 3, (2, 1), "SAME", "RELU6", "es_fast_dw_3x3_pixels_s8"),
    (9, 1, 20, 5, 1, (1, 1), "VALID", "NONE", "es_fast_dw_pixels_s8"),
    (10, 3, 8, 4, 2, (2, 1), "SAME", "RELU_N1_TO_1", "es_fast_dw_pixels_s8"),
    (5, 26, 8, 3, 3, (1, 1), "SAME", "RELU", "es_fast_dw_3x3_s8"),
    (5, 5, 6, 3, 3, (1, 1), "SAME", "NONE", None),
    (4, 25, 12, 3, 3, (1, 1), "SAME", "RELU6", "es_fast_dw_3x3_s8"),
    (3, 27, 4, 3, 3, (1, 1), "VALID", "NONE", "es_fast_dw_3x3_s8"),
    (6, 6, 16, 3, 3, (1, 1), "SAME", "RELU", "es_fast_dw_3x3_pixels_s8"),
    (3, 3, 4, 3, 3, (2, 2), "SAME", "NONE", "es_fast_dw_3x3_pixels_s8"),
    (12, 1, 8, 3, 1, (2, 1), "SAME", "RELU6", "es_fast_dw_pixels_s8"),
]


def depthwise_model(rng: np.random.Generator, case: tuple, edge_scales: bool) -> tuple[bytes, tuple]:
    in_h, in_w, c, k_h, k_w, stride, padding, activation, _ = case
    batches = 2 if in_h * in_w <= 36 else 1  # the small maps also as a batch of two
    if padding == "SAME":
        out_h, out_w = -(-in_h // stride[0]), -(-in_w // stride[1])
    else:
        out_h, out_w = (in_h - k_h) // stride[0] + 1, (in_w - k_w) // stride[1] + 1
    input_scale, filter_scales, output_scale = _requant_scales(rng, activation, k_h * k_w, c)
    if edge_scales:  # per-channel multipliers from far below to far above 1: left shifts, flushes
        filter_scales = [s * float(f) for s, f in zip(filter_scales, np.geomspace(1e-6, 1e4, c))]
    elif activation == "RELU6":  # 200 steps up to 6: a clamp inside the int8 range (the kernels' clamp path)
        output_scale = 6.0 / 200
    specs = [
        TensorSpec((batches, in_h, in_w, c), scale=input_scale, zero_point=_zero_point(rng)),
        TensorSpec((1, k_h, k_w, c), data=rng.integers(-127, 128, (1, k_h, k_w, c)).astype(np.int8),
                   scale=filter_scales, zero_point=0, quantized_dimension=3),
        TensorSpec((c,), dtype=np.int32, data=_bias(rng, c, k_h * k_w),
                   scale=[input_scale * s for s in filter_scales], quantized_dimension=0),
    ]
    out_zero_point = -100 if activation == "RELU6" and not edge_scales else _output_zero_point(rng, activation)
    out = TensorSpec((batches, out_h, out_w, c), scale=output_scale, zero_point=out_zero_point)
    options = depthwise_conv2d_options(padding, stride, (1, 1), 1, activation)
    return single_op_model("DEPTHWISE_CONV_2D", specs, [out], options), (batches, in_h, in_w, c)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_compiled_depthwise_equals_interpreter_and_tflm(index: int, tmp_path: Path) -> None:
    from edgesim.mcu.model_compiler import compile_model
    from edgesim.mcu.model_runner import build_model_runner, run_model

    case = CASES[index]
    rng = np.random.default_rng(1000 + index)
    model, input_shape = depthwise_model(rng, case, edge_scales=index % 2 == 1)
    path = tmp_path / f"dw{index}.tflite"
    path.write_bytes(model)
    expected = case[-1]
    source = compile_model(path, "speed")
    if expected is None:
        assert "es_fast_dw" not in source
    else:
        assert f"return {expected}(" in source, f"case {case}: another kernel was chosen"
    inputs = [[_int8(rng, input_shape)] for _ in range(3)]
    interpreted = run_model(build_model_runner(path), inputs)
    compiled = run_model(build_model_runner(path, optimize="speed"), inputs)
    assert compiled.compiled_steps == (0 if expected is None else 1)
    assert interpreted.outputs[0] == tflm_outputs(path, inputs[0]), f"case {case}: interpreter != TFLM"
    for i, (a, b) in enumerate(zip(interpreted.outputs, compiled.outputs)):
        assert a == b, f"case {case}: inference {i}: compiled != interpreter"
