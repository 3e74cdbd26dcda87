/* RELU, RELU6 and RELU_N1_TO_1, int8 and float32.
 *
 * Arithmetic is TFLM's (activations_common.cc):
 *   RELU int8:  out = clamp(output_zp + MultiplyByQuantizedMultiplier(x - input_zp, m, s))
 *               with (m, s) = QuantizeMultiplier((double)(input_scale / output_scale))
 *               (a float division) and clamp [max(-128, output_zp), 127].
 *   RELU6 int8: no rescaling at all (TFLM assumes the output shares the
 *               input's quantization): out = clamp(x, input_zp, six) with
 *               six = FloatToQuantizedType<int8_t>(6, input_scale, input_zp).
 *   float:      v > max ? max : v < min ? min : v.
 * TFLM has no RELU_N1_TO_1 kernel; its int8 form here is TFLite's
 * (QuantizedReluX(-1, 1)): RELU's requantization clamped to
 * [output_zp + round(-1 / output_scale), output_zp + round(1 / output_scale)].
 */
#include <math.h>

#include "edgesim/nn_activation.h"
#include "edgesim/op.h"
#include "unary_common.h"

es_status es_relu_s8(const es_relu_params *params, int32_t size, const int8_t *input, int8_t *output) {
  const int32_t input_offset = params->input_offset;
  const int32_t multiplier = params->output.scale.multiplier;
  const int shift = params->output.scale.shift;
  const int32_t zero_point = params->output.zero_point;
  for (int32_t i = 0; i < size; ++i) {
    int32_t v = zero_point + es_multiply_by_quantized_multiplier(input[i] - input_offset, multiplier, shift);
    v = v < params->clamp.min ? params->clamp.min : v;
    v = v > params->clamp.max ? params->clamp.max : v;
    output[i] = (int8_t)v;
  }
  return ES_OK;
}

es_status es_relu_clamp_s8(const es_range_i32 *range, int32_t size, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t v = input[i];
    output[i] = (int8_t)(v > range->max ? range->max : v < range->min ? range->min : v);
  }
  return ES_OK;
}

es_status es_relu_clamp_f32(const es_range_f32 *range, int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    output[i] = v > range->max ? range->max : v < range->min ? range->min : v;
  }
  return ES_OK;
}

/* Persistent data of all three ops: the float range, or the int8 params. */
typedef struct relu_data {
  es_dtype type;
  int32_t size;
  es_range_f32 range_f32;
  es_relu_params relu;  /* RELU, RELU_N1_TO_1 int8 */
  es_range_i32 clamp;   /* RELU6 int8 */
} relu_data;

/* round(limit / scale) as int32, saturated far outside the int8 range. */
static int32_t quantized_offset(float limit, float scale) {
  const float q = roundf(limit / scale);
  return q > 1.0e6f ? 1000000 : (q < -1.0e6f ? -1000000 : (int32_t)q);
}

static es_status relu_family_prepare(es_op_context *ctx, const es_unary_errors *errors, float lower, float upper,
                                     int rescales) {
  int32_t size;
  es_dtype type;
  es_status st = es_op_prepare_unary(ctx, errors, &size, &type);
  if (st != ES_OK) return st;
  relu_data *d = (relu_data *)es_op_alloc_persistent(ctx, sizeof(relu_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, errors->arena);
  d->type = type;
  d->size = size;
  d->range_f32.min = lower;
  d->range_f32.max = upper;
  if (type == ES_INT8) {
    const es_tensor *input = es_op_input(ctx, 0);
    const es_tensor *output = es_op_output(ctx, 0);
    if (rescales) {
      if (es_op_float_ratio_multiplier(input->quant.scale, output->quant.scale, &d->relu.output.scale) != ES_OK)
        return es_op_fail(ctx, ES_ERR_QUANTIZATION, errors->quantization);
      const int32_t zp = output->quant.zero_point;
      d->relu.input_offset = input->quant.zero_point;
      d->relu.output.zero_point = zp;
      const int32_t lo = zp + quantized_offset(lower, output->quant.scale);
      d->relu.clamp.min = lo < -128 ? -128 : lo;
      const int32_t hi = isinf(upper) ? 127 : zp + quantized_offset(upper, output->quant.scale);
      d->relu.clamp.max = hi > 127 ? 127 : hi;
    } else {
      d->clamp.min = input->quant.zero_point;
      d->clamp.max = es_op_float_to_int8(upper, input->quant.scale, input->quant.zero_point);
    }
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status relu_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("RELU");
  return relu_family_prepare(ctx, &errors, 0.0f, INFINITY, 1);
}

static es_status relu6_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("RELU6");
  return relu_family_prepare(ctx, &errors, 0.0f, 6.0f, 0);
}

static es_status relu_n1_to_1_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("RELU_N1_TO_1");
  return relu_family_prepare(ctx, &errors, -1.0f, 1.0f, 1);
}

static es_status relu_invoke(es_op_context *ctx) {
  const relu_data *d = (const relu_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_relu_clamp_f32(&d->range_f32, d->size, (const float *)in, (float *)out);
  return es_relu_s8(&d->relu, d->size, (const int8_t *)in, (int8_t *)out);
}

static es_status relu6_invoke(es_op_context *ctx) {
  const relu_data *d = (const relu_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_relu_clamp_f32(&d->range_f32, d->size, (const float *)in, (float *)out);
  return es_relu_clamp_s8(&d->clamp, d->size, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_relu = {19 /* RELU */, "RELU", 2 /* v2: int8 */, 0u, relu_prepare, relu_invoke};
const es_op es_op_relu6 = {21 /* RELU6 */, "RELU6", 2 /* v2: int8 */, 0u, relu6_prepare, relu6_invoke};
const es_op es_op_relu_n1_to_1 = {20 /* RELU_N1_TO_1 */, "RELU_N1_TO_1", 1 /* TFLite registers v1 only */, 0u, relu_n1_to_1_prepare,
                                  relu_invoke};
