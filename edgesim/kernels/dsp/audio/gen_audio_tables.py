"""Generates the audio front end's constant tables from config.h.

Usage (from the repository root, after changing an ES_AUDIO_* parameter):

    .venv/bin/python edgesim/kernels/dsp/audio/gen_audio_tables.py

writes edgesim/kernels/dsp/audio/audio_tables.c and
edgesim/kernels/include/edgesim/audio_tables.h.  `--check` only verifies that
the committed files are what this script produces (exit status 1 if not).

Why generated tables rather than computing them at init in C: upstream
(tflite-micro signal/python/ops and the kissfft allocator) derives them with
float32 `log1pf`/`powf` and double `cos`/`sin`, then rounds.  A different libm
(newlib on the Cortex-M4 vs glibc on the host) may round one of those
transcendental results differently and flip a table entry, so host and
firmware would disagree.  Computing them once here, with the same float
widths and the host C library's functions upstream used (through ctypes),
gives one table for every target, costs no init cycles and lives in flash.
tests/test_audio_frontend_constants.py asserts the tables equal the model's
constant tensors.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import math
import re
import sys
from pathlib import Path

import numpy as np

# Shared with apps that ask for their own filter bank or window at run time.
from edgesim.compute.frontend_tables import filter_bank, hann_window

HERE = Path(__file__).resolve().parent
CONFIG_H = HERE.parent.parent / "include" / "edgesim" / "config.h"
OUT_C = HERE / "audio_tables.c"
OUT_H = HERE.parent.parent / "include" / "edgesim" / "audio_tables.h"

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]
_libm.powf.restype = ctypes.c_float
f32 = np.float32


def read_config(path: Path = CONFIG_H) -> dict[str, float]:
    """`#define ES_AUDIO_* <number>` values of config.h."""
    values: dict[str, float] = {}
    for name, value in re.findall(r"#define\s+(ES_AUDIO_\w+)\s+([-0-9.]+)f?\b", path.read_text()):
        values[name] = float(value) if "." in value else int(value)
    return values


# --- kissfft v130 fixed-point twiddles: floor(.5 + 32767 * cos(phase)) ---
def _q15(phase: float) -> tuple[int, int]:
    return int(math.floor(0.5 + 32767 * math.cos(phase))), int(math.floor(0.5 + 32767 * math.sin(phase)))


def fft_twiddles(nfft: int) -> list[tuple[int, int]]:
    pi = 3.141592653589793238462643383279502884197169399375105820974944
    return [_q15(-2 * pi * i / nfft) for i in range(nfft)]


def fft_stage_twiddles(nfft: int) -> list[int]:
    """Radix-4 stage twiddles laid out for rfft.c: for each stage m = 1, 4, ... nfft/4
    (fstride = nfft/4m), for leg 1..3: m real parts then m imaginary parts of
    twiddle[leg * k * fstride], k < m.  Stage m starts at offset 2 * (m - 1)."""
    tw = fft_twiddles(nfft)
    out: list[int] = []
    m = 1
    while m < nfft:
        fstride = nfft // (4 * m)
        for leg in (1, 2, 3):
            out += [tw[leg * k * fstride][0] for k in range(m)]
            out += [tw[leg * k * fstride][1] for k in range(m)]
        m *= 4
    return out


def _packed(re: int, im: int) -> int:
    """(re, im) as one 32-bit word, re in the low half (the M4's SIMD layout)."""
    return (re & 0xFFFF) | ((im & 0xFFFF) << 16)


def fft_packed_stage_twiddles(nfft: int) -> list[int]:
    """Twiddles of stages m = 4, 16, ... nfft/4 as packed words: per stage, per
    k < m, legs 1, 2, 3 (stage 1's twiddles are all index 0, the identity)."""
    tw = fft_twiddles(nfft)
    out: list[int] = []
    m = 4
    while m < nfft:
        fstride = nfft // (4 * m)
        for k in range(m):
            out += [_packed(*tw[leg * k * fstride]) for leg in (1, 2, 3)]
        m *= 4
    return out


def rfft_super_twiddles(ncfft: int) -> list[tuple[int, int]]:
    return [_q15(-3.14159265358979323846264338327 * ((i + 1) / ncfft + 0.5)) for i in range(ncfft // 2)]


# --- PCAN gain LUT: wide_dynamic_func_lut_wrapper.cc in float32 ---
def _pcan_gain(strength: np.float32, offset: np.float32, gain_bits: int, input_bits: int, x: int) -> int:
    x_float = f32(x) / f32(1 << input_bits)
    gain = f32(1 << gain_bits) * f32(_libm.powf(float(x_float + offset), float(-strength)))
    if gain > 32767:
        return 32767
    return int(gain + f32(0.5))


def pcan_gain_lut(strength: float, offset: float, input_bits: int, gain_bits: int) -> list[int]:
    s, o = f32(strength), f32(offset)
    lut = [0] * (4 * 32 - 3 + 1)
    lut[0] = _pcan_gain(s, o, gain_bits, input_bits, 0)
    lut[1] = _pcan_gain(s, o, gain_bits, input_bits, 1)
    for interval in range(2, 33):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == 32 else 2 * x0
        y0, y1, y2 = (_pcan_gain(s, o, gain_bits, input_bits, x) for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        base = 4 * interval - 6
        lut[base:base + 4] = [y0, a1, a2, 0]
    return [int(np.int16(v)) for v in lut[:125]]


# --- log2 fraction LUT (signal/src/log.cc): log2(1+f) - f in Q16, 128 segments ---
def log_lut() -> list[int]:
    return [int(math.floor((math.log2(1 + i / 128) - i / 128) * 65536 + 0.5)) for i in range(129)] + [0]


def _array(ctype: str, name: str, values: list[int], per_line: int = 12) -> str:
    text = (lambda v: f"0x{v:08X}u") if ctype == "uint32_t" else str
    rows = [", ".join(text(v) for v in values[i:i + per_line]) for i in range(0, len(values), per_line)]
    return f"const {ctype} {name}[{len(values)}] = {{\n  " + ",\n  ".join(rows) + "\n};\n"


def _planar_array(name: str, values: list[tuple[int, int]]) -> str:
    """Complex values as all real parts, then all imaginary parts (vector-friendly)."""
    return _array("int16_t", name, [re for re, _ in values] + [im for _, im in values])


def generate() -> tuple[str, str]:
    cfg = read_config()
    fft = cfg["ES_AUDIO_FFT_LENGTH"]
    ncfft = fft // 2
    stage_twiddles = fft_stage_twiddles(ncfft)
    window = hann_window(cfg["ES_AUDIO_WINDOW_SAMPLES"], cfg["ES_AUDIO_WINDOW_SHIFT"])
    packed_twiddles = fft_packed_stage_twiddles(ncfft)
    fb = filter_bank(fft, cfg["ES_AUDIO_SAMPLE_RATE_HZ"], cfg["ES_AUDIO_FEATURE_CHANNELS"],
                     cfg["ES_AUDIO_LOWER_BAND_HZ"], cfg["ES_AUDIO_UPPER_BAND_HZ"],
                     cfg["ES_AUDIO_FILTERBANK_WEIGHT_BITS"], cfg["ES_AUDIO_FILTERBANK_ALIGNMENT"],
                     cfg["ES_AUDIO_FILTERBANK_BLOCK"])
    input_bits = cfg["ES_AUDIO_NR_SMOOTHING_BITS"] - cfg["ES_AUDIO_LOG_CORRECTION_BITS"]
    pcan = pcan_gain_lut(cfg["ES_AUDIO_PCAN_STRENGTH"], cfg["ES_AUDIO_PCAN_OFFSET"], input_bits,
                         cfg["ES_AUDIO_PCAN_GAIN_BITS"])
    steps = fb["program"]
    fb_program = " \\\n".join("  " + " ".join(steps[i:i + 6]) for i in range(0, len(steps), 6))
    header = f"""/* GENERATED by edgesim/kernels/dsp/audio/gen_audio_tables.py from config.h.
 * Do not edit: change config.h and re-run the generator. */
#ifndef EDGESIM_AUDIO_TABLES_H
#define EDGESIM_AUDIO_TABLES_H

#include <stdint.h>

#define ES_AUDIO_SPECTRUM_START {fb['start']}  /* first FFT bin the filter bank uses */
#define ES_AUDIO_SPECTRUM_END {fb['end']}    /* one past the last */
#define ES_AUDIO_FILTERBANK_WEIGHT_COUNT {len(fb['weights'])}
#define ES_AUDIO_FFT_STAGE_TWIDDLES {len(stage_twiddles)}
#define ES_AUDIO_PCAN_LUT_SIZE 125
#define ES_AUDIO_LOG_LUT_SIZE 130

/* Hann window, Q{cfg['ES_AUDIO_WINDOW_SHIFT']}. */
extern const int16_t es_audio_window_coeffs[{cfg['ES_AUDIO_WINDOW_SAMPLES']}];
/* The same, even-indexed coefficients first, then odd-indexed: the window
 * stage writes the FFT's planar (even, odd) input with contiguous loads. */
extern const int16_t es_audio_window_coeffs_planar[{cfg['ES_AUDIO_WINDOW_SAMPLES']}];
/* Twiddles (Q15) of the {ncfft}-point complex FFT's radix-4 stages, per stage
 * m = 1, 4, 16, 64 at offset 2 * (m - 1): for legs 1..3, m real parts then
 * m imaginary parts; and of the real-FFT split ({ncfft // 2} real parts, then
 * {ncfft // 2} imaginary parts). */
extern const int16_t es_audio_fft_twiddles[ES_AUDIO_FFT_STAGE_TWIDDLES];
extern const int16_t es_audio_rfft_twiddles[2 * {ncfft // 2}];
/* The same as packed words (re | im << 16) for the Cortex-M4's dual 16-bit
 * multiplies: stages m = 4, 16, 64 (per k, legs 1..3), and the split. */
extern const uint32_t es_audio_fft_twiddles_packed[{len(packed_twiddles)}];
/* kissfft's C_FIXDIV multipliers 32767 / 2 and 32767 / 4 (Q15), read from
 * memory so that compilers keep them as variables: a multiply by a variable
 * in the rounding pattern becomes one SIMD rounding multiply (x86 pmulhrsw),
 * while a literal constant gets strength-reduced into a slower sequence. */
extern const int16_t es_audio_fft_fixdiv_q15[2];
extern const uint32_t es_audio_rfft_twiddles_packed[{ncfft // 2}];
/* Mel filter bank: channel c (0..{cfg['ES_AUDIO_FEATURE_CHANNELS']}, 0 is the lower half of channel 1)
 * covers bins freq_starts[c] .. + widths[c] with weights from weight_starts[c]. */
extern const int16_t es_audio_fb_weights[ES_AUDIO_FILTERBANK_WEIGHT_COUNT];
extern const int16_t es_audio_fb_unweights[ES_AUDIO_FILTERBANK_WEIGHT_COUNT];
extern const int16_t es_audio_fb_freq_starts[{cfg['ES_AUDIO_FEATURE_CHANNELS'] + 1}];
extern const int16_t es_audio_fb_weight_starts[{cfg['ES_AUDIO_FEATURE_CHANNELS'] + 1}];
extern const int16_t es_audio_fb_widths[{cfg['ES_AUDIO_FEATURE_CHANNELS'] + 1}];

/* The same filter bank as straight-line code for filterbank.c: the channels'
 * actual bin ranges tile [ES_AUDIO_SPECTRUM_START, ES_AUDIO_SPECTRUM_END), so
 * BIN(b, weight, unweight) for every bin in order, END(c) after channel c's
 * last bin, adds exactly upstream's products minus its zero-weight padding.
 * Constant bins and weights: no loop, no table loads (immediate operands). */
#define ES_AUDIO_FILTERBANK_PROGRAM(BIN, END) \\
{fb_program}

/* PCAN gain: piecewise quadratic of the noise estimate, 4 entries per octave. */
extern const int16_t es_audio_pcan_gain_lut[ES_AUDIO_PCAN_LUT_SIZE];
/* log2(1 + f) - f in Q16 at f = i/128 (plus a guard entry). */
extern const uint16_t es_audio_log_lut[ES_AUDIO_LOG_LUT_SIZE];

#endif /* EDGESIM_AUDIO_TABLES_H */
"""
    body = "\n".join([
        "/* GENERATED by edgesim/kernels/dsp/audio/gen_audio_tables.py from config.h.",
        " * Do not edit: change config.h and re-run the generator. */",
        '#include "edgesim/audio_tables.h"',
        "",
        _array("int16_t", "es_audio_window_coeffs", window),
        _array("int16_t", "es_audio_window_coeffs_planar", window[0::2] + window[1::2]),
        _array("int16_t", "es_audio_fft_twiddles", stage_twiddles),
        _planar_array("es_audio_rfft_twiddles", rfft_super_twiddles(ncfft)),
        _array("uint32_t", "es_audio_fft_twiddles_packed", packed_twiddles, per_line=6),
        _array("int16_t", "es_audio_fft_fixdiv_q15", [32767 // 2, 32767 // 4]),
        _array("uint32_t", "es_audio_rfft_twiddles_packed", [_packed(*t) for t in rfft_super_twiddles(ncfft)],
               per_line=6),
        _array("int16_t", "es_audio_fb_weights", fb["weights"]),
        _array("int16_t", "es_audio_fb_unweights", fb["unweights"]),
        _array("int16_t", "es_audio_fb_freq_starts", fb["freq_starts"]),
        _array("int16_t", "es_audio_fb_weight_starts", fb["weight_starts"]),
        _array("int16_t", "es_audio_fb_widths", fb["widths"]),
        _array("int16_t", "es_audio_pcan_gain_lut", pcan),
        _array("uint16_t", "es_audio_log_lut", log_lut()),
    ])
    return header, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files, write nothing")
    args = parser.parse_args(argv)
    header, body = generate()
    if args.check:
        stale = [str(p) for p, text in ((OUT_H, header), (OUT_C, body)) if not p.exists() or p.read_text() != text]
        if stale:
            print("out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    OUT_H.write_text(header)
    OUT_C.write_text(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
