/* es_expf(): expf() computed exactly as glibc computes it (the algorithm of
 * ARM's optimized-routines, sysdeps/ieee754/flt-32/e_expf.c), in portable
 * IEEE double arithmetic.  On x86-64 CPUs with FMA (any from the last decade)
 * glibc runs that C built with -mfma (__expf_fma, chosen by ifunc), whose
 * reduction r = z - kd becomes fma(InvLn2N, x, -kd): the product unrounded.
 * The reduction below computes that exactly without an FMA (the Cortex-M4
 * has none for doubles), so es_expf equals the host's glibc expf on all 2^32
 * inputs; glibc's pre-FMA build (__expf_sse2) rounds the product first and
 * differs from both at 2 inputs (32.564632f and -63.09946f).
 *
 * Why: TFLM's float SOFTMAX (and other float kernels) call std::exp, i.e. the
 * C library's expf.  The oracle runs on glibc; the firmware links newlib,
 * whose expf rounds differently in the last bit for many inputs.  Using one
 * implementation that reproduces glibc bit for bit keeps host == TFLM ==
 * Cortex-M4 (tests/test_quant.py compares it with the host's expf).
 *
 *   exp(x) = 2^(k/32) * 2^(r/32),  x * 32/ln2 = k + r, |r| <= 1/2
 * with 2^(k/32) from a 32-entry table and 2^(r/32) from a cubic.
 * Exact reduction: 32/ln2 = hi + lo with hi of 29 significant bits, so hi * x
 * (24-bit x) and lo * x are exact doubles and so is hi * x - k (|x| < 2^-7
 * gives k = 0; beyond, hi * x is a multiple of 2^-53 and |hi * x - k| < 1);
 * r = (hi * x - k) + lo * x is then x * 32/ln2 - k rounded once.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "edgesim/quant.h"
#include "float_bits.h"

#define EXP_TABLE_BITS 5
#define EXP_N (1 << EXP_TABLE_BITS)

/* bits(2^(i/32)) - (i << 47): adding k << 47 later yields 2^(k/32). */
static const uint64_t k_exp2_table[EXP_N] = {
    0x3ff0000000000000u, 0x3fefd9b0d3158574u, 0x3fefb5586cf9890fu, 0x3fef9301d0125b51u,
    0x3fef72b83c7d517bu, 0x3fef54873168b9aau, 0x3fef387a6e756238u, 0x3fef1e9df51fdee1u,
    0x3fef06fe0a31b715u, 0x3feef1a7373aa9cbu, 0x3feedea64c123422u, 0x3feece086061892du,
    0x3feebfdad5362a27u, 0x3feeb42b569d4f82u, 0x3feeab07dd485429u, 0x3feea47eb03a5585u,
    0x3feea09e667f3bcdu, 0x3fee9f75e8ec5f74u, 0x3feea11473eb0187u, 0x3feea589994cce13u,
    0x3feeace5422aa0dbu, 0x3feeb737b0cdc5e5u, 0x3feec49182a3f090u, 0x3feed503b23e255du,
    0x3feee89f995ad3adu, 0x3feeff76f2fb5e47u, 0x3fef199bdd85529cu, 0x3fef3720dcef9069u,
    0x3fef5818dcfba487u, 0x3fef7c97337b9b5fu, 0x3fefa4afa2a490dau, 0x3fefd0765b6e4540u,
};

float es_expf(float x) {
  const uint32_t abstop = (float_bits(x) >> 20) & 0x7ffu;
  if (abstop >= (float_bits(88.0f) >> 20)) { /* |x| >= 88 or NaN */
    if (float_bits(x) == float_bits(-INFINITY)) return 0.0f;
    if (abstop >= (float_bits(INFINITY) >> 20)) return x + x; /* +inf, NaN */
    if (x > 0x1.62e42ep6f) return INFINITY;                     /* overflow */
    if (x < -0x1.9fe368p6f) return 0.0f;                        /* underflow */
  }
  const double inv_ln2_n = 0x1.71547652b82fep+0 * EXP_N;
  const double inv_ln2_n_hi = 0x1.7154765p+5, inv_ln2_n_lo = 0x1.5c17fp-26; /* hi + lo == inv_ln2_n */
  const double shift = 0x1.8p+52; /* rounds to an integer, ties to even */
  const double c0 = 0x1.c6af84b912394p-5 / EXP_N / EXP_N / EXP_N;
  const double c1 = 0x1.ebfce50fac4f3p-3 / EXP_N / EXP_N;
  const double c2 = 0x1.62e42ff0c52d6p-1 / EXP_N;
  const double xd = (double)x;
  double z = inv_ln2_n * xd;
  double kd = z + shift;
  const uint64_t ki = double_bits(kd);
  kd -= shift;
  const double r = (inv_ln2_n_hi * xd - kd) + inv_ln2_n_lo * xd;
  uint64_t t = k_exp2_table[ki % EXP_N];
  t += ki << (52 - EXP_TABLE_BITS);
  const double s = bits_double(t);
  z = c0 * r + c1;
  const double r2 = r * r;
  double y = c2 * r + 1;
  y = z * r2 + y;
  y = y * s;
  return (float)y;
}
