"""The compiled convolution and fully connected kernels (ops/fast/conv_1x1.c,
conv_1x1_rows.c, conv_window.c, fully_connected.c) on the emulated Cortex-M4
give the interpreter's outputs, which equal TFLM's, on single-op models
chosen to reach their edges: depths and channel counts not multiples of 4,
an odd pixel count, the largest depth of each path, per-channel
requantization with right shifts of exactly 1 and 21 (the DSP form's limits)
and beyond them (the generic form), activation clamps, zero points at the
ends of the int8 range.  Data and biases are pseudo-random with fixed seeds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oplib.model import TensorSpec, conv2d_options, fully_connected_options, single_op_model

pytestmark = pytest.mark.usefixtures("firmware_models")

# Real multipliers (input scale 1: the filter scale over the output scale) whose TFLM shifts are -1, -21 (both in the DSP form's range),
# and, for the generic form, -22 and +1; the other channels get typical ones.
DSP_EDGES = [0.3, 0.74 * 2.0**-21, 0.6 * 2.0**-21, 0.49]
GENERIC_EDGES = [0.3, 0.7 * 2.0**-22, 1.7]


# Output scales that spread RELU6 and RELU_N1_TO_1 over the int8 range
# (the filter scales follow, so the multipliers stay as chosen).
OUTPUT_SCALES = {"RELU6": 6.0 / 255, "RELU_N1_TO_1": 2.0 / 255}


def _filter(rng: np.random.Generator, channels: int, taps: tuple[int, ...], edges: list[float]
            ) -> tuple[np.ndarray, list[float], np.ndarray]:
    """(weights, per-channel multipliers, bias) that keep most outputs inside
    the int8 range: the first channels take the edge multipliers - small
    multipliers with a bias of the size that lands near the range, large
    ones with weights in [-1, 1] - the others a multiplier fitting their
    accumulator's spread (about sqrt(depth) * 73 * 74 for uniform int8)."""
    depth = int(np.prod(taps))
    spread = np.sqrt(depth) * 73 * 74
    weights = rng.integers(-127, 128, (channels, *taps)).astype(np.int8)
    scales = [40 / spread * float(np.exp(rng.uniform(-0.7, 0.7))) for _ in range(channels)]
    bias = rng.uniform(-2 * spread, 2 * spread, channels)
    for c, m in enumerate(edges[:channels]):
        scales[c] = m
        if m < 1e-3:
            bias[c] = rng.uniform(-150, 150) / m
        else:
            weights[c] = rng.integers(-1, 2, taps)
            bias[c] = rng.uniform(-100, 100) / m
    return weights, scales, bias.astype(np.int64).astype(np.int32)


