/* PAD and PADV2: constant padding around each dimension (rank <= 5).
 *
 * As TFLM (pad_common.cc): paddings is a constant int32 [rank, 2] tensor;
 * the pad value is PADV2's constant_values element, else the output zero
 * point for int8 and 0 for other types.  An int8 constant_values must share
 * the output's scale and zero point.  Input bytes are copied unchanged (TFLM
 * does not requantize either).
 */
#include <string.h>

#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

typedef struct pad_data {
  es_pad_params params;
  es_shape input_shape;
  int64_t zero_value; /* the pad value when there is no constant_values input */
} pad_data;

static es_status pad_prepare(es_op_context *ctx) {
  const int32_t n_in = es_op_input_count(ctx);
  if ((n_in != 2 && n_in != 3) || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "PAD: expects inputs (input, paddings[, constant_values]) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *paddings = es_op_input(ctx, 1);
  const es_tensor *value = n_in == 3 ? es_op_input(ctx, 2) : 0;
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || paddings == 0 || output == 0 || (n_in == 3 && value == 0))
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "PAD: missing input, paddings, constant_values or output tensor");
  const int32_t es = es_op_element_size(input->type);
  if (es == 0 || output->type != input->type) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "PAD: unsupported or differing tensor types");
  if (input->rank != output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "PAD: input and output ranks differ");
  if (!paddings->is_constant || paddings->type != ES_INT32)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "PAD: paddings must be a constant int32 tensor");
  if (es_tensor_elements(paddings) != 2 * output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "PAD: paddings must be [rank, 2]");
  if (value != 0) {
    if (value->type != input->type || es_tensor_elements(value) != 1 || value->bytes < (size_t)es)
      return es_op_fail(ctx, ES_ERR_SHAPE, "PAD: constant_values must be one element of the input's type");
    if (input->type == ES_INT8 && !es_op_same_quantization(value, output))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "PAD: constant_values must share the output's scale and zero point");
  }
  pad_data *d = (pad_data *)es_op_alloc_persistent(ctx, sizeof(pad_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "PAD: arena too small for op data");
  memset(d, 0, sizeof *d);
  d->params.element_size = es;
  const int32_t lead = ES_MAX_DIMS - input->rank;
  for (int32_t i = 0; i < input->rank; ++i) {
    int ok = 1;
    const int32_t before = es_op_constant_index(paddings, 2 * i, &ok);
    const int32_t after = es_op_constant_index(paddings, 2 * i + 1, &ok);
    if (!ok || before < 0 || after < 0 || input->dims[i] < 0 ||
        (int64_t)input->dims[i] + before + after != output->dims[i])
      return es_op_fail(ctx, ES_ERR_SHAPE, "PAD: output shape != input shape plus paddings (negative paddings unsupported)");
    d->params.before[lead + i] = before;
    d->params.after[lead + i] = after;
  }
  d->input_shape = es_op_shape_of(input);
  if (input->type == ES_INT8) {
    const int8_t zp = (int8_t)output->quant.zero_point;
    memcpy(&d->zero_value, &zp, 1);
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status pad_invoke(es_op_context *ctx) {
  const pad_data *d = (const pad_data *)es_op_data(ctx);
  const void *value = es_op_input_count(ctx) == 3 ? es_op_input(ctx, 2)->data : &d->zero_value;
  return es_pad(&d->params, &d->input_shape, es_op_input(ctx, 0)->data, value, es_op_output(ctx, 0)->data);
}

const es_op es_op_pad = {34 /* PAD */, "PAD", 4, 0u, pad_prepare, pad_invoke};
const es_op es_op_padv2 = {60 /* PADV2 */, "PADV2", 4, 0u, pad_prepare, pad_invoke};
