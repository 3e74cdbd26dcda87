/* es_tanhf(): tanhf() computed exactly as glibc 2.36 computes it (the fdlibm
 * algorithm, sysdeps/ieee754/flt-32/s_tanhf.c on __expm1f from s_expm1f.c),
 * in portable IEEE single-precision arithmetic.
 *
 * Why: TFLM's float TANH (and SVDF's tanh activation) call std::tanh, i.e.
 * the C library's tanhf, and LOGISTIC calls expf.  The oracle runs on glibc;
 * the firmware links newlib, whose results differ in the last bit for some
 * inputs.  One implementation reproducing glibc bit for bit keeps host ==
 * TFLM == Cortex-M4 (tests/test_quant.py compares it with the host's tanhf).
 * Every operation below is one correctly rounded float operation (the build
 * uses -ffp-contract=off, so no fused multiply-adds), as in glibc's build.
 *
 * tanh, for a = |x| (the sign is put back at the end):
 *   a < 2^-55:     x * (1 + x)                (= x; 0 stays +-0)
 *   a < 1:         t = expm1(-2a),  -t / (t + 2)
 *   a < 22:        t = expm1(2a),   1 - 2 / (t + 2)
 *   a >= 22:       1 - 1e-30                  (= 1)
 *   inf, NaN:      1/x + 1 or 1/x - 1         (+-1, NaN)
 * expm1(v), for the 2^-54 <= |v| < 44 tanh gives it:
 *   |v| < 2^-25:   v
 *   reduction:     v = k ln2 + r,  k = 0 for |v| <= ln2/2, +-1 below 1.5 ln2,
 *                  else trunc(v / ln2 +- 1/2); ln2 = ln2_hi + ln2_lo so that
 *                  k ln2_hi is exact; r = hi - lo and c = (hi - r) - lo is the
 *                  rounding error of r
 *   r1 = 1 + hxs (Q1 + hxs (Q2 + hxs (Q3 + hxs (Q4 + hxs Q5)))), hxs = r^2/2
 *   e  = hxs ((r1 - t) / (6 - r t)),  t = 3 - r1 r/2   (expm1(r) = r + hxs - r e)
 *   then scale by 2^k, each range of k with its own cancellation-safe form.
 */
#include <stdint.h>
#include <string.h>

#include "edgesim/quant.h"
#include "float_bits.h"

/* y * 2^k by adding k to the exponent field (y is normal and stays so). */
static inline float add_exponent(float y, int32_t k) { return bits_float(float_bits(y) + ((uint32_t)k << 23)); }

/* fdlibm expm1f for 2^-54 <= |x| < 44, the range es_tanhf calls it with
 * (no overflow and no x < -27 ln2 saturation to -1). */
static float expm1f_tanh_range(float x) {
  const float ln2_hi = 6.9313812256e-01f; /* 0x3f317180: k * ln2_hi exact */
  const float ln2_lo = 9.0580006145e-06f; /* 0x3717f7d1 */
  const float inv_ln2 = 1.4426950216e+00f;
  const float q1 = -3.3333335072e-02f, q2 = 1.5873016091e-03f, q3 = -7.9365076090e-05f, q4 = 4.0082177293e-06f,
              q5 = -2.0109921195e-07f;
  const uint32_t hx = float_bits(x) & 0x7fffffffu;
  const int negative = (float_bits(x) >> 31) != 0;
  float c = 0.0f;
  int32_t k = 0;
  if (hx > 0x3eb17218u) { /* |x| > ln2/2 */
    float hi, lo;
    if (hx < 0x3f851592u) { /* |x| < 1.5 ln2 */
      hi = negative ? x + ln2_hi : x - ln2_hi;
      lo = negative ? -ln2_lo : ln2_lo;
      k = negative ? -1 : 1;
    } else {
      k = (int32_t)(inv_ln2 * x + (negative ? -0.5f : 0.5f));
      const float t = (float)k;
      hi = x - t * ln2_hi;
      lo = t * ln2_lo;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  } else if (hx < 0x33000000u) { /* |x| < 2^-25 */
    return x;
  }
  const float hfx = 0.5f * x;
  const float hxs = x * hfx;
  const float r1 = 1.0f + hxs * (q1 + hxs * (q2 + hxs * (q3 + hxs * (q4 + hxs * q5))));
  const float t = 3.0f - r1 * hfx;
  float e = hxs * ((r1 - t) / (6.0f - x * t));
  if (k == 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k == -1) return 0.5f * (x - e) - 0.5f;
  if (k == 1) return x < -0.25f ? -2.0f * (e - (x + 0.5f)) : 1.0f + 2.0f * (x - e);
  if (k <= -2 || k > 56) return add_exponent(1.0f - (e - x), k) - 1.0f;
  if (k < 23) return add_exponent(bits_float(0x3f800000u - (0x1000000u >> k)) /* 1 - 2^-k */ - (e - x), k);
  return add_exponent(x - (e + bits_float((uint32_t)(0x7f - k) << 23) /* 2^-k */) + 1.0f, k);
}

float es_tanhf(float x) {
  const uint32_t jx = float_bits(x);
  const uint32_t ix = jx & 0x7fffffffu;
  const int negative = (jx >> 31) != 0;
  if (ix >= 0x7f800000u) return negative ? 1.0f / x - 1.0f : 1.0f / x + 1.0f; /* +-inf -> +-1, NaN */
  float z;
  if (ix < 0x41b00000u) { /* |x| < 22 */
    if (ix == 0) return x;
    if (ix < 0x24000000u) return x * (1.0f + x); /* |x| < 2^-55 */
    const float a = negative ? -x : x;
    if (ix >= 0x3f800000u) { /* |x| >= 1 */
      const float t = expm1f_tanh_range(2.0f * a);
      z = 1.0f - 2.0f / (t + 2.0f);
    } else {
      const float t = expm1f_tanh_range(-2.0f * a);
      z = -t / (t + 2.0f);
    }
  } else {
    z = 1.0f - 1.0e-30f;
  }
  return negative ? -z : z;
}
