/* LEAKY_RELU, int8 and float32.
 *
 * Arithmetic is TFLM's (leaky_relu_common.cc, reference QuantizeLeakyRelu):
 *   identity = QuantizeMultiplier((double)(input_scale / output_scale))
 *   alpha    = QuantizeMultiplier((double)(input_scale * alpha / output_scale))
 *   x' = x - input_zp;  out = clamp(output_zp + (x' >= 0 ? MBQM(x', identity)
 *                                                        : +-MBQM(x', |alpha|)))
 * A negative alpha multiplies by its magnitude and negates the product, as
 * TFLM does.  Float: v > 0 ? v : v * alpha.
 */
#include <math.h>

#include "edgesim/nn_activation.h"
#include "edgesim/op.h"
#include "unary_common.h"

enum { OPT_ALPHA = 0 };

es_status es_leaky_relu_s8(const es_leaky_relu_params *params, int32_t size, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = input[i] - params->input_offset;
    int32_t v = params->output_offset;
    if (x >= 0) {
      v += es_multiply_by_quantized_multiplier(x, params->identity.multiplier, params->identity.shift);
    } else {
      const int32_t scaled = es_multiply_by_quantized_multiplier(x, params->alpha.multiplier, params->alpha.shift);
      v += params->alpha_negative ? -scaled : scaled;
    }
    output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
  return ES_OK;
}

es_status es_leaky_relu_f32(float alpha, int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float v = input[i];
    output[i] = v > 0 ? v : v * alpha;
  }
  return ES_OK;
}

typedef struct leaky_relu_data {
  es_dtype type;
  int32_t size;
  float alpha;
  es_leaky_relu_params params;
} leaky_relu_data;

static es_status leaky_relu_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("LEAKY_RELU");
  int32_t size;
  es_dtype type;
  es_status st = es_op_prepare_unary(ctx, &errors, &size, &type);
  if (st != ES_OK) return st;
  const float alpha = es_op_option_float(ctx, OPT_ALPHA, 0.0f);
  if (!isfinite(alpha)) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "LEAKY_RELU: alpha must be finite");
  leaky_relu_data *d = (leaky_relu_data *)es_op_alloc_persistent(ctx, sizeof(leaky_relu_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, errors.arena);
  d->type = type;
  d->size = size;
  d->alpha = alpha;
  if (type == ES_INT8) {
    const es_tensor *input = es_op_input(ctx, 0);
    const es_tensor *output = es_op_output(ctx, 0);
    es_leaky_relu_params *p = &d->params;
    p->input_offset = input->quant.zero_point;
    p->output_offset = output->quant.zero_point;
    const float alpha_ratio = input->quant.scale * alpha / output->quant.scale;
    p->alpha_negative = alpha_ratio < 0.0f;
    if (es_op_float_ratio_multiplier(input->quant.scale, output->quant.scale, &p->identity) != ES_OK ||
        es_quantize_multiplier((double)fabsf(alpha_ratio), &p->alpha) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "LEAKY_RELU: input/output scale ratio or alpha unusable");
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status leaky_relu_invoke(es_op_context *ctx) {
  const leaky_relu_data *d = (const leaky_relu_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_leaky_relu_f32(d->alpha, d->size, (const float *)in, (float *)out);
  return es_leaky_relu_s8(&d->params, d->size, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_leaky_relu = {98 /* LEAKY_RELU */, "LEAKY_RELU", 2 /* v2: int8 */, 0u, leaky_relu_prepare,
                                leaky_relu_invoke};
