/* Per-channel requantization: building the compact multiplier table and
 * applying it to a row of accumulators (edgesim/quant.h).  The loops moved
 * here from ops/ unchanged, so conv, depthwise and fully connected share one
 * requantization primitive with the same instruction counts. */
#include <string.h>

#include "edgesim/dsp_intrinsics.h"
#include "edgesim/quant.h"
#include "edgesim/tensor.h" /* es_load_f32 */

/* Element i of an int32 array that may have any alignment (a model buffer). */
static inline int32_t load_i32(const int32_t *base, int32_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, sizeof v);
  return v;
}

static inline float filter_scale_of(float scale0, const uint8_t *scales, int32_t count, int32_t i) {
  return count > 1 ? es_load_f32(scales + 4 * i) : scale0;
}

/* Quantized multiplier of channel i; fails for negative or NaN filter scales. */
static es_status channel_multiplier(float input_scale, float scale0, const uint8_t *scales, int32_t count,
                                    float output_scale, int32_t i, es_qmul *q) {
  const float filter_scale = filter_scale_of(scale0, scales, count, i);
  if (!(filter_scale >= 0.0f)) return ES_ERR_QUANTIZATION;
  return es_quantize_multiplier((double)input_scale * (double)filter_scale / (double)output_scale, q);
}

/* Whether the packed form holds the layer, and its smallest shift. */
static es_status plan(float input_scale, float scale0, const uint8_t *scales, int32_t count, float output_scale,
                      int *packed, int32_t *min_shift_out) {
  if (count < 1 || (count > 1 && scales == 0)) return ES_ERR_QUANTIZATION;
  if (!(input_scale > 0.0f) || !(output_scale > 0.0f)) return ES_ERR_QUANTIZATION;
  int32_t min_shift = 64, max_shift = -64, any_zero = 0;
  for (int32_t i = 0; i < count; ++i) {
    es_qmul q;
    const es_status st = channel_multiplier(input_scale, scale0, scales, count, output_scale, i, &q);
    if (st != ES_OK) return st;
    any_zero |= q.multiplier == 0;
    min_shift = q.shift < min_shift ? q.shift : min_shift;
    max_shift = q.shift > max_shift ? q.shift : max_shift;
  }
  *packed = !any_zero && max_shift - min_shift <= 3;
  *min_shift_out = min_shift;
  return ES_OK;
}

es_status es_channel_requant_size(float input_scale, float scale0, const uint8_t *scales, int32_t count,
                                  float output_scale, size_t *bytes) {
  int packed = 0;
  int32_t min_shift = 0;
  const es_status st = plan(input_scale, scale0, scales, count, output_scale, &packed, &min_shift);
  if (st != ES_OK) return st;
  *bytes = (size_t)count * (packed ? 4u : 5u);
  return ES_OK;
}

es_status es_channel_requant_init(es_channel_requant *rq, void *table, float input_scale, float scale0,
                                  const uint8_t *scales, int32_t count, float output_scale) {
  int packed = 0;
  int32_t min_shift = 0;
  const es_status st = plan(input_scale, scale0, scales, count, output_scale, &packed, &min_shift);
  if (st != ES_OK) return st;
  uint8_t *block = (uint8_t *)table;
  for (int32_t i = 0; i < count; ++i) {
    es_qmul q;
    (void)channel_multiplier(input_scale, scale0, scales, count, output_scale, i, &q); /* checked by plan() */
    if (packed) {
      ((uint32_t *)(void *)block)[i] =
          ((uint32_t)q.multiplier & 0x3FFFFFFFu) | ((uint32_t)(q.shift - min_shift) << 30);
    } else {
      ((int32_t *)(void *)block)[i] = q.multiplier;
      ((int8_t *)block)[(size_t)count * 4u + (size_t)i] = (int8_t)q.shift;
    }
  }
  rq->table = block;
  rq->base_shift = (int16_t)(packed ? min_shift : 0);
  rq->packed = (uint8_t)packed;
  rq->stride = (uint8_t)(count == 1 ? 0 : 1);
  rq->count = count;
  return ES_OK;
}

