/* QUANTIZE: float32 -> int8 (AffineQuantize) and int8 -> int8 (Requantize),
 * per-tensor output quantization, as TFLM's reference kernels.
 *
 *   float: q = clamp(round_half_away(x / scale) + zero_point, -128, 127)
 *          (float division; a rounded quotient outside int32, or NaN,
 *          converts to INT32_MIN as x86-64's cvttss2si does in the oracle)
 *   int8:  q = clamp(MultiplyByQuantizedMultiplier(x - in_zp, m) + out_zp)
 *          with m = in_scale / out_scale (double).
 */
#include <math.h>

#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

static inline int8_t clamp_int8(int32_t v) { return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v)); }

es_status es_quantize_f32_s8(const es_affine_params *params, int32_t n, const float *in, int8_t *out) {
  const float scale = params->scale;
  const uint32_t zero_point = (uint32_t)params->zero_point;
  for (int32_t i = 0; i < n; ++i) {
    const float r = roundf(in[i] / scale);
    const int32_t q = r >= -2147483648.0f && r < 2147483648.0f ? (int32_t)r : INT32_MIN;
    out[i] = clamp_int8((int32_t)((uint32_t)q + zero_point));
  }
  return ES_OK;
}

es_status es_requantize_s8_params(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                  es_requantize_params *params) {
  params->input_zero_point = in_zp;
  params->output_zero_point = out_zp;
  return es_quantize_multiplier((double)in_scale / (double)out_scale, &params->mult);
}

es_status es_requantize_s8(const es_requantize_params *params, int32_t n, const int8_t *in, int8_t *out) {
  const es_requantize_params p = *params;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t v = es_multiply_by_quantized_multiplier(in[i] - p.input_zero_point, p.mult.multiplier, p.mult.shift);
    out[i] = clamp_int8(v + p.output_zero_point);
  }
  return ES_OK;
}

typedef struct quantize_op_data {
  int from_float;
  int32_t count;
  es_affine_params affine;
  es_requantize_params requant;
} quantize_op_data;

static es_status quantize_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "QUANTIZE: expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "QUANTIZE: missing input or output tensor");
  if (output->type != ES_INT8 || (input->type != ES_FLOAT32 && input->type != ES_INT8))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "QUANTIZE: only float32 -> int8 and int8 -> int8 are supported");
  if (!es_op_is_int8_per_tensor(output))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "QUANTIZE: output needs one positive scale and zero point");
  if (input->type == ES_INT8 && !es_op_is_int8_per_tensor(input))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "QUANTIZE: int8 input needs one positive scale and zero point");
  if (es_tensor_elements(input) != es_tensor_elements(output))
    return es_op_fail(ctx, ES_ERR_SHAPE, "QUANTIZE: input and output element counts differ");
  if (input->type == ES_FLOAT32 && !es_op_is_aligned(input, 4))
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "QUANTIZE: float32 input not 4-byte aligned in the model");
  quantize_op_data *d = (quantize_op_data *)es_op_alloc_persistent(ctx, sizeof(quantize_op_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "QUANTIZE: arena too small for op data");
  d->from_float = input->type == ES_FLOAT32;
  d->count = es_tensor_elements(output);
  d->affine.scale = output->quant.scale;
  d->affine.zero_point = output->quant.zero_point;
  if (!d->from_float &&
      es_requantize_s8_params(input->quant.scale, input->quant.zero_point, output->quant.scale,
                              output->quant.zero_point, &d->requant) != ES_OK)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "QUANTIZE: input/output scale ratio unusable");
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status quantize_invoke(es_op_context *ctx) {
  const quantize_op_data *d = (const quantize_op_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  int8_t *out = (int8_t *)es_op_output(ctx, 0)->data;
  if (d->from_float) return es_quantize_f32_s8(&d->affine, d->count, (const float *)in, out);
  return es_requantize_s8(&d->requant, d->count, (const int8_t *)in, out);
}

const es_op es_op_quantize = {
    114 /* QUANTIZE */, "QUANTIZE", 2 /* v1 float -> int8, v2 int8 requantize */, 0u, quantize_prepare,
    quantize_invoke,
};
