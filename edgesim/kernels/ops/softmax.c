/* SOFTMAX, int8 -> int8 over the last dimension, any beta.
 *
 * Arithmetic is TFLM's reference int8 Softmax (gemmlowp fixed point):
 *   diff     = x - max(row)                          (in [-255, 0])
 *   rows with diff < diff_min contribute nothing and output -128;
 *   scaled   = SaturatingRoundingDoublingHighMul(diff * 2^left_shift, beta_multiplier)  (Q5.26)
 *   e        = exp_on_negative_values(scaled)                                (Q0.31)
 *   sum      = sum of RoundingDivideByPOT(e, 12)                             (Q12.19)
 *   out      = RoundingDivideByPOT(reciprocal(sum) * e, num_bits_over_unit + 23) - 128
 * with beta_multiplier / left_shift / diff_min from PreprocessSoftmaxScaling
 * and CalculateInputRadius (kScaledDiffIntegerBits = 5).  The output must be
 * quantized with scale 1/256 and zero point -128, as TFLM requires.
 *
 * TFLM aborts (TFLITE_CHECK) when a row's exponentials sum to 512 or more
 * (the final shift would exceed 31 bits); here such a row yields what the
 * formula gives for any larger shift: every probability < 1/512 rounds to 0,
 * i.e. -128.
 */
#include <math.h>

#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_BETA = 0 };
enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUMULATION_INTEGER_BITS = 12 };

typedef struct softmax_data {
  int32_t beta_multiplier;
  int32_t beta_left_shift;
  int32_t diff_min;
  int32_t depth;
  int32_t rows;
} softmax_data;

static es_status softmax_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SOFTMAX: expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SOFTMAX: missing input or output tensor");
  if (input->type != ES_INT8 || output->type != ES_INT8)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SOFTMAX: only int8 input and output are supported");
  if (input->rank < 1 || output->rank < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: input must have at least one dimension");
  const int32_t depth = input->dims[input->rank - 1];
  const int32_t elements = es_tensor_elements(input);
  if (depth < 1 || elements < 1) return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: empty input");
  if (es_tensor_elements(output) != elements || output->dims[output->rank - 1] != depth)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: output shape != input shape");
  if (!es_op_is_int8_per_tensor(input))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: input needs one positive scale and zero point");
  if (output->quant.channel_count != 1 || output->quant.zero_point != -128 || output->quant.scale != 1.0f / 256.0f)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: int8 output must have scale 1/256 and zero point -128");

  /* PreprocessSoftmaxScaling(): beta * input_scale as Q5.26, capped. */
  const double beta = (double)es_op_option_float(ctx, OPT_BETA, 0.0f);
  double real = beta * (double)input->quant.scale * (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
  const double max_real = (double)(((int64_t)1 << 31) - 1);
  if (real > max_real) real = max_real;
  if (!(real > 1.0))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: beta * input scale too small (must exceed 2^-26)");
  es_qmul q;
  if (es_quantize_multiplier(real, &q) != ES_OK || q.shift < 0)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: unusable beta * input scale");

  softmax_data *d = (softmax_data *)es_op_alloc_persistent(ctx, sizeof(softmax_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "SOFTMAX: arena too small for op data");
  d->beta_multiplier = q.multiplier;
  d->beta_left_shift = q.shift;
  /* CalculateInputRadius(5, left_shift, 31): the largest |diff| whose
   * rescaled value still fits Q5.26. */
  const double radius = 1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1) *
                        (double)((int64_t)1 << (31 - SCALED_DIFF_INTEGER_BITS)) /
                        (double)((int64_t)1 << q.shift);
  d->diff_min = -(int32_t)floor(radius);
  d->depth = depth;
  d->rows = elements / depth;
  es_op_set_data(ctx, d);
  return ES_OK;
}

static inline int32_t scaled_exp(const softmax_data *d, int32_t diff) {
  /* MultiplyByQuantizedMultiplierGreaterThanOne (double-rounding build). */
  const int32_t scaled =
      es_sat_round_doubling_high_mul(es_shift_left_wrapping(diff, d->beta_left_shift), d->beta_multiplier);
  return es_exp_on_negative_values_q5_26(scaled);
}

static es_status softmax_invoke(es_op_context *ctx) {
  const softmax_data *d = (const softmax_data *)es_op_data(ctx);
  const int8_t *in = (const int8_t *)es_op_input(ctx, 0)->data;
  int8_t *out = (int8_t *)es_op_output(ctx, 0)->data;
  const int32_t depth = d->depth;
  for (int32_t r = 0; r < d->rows; ++r, in += depth, out += depth) {
    int32_t max = -128;
    for (int32_t c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    uint32_t sum = 0; /* Q12.19; wraps like TFLM's int32 sum for absurd rows */
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      /* Rescale<12>: Q0.31 -> Q12.19 is a rounding shift right by 12. */
      if (diff >= d->diff_min) sum += (uint32_t)es_rounding_divide_by_pot(scaled_exp(d, diff), ACCUMULATION_INTEGER_BITS);
    }
    int num_bits_over_unit = 0;
    const int32_t reciprocal = es_reciprocal((int32_t)sum, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      int32_t v = -128;
      if (diff >= d->diff_min && exponent <= 31) {
        const int32_t p = es_sat_round_doubling_high_mul(reciprocal, scaled_exp(d, diff));
        v = es_rounding_divide_by_pot(p, exponent < 0 ? 0 : exponent) - 128;
        v = v > 127 ? 127 : (v < -128 ? -128 : v);
      }
      out[c] = (int8_t)v;
    }
  }
  return ES_OK;
}

const es_op es_op_softmax = {
    25 /* SOFTMAX */, "SOFTMAX", 2 /* v2: int8 */, 0u, softmax_prepare, softmax_invoke,
};