def _conv_model(rng: np.random.Generator, shape: tuple[int, int, int, int], channels: int, kernel: tuple[int, int],
                stride: tuple[int, int], padding: str, activation: str, edges: list[float],
                zero_points: tuple[int, int], dead_biases: tuple[int, ...] = ()) -> tuple[bytes, np.ndarray]:
    """dead_biases: the last channels get zero weights and these biases (the
    dead channels models park on a bias near 2^30)."""
    n, h, w, depth = shape
    weights, multipliers, bias = _filter(rng, channels, (*kernel, depth), edges)
    for c, b in enumerate(dead_biases, channels - len(dead_biases)):
        weights[c], bias[c] = 0, b
    out_scale = OUTPUT_SCALES.get(activation, 1.0)
    scales = [m * out_scale for m in multipliers]
    out_h = -(-h // stride[0]) if padding == "SAME" else (h - kernel[0]) // stride[0] + 1
    out_w = -(-w // stride[1]) if padding == "SAME" else (w - kernel[1]) // stride[1] + 1
    model = single_op_model("CONV_2D", [
        TensorSpec(shape, scale=1.0, zero_point=zero_points[0]),
        TensorSpec(weights.shape, data=weights, scale=scales, zero_point=0, quantized_dimension=0),
        TensorSpec((channels,), dtype=np.int32, data=bias, scale=scales),
    ], [TensorSpec((n, out_h, out_w, channels), scale=out_scale, zero_point=zero_points[1])],
        conv2d_options(padding, stride, (1, 1), activation))
    return model, rng.integers(-128, 128, shape).astype(np.int8)


def _fc_model(rng: np.random.Generator, batches: int, depth: int, rows: int, activation: str, edge: float | None,
              zero_points: tuple[int, int]) -> tuple[bytes, np.ndarray]:
    """edge: the one (per-tensor) multiplier, or None for a typical one."""
    weights, multipliers, bias = _filter(rng, rows, (depth,), [] if edge is None else [edge] * rows)
    out_scale = OUTPUT_SCALES.get(activation, 1.0)
    scales = [m * out_scale for m in multipliers]
    model = single_op_model("FULLY_CONNECTED", [
        TensorSpec((batches, depth), scale=1.0, zero_point=zero_points[0]),
        TensorSpec((rows, depth), data=weights, scale=scales[0], zero_point=0),
        TensorSpec((rows,), dtype=np.int32, data=bias, scale=scales[0]),
    ], [TensorSpec((batches, rows), scale=out_scale, zero_point=zero_points[1])], fully_connected_options(activation))
    return model, rng.integers(-128, 128, (batches, depth)).astype(np.int8)


# name: (model builder, the kernel each --optimize mode must pick)
CASES = {
    # the widened-pixel path, a partial last channel block, DSP requantization at its edges, a clamp
    "1x1 depth 24 to 10 relu6": (lambda rng: _conv_model(rng, (1, 6, 5, 24), 10, (1, 1), (1, 1), "VALID", "RELU6",
                                                         DSP_EDGES, (-128, -128)),
                                 {"speed": "es_fast_conv_1x1_s8_pairs", "size": "es_fast_conv_1x1_s8_pairs"}),
    # ... with a clamp inside the int8 range (requantization in C)
    "1x1 depth 24 to 10 relu6 clamped": (lambda rng: _conv_model(rng, (1, 6, 5, 24), 10, (1, 1), (1, 1), "VALID",
                                                                 "RELU6", DSP_EDGES, (-128, -100)),
                                         {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_w16"}),
    # size: the in-place rows kernel (odd pixel count: the last pixel pairs with itself), generic requantization
    "1x1 depth 64 to 66 generic": (lambda rng: _conv_model(rng, (1, 3, 5, 64), 66, (1, 1), (1, 1), "SAME", "NONE",
                                                           GENERIC_EDGES, (127, 5)),
                                   {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_rows"}),
    # the rows kernel with a clamp (its C requantization), an even pixel count
    "1x1 depth 96 to 48 relu6": (lambda rng: _conv_model(rng, (1, 2, 3, 96), 48, (1, 1), (1, 1), "VALID", "RELU6",
                                                         DSP_EDGES, (5, -128)),
                                 {"speed": "es_fast_conv_1x1_s8_pairs", "size": "es_fast_conv_1x1_s8_rows"}),
    # the rows kernel's largest depth, DSP requantization, full int8 range (its assembly pass), odd pixels
    "1x1 depth 256 to 34": (lambda rng: _conv_model(rng, (1, 1, 3, 256), 34, (1, 1), (1, 1), "VALID", "NONE",
                                                    DSP_EDGES, (-128, -1)),
                            {"speed": "es_fast_conv_1x1_s8_pairs", "size": "es_fast_conv_1x1_s8_rows"}),
    # a depth past the widened scratch (the int8 path) and one not a multiple of 4
    "1x1 depth 340 to 6 relu": (lambda rng: _conv_model(rng, (1, 2, 2, 340), 6, (1, 1), (1, 1), "VALID", "RELU",
                                                        DSP_EDGES, (3, -128)),
                                {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_w16"}),
    # depth 8 over the whole int8 range: the per-channel assembly pass
    "1x1 depth 8 to 12": (lambda rng: _conv_model(rng, (1, 7, 3, 8), 12, (1, 1), (1, 1), "VALID", "NONE",
                                                  DSP_EDGES, (-128, 4)),
                          {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_w16"}),
    # 2-channel x 2-pixel int16 tiles, an odd pixel count
    "1x1 depth 48 to 20": (lambda rng: _conv_model(rng, (1, 5, 3, 48), 20, (1, 1), (1, 1), "VALID", "NONE",
                                                   DSP_EDGES, (90, -100)),
                           {"speed": "es_fast_conv_1x1_s8_pairs", "size": "es_fast_conv_1x1_s8_pairs"}),
    # dead channels with biases beyond the DSP form's |accumulator| < 2^30 keep the pair tiles (DSP mode)
    "1x1 depth 32 to 8 dead channels": (lambda rng: _conv_model(rng, (1, 3, 4, 32), 8, (1, 1), (1, 1), "VALID",
                                                                "NONE", DSP_EDGES, (-128, 3),
                                                                (1 << 30, -(1 << 30) - 128, 2**31 - 1, 5)),
                                        {"speed": "es_fast_conv_1x1_s8_pairs", "size": "es_fast_conv_1x1_s8_pairs"}),
    # past the pair tiles' depth: the per-pixel assembly pass over the whole int8 range
    "1x1 depth 288 to 8": (lambda rng: _conv_model(rng, (1, 2, 2, 288), 8, (1, 1), (1, 1), "VALID", "NONE",
                                                   DSP_EDGES, (-3, 2)),
                           {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_w16"}),
    "1x1 depth 7 to 5 relu_n1_to_1": (lambda rng: _conv_model(rng, (2, 3, 3, 7), 5, (1, 1), (1, 1), "SAME",
                                                              "RELU_N1_TO_1", DSP_EDGES, (0, 0)),
                                      {"speed": "es_fast_conv_1x1_s8_w16", "size": "es_fast_conv_1x1_s8_w16"}),
    # windows: kws's first layer shape (10x4, stride 2) and a 3x3 over 3 channels
    "10x4 stride 2 window": (lambda rng: _conv_model(rng, (1, 13, 7, 1), 8, (10, 4), (2, 2), "SAME", "RELU",
                                                     DSP_EDGES, (-20, -128)),
                             {"speed": "es_fast_conv_s8_w16", "size": "es_fast_conv_s8_w16"}),
    "3x3 depth 3 to 5 window": (lambda rng: _conv_model(rng, (1, 5, 6, 3), 5, (3, 3), (1, 1), "SAME", "RELU6",
                                                        GENERIC_EDGES, (100, -128)),
                                {"speed": "es_fast_conv_s8_w16", "size": "es_fast_conv_s8_w16"}),
    # an odd number of quads, a partial block after the whole ones, stride 2 with VALID padding
    "3x3 depth 4 to 6 stride 2 window": (lambda rng: _conv_model(rng, (1, 9, 8, 4), 6, (3, 3), (2, 2), "VALID",
                                                                 "NONE", DSP_EDGES, (-77, 127)),
                                         {"speed": "es_fast_conv_s8_w16", "size": "es_fast_conv_s8_w16"}),
    "fc depth 63 to 10 relu6": (lambda rng: _fc_model(rng, 2, 63, 10, "RELU6", None, (-128, -128)),
                                {"speed": "es_fast_fc_s8_w16", "size": "es_fast_fc_s8_rows"}),
    # one widened input row shared by 5 row blocks (the last one partial)
    "fc depth 128 to 18": (lambda rng: _fc_model(rng, 2, 128, 18, "NONE", None, (-7, -128)),
                           {"speed": "es_fast_fc_s8_w16", "size": "es_fast_fc_s8_rows"}),
    "fc depth 257 to 5": (lambda rng: _fc_model(rng, 1, 257, 5, "NONE", 0.7 * 2.0**-22, (127, 9)),
                          {"speed": "es_fast_fc_s8_w16", "size": "es_fast_fc_s8_rows"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_kernel_equals_interpreter_and_tflm(name: str, tmp_path: Path) -> None:
    from edgesim.mcu.model_compiler import compile_model
    from edgesim.mcu.model_runner import build_model_runner, run_model
    from test_compiled_model import tflm_outputs

    build, kernels = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    model, x = build(rng)
    path = tmp_path / "case.tflite"
    path.write_bytes(model)
    interpreted = run_model(build_model_runner(path), [[x]])
    assert interpreted.outputs[0] == tflm_outputs(path, [x]), "interpreter on the M4 != TFLM reference"
    for optimize in ("speed", "size"):
        source = compile_model(path, optimize)
        if optimize in kernels:
            assert f"return {kernels[optimize]}(" in source, f"--optimize {optimize} did not take {kernels[optimize]}"
        compiled = run_model(build_model_runner(path, optimize=optimize), [[x]])
        assert compiled.outputs == interpreted.outputs, f"--optimize {optimize} differs from the interpreter"


def test_requantization_edges_are_the_intended_shifts() -> None:
    from edgesim.mcu.model_compiler import quantize_multiplier

    assert {quantize_multiplier(s)[1] for s in DSP_EDGES} == {-1, -21}
    assert {quantize_multiplier(s)[1] for s in GENERIC_EDGES} == {-1, -22, 1}
