/* Shared prepare helpers of the elementwise activation ops. */
#include "unary_common.h"

#include <math.h>

#include "edgesim/quant.h"
#include "op_common.h"

es_status es_op_prepare_unary(es_op_context *ctx, const es_unary_errors *errors, int32_t *size, es_dtype *type) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, errors->arity);
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, errors->arity);
  if (input->type != output->type || (input->type != ES_INT8 && input->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, errors->types);
  if (input->rank != output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, errors->shape);
  for (int i = 0; i < input->rank; ++i)
    if (input->dims[i] != output->dims[i] || input->dims[i] < 0) return es_op_fail(ctx, ES_ERR_SHAPE, errors->shape);
  if (input->type == ES_INT8 && (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output)))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, errors->quantization);
  *size = es_tensor_elements(input);
  *type = (es_dtype)input->type;
  return ES_OK;
}

int32_t es_op_float_to_int8(float value, float scale, int32_t zero_point) {
  float v = roundf(value / scale) + (float)zero_point;
  /* Clamp before converting: a float beyond int32 has no defined conversion. */
  v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
  return (int32_t)v;
}

es_status es_op_float_ratio_multiplier(float numerator, float denominator, es_qmul *out) {
  return es_quantize_multiplier((double)(numerator / denominator), out);
}
