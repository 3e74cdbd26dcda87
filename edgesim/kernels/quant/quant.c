/* Fixed-point helpers shared by the int8 kernels (see edgesim/quant.h for the
 * formulas and why they are the ones TFLite Micro's reference kernels use). */
#include "edgesim/quant.h"

#include <float.h>
#include <math.h>

es_status es_quantize_multiplier(double real_multiplier, es_qmul *out) {
  if (out == 0) return ES_ERR_ARGUMENT;
  out->multiplier = 0;
  out->shift = 0;
  if (!(real_multiplier >= 0.0) || isinf(real_multiplier)) return ES_ERR_QUANTIZATION;
  if (real_multiplier == 0.0) return ES_OK;
  int shift = 0;
  const double significand = frexp(real_multiplier, &shift); /* in [0.5, 1) */
  /* round() is half away from zero, like TfLiteRound(). */
  int64_t q = (int64_t)round(significand * (double)((int64_t)1 << 31));
  if (q == ((int64_t)1 << 31)) { /* rounding carried into the next power of two */
    q /= 2;
    ++shift;
  }
  if (shift < -31) { /* below 2^-32: TFLM flushes the multiplier to zero */
    shift = 0;
    q = 0;
  }
  if (shift > 31) return ES_ERR_QUANTIZATION; /* beyond any int32 left shift */
  out->multiplier = (int32_t)q;
  out->shift = shift;
  return ES_OK;
}

es_status es_quantize_multiplier_smaller_than_one(double real_multiplier, es_qmul *out) {
  if (!(real_multiplier > 0.0 && real_multiplier < 1.0)) return ES_ERR_QUANTIZATION;
  const es_status st = es_quantize_multiplier(real_multiplier, out);
  return st == ES_OK && out->shift <= 0 ? ES_OK : ES_ERR_QUANTIZATION;
}

/* TFLM's Quantize(): zero_point + (int32)round(f / scale) in float, failing
 * when the rounded value does not fit int32. */
static es_status quantize_activation_bound(float scale, int32_t zero_point, float f, int32_t *q) {
  const float tmp = roundf(f / scale);
  if (!(tmp >= -2147483648.0f && tmp <= 2147483648.0f)) return ES_ERR_QUANTIZATION;
  /* 2^31 itself passes TFLM's float comparison; it converts to INT32_MIN
   * there on x86, and such scales make every output saturate anyway. */
  const int64_t wide = tmp >= 2147483648.0f ? (int64_t)INT32_MIN : (int64_t)tmp;
  *q = (int32_t)((uint32_t)zero_point + (uint32_t)(int32_t)wide);
  return ES_OK;
}

es_status es_activation_range_int8(int32_t activation, float scale, int32_t zero_point,
                                   int32_t *act_min, int32_t *act_max) {
  int32_t lo = -128, hi = 127, q = 0;
  es_status st = ES_OK;
  switch (activation) {
    case ES_ACT_NONE:
      break;
    case ES_ACT_RELU:
      if ((st = quantize_activation_bound(scale, zero_point, 0.0f, &q)) != ES_OK) return st;
      lo = q > lo ? q : lo;
      break;
    case ES_ACT_RELU6:
      if ((st = quantize_activation_bound(scale, zero_point, 0.0f, &q)) != ES_OK) return st;
      lo = q > lo ? q : lo;
      if ((st = quantize_activation_bound(scale, zero_point, 6.0f, &q)) != ES_OK) return st;
      hi = q < hi ? q : hi;
      break;
    case ES_ACT_RELU_N1_TO_1:
      if ((st = quantize_activation_bound(scale, zero_point, -1.0f, &q)) != ES_OK) return st;
      lo = q > lo ? q : lo;
      if ((st = quantize_activation_bound(scale, zero_point, 1.0f, &q)) != ES_OK) return st;
      hi = q < hi ? q : hi;
      break;
    default:
      return ES_ERR_UNSUPPORTED;
  }
  *act_min = lo;
  *act_max = hi;
  return ES_OK;
}

void es_activation_range_f32(int32_t activation, float *act_min, float *act_max) {
  float lo = -FLT_MAX, hi = FLT_MAX;
  if (activation == ES_ACT_RELU) {
    lo = 0.0f;
  } else if (activation == ES_ACT_RELU6) {
    lo = 0.0f;
    hi = 6.0f;
  } else if (activation == ES_ACT_RELU_N1_TO_1) {
    lo = -1.0f;
    hi = 1.0f;
  }
  *act_min = lo;
  *act_max = hi;
}

