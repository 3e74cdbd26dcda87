/* PRELU, int8 and float32: out = x >= 0 ? x : x * alpha, alpha broadcast
 * against the input (TFLM's BroadcastPrelu4DSlow, shapes of rank <= 4).
 *
 * int8 arithmetic is TFLM's (prelu_common.cc, reference prelu.h):
 *   identity = QuantizeMultiplier(input_scale / output_scale)            (double)
 *   alpha    = QuantizeMultiplier(input_scale * alpha_scale / output_scale) (double)
 *   x' = x - input_zp;  out = clamp(output_zp + (x' >= 0 ? MBQM(x', identity)
 *                                               : MBQM(x' * (a - alpha_zp), alpha)))
 */
#include <string.h>

#include "edgesim/nn_activation.h"
#include "edgesim/op.h"
#include "op_common.h"

/* Strides of `shape` seen through the 4-D output: 0 along broadcast axes. */
static void broadcast_strides(const es_shape *shape, const es_shape *output_shape, int32_t strides[4]) {
  int32_t stride = 1;
  for (int i = 3; i >= 0; --i) {
    const int j = shape->rank - (4 - i);
    const int32_t dim = j >= 0 ? shape->d[j] : 1;
    const int k = output_shape->rank - (4 - i);
    const int32_t out_dim = k >= 0 ? output_shape->d[k] : 1;
    strides[i] = dim == out_dim ? stride : 0;
    stride *= dim;
  }
}

static void output_dims4(const es_shape *output_shape, int32_t dims[4]) {
  for (int i = 0; i < 4; ++i) {
    const int k = output_shape->rank - (4 - i);
    dims[i] = k >= 0 ? output_shape->d[k] : 1;
  }
}

#define PRELU_LOOP(BODY)                                                                  \
  int32_t in_s[4], al_s[4], dims[4];                                                      \
  broadcast_strides(input_shape, output_shape, in_s);                                     \
  broadcast_strides(alpha_shape, output_shape, al_s);                                     \
  output_dims4(output_shape, dims);                                                       \
  for (int32_t b = 0; b < dims[0]; ++b)                                                   \
    for (int32_t y = 0; y < dims[1]; ++y)                                                 \
      for (int32_t x = 0; x < dims[2]; ++x)                                               \
        for (int32_t c = 0; c < dims[3]; ++c) {                                           \
          const int32_t i = b * in_s[0] + y * in_s[1] + x * in_s[2] + c * in_s[3];       \
          const int32_t a = b * al_s[0] + y * al_s[1] + x * al_s[2] + c * al_s[3];       \
          BODY                                                                            \
          ++output;                                                                       \
        }

es_status es_prelu_s8(const es_prelu_params *params, const es_shape *input_shape, const int8_t *input,
                      const es_shape *alpha_shape, const int8_t *alpha, const es_shape *output_shape,
                      int8_t *output) {
  PRELU_LOOP({
    const int32_t v = params->input_offset + input[i];
    int32_t o;
    if (v >= 0) {
      o = es_multiply_by_quantized_multiplier(v, params->identity.multiplier, params->identity.shift);
    } else {
      o = es_multiply_by_quantized_multiplier(v * (params->alpha_offset + alpha[a]), params->alpha.multiplier,
                                              params->alpha.shift);
    }
    o += params->output_offset;
    *output = (int8_t)(o < -128 ? -128 : (o > 127 ? 127 : o));
  })
  return ES_OK;
}

es_status es_prelu_f32(const es_shape *input_shape, const float *input, const es_shape *alpha_shape,
                       const float *alpha, const es_shape *output_shape, float *output) {
  PRELU_LOOP({
    const float v = input[i];
    float alpha_value; /* a constant alpha may sit unaligned in the model buffer */
    memcpy(&alpha_value, alpha + a, sizeof alpha_value);
    *output = v >= 0.0f ? v : v * alpha_value;
  })
  return ES_OK;
}