static inline int8_t clamp_to_int8(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* The right-shift-only loop.  has_bias and full_range are constants at each
 * call site, so the compiler emits four branch-free loops; full_range (the
 * clamp is just the int8 range) frees two registers, which matters on a
 * Cortex-M4. */
static inline void requantize_right_shift(const int32_t *acc, const int32_t *bias, const uint32_t *words,
                                          int32_t base_right, int32_t n, int32_t zero_point, int32_t act_min,
                                          int32_t act_max, int8_t *out, const int has_bias, const int full_range) {
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (has_bias) a = (int32_t)((uint32_t)a + (uint32_t)load_i32(bias, c));
    const uint32_t word = words[c];
    const int32_t multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    const int right = base_right - (int)(word >> 30);
    const int32_t high = (int32_t)(((int64_t)a * (int64_t)multiplier + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int32_t v = (int32_t)((uint32_t)(high >> right) + (uint32_t)((high & mask) > threshold ? 1 : 0) +
                                (uint32_t)zero_point); /* wraps like es_requantize_int8 */
    out[c] = full_range ? clamp_to_int8(v, -128, 127) : clamp_to_int8(v, act_min, act_max);
  }
}

#if ES_OPS_MCU_LOOPS
/* Right shifts for which requantize_dsp() is exact. */
#define DSP_MIN_RIGHT 1
#define DSP_MAX_RIGHT 21

/* The right-shift-only loop with Cortex-M4 DSP instructions, equal to
 * es_requantize_int8() for every int32 accumulator when every channel's right
 * shift is in [DSP_MIN_RIGHT, DSP_MAX_RIGHT] (tests/test_requant_dsp.py
 * checks this exhaustively at the boundaries and on random values):
 *  - high = SMMULR(QADD(a, a), m).  For -2^30 <= a < 2^30, 2a is exact and
 *    (2a * m + 2^31) >> 32 == (a * m + 2^30) >> 31, TFLM's rounding doubling
 *    high multiply (m in [2^30, 2^31) never saturates it).
 *  - RoundingDivideByPOT(high, e), ties away from zero, is
 *    (high + 2^(e-1) - (high < 0)) >> e; here |high| <= 2^30, so the sum
 *    cannot overflow and QADD is exact.
 *  - For a >= 2^30 both TFLM's high and SMMULR(INT32_MAX, m) are >= 2^29, so
 *    both results are >= 2^(29-e) >= 256 for e <= 21 and clamp to act_max
 *    (<= 127) after adding any zero point >= -128; symmetrically for
 *    a < -2^30 both are <= -256 and clamp to act_min.
 * Per value: two loads, QADD, SMMULR, three ALU ops for the rounding, SSAT
 * or two compares: about half the instructions of the 64-bit form. */
static inline void requantize_dsp(const int32_t *acc, const int32_t *bias, const uint32_t *words, int32_t base_right,
                                  int32_t n, int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out,
                                  const int has_bias, const int full_range) {
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (has_bias) a = (int32_t)((uint32_t)a + (uint32_t)load_i32(bias, c));
    const uint32_t word = words[c];
    const int32_t multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    const int right = base_right - (int)(word >> 30);
    const int32_t high = es_smmulr(es_qadd(a, a), multiplier);
    const int32_t rounded = es_qadd(high + (high >> 31), (int32_t)(1u << (right - 1)));
    const int32_t v = (rounded >> right) + zero_point;
    out[c] = full_range ? (int8_t)es_ssat8(v) : clamp_to_int8(v, act_min, act_max);
  }
}
#endif

/* Calls a requantization loop with its has_bias and full_range flags as
 * literal constants, so the compiler emits four variants with those branches
 * removed from the inner loop. */
#define CALL_WITH_CONSTANT_FLAGS(loop, acc, bias, words, right, n, zp, lo, hi, out)   \
  do {                                                                               \
    const int full_range_ = (lo) == -128 && (hi) == 127;                             \
    if ((bias) != 0 && full_range_) loop(acc, bias, words, right, n, zp, lo, hi, out, 1, 1); \
    else if ((bias) != 0) loop(acc, bias, words, right, n, zp, lo, hi, out, 1, 0);   \
    else if (full_range_) loop(acc, bias, words, right, n, zp, lo, hi, out, 0, 1);   \
    else loop(acc, bias, words, right, n, zp, lo, hi, out, 0, 0);                    \
  } while (0)

void es_requantize_row(const int32_t *acc, const int32_t *bias, const es_channel_requant *rq, int32_t n,
                          int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out) {
  const es_channel_requant r = *rq;
#if ES_OPS_MCU_LOOPS
  if (r.packed && r.stride == 1 && -r.base_shift - 3 >= DSP_MIN_RIGHT && -r.base_shift <= DSP_MAX_RIGHT) {
    const uint32_t *words = (const uint32_t *)r.table;
    CALL_WITH_CONSTANT_FLAGS(requantize_dsp, acc, bias, words, -r.base_shift, n, zero_point, act_min, act_max, out);
    return;
  }
#endif
  if (r.packed && r.stride == 1 && r.base_shift + 3 <= 0) {
    /* Every shift <= 0: MultiplyByQuantizedMultiplier is the doubling high
     * multiply and a rounding right shift (see quant.h). */
    const uint32_t *words = (const uint32_t *)r.table;
    CALL_WITH_CONSTANT_FLAGS(requantize_right_shift, acc, bias, words, -r.base_shift, n, zero_point, act_min, act_max, out);
    return;
  }
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (bias != 0) a = (int32_t)((uint32_t)a + (uint32_t)load_i32(bias, c));
    int32_t multiplier;
    int shift;
    es_channel_requant_at(&r, c, &multiplier, &shift);
    out[c] = es_requantize_int8(a, multiplier, shift, zero_point, act_min, act_max);
  }
}

