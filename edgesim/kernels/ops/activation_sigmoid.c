/* LOGISTIC and TANH, int8 and float32.
 *
 * int8 arithmetic is TFLM's reference_integer_ops::Logistic / Tanh (gemmlowp
 * fixed point), with prepare as logistic_common.cc / tanh.cc:
 *   input multiplier = frexp(input_scale * 2^27) -> Q0.31 significand and a
 *                      left shift (the input becomes Q4.27)
 *   radius           = floor(15 * 2^27 / 2^shift)  (CalculateInputRadius(4, shift))
 *   x = in - input_zp; x <= -radius -> -128; x >= radius -> 127; else
 *   LOGISTIC: out = clamp(RoundingDivideByPOT(gemmlowp::logistic(MBQM(x)), 23) - 128)
 *   TANH:     out = clamp(RoundingDivideByPOT(gemmlowp::tanh(MBQM(x)), 24))
 * TFLM fixes the output quantization (1/256, -128 for LOGISTIC, whose zero
 * point it checks; 1/128, 0 for TANH, which it does not check) and so does
 * this kernel: the output scale is not read.
 * gemmlowp's logistic needs exp() on Q4.27 inputs; quant/ implements it for
 * Q5.26 (softmax), which serves TANH (gemmlowp doubles the input by
 * reinterpreting Q4 as Q5), so the Q4 variant is written here.
 *
 * float: TFLM's reference Logistic (x > 16.619047 -> 1, x < -9 -> exp(x),
 * else 1 / (1 + exp(-x))) and tanh(x).  TFLM calls the C library's expf and
 * tanhf; es_expf/es_tanhf reproduce glibc's (the oracle's) bit for bit on
 * every target, where the firmware's newlib would differ in the last bit.
 */
#include <math.h>

#include "edgesim/nn_activation.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "unary_common.h"

enum { INPUT_INTEGER_BITS = 4 };

static int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t sub_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
#define FP_MUL(a, b) es_sat_round_doubling_high_mul((a), (b))

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent > 0>. */
static int32_t saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(x) for Q0.31 x in [-1/4, 0): Taylor expansion around -1/8. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;    /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 */
  const int32_t x = add_wrap(a, 1 << 28);
  const int32_t x2 = FP_MUL(x, x);
  const int32_t x3 = FP_MUL(x2, x);
  const int32_t x4 = FP_MUL(x2, x2);
  const int32_t x4_over_4 = es_rounding_divide_by_pot(x4, 2);
  const int32_t rest = es_rounding_divide_by_pot(add_wrap(FP_MUL(add_wrap(x4_over_4, x3), constant_1_over_3), x2), 1);
  return add_wrap(constant_term, FP_MUL(constant_term, add_wrap(x, rest)));
}

/* gemmlowp exp_on_negative_values() for a Q4.27 input a <= 0; Q0.31 result. */
static int32_t exp_on_negative_values_q4_27(int32_t a) {
  enum { FRACTIONAL_BITS = 31 - INPUT_INTEGER_BITS };
  const int32_t one_quarter = (int32_t)1 << (FRACTIONAL_BITS - 2);
  const int32_t a_mod_quarter_minus_one_quarter = sub_wrap(a & (one_quarter - 1), one_quarter);
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      saturating_shift_left(a_mod_quarter_minus_one_quarter, INPUT_INTEGER_BITS));
  const int32_t remainder = sub_wrap(a_mod_quarter_minus_one_quarter, a);
  /* exp(-2^k) for k = -2 .. 3: the barrel shifter's steps below 2^4. */
  static const int32_t exp_of_minus_pow2[6] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401};
  for (int k = 0; k < 6; ++k)
    if (remainder & ((int32_t)1 << (FRACTIONAL_BITS - 2 + k))) result = FP_MUL(result, exp_of_minus_pow2[k]);
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1(): (1 - x) / (1 + x),
 * Newton-Raphson on half the denominator as es_one_over_one_plus_x_q0_31(). */
static int32_t one_minus_x_over_one_plus_x_q0_31(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX; /* RoundingHalfSum(a, One) */
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = add_wrap(1515870810 /* 48/17 */, FP_MUL(half_denominator, -1010580540 /* -32/17 */));
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus_half_denominator_times_x = sub_wrap(one_q2, FP_MUL(half_denominator, x));
    x = add_wrap(x, saturating_shift_left(FP_MUL(x, one_minus_half_denominator_times_x), 2));
  }
  return saturating_shift_left(sub_wrap(x, one_q2), 2); /* Rescale<0>(x - 1) */
}

/* gemmlowp::logistic on Q4.27; Q0.31 result. */
static int32_t logistic_q4_27(int32_t a) {
  if (a == 0) return 1 << 30;
  const int32_t positive = es_one_over_one_plus_x_q0_31(exp_on_negative_values_q4_27(a > 0 ? -a : a));
  return a > 0 ? positive : sub_wrap(INT32_MAX, positive);
}

