/* DEQUANTIZE: int8 -> float32 with per-tensor quantization.
 *
 * TFLM computes (float)((double)scale * (x - zero_point)).  The double
 * product of a float (24-bit significand) and an integer of at most 9 bits
 * is exact, so rounding it to float equals the correctly rounded float
 * product computed here (no double arithmetic on the Cortex-M4F).
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "op_common.h"

es_status es_dequantize_s8_f32(const es_affine_params *params, int32_t n, const int8_t *in, float *out) {
  const float scale = params->scale;
  const int32_t zero_point = params->zero_point;
  for (int32_t i = 0; i < n; ++i) out[i] = scale * (float)(in[i] - zero_point);
  return ES_OK;
}

typedef struct dequantize_op_data {
  int32_t count;
  es_affine_params affine;
} dequantize_op_data;

static es_status dequantize_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "DEQUANTIZE: expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "DEQUANTIZE: missing input or output tensor");
  if (input->type != ES_INT8 || output->type != ES_FLOAT32)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "DEQUANTIZE: only int8 -> float32 is supported");
  if (!es_op_is_int8_per_tensor(input))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "DEQUANTIZE: input needs one positive scale and zero point");
  if (es_tensor_elements(input) != es_tensor_elements(output))
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEQUANTIZE: input and output element counts differ");
  dequantize_op_data *d = (dequantize_op_data *)es_op_alloc_persistent(ctx, sizeof(dequantize_op_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "DEQUANTIZE: arena too small for op data");
  d->count = es_tensor_elements(input);
  d->affine.scale = input->quant.scale;
  d->affine.zero_point = input->quant.zero_point;
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status dequantize_invoke(es_op_context *ctx) {
  const dequantize_op_data *d = (const dequantize_op_data *)es_op_data(ctx);
  return es_dequantize_s8_f32(&d->affine, d->count, (const int8_t *)es_op_input(ctx, 0)->data,
                              (float *)es_op_output(ctx, 0)->data);
}

const es_op es_op_dequantize = {
    6 /* DEQUANTIZE */, "DEQUANTIZE", 2 /* v1 uint8, v2 int8 */, 0u, dequantize_prepare, dequantize_invoke,
};
