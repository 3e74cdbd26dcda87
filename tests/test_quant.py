"""The fixed-point helpers (edgesim/quant.h) against a Python transcription of
TFLite Micro's formulas, under ASan + UBSan, including the saturating and
rounding corner cases; and the rounding mode against the tflite-micro wheel.

The transcriptions below follow tensorflow/lite/kernels/internal/common.h,
quantization_util.cc and gemmlowp's fixedpoint.h with Python's unbounded
integers, so they cannot overflow where the C must not either.
"""
from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

from native_build import build_harness, kernel_sources, sanitizer_env

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def trunc_div(a: int, b: int) -> int:
    """C integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return trunc_div(ab + nudge, 1 << 31)


def rdbp(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier, double rounding (the wheel's build)."""
    left, right = max(shift, 0), max(-shift, 0)
    return rdbp(srdhm(wrap32(x << left), multiplier), right)


def mbqm_single_rounding(x: int, multiplier: int, shift: int) -> int:
    """The TFLITE_SINGLE_ROUNDING variant, for the rounding-mode probe."""
    total = 31 - shift
    return (x * multiplier + (1 << (total - 1))) >> total


def quantize_multiplier(real: float) -> tuple[int, int]:
    if real == 0.0:
        return 0, 0
    significand, shift = math.frexp(real)
    q = int(math.floor(significand * (1 << 31) + 0.5))  # round half away (positive)
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def sat_shl(x: int, exponent: int) -> int:
    threshold = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > threshold else INT32_MIN if x < -threshold else x << exponent


def exp_quarter(a: int) -> int:
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbp(x4, 2)
    poly = rdbp(srdhm(x4_over_4 + x3, 715827883) + x2, 1)
    return 1895147668 + srdhm(1895147668, x + poly)


def exp_on_negative_values(a: int) -> int:
    """gemmlowp exp_on_negative_values for Q5.26 input, Q0.31 output."""
    fractional = 26
    quarter = 1 << (fractional - 2)
    a_mod = (a & (quarter - 1)) - quarter
    result = exp_quarter(sat_shl(a_mod, 5))
    remainder = a_mod - a
    for k, mult in enumerate([1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242]):
        if remainder & (1 << (fractional - 2 + k)):
            result = srdhm(result, mult)
    return INT32_MAX if a == 0 else result


def one_over_one_plus_x(a: int) -> int:
    s = a + INT32_MAX
    half_denominator = trunc_div(s + (1 if s >= 0 else -1), 2)
    x = 1515870810 + srdhm(half_denominator, -1010580540)
    for _ in range(3):
        x = x + sat_shl(srdhm(x, (1 << 29) - srdhm(half_denominator, x)), 2)
    return sat_shl(x, 1)