typedef struct prelu_data {
  es_dtype type;
  es_shape input_shape, alpha_shape, output_shape;
  es_prelu_params params;
} prelu_data;

static void shape_of(const es_tensor *t, es_shape *s) {
  s->rank = t->rank;
  for (int i = 0; i < t->rank; ++i) s->d[i] = t->dims[i];
}

/* Each dimension of `t` (aligned at the innermost) equals the output's or is 1. */
static int broadcasts_to(const es_tensor *t, const es_tensor *output) {
  if (t->rank > output->rank) return 0;
  for (int i = 1; i <= t->rank; ++i) {
    const int32_t d = t->dims[t->rank - i], o = output->dims[output->rank - i];
    if (d != o && d != 1) return 0;
  }
  return 1;
}

static es_status prelu_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "PRELU: expects inputs (input, alpha) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *alpha = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || alpha == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "PRELU: missing input, alpha or output tensor");
  if (input->type != output->type || alpha->type != input->type ||
      (input->type != ES_INT8 && input->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "PRELU: input, alpha and output must all be int8 or all float32");
  if (output->rank > 4) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "PRELU: shapes of rank above 4 are not supported");
  for (int i = 0; i < output->rank; ++i)
    if (output->dims[i] < 0) return es_op_fail(ctx, ES_ERR_SHAPE, "PRELU: negative output dimension");
  /* The output is the broadcast of input and alpha: each output dimension
   * is taken by one of them. */
  int exact = broadcasts_to(input, output) && broadcasts_to(alpha, output);
  for (int i = 1; exact && i <= output->rank; ++i) {
    const int32_t o = output->dims[output->rank - i];
    const int32_t di = i <= input->rank ? input->dims[input->rank - i] : 1;
    const int32_t da = i <= alpha->rank ? alpha->dims[alpha->rank - i] : 1;
    exact = di == o || da == o;
  }
  if (!exact) return es_op_fail(ctx, ES_ERR_SHAPE, "PRELU: output shape is not the broadcast of input and alpha shapes");
  if (alpha->bytes < (size_t)es_tensor_elements(alpha) * (alpha->type == ES_INT8 ? 1u : 4u))
    return es_op_fail(ctx, ES_ERR_SHAPE, "PRELU: alpha data shorter than its shape");
  prelu_data *d = (prelu_data *)es_op_alloc_persistent(ctx, sizeof(prelu_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "PRELU: arena too small for op data");
  d->type = (es_dtype)input->type;
  shape_of(input, &d->input_shape);
  shape_of(alpha, &d->alpha_shape);
  shape_of(output, &d->output_shape);
  if (input->type == ES_INT8) {
    if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(alpha) || !es_op_is_int8_per_tensor(output))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "PRELU: int8 input, alpha and output need one positive scale and zero point");
    const double in_scale = (double)input->quant.scale, out_scale = (double)output->quant.scale;
    if (es_quantize_multiplier(in_scale / out_scale, &d->params.identity) != ES_OK ||
        es_quantize_multiplier(in_scale * (double)alpha->quant.scale / out_scale, &d->params.alpha) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "PRELU: input/alpha/output scale ratio unusable");
    d->params.input_offset = -input->quant.zero_point;
    d->params.alpha_offset = -alpha->quant.zero_point;
    d->params.output_offset = output->quant.zero_point;
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status prelu_invoke(es_op_context *ctx) {
  const prelu_data *d = (const prelu_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  const void *alpha = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32)
    return es_prelu_f32(&d->input_shape, (const float *)in, &d->alpha_shape, (const float *)alpha, &d->output_shape,
                        (float *)out);
  return es_prelu_s8(&d->params, &d->input_shape, (const int8_t *)in, &d->alpha_shape, (const int8_t *)alpha,
                     &d->output_shape, (int8_t *)out);
}

const es_op es_op_prelu = {54 /* PRELU */, "PRELU", 1, 0u, prelu_prepare, prelu_invoke};
