/* Fixed-point arithmetic of the int8 kernels, written once.
 *
 * Every int8 op rescales an int32 accumulator by a real factor
 * (input_scale * filter_scale / output_scale) that prepare() turns into a
 * "quantized multiplier": a Q0.31 significand in [2^30, 2^31) and a power-of-
 * two exponent, exactly as TFLite Micro's QuantizeMultiplier() does.  invoke()
 * then applies it with integer operations only.
 *
 * Which rounding TFLM uses matters for bit-exactness.  TFLM can be built with
 * TFLITE_SINGLE_ROUNDING (one 64-bit multiply, one rounding shift) or without
 * it (gemmlowp's two-step "double rounding").  The PyPI `tflite-micro` wheel
 * -- our oracle -- is built WITHOUT it, so the multiply here is the
 * double-rounding form (tests/test_quant.py checks both behaviours against the
 * wheel on inputs where the two forms disagree):
 *
 *   MultiplyByQuantizedMultiplier(x, m, shift) =
 *     RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^max(shift,0), m),
 *                         max(-shift, 0))
 *
 *   SaturatingRoundingDoublingHighMul(a, b) = round_half_away(a * b / 2^31),
 *     saturated to INT32_MAX for INT32_MIN * INT32_MIN (ARM's VQRDMULH).
 *   RoundingDivideByPOT(x, e) = x / 2^e rounded to nearest, ties away from 0.
 *
 * The softmax helpers are gemmlowp's fixed-point exp and reciprocal that the
 * TFLM int8 softmax reference kernel uses.
 *
 * The arithmetic helpers are static inline and return values, not es_status:
 * they sit in the innermost loops and cannot fail.  Functions that can fail
 * (bad scales) return es_status like every other kernel function.
 */
#ifndef EDGESIM_QUANT_H
#define EDGESIM_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/status.h"

/* Fused activation codes (schema ActivationFunctionType). */
enum {
  ES_ACT_NONE = 0,
  ES_ACT_RELU = 1,
  ES_ACT_RELU_N1_TO_1 = 2,
  ES_ACT_RELU6 = 3,
  ES_ACT_TANH = 4,
  ES_ACT_SIGN_BIT = 5
};

/* A real multiplier as significand (Q0.31, 0 or in [2^30, 2^31)) and
 * power-of-two exponent: real ~= multiplier * 2^(shift - 31). */
typedef struct es_qmul {
  int32_t multiplier;
  int32_t shift;
} es_qmul;

/* TFLM QuantizeMultiplier(): frexp + round-half-away of the significand to 31
 * bits; multipliers below 2^-32 become 0.  Fails (ES_ERR_QUANTIZATION) for
 * negative, NaN or infinite input and for multipliers >= 2^31 (a left shift
 * beyond 31 bits; TFLM's behaviour there is undefined). */
es_status es_quantize_multiplier(double real_multiplier, es_qmul *out);

/* TFLM QuantizeMultiplierSmallerThanOneExp(): es_quantize_multiplier() for
 * 0 < real < 1 (shift <= 0); ES_ERR_QUANTIZATION elsewhere (TFLM aborts). */
es_status es_quantize_multiplier_smaller_than_one(double real_multiplier, es_qmul *out);

/* Output clamp range for a fused activation, computed like TFLM's
 * CalculateActivationRangeQuantized() for an int8 output with the given scale
 * and zero point (float arithmetic, round half away from zero).  TANH and
 * SIGN_BIT are not fused activations TFLM implements: ES_ERR_UNSUPPORTED. */
es_status es_activation_range_int8(int32_t activation, float scale, int32_t zero_point,
                                   int32_t *act_min, int32_t *act_max);

/* Float fused-activation clamp range, TFLM CalculateActivationRange<float>:
 * RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [-1, 1], anything else
 * [lowest, max] (no clamp). */
void es_activation_range_f32(int32_t activation, float *act_min, float *act_max);

/* TFLM ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi), with
 * std::max/min's exact comparisons (a NaN x passes through). */
static inline float es_clamp_f32(float x, float lo, float hi) {
  const float m = x < lo ? lo : x;
  return hi < m ? hi : m;
}

/* ARM VQRDMULH: round(a * b / 2^31), INT32_MIN * INT32_MIN saturates.
 * gemmlowp adds a nudge of +2^30 (or 1 - 2^30 for negative products) and
 * divides truncating toward zero; for every product that equals
 * floor((a * b + 2^30) / 2^31), one add and one arithmetic shift. */
static inline int32_t es_sat_round_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31.
 * (gemmlowp's mask/threshold form; in 64 bits it is one add and a shift.) */
static inline int32_t es_rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  return (int32_t)(((int64_t)x + ((int64_t)1 << (exponent - 1)) - (x < 0 ? 1 : 0)) >> exponent);
}

/* x * 2^left_shift with the wrap-around of the int32 multiply TFLM compiles
 * (only reachable when the caller's scales make the result meaningless). */
static inline int32_t es_shift_left_wrapping(int32_t x, int left_shift) {
  return (int32_t)((uint32_t)x << left_shift);
}

/* TFLM MultiplyByQuantizedMultiplier (double rounding), shift in [-31, 31].
 * multiplier >= 0 is never INT32_MIN, so the high multiply cannot saturate. */
static inline int32_t es_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  if (shift > 0) x = es_shift_left_wrapping(x, shift);
  const int32_t high = (int32_t)(((int64_t)x * (int64_t)multiplier + ((int64_t)1 << 30)) >> 31);
  return shift < 0 ? es_rounding_divide_by_pot(high, -shift) : high;
}

