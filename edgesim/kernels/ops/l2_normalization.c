/* L2_NORMALIZATION over the innermost axis, int8 and float32 (rank <= 4,
 * no fused activation, as TFLM).
 *
 * float: TFLM's reference: sum of squares in order, sqrtf, max(norm, 1e-6),
 *   then x / norm.
 * int8: reference_integer_ops::L2Normalization: acc = sum (x - zp)^2 (int32);
 *   (m, s) = GetInvSqrtQuantizedMultiplierExp(acc) (gemmlowp Newton-Raphson
 *   on Q3.28); out = clamp(MBQM(x - zp, m, s + 7)).  The output is Q0.7
 *   whatever its declared quantization, as in TFLM.
 */
#include <math.h>

#include "edgesim/nn_reduce.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "unary_common.h"

enum { OPT_ACTIVATION = 0 };

static int32_t sub_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent > 0>. */
static int32_t saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* TFLM GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1). */
static void inv_sqrt_multiplier(int32_t input, int32_t *multiplier, int *shift) {
  if (input <= 1) {
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  int s = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++s;
  }
  int leading_zeros = 0;
  while (!((uint32_t)input & (0x80000000u >> leading_zeros))) ++leading_zeros;
  const int left_shift_bit_pairs = (leading_zeros - 1) / 2 - 1;
  s -= left_shift_bit_pairs;
  input <<= 2 * left_shift_bit_pairs;
  /* Newton-Raphson for 1/sqrt on Q3.28, starting from 1. */
  const int32_t fixedpoint_input = input >> 1;
  const int32_t half_input = es_rounding_divide_by_pot(fixedpoint_input, 1);
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28;
  for (int i = 0; i < 5; ++i) {
    const int32_t x3 = saturating_shift_left(
        es_sat_round_doubling_high_mul(es_sat_round_doubling_high_mul(x, x), x), 6); /* Rescale<3> of Q9 */
    x = saturating_shift_left(
        sub_wrap(es_sat_round_doubling_high_mul(half_three, x), es_sat_round_doubling_high_mul(half_input, x3)), 3);
  }
  x = es_sat_round_doubling_high_mul(x, 1518500250 /* sqrt(2) / 2 */);
  if (s < 0) {
    x = (int32_t)((uint32_t)x << -s);
    s = 0;
  }
  *multiplier = x;
  *shift = -s;
}

es_status es_l2_normalization_s8(int32_t input_offset, int32_t rows, int32_t depth, const int8_t *input,
                                 int8_t *output) {
  for (int32_t r = 0; r < rows; ++r, input += depth, output += depth) {
    int32_t acc = 0;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t v = input[c] - input_offset;
      acc += v * v;
    }
    int32_t multiplier;
    int shift;
    inv_sqrt_multiplier(acc, &multiplier, &shift);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t v = es_multiply_by_quantized_multiplier(input[c] - input_offset, multiplier, shift + 7);
      output[c] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
  }
  return ES_OK;
}

es_status es_l2_normalization_f32(int32_t rows, int32_t depth, const float *input, float *output) {
  for (int32_t r = 0; r < rows; ++r, input += depth, output += depth) {
    float squared = 0;
    for (int32_t c = 0; c < depth; ++c) squared += input[c] * input[c];
    float norm = sqrtf(squared);
    norm = norm < 1e-6f ? 1e-6f : norm;
    for (int32_t c = 0; c < depth; ++c) output[c] = input[c] / norm;
  }
  return ES_OK;
}

typedef struct l2_data {
  es_dtype type;
  int32_t rows, depth, input_offset;
} l2_data;

static es_status l2_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("L2_NORMALIZATION");
  int32_t size;
  es_dtype type;
  es_status st = es_op_prepare_unary(ctx, &errors, &size, &type);
  if (st != ES_OK) return st;
  const es_tensor *input = es_op_input(ctx, 0);
  if (input->rank < 1 || input->rank > 4)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "L2_NORMALIZATION: input rank must be 1 to 4 (as in TFLM)");
  if (es_op_option_int(ctx, OPT_ACTIVATION, 0) != 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "L2_NORMALIZATION: fused activations are not supported (as in TFLM)");
  const int32_t depth = input->dims[input->rank - 1];
  if (depth < 1 || depth > 33000)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "L2_NORMALIZATION: innermost dimension must be 1 to 33000 (int32 sums)");
  l2_data *d = (l2_data *)es_op_alloc_persistent(ctx, sizeof(l2_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, errors.arena);
  d->type = type;
  d->depth = depth;
  d->rows = size / depth;
  d->input_offset = type == ES_INT8 ? input->quant.zero_point : 0;
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status l2_invoke(es_op_context *ctx) {
  const l2_data *d = (const l2_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_l2_normalization_f32(d->rows, d->depth, (const float *)in, (float *)out);
  return es_l2_normalization_s8(d->input_offset, d->rows, d->depth, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_l2_normalization = {11 /* L2_NORMALIZATION */, "L2_NORMALIZATION", 2, 0u, l2_prepare, l2_invoke};
