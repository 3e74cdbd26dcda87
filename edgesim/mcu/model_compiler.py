"""Build-time model compilation: a .tflite model turned into a C schedule
for the firmware (edgesim/schedule.h, kernels in edgesim/nn_fast.h).

For every operator with a specialized kernel the generated C holds its
constant shapes, its weights pre-packed in the kernel's layout, its bias with
the input zero point folded in, and its per-channel requantization
(multiplier, shift) - all in flash, computed here exactly as TFLM's prepare
computes them.  The schedule calls each kernel with its constant params
directly: no dispatch on op type, no option parsing at run time.  Operators
without a specialized kernel run through the interpreter's kernels (the
fallback), on the same planned arena, so outputs are identical either way.
Each kernel's buffers are not on the stack: the schedule states each step's
work memory (an ES_FAST_*_WORK_BYTES of its shapes), which es_compiled_load()
has the planner place in the arena as that operator's scratch::

    c_source = compile_model(Path("person_detect.tflite"), optimize="speed")

optimize: "speed" packs convolution and FC weights as int16 pairs (2x their
flash, no widening in the inner loop); "size" reads the model's own int8
weights in place for FC and pointwise convolutions (widened with SXTB16 in
the loop, no second copy in flash: the generated C points into the image's
embedded model, es_model_data), packs as int16 the other convolutions whose
int16 weights take at most SIZE_MODE_CONV_FLASH bytes, and leaves the rest to
the interpreter.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgesim import _runtime
from edgesim.errors import ModelError
from edgesim.mcu.tflite_reader import CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, Graph, Operator, Tensor, read_tflite

PADDING_SAME = 0
MAX_PATCH = 256  # ES_FAST_MAX_PATCH (edgesim/nn_fast.h)
MAX_BAND = 512  # ES_FAST_MAX_BAND
MAX_CONV_PATCH = 640  # ES_FAST_MAX_CONV_PATCH
DW_MAX_TAPS = 32  # ES_FAST_DW_MAX_TAPS
MAX_ROWS_DEPTH = 256  # ES_FAST_MAX_ROWS_DEPTH
SIZE_MODE_CONV_FLASH = 8192  # bytes of int16-packed conv weights --optimize size still accepts
DW3X3_ROW_CAPACITY = 128  # ROW_CAPACITY of ops/fast/dw_3x3.c
RQ_DSP_FULL = 2  # ES_FAST_RQ_DSP_FULL


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLM QuantizeMultiplier(): (Q0.31 significand, shift), by the kernels' own C function."""
    try:
        return _runtime.quantize_multiplier(real)
    except ValueError as e:
        raise ModelError(f"requantization scale: {e}") from None


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """TFLM CalculateActivationRangeQuantized() for an int8 output, by the kernels' own C function."""
    try:
        return _runtime.activation_range_int8(activation, scale, zero_point)
    except ValueError as e:
        raise ModelError(str(e)) from None