/* Requantize an accumulator to int8 with output zero point and clamp:
 * es_multiply_by_quantized_multiplier() written without branches (the
 * shift's sign selects a left shift or a rounding right shift; a right shift
 * by 0 rounds nothing), because this runs once per output value. */
static inline int8_t es_requantize_int8(int32_t acc, int32_t multiplier, int shift, int32_t output_zero_point,
                                        int32_t act_min, int32_t act_max) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t x = es_shift_left_wrapping(acc, left);
  const int32_t high = (int32_t)(((int64_t)x * (int64_t)multiplier + ((int64_t)1 << 30)) >> 31);
  /* RoundingDivideByPOT(high, right) in gemmlowp's 32-bit mask form. */
  const int32_t mask = (int32_t)((1u << right) - 1u);
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  /* Wrapping adds: with no right shift, an extreme accumulator plus the zero
   * point leaves int32 (TFLM's int32 addition wraps there too). */
  int32_t v = (int32_t)((uint32_t)(high >> right) + (uint32_t)((high & mask) > threshold ? 1 : 0) +
                        (uint32_t)output_zero_point);
  v = v < act_min ? act_min : v;
  v = v > act_max ? act_max : v;
  return (int8_t)v;
}

/* --- Per-channel requantization (conv, depthwise, fully connected) -------
 * One quantized multiplier per output channel, stored compactly in caller
 * memory.  A quantized multiplier is 0 or in [2^30, 2^31): bit 31 is 0 and
 * bit 30 is 1, so when every channel's multiplier is non-zero and the shifts
 * of a layer span at most 4 values, one 32-bit word per channel holds both:
 *   word = (multiplier & 0x3FFFFFFF) | (shift - base_shift) << 30
 * (4 bytes per channel).  Otherwise int32 multipliers followed by int8 shifts
 * (5 bytes per channel).  A per-tensor filter scale stores one entry
 * (stride 0) for all channels. */
typedef struct es_channel_requant {
  const void *table;
  int16_t base_shift;
  uint8_t packed; /* 1: 32-bit words as above; 0: multipliers then shifts */
  uint8_t stride; /* 0 (one shared entry) or 1 */
  int32_t count;  /* entries in the table */
} es_channel_requant;

/* The multipliers input_scale * filter_scale[c] / output_scale of `count`
 * channels (TFLM PopulateConvolutionQuantizationParams, in double).  The
 * filter scales are `scale0` alone when count == 1, else `count`
 * little-endian float32s at `scales` (any alignment, as in a model buffer).
 * es_channel_requant_size() gives the table bytes (4 or 5 per channel);
 * es_channel_requant_init() fills a table of that size (4-byte aligned).
 * ES_ERR_QUANTIZATION for negative/NaN scales or unusable multipliers. */
es_status es_channel_requant_size(float input_scale, float scale0, const uint8_t *scales, int32_t count,
                                  float output_scale, size_t *bytes);
es_status es_channel_requant_init(es_channel_requant *rq, void *table, float input_scale, float scale0,
                                  const uint8_t *scales, int32_t count, float output_scale);

/* Multiplier and shift of one channel. */
static inline void es_channel_requant_at(const es_channel_requant *rq, int32_t channel, int32_t *multiplier,
                                         int *shift) {
  const int32_t i = channel * rq->stride;
  if (rq->packed) {
    const uint32_t word = ((const uint32_t *)rq->table)[i];
    *multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    *shift = rq->base_shift + (int)(word >> 30);
  } else {
    *multiplier = ((const int32_t *)rq->table)[i];
    *shift = ((const int8_t *)rq->table)[(size_t)rq->count * 4u + (size_t)i];
  }
}

/* THE requantization primitive of the int8 kernels: out[c] = requantized
 * (acc[c] + bias[c]) for channels 0..n-1 (bias may be NULL and unaligned),
 * plus zero_point, clamped to [act_min, act_max]; each value equals
 * es_requantize_int8().  One tight loop per layout, with the
 * right-shift-only case (every real model layer) apart, and on Cortex-M4 a
 * DSP form (SMMULR/QADD/SSAT). */
void es_requantize_row(const int32_t *acc, const int32_t *bias, const es_channel_requant *rq, int32_t n,
                       int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out);

/* expf() exactly as glibc computes it (quant/expf.c), the same on every
 * target: TFLM's float kernels call the C library's expf, and the oracle
 * runs on glibc while the firmware links newlib. */
float es_expf(float x);

/* tanhf() exactly as glibc 2.36 computes it (quant/tanhf.c), the same on
 * every target, for TANH and SVDF's tanh activation (as es_expf). */
float es_tanhf(float x);

/* gemmlowp exp_on_negative_values() for a Q5.26 input a <= 0; result Q0.31. */
int32_t es_exp_on_negative_values_q5_26(int32_t a);

/* gemmlowp one_over_one_plus_x_for_x_in_0_1(): 1 / (1 + x) for Q0.31 x in
 * [0, 1); result Q0.31. */
int32_t es_one_over_one_plus_x_q0_31(int32_t x);

/* TFLM GetReciprocal(): the reciprocal of a positive fixed-point x with
 * `x_integer_digits` integer bits, as a Q0.31 significand in [0.5, 1] and
 * *num_bits_over_unit (reciprocal = significand * 2^-num_bits_over_unit). */
int32_t es_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit);

#endif /* EDGESIM_QUANT_H */