def reciprocal(x: int, digits: int) -> tuple[int, int]:
    headroom_plus_one = 32 - (x & 0xFFFFFFFF).bit_length()
    shifted = wrap32(((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x(shifted), digits - headroom_plus_one


def activation_range(act: int, scale: float, zp: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: zp + roundf(f / scale) in float32."""
    def q(f: float) -> int:
        t = float(np.float32(f) / np.float32(scale))
        return zp + int(math.copysign(math.floor(abs(t) + 0.5), t))  # roundf: half away from zero

    lo, hi = -128, 127
    if act == 1:  # RELU
        lo = max(lo, q(0.0))
    elif act == 3:  # RELU6
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif act == 2:  # RELU_N1_TO_1
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    return lo, hi


@pytest.fixture(scope="module")
def harness():
    exe = build_harness("quant_harness", ["tests/c/quant_harness.c", *kernel_sources("quant")])

    def run(lines: list[str]) -> list[str]:
        proc = subprocess.run([exe], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120,
                              env=sanitizer_env())
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = proc.stdout.splitlines()
        assert len(out) == len(lines)
        return out

    return run


CORNERS = [INT32_MIN, INT32_MIN + 1, -(1 << 30), -12345, -2, -1, 0, 1, 2, 12345, (1 << 30), INT32_MAX - 1, INT32_MAX]


def _random_int32(rng: np.random.Generator, n: int) -> list[int]:
    bits = rng.integers(0, 32, n)
    return [int(v) for v in rng.integers(INT32_MIN, INT32_MAX, n, dtype=np.int64) >> bits]


def test_saturating_rounding_doubling_high_mul(harness) -> None:
    rng = np.random.default_rng(1)
    pairs = [(a, b) for a in CORNERS for b in CORNERS] + list(zip(_random_int32(rng, 3000), _random_int32(rng, 3000)))
    out = harness([f"srdhm {a} {b}" for a, b in pairs])
    assert [int(v) for v in out] == [srdhm(a, b) for a, b in pairs]
    assert srdhm(INT32_MIN, INT32_MIN) == INT32_MAX  # the one saturating case


def test_rounding_divide_by_power_of_two(harness) -> None:
    rng = np.random.default_rng(2)
    cases = [(x, e) for x in CORNERS for e in (0, 1, 2, 15, 30, 31)]
    cases += [(x, int(e)) for x, e in zip(_random_int32(rng, 3000), rng.integers(0, 32, 3000))]
    cases += [(k * 4 + 2, 2) for k in range(-5, 5)]  # exact ties round away from zero
    out = harness([f"rdbp {x} {e}" for x, e in cases])
    assert [int(v) for v in out] == [rdbp(x, e) for x, e in cases]


def test_multiply_by_quantized_multiplier(harness) -> None:
    rng = np.random.default_rng(3)
    multipliers = [0, 1 << 30, (1 << 30) + 1, INT32_MAX] + [int(v) for v in rng.integers(1 << 30, INT32_MAX, 20)]
    cases = [(x, m, s) for x in CORNERS for m in multipliers[:6] for s in (-31, -20, -1, 0, 1, 5, 30, 31)]
    xs, ms, ss = _random_int32(rng, 4000), rng.integers(1 << 30, INT32_MAX, 4000), rng.integers(-31, 8, 4000)
    cases += [(x, int(m), int(s)) for x, m, s in zip(xs, ms, ss)]
    out = harness([f"mbqm {x} {m} {s}" for x, m, s in cases])
    assert [int(v) for v in out] == [mbqm(x, m, s) for x, m, s in cases]


def test_quantize_multiplier(harness) -> None:
    rng = np.random.default_rng(4)
    reals = [0.0, 1e-12, 2.0 ** -32, 2.0 ** -31 * 0.99, 2.0 ** -31, 0.25, 0.5, 1.0, 1.5, 0.9999999999, 1 - 2.0 ** -33,
             2.0 ** 30, 2.0 ** 31 - 1]
    reals += [float(v) for v in np.exp(rng.uniform(np.log(1e-12), np.log(1e9), 2000))]
    out = harness([f"qm {r.hex()}" for r in reals])
    for r, line in zip(reals, out):
        status, m, s = (int(v) for v in line.split())
        assert status == 0, r
        assert (m, s) == quantize_multiplier(r), r
    bad = harness([f"qm {r}" for r in ("-0.5", "inf", "nan", "4294967296.0")])
    assert all(int(line.split()[0]) != 0 for line in bad)


def test_fixed_point_exp_reciprocal(harness) -> None:
    rng = np.random.default_rng(5)
    exps = [0, -1, -(1 << 24), -(1 << 26), -(31 << 26), INT32_MIN + 1, INT32_MIN] + \
        [int(v) for v in rng.integers(INT32_MIN, 1, 3000)]
    out = harness([f"exp {a}" for a in exps])
    assert [int(v) for v in out] == [exp_on_negative_values(a) for a in exps]
    xs = [0, 1, 1 << 30, INT32_MAX - 1, INT32_MAX] + [int(v) for v in rng.integers(0, INT32_MAX, 3000)]
    out = harness([f"recip1p {x}" for x in xs])
    assert [int(v) for v in out] == [one_over_one_plus_x(x) for x in xs]
    sums = [1, 2, 1 << 19, (1 << 19) * 511, INT32_MAX] + [int(v) for v in rng.integers(1 << 19, 1 << 28, 2000)]
    out = harness([f"recip {x} 12" for x in sums])
    assert [tuple(int(v) for v in line.split()) for line in out] == [reciprocal(x, 12) for x in sums]


def test_expf_is_glibc_expf_bit_for_bit(harness) -> None:
    """es_expf (float SOFTMAX on every target) against the host C library's
    expf, glibc here as under the oracle: random floats over softmax's range
    and beyond, the overflow/underflow edges and the special values, and the
    only two inputs where glibc's FMA build of expf (chosen on x86-64 CPUs
    with FMA, reproduced by es_expf) and its pre-FMA build differ: on a CPU
    without FMA these two fail, as edgesim then differs from TFLM there."""
    rng = np.random.default_rng(9)
    values = np.concatenate([rng.uniform(-110, 0, 20000), rng.uniform(0, 90, 3000), rng.normal(0, 1, 3000),
                             [0.0, -0.0, 88.0, 88.72, 88.73, -87.3, -103.9, -104.0, -1e-30, 1e-30,
                              np.inf, -np.inf, np.nan, 32.564632, -63.09946]]).astype(np.float32)
    bits = values.view(np.uint32)
    out = harness([f"expf {int(b)}" for b in bits])
    for b, line in zip(bits, out):
        ours, libc = (np.uint32(int(v)).view(np.float32) for v in line.split())
        assert (np.isnan(ours) and np.isnan(libc)) or line.split()[0] == line.split()[1], (
            f"expf({np.uint32(b).view(np.float32)!r}): edgesim {ours!r}, C library {libc!r}")


def test_tanhf_is_glibc_tanhf_bit_for_bit(harness) -> None:
    """es_tanhf (float TANH and SVDF's tanh on every target) against the host
    C library's tanhf, glibc 2.36's fdlibm tanhf here as under the oracle,
    bits compared exactly (NaN payloads too).  Every branch edge of tanhf and
    of the expm1f it calls, then a sweep over all 2^32 bit patterns with a
    prime stride plus dense runs where the two expm1 forms meet.  (A one-off
    exhaustive run over all 2^32 patterns found no difference.)"""
    edges = [0x00000000, 0x00000001, 0x007fffff, 0x00800000, 0x23ffffff, 0x24000000, 0x32ffffff, 0x33000000,
             0x3e317218, 0x3e317219, 0x3e851592, 0x3e851591, 0x3f7fffff, 0x3f800000, 0x3f800001, 0x3fb17218,
             0x41afffff, 0x41b00000, 0x41b00001, 0x7f7fffff, 0x7f800000, 0x7fc00000, 0x7fa00001]
    values = np.array(edges + [e | 0x80000000 for e in edges], dtype=np.uint32)
    for b, line in zip(values, harness([f"tanhf {int(b)}" for b in values])):
        ours, libc = line.split()
        assert ours == libc, (f"tanhf({np.uint32(b).view(np.float32)!r}) bits {int(b):#010x}: "
                              f"edgesim {int(ours):#010x}, C library {int(libc):#010x}")
    stride = 1021  # prime: the sweep visits every exponent and low-bit pattern
    runs = [(7, (1 << 32) // stride, stride)]
    runs += [(int(np.float32(x).view(np.uint32)) - (1 << 19), 1 << 20, 1) for x in (0.5, 1.0, -1.0, 8.0)]
    out = harness([f"tanhf_sweep {first} {count} {step}" for first, count, step in runs])
    for (first, count, step), line in zip(runs, out):
        differences, first_difference = (int(v) for v in line.split())
        assert differences == 0, (f"{differences} of {count} patterns from {first:#010x} step {step} differ, "
                                  f"first {first_difference:#010x}")


def test_activation_ranges(harness) -> None:
    cases = [(act, scale, zp) for act in (0, 1, 2, 3) for scale in (1e-3, 6 / 255, 0.05, 1.0, 100.0)
             for zp in (-128, -5, 0, 127)]
    out = harness([f"act {a} {float(np.float32(s)).hex()} {z}" for a, s, z in cases])
    for (a, s, z), line in zip(cases, out):
        status, lo, hi = (int(v) for v in line.split())
        assert status == 0
        assert (lo, hi) == activation_range(a, float(np.float32(s)), z), (a, s, z)
    assert [int(line.split()[0]) != 0 for line in harness(["act 4 0.1 0", "act 5 0.1 0"])] == [True, True]


def test_the_oracle_is_built_with_double_rounding() -> None:
    """A FULLY_CONNECTED model whose accumulators hit values where single and
    double rounding disagree: the wheel's outputs must follow double rounding
    (the mode quant.h implements)."""
    pytest.importorskip("tflite_micro")
    from oplib import TensorSpec, fully_connected_options, run_tflm, single_op_model

    in_s, w_s, out_s = np.float32(0.5), np.float32(0.5 ** 10 * 1.2345), np.float32(1.0)
    m, s = quantize_multiplier(float(in_s) * float(w_s) / float(out_s))
    first = next(a for a in range(-200000, 200000) if mbqm(a, m, s) != mbqm_single_rounding(a, m, s))
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    model = single_op_model("FULLY_CONNECTED", [
        TensorSpec((256, 1), scale=float(in_s)),
        TensorSpec((1, 1), data=np.ones((1, 1), np.int8), scale=float(w_s)),
        TensorSpec((1,), dtype=np.int32, data=np.array([first], np.int32), scale=float(in_s * w_s))],
        [TensorSpec((256, 1), scale=float(out_s))], fully_connected_options())
    got = run_tflm(model, [x])[0].ravel().astype(int)
    acc = x.ravel().astype(int) + first
    double = np.clip([mbqm(int(a), m, s) for a in acc], -128, 127)
    single = np.clip([mbqm_single_rounding(int(a), m, s) for a in acc], -128, 127)
    assert (double != single).any()
    np.testing.assert_array_equal(got, double)