/* --- gemmlowp fixed-point exp / reciprocal (used by int8 SOFTMAX) ---------
 * A Qm.n value is an int32 with m integer bits: real = raw / 2^(31 - m).
 * "Rescale" between formats is a saturating left shift or a rounding right
 * shift; products of Qa and Qb values are SaturatingRoundingDoublingHighMul
 * results in Q(a+b). */

/* Saturating x * 2^exponent for exponent > 0 (gemmlowp
 * SaturatingRoundingMultiplyByPOT with a positive exponent). */
static int32_t saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp's int32 ops: plain wrapping add/sub (they never overflow on the
 * ranges below, but wrapping keeps UBSan quiet if they did). */
static int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t sub_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
#define FP_MUL(a, b) es_sat_round_doubling_high_mul((a), (b))

/* exp(x) for Q0.31 x in [-1/4, 0): Taylor expansion around -1/8. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;    /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 */
  const int32_t x = add_wrap(a, 1 << 28);      /* a + 1/8 */
  const int32_t x2 = FP_MUL(x, x);
  const int32_t x3 = FP_MUL(x2, x);
  const int32_t x4 = FP_MUL(x2, x2);
  const int32_t x4_over_4 = es_rounding_divide_by_pot(x4, 2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      es_rounding_divide_by_pot(add_wrap(FP_MUL(add_wrap(x4_over_4, x3), constant_1_over_3), x2), 1);
  return add_wrap(constant_term, FP_MUL(constant_term, add_wrap(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

int32_t es_exp_on_negative_values_q5_26(int32_t a) {
  enum { kIntegerBits = 5, kFractionalBits = 31 - kIntegerBits };
  const int32_t one_quarter = (int32_t)1 << (kFractionalBits - 2);
  const int32_t mask = one_quarter - 1;
  /* a = (a mod 1/4) - 1/4 - remainder: exp of the first part by Taylor, of the
   * multiple-of-1/4 remainder by multiplying exp(-2^k) for each set bit. */
  const int32_t a_mod_quarter_minus_one_quarter = sub_wrap(a & mask, one_quarter);
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      saturating_shift_left(a_mod_quarter_minus_one_quarter, kIntegerBits));
  const int32_t remainder = sub_wrap(a_mod_quarter_minus_one_quarter, a);
  static const int32_t exp_of_minus_pow2[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1) */
      290630308,  /* exp(-2) */
      39332535,   /* exp(-4) */
      720401,     /* exp(-8) */
      242,        /* exp(-16) */
  };
  for (int k = 0; k < 7; ++k) { /* exponents -2 .. +4, all below kIntegerBits */
    if (remainder & ((int32_t)1 << (kFractionalBits - 2 + k))) result = FP_MUL(result, exp_of_minus_pow2[k]);
  }
  /* kIntegerBits == 5: gemmlowp's clamp below -32 does not apply. */
  return a == 0 ? INT32_MAX : result;
}

int32_t es_one_over_one_plus_x_q0_31(int32_t a) {
  /* Newton-Raphson on half the denominator (Q0.31), iterate in Q2.29. */
  const int64_t sum = (int64_t)a + INT32_MAX; /* RoundingHalfSum(a, One) */
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = add_wrap(constant_48_over_17, FP_MUL(half_denominator, constant_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = FP_MUL(half_denominator, x);             /* Q2 */
    const int32_t one_minus_half_denominator_times_x = sub_wrap(one_q2, half_denominator_times_x);
    /* x * (1 - d*x) is Q4; Rescale<2> is a saturating shift left by 2. */
    x = add_wrap(x, saturating_shift_left(FP_MUL(x, one_minus_half_denominator_times_x), 2));
  }
  /* ExactMulByPot<-1> then Rescale<0>: reinterpret as Q1, shift left by 1. */
  return saturating_shift_left(x, 1);
}

int32_t es_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const uint32_t ux = (uint32_t)x;
  if (ux == 0) { /* unreachable from softmax (the row maximum adds exp(0)) */
    *num_bits_over_unit = x_integer_digits;
    return INT32_MAX;
  }
  int headroom_plus_one = 0;
  while (headroom_plus_one < 32 && !(ux & (0x80000000u >> headroom_plus_one))) ++headroom_plus_one;
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  /* x normalized to [1, 2) minus one, as a Q0.31 in [0, 1). */
  const int32_t shifted_minus_one = (int32_t)((ux << headroom_plus_one) - 0x80000000u);
  return es_one_over_one_plus_x_q0_31(shifted_minus_one);
}