/* gemmlowp::tanh on Q4.27; Q0.31 result. */
static int32_t tanh_q4_27(int32_t a) {
  if (a == 0) return 0;
  const int32_t negative_part = a < 0 ? a : -a;
  /* exp(2 * n): the Q4.27 raw value read as Q5.26 is twice n. */
  const int32_t t = one_minus_x_over_one_plus_x_q0_31(es_exp_on_negative_values_q5_26(negative_part));
  return a < 0 ? -t : t;
}

es_status es_logistic_s8(const es_sigmoid_params *params, int32_t size, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = input[i] - params->input_offset;
    int32_t v;
    if (x <= -params->range_radius) {
      v = -128;
    } else if (x >= params->range_radius) {
      v = 127;
    } else {
      const int32_t q4 = es_multiply_by_quantized_multiplier(x, params->input.multiplier, params->input.shift);
      v = es_rounding_divide_by_pot(logistic_q4_27(q4), 31 - 8) - 128;
      v = v < -128 ? -128 : (v > 127 ? 127 : v);
    }
    output[i] = (int8_t)v;
  }
  return ES_OK;
}

es_status es_tanh_s8(const es_sigmoid_params *params, int32_t size, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = input[i] - params->input_offset;
    int32_t v;
    if (x <= -params->range_radius) {
      v = -128;
    } else if (x >= params->range_radius) {
      v = 127;
    } else {
      const int32_t q4 = es_multiply_by_quantized_multiplier(x, params->input.multiplier, params->input.shift);
      v = es_rounding_divide_by_pot(tanh_q4_27(q4), 31 - 7);
      v = v < -128 ? -128 : (v > 127 ? 127 : v);
    }
    output[i] = (int8_t)v;
  }
  return ES_OK;
}

es_status es_logistic_f32(int32_t size, const float *input, float *output) {
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.f;
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    output[i] = v > cutoff_upper ? 1.0f : v < cutoff_lower ? es_expf(v) : 1.f / (1.f + es_expf(-v));
  }
  return ES_OK;
}

es_status es_tanh_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) output[i] = es_tanhf(input[i]);
  return ES_OK;
}

typedef struct sigmoid_data {
  es_dtype type;
  int32_t size;
  es_sigmoid_params params;
} sigmoid_data;

static es_status sigmoid_prepare(es_op_context *ctx, const es_unary_errors *errors, int is_logistic) {
  int32_t size;
  es_dtype type;
  es_status st = es_op_prepare_unary(ctx, errors, &size, &type);
  if (st != ES_OK) return st;
  sigmoid_data *d = (sigmoid_data *)es_op_alloc_persistent(ctx, sizeof(sigmoid_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, errors->arena);
  d->type = type;
  d->size = size;
  if (type == ES_INT8) {
    const es_tensor *input = es_op_input(ctx, 0);
    if (is_logistic && es_op_output(ctx, 0)->quant.zero_point != -128)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "LOGISTIC: int8 output must have zero point -128");
    es_qmul q;
    const double real = (double)input->quant.scale * (double)(1 << (31 - INPUT_INTEGER_BITS));
    /* Left shifts in [0, 31] only: outside, TFLM's arithmetic is undefined. */
    if (es_quantize_multiplier(real, &q) != ES_OK || q.shift < 0 || q.shift > 31)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION,
                        is_logistic ? "LOGISTIC: input scale must be in [2^-28, 16)" : "TANH: input scale must be in [2^-28, 16)");
    d->params.input_offset = input->quant.zero_point;
    d->params.input = q;
    d->params.range_radius = (int32_t)floor(15.0 * (double)(1 << (31 - INPUT_INTEGER_BITS)) / ldexp(1.0, q.shift));
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status logistic_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("LOGISTIC");
  return sigmoid_prepare(ctx, &errors, 1);
}

static es_status tanh_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("TANH");
  return sigmoid_prepare(ctx, &errors, 0);
}

static es_status logistic_invoke(es_op_context *ctx) {
  const sigmoid_data *d = (const sigmoid_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_logistic_f32(d->size, (const float *)in, (float *)out);
  return es_logistic_s8(&d->params, d->size, (const int8_t *)in, (int8_t *)out);
}

static es_status tanh_invoke(es_op_context *ctx) {
  const sigmoid_data *d = (const sigmoid_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_tanh_f32(d->size, (const float *)in, (float *)out);
  return es_tanh_s8(&d->params, d->size, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_logistic = {14 /* LOGISTIC */, "LOGISTIC", 2 /* v2: int8 */, 0u, logistic_prepare, logistic_invoke};
const es_op es_op_tanh = {28 /* TANH */, "TANH", 2 /* v2: int8 */, 0u, tanh_prepare, tanh_invoke};
