/* SOFTMAX over the last dimension, int8 -> int8 or float32, any beta.
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
#include <float.h>
#include <math.h>

#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_BETA = 0 };
enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUMULATION_INTEGER_BITS = 12 };

/* What prepare() stores for invoke(). */
typedef struct softmax_op_data {
  int is_float;
  float beta;
  es_softmax_params s8;
  int32_t depth;
  int32_t rows;
} softmax_op_data;

es_status es_softmax_s8_params(double beta, float input_scale, es_softmax_params *params) {
  /* PreprocessSoftmaxScaling(): beta * input_scale as Q5.26, capped. */
  double real = beta * (double)input_scale * (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
  const double max_real = (double)(((int64_t)1 << 31) - 1);
  if (real > max_real) real = max_real;
  if (!(real > 1.0)) return ES_ERR_QUANTIZATION;
  es_qmul q;
  if (es_quantize_multiplier(real, &q) != ES_OK || q.shift < 0) return ES_ERR_QUANTIZATION;
  params->beta_multiplier = q.multiplier;
  params->beta_left_shift = q.shift;
  /* CalculateInputRadius(5, left_shift, 31): the largest |diff| whose
   * rescaled value still fits Q5.26. */
  const double radius = 1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1) *
                        (double)((int64_t)1 << (31 - SCALED_DIFF_INTEGER_BITS)) /
                        (double)((int64_t)1 << q.shift);
  params->diff_min = -(int32_t)floor(radius);
  return ES_OK;
}

static es_status softmax_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SOFTMAX: expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SOFTMAX: missing input or output tensor");
  const int is_float = input->type == ES_FLOAT32 && output->type == ES_FLOAT32;
  if (!is_float && (input->type != ES_INT8 || output->type != ES_INT8))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SOFTMAX: only int8 or float32 input and output are supported");
  if (input->rank < 1 || output->rank < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: input must have at least one dimension");
  const int32_t depth = input->dims[input->rank - 1];
  const int32_t elements = es_tensor_elements(input);
  if (depth < 1 || elements < 1) return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: empty input");
  if (es_tensor_elements(output) != elements || output->dims[output->rank - 1] != depth)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SOFTMAX: output shape != input shape");
  softmax_op_data *d = (softmax_op_data *)es_op_alloc_persistent(ctx, sizeof(softmax_op_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "SOFTMAX: arena too small for op data");
  d->is_float = is_float;
  d->beta = es_op_option_float(ctx, OPT_BETA, 0.0f);
  d->depth = depth;
  d->rows = elements / depth;
  if (!is_float) {
    if (!es_op_is_int8_per_tensor(input))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: input needs one positive scale and zero point");
    if (output->quant.channel_count != 1 || output->quant.zero_point != -128 || output->quant.scale != 1.0f / 256.0f)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: int8 output must have scale 1/256 and zero point -128");
    if (es_softmax_s8_params((double)d->beta, input->quant.scale, &d->s8) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SOFTMAX: beta * input scale too small (must exceed 2^-26) or unusable");
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static inline int32_t scaled_exp(const es_softmax_params *d, int32_t diff) {
  /* MultiplyByQuantizedMultiplierGreaterThanOne (double-rounding build). */
  const int32_t scaled =
      es_sat_round_doubling_high_mul(es_shift_left_wrapping(diff, d->beta_left_shift), d->beta_multiplier);
  return es_exp_on_negative_values_q5_26(scaled);
}

es_status es_softmax_s8(const es_softmax_params *d, int32_t rows, int32_t depth, const int8_t *in, int8_t *out) {
  for (int32_t r = 0; r < rows; ++r, in += depth, out += depth) {
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

/* TFLM's float Softmax: exp((x - max) * beta) per value (the row maximum
 * folded with std::max from the lowest float), summed in order, then each
 * exponential divided by the sum.  expf is glibc's, on every target
 * (es_expf).  The output may alias the input. */
es_status es_softmax_f32(float beta, int32_t rows, int32_t depth, const float *in, float *out) {
  for (int32_t r = 0; r < rows; ++r, in += depth, out += depth) {
    float max = -FLT_MAX;
    for (int32_t c = 0; c < depth; ++c) max = max < in[c] ? in[c] : max;
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      const float e = es_expf((in[c] - max) * beta);
      out[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < depth; ++c) out[c] = out[c] / sum;
  }
  return ES_OK;
}

static es_status softmax_invoke(es_op_context *ctx) {
  const softmax_op_data *d = (const softmax_op_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->is_float) return es_softmax_f32(d->beta, d->rows, d->depth, (const float *)in, (float *)out);
  return es_softmax_s8(&d->s8, d->rows, d->depth, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_softmax = {
    25 /* SOFTMAX */, "SOFTMAX", 2 /* v1 float, v2 int8 */, 0u, softmax_prepare, softmax_invoke,
};