def _same_padding(size: int, stride: int, kernel: int, out: int) -> int:
    return max(0, ((out - 1) * stride + kernel - size) // 2)


@dataclass
class _Step:
    kernel: str   # C function
    params: str   # C initializer of the params struct
    struct: str   # es_fast_conv_params | es_fast_fc_params
    arrays: list[str]
    work: str     # C constant expression of the kernel's work memory (an ES_FAST_*_WORK_BYTES of edgesim/nn_fast.h)
    overlap_safe: bool = True  # see es_compiled_step.overlap_safe


def _words(name: str, words: np.ndarray) -> str:
    body = ",".join(f"0x{int(w):08x}u" for w in words.astype(np.uint32))
    return f"static const uint32_t {name}[{max(len(words), 1)}] = {{{body or '0'}}};"


def _ints(name: str, values: np.ndarray) -> str:
    body = ",".join(str(int(v)) for v in values)
    return f"static const int32_t {name}[{max(len(values), 1)}] = {{{body or '0'}}};"


def _pair_words(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (lo.astype(np.int64) & 0xFFFF) | ((hi.astype(np.int64) & 0xFFFF) << 16)


def _pack_rows(w: np.ndarray) -> np.ndarray:
    """Rows x depth int8 -> the 4-row block layout of es_fast_fc_s8_w16."""
    rows, depth = w.shape
    padded = np.zeros(((rows + 3) // 4 * 4, depth), np.int64)
    padded[:rows] = w
    quads = depth // 4
    out = []
    for block in padded.reshape(-1, 4, depth):
        body = block[:, :quads * 4].reshape(4, quads, 4).transpose(1, 0, 2)  # quad, row, 4
        words = np.stack([_pair_words(body[..., 0], body[..., 2]), _pair_words(body[..., 1], body[..., 3])], -1)
        out.append(words.reshape(-1))
        tail = block[:, quads * 4:].T & 0xFF  # k, row
        out.append(tail[:, 0] | (tail[:, 1] << 8) | (tail[:, 2] << 16) | (tail[:, 3] << 24))
    return np.concatenate(out)


def _pack_pairs(w: np.ndarray) -> np.ndarray:
    """Rows x depth int8 (rows even, depth a multiple of 4) -> the 2-row
    block layout of es_fast_conv_1x1_s8_pairs."""
    rows, depth = w.shape
    q = w.astype(np.int64).reshape(rows // 2, 2, depth // 4, 4)  # pair, row, quad, 4
    words = np.stack([_pair_words(q[..., 0], q[..., 2]), _pair_words(q[..., 1], q[..., 3])], -1)
    return words.transpose(0, 2, 1, 3).reshape(-1)  # pair, quad, row, 2


class _Compiler:
    def __init__(self, graph: Graph, optimize: str) -> None:
        self.graph = graph
        self.wide = optimize == "speed"

    def tensor(self, index: int) -> Tensor:
        return self.graph.tensors[index]

    def requant(self, i: int, op: Operator, weights: np.ndarray, channels: int) -> tuple[list[str], str]:
        """Arrays and initializer of es_fast_requant; weights: channels x taps."""
        arrays, initializer, _ = self.requant_with_mode(i, op, weights, channels)
        return arrays, initializer

    def requant_with_mode(self, i: int, op: Operator, weights: np.ndarray, channels: int, doubled: bool = False
                          ) -> tuple[list[str], str, int]:
        """requant() and its ES_FAST_RQ_* mode; doubled: in the DSP modes the
        kernel's weights are doubled, so is the folded bias (see
        fast_requantize_ssat8 in ops/fast/fast_internal.h)."""
        x, f, out = self.tensor(op.inputs[0]), self.tensor(op.inputs[1]), self.tensor(op.outputs[0])
        bias = np.zeros(channels, np.int64)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            bias = self.tensor(op.inputs[2]).data.astype(np.int64).reshape(-1)
        folded = bias - x.zero_point * weights.astype(np.int64).sum(axis=1)
        folded = ((folded + (1 << 31)) % (1 << 32)) - (1 << 31)  # int32 wrap, as TFLM's int32 sums
        scales = f.scales if len(f.scales) == channels else np.full(channels, f.scales[0], np.float32)
        mults, shifts = zip(*(quantize_multiplier(float(x.scales[0]) * float(s) / float(out.scales[0]))
                              for s in scales))
        lo, hi = activation_range(op.options.get("activation", 0), float(out.scales[0]), out.zero_point)
        # The DSP modes' SMMLAR form needs every accumulator below 2^30 in
        # magnitude (fast_requantize_dsp in fast_internal.h): int8 inputs
        # bound it by 128 * sum |w| + |folded bias|.  A channel of zero
        # weights (models park dead channels on a bias near 2^30) outputs a
        # constant: its table gets bias 0 and that output in the rounding
        # constant (its accumulator is then 0, and (o << e) >> e = o).
        dead = ~np.any(weights != 0, axis=1)
        bound = np.where(dead, 0, 128 * np.abs(weights.astype(np.int64)).sum(axis=1) + np.abs(folded))
        dsp = (-128 <= out.zero_point <= 127 and all(m != 0 and -21 <= s <= -1 for m, s in zip(mults, shifts))
               and bool(np.all(bound < (1 << 30))))
        mode = (RQ_DSP_FULL if (lo, hi) == (-128, 127) else 1) if dsp else 0  # ES_FAST_RQ_*
        # DSP modes: the rounding constant carries the output offset (see fast_internal.h)
        rounding = [(1 << (-s - 1)) + out.zero_point * (1 << -s) if dsp else 0 for s in shifts]
        if dsp:
            for c in np.flatnonzero(dead):
                constant = _runtime.requantize_int8(int(folded[c]), mults[c], shifts[c], out.zero_point, lo, hi)
                folded[c], rounding[c] = 0, constant * (1 << -shifts[c])
        if dsp and doubled:
            folded = 2 * folded
        third = [-s if dsp else s for s in shifts]  # DSP modes store the right shift (see nn_fast.h)
        table = np.stack([folded, np.array(mults), np.array(third), np.array(rounding)], -1).reshape(-1)
        return [_ints(f"q{i}", table)], f"{{q{i}, {out.zero_point}, {lo}, {hi}, {mode}}}", mode

    def int8_io(self, op: Operator) -> bool:
        ins = [self.tensor(op.inputs[0]), self.tensor(op.inputs[1])]
        if any(t.dtype != np.int8 for t in ins + [self.tensor(op.outputs[0])]) or ins[1].data is None:
            return False
        if any(len(t.scales) == 0 for t in ins + [self.tensor(op.outputs[0])]):
            return False
        if np.any(ins[1].zero_points != 0):  # symmetric weights only (TFLM int8 per-channel)
            return False
        return len(op.inputs) <= 2 or op.inputs[2] < 0 or self.tensor(op.inputs[2]).dtype == np.int32

    def dw_3x3(self, op: Operator) -> bool:
        """Whether es_fast_dw_3x3_s8 takes this depthwise operator."""
        x, f, out = self.tensor(op.inputs[0]), self.tensor(op.inputs[1]), self.tensor(op.outputs[0])
        if len(x.shape) != 4 or f.shape[1:3] != (3, 3) or f.shape[3] != x.shape[3] or out.shape[3] != x.shape[3]:
            return False
        if op.options["dilation_h"] != 1 or op.options["dilation_w"] != 1 or op.options["stride_w"] not in (1, 2):
            return False
        stride_w, in_w, out_w = op.options["stride_w"], x.shape[2], out.shape[2]
        pad = _same_padding(in_w, stride_w, 3, out_w) if op.options["padding"] == PADDING_SAME else 0
        row_len = (out_w + 1) * stride_w + 3
        # Per (row, channel) the kernel widens three input rows: that pays on
        # wide stride-1 maps of few channels only; es_fast_dw_3x3_pixels_s8
        # sets up its nine tap pointers per pixel, which 4 or more groups of
        # 4 channels amortize (measured per operator with edgesim profile on
        # person_detect: 48x48x8 4.2 vs 4.9 instructions/MAC, 24x24x32 4.9 vs 4.1).
        wide_enough = stride_w == 1 and out_w >= 24 and x.shape[3] < 16
        return wide_enough and pad <= 1 and pad + in_w <= row_len <= DW3X3_ROW_CAPACITY

    def dw_pixels(self, op: Operator) -> bool:
        """Whether es_fast_dw_3x3_pixels_s8 (3x3) or es_fast_dw_pixels_s8 takes this depthwise operator."""
        x, f, out = self.tensor(op.inputs[0]), self.tensor(op.inputs[1]), self.tensor(op.outputs[0])
        return (len(x.shape) == 4 and f.shape[1] * f.shape[2] <= DW_MAX_TAPS and f.shape[3] == x.shape[3] == out.shape[3]
                and x.shape[3] % 4 == 0 and x.shape[3] <= MAX_CONV_PATCH
                and op.options["dilation_h"] == 1 and op.options["dilation_w"] == 1)

    def conv_params(self, i: int, op: Operator, kh: int, kw: int, weights_name: str, requant: str,
                    packed_kw: int | None = None) -> str:
        """es_fast_conv_params initializer; padding from the model's kernel
        (kh x kw), kernel_w as the packed weights have it (packed_kw)."""
        x, out = self.tensor(op.inputs[0]), self.tensor(op.outputs[0])
        (n, h, w, c), (_, oh, ow, oc) = x.shape, out.shape
        sh, sw = op.options["stride_h"], op.options["stride_w"]
        ph = _same_padding(h, sh, kh, oh) if op.options["padding"] == PADDING_SAME else 0
        pw = _same_padding(w, sw, kw, ow) if op.options["padding"] == PADDING_SAME else 0
        return (f"{{{{{n}, {h}, {w}, {c}}}, {{{n}, {oh}, {ow}, {oc}}}, {kh}, {packed_kw or kw}, "
                f"{{{sh}, {sw}, 1, 1, {ph}, {pw}}}, "
                f"{x.zero_point}, {weights_name}, {requant}}}")

    def step(self, i: int, op: Operator) -> _Step | None:
        if op.code not in (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) or not self.int8_io(op):
            return None
        x, f, out = self.tensor(op.inputs[0]), self.tensor(op.inputs[1]), self.tensor(op.outputs[0])
        if op.code == DEPTHWISE_CONV_2D and self.dw_3x3(op):
            c = f.shape[3]
            w = f.data.reshape(3, 3, c).astype(np.int64)
            words = np.stack([_pair_words(w[r, 0], w[r, 1]) if k == 0 else _pair_words(w[r, 1], w[r, 2])
                              for r in range(3) for k in range(2)], -1)  # channel, 6
            arrays, requant = self.requant(i, op, w.reshape(9, c).T, c)
            return _Step("es_fast_dw_3x3_s8", self.conv_params(i, op, 3, 3, f"w{i}", requant), "es_fast_conv_params",
                         [_words(f"w{i}", words.reshape(-1)), *arrays], "ES_FAST_DW_3X3_WORK_BYTES")
        if op.code == DEPTHWISE_CONV_2D and self.dw_pixels(op):
            _, kh, kw, c = f.shape
            arrays, requant, mode = self.requant_with_mode(i, op, f.data.reshape(kh * kw, c).T, c, doubled=True)
            w = f.data.reshape(kh * kw, c // 4, 4).astype(np.int64) * (2 if mode else 1)  # tap, group, channel
            words = np.stack([_pair_words(w[..., 0], w[..., 2]), _pair_words(w[..., 1], w[..., 3])], -1)
            kernel = "es_fast_dw_3x3_pixels_s8" if (kh, kw) == (3, 3) else "es_fast_dw_pixels_s8"
            return _Step(kernel, self.conv_params(i, op, kh, kw, f"w{i}", requant),
                         "es_fast_conv_params", [_words(f"w{i}", words.transpose(1, 0, 2).reshape(-1)), *arrays],
                         f"ES_FAST_DW_PIXELS_WORK_BYTES({c})")
        if op.code == DEPTHWISE_CONV_2D:
            _, kh, kw, m = f.shape
            if (len(x.shape) != 4 or x.shape[3] != 1 or m % 4 or op.options["dilation_h"] != 1
                    or op.options["dilation_w"] != 1 or (kh * kw + 1) // 2 * 2 > MAX_PATCH or out.shape[3] != m):
                return None
            taps = f.data.reshape(kh * kw, m).T.astype(np.int64)  # channel x tap
            pairs = (kh * kw + 1) // 2
            padded = np.zeros((m, 2 * pairs), np.int64)
            out_w, stride_w = out.shape[2], op.options["stride_w"]
            band_kw = 8 if kw == 8 else 4 if kw <= 4 else 0  # narrower kernels get zero columns
            band = band_kw > 0 and kh * ((out_w - 1) * stride_w + band_kw) <= MAX_BAND
            if band:
                arrays, requant, mode = self.requant_with_mode(i, op, f.data.reshape(kh * kw, m).T, m, doubled=True)
                taps = np.zeros((m, kh, band_kw), np.int64)
                taps[:, :, :kw] = f.data.reshape(kh, kw, m).transpose(2, 0, 1).astype(np.int64) * (2 if mode else 1)
                pairs = taps.reshape(m // 4, 4, kh * band_kw // 2, 2).transpose(0, 2, 1, 3)  # group, pair, channel, 2
                params = self.conv_params(i, op, kh, kw, f"w{i}", requant, packed_kw=band_kw)
                return _Step("es_fast_dw_1ch_band_s8", params, "es_fast_conv_params",
                             [_words(f"w{i}", _pair_words(pairs[..., 0], pairs[..., 1]).reshape(-1)), *arrays],
                             f"ES_FAST_DW_1CH_BAND_WORK_BYTES({kh}, {(out_w - 1) * stride_w + band_kw})")
            slots = np.arange(kh * kw)
            if kw % 4 == 0:  # the patch kernel's SXTB16 row copy stores each quad of taps as (t0, t2, t1, t3)
                kx = slots % kw
                slots = slots - kx + ((kx & ~3) | ((kx & 1) << 1) | ((kx & 2) >> 1))
            padded[:, slots] = taps
            groups = padded.reshape(m // 4, 4, pairs, 2).transpose(0, 2, 1, 3)  # group, pair, channel, 2
            words = _pair_words(groups[..., 0], groups[..., 1]).reshape(-1)
            arrays, requant = self.requant(i, op, taps, m)
            return _Step("es_fast_dw_1ch_s8", self.conv_params(i, op, kh, kw, f"w{i}", requant), "es_fast_conv_params",
                         [_words(f"w{i}", words), *arrays], f"ES_FAST_DW_1CH_WORK_BYTES({kh}, {kw})")
        if op.code == CONV_2D:
            oc, kh, kw, ic = f.shape
            if len(x.shape) != 4 or x.shape[3] != ic or op.options["dilation_h"] != 1 or op.options["dilation_w"] != 1:
                return None
            pointwise = (kh, kw) == (1, 1) and op.options["stride_h"] == 1 and op.options["stride_w"] == 1
            if not self.wide and oc * kh * kw * ic * 2 > SIZE_MODE_CONV_FLASH:
                # --optimize size: a pointwise convolution reads the model's own
                # int8 weights in place (es_fast_conv_1x1_s8_rows, no flash
                # added); for other windows, int8 weights widened in the loop
                # did not beat the interpreter's conv loop (measured), so only
                # those whose int16 weights cost little flash are compiled.
                if not (pointwise and ic % 4 == 0 and ic <= MAX_ROWS_DEPTH and oc % 2 == 0):
                    return None
                arrays, requant = self.requant(i, op, f.data.reshape(oc, ic), oc)
                weights = f"es_model_data + {f.data_offset}"
                return _Step("es_fast_conv_1x1_s8_rows", self.conv_params(i, op, 1, 1, weights, requant),
                             "es_fast_conv_params", arrays, f"ES_FAST_PAIRS_WORK_BYTES({ic})")
            if (kh * kw * ic + 3) // 4 * 4 > MAX_CONV_PATCH:
                return None
            w = f.data.reshape(oc, kh * kw * ic)
            arrays, requant, mode = self.requant_with_mode(i, op, w, oc)
            # 2-pixel tiles; depth 8 has its own per-channel pass in the 1x1 kernel
            # and a single pixel wastes half a tile (measured with edgesim profile)
            pixels = int(np.prod(out.shape[:3]))
            if (pointwise and mode == RQ_DSP_FULL and ic % 4 == 0 and 8 < ic <= MAX_ROWS_DEPTH and oc % 2 == 0
                    and pixels > 1):
                arrays, requant, _ = self.requant_with_mode(i, op, w, oc, doubled=True)
                return _Step("es_fast_conv_1x1_s8_pairs", self.conv_params(i, op, 1, 1, f"w{i}", requant),
                             "es_fast_conv_params", [_words(f"w{i}", _pack_pairs(2 * w.astype(np.int64))), *arrays],
                             f"ES_FAST_PAIRS_WORK_BYTES({ic})")
            kernel = "es_fast_conv_1x1_s8_w16" if pointwise else "es_fast_conv_s8_w16"
            if not pointwise:  # the kernel pads its window patch to whole quads with zero weights
                w = np.pad(w, ((0, 0), (0, -w.shape[1] % 4)))
            return _Step(kernel, self.conv_params(i, op, kh, kw, f"w{i}", requant), "es_fast_conv_params",
                         [_words(f"w{i}", _pack_rows(w)), *arrays], f"ES_FAST_ROW_WORK_BYTES({w.shape[1]})")
        rows, depth = f.shape if len(f.shape) == 2 else (0, 0)
        if rows == 0 or op.options.get("weights_format", 0) != 0 or len(f.scales) != 1:
            return None
        elements = int(np.prod(x.shape))
        if elements % depth or int(np.prod(out.shape)) != elements // depth * rows:
            return None
        arrays, requant = self.requant(i, op, f.data.reshape(rows, depth), rows)
        if not self.wide:  # --optimize size: the model's own int8 weights, read in place
            return _Step("es_fast_fc_s8_rows", f"{{{elements // depth}, {depth}, {rows}, "
                         f"es_model_data + {f.data_offset}, {requant}}}", "es_fast_fc_params", arrays,
                         f"ES_FAST_ROW_WORK_BYTES({depth})", overlap_safe=False)
        return _Step("es_fast_fc_s8_w16", f"{{{elements // depth}, {depth}, {rows}, w{i}, {requant}}}",
                     "es_fast_fc_params", [_words(f"w{i}", _pack_rows(f.data.reshape(rows, depth))), *arrays],
                     f"ES_FAST_ROW_WORK_BYTES({depth})", overlap_safe=False)


def compile_graph(graph: Graph, optimize: str, name: str = "model") -> str:
    """The C source of `graph`'s compiled schedule (defines es_compiled)."""
    if optimize not in ("speed", "size"):
        raise ModelError(f"optimize must be 'speed' or 'size', not {optimize!r}")
    compiler = _Compiler(graph, optimize)
    lines = [f"/* Generated by edgesim/mcu/model_compiler.py from {name} (--optimize {optimize}); do not edit. */",
             '#include "edgesim/nn_fast.h"', '#include "edgesim/schedule.h"', "",
             "extern const uint8_t es_model_data[]; /* the image's embedded model (weights read in place) */", ""]
    steps = []
    for i, op in enumerate(graph.operators):
        step = compiler.step(i, op)
        if step is None:
            steps.append(f"  {{{op.code}, 0, 0, 0, 0}}, /* {op.name}: interpreter */")
            continue
        lines += step.arrays
        lines.append(f"static const {step.struct} p{i} = {step.params};")
        lines.append(f"static es_status run{i}(const void *params, const int8_t *input, int8_t *output, void *work, "
                     "size_t work_bytes) {")
        lines.append(f"  (void)params;\n  return {step.kernel}(&p{i}, input, output, work, work_bytes);\n}}")
        steps.append(f"  {{{op.code}, run{i}, &p{i}, {int(step.overlap_safe)}, {step.work}}}, /* {op.name} */")
    lines += ["", f"static const es_compiled_step steps[{max(len(steps), 1)}] = {{", *steps, "};",
              f"const es_compiled_model es_compiled = {{{len(steps)}, steps}};", ""]
    return "\n".join(lines)


def compile_model(path: Path, optimize: str) -> str:
    return compile_graph(read_tflite(Path(path).read_bytes()), optimize, Path(path).name)
