/* SQUEEZE and EXPAND_DIMS: the input's bytes under the output's shape (like
 * RESHAPE: the planner may alias the output to the input, else a copy), the
 * shapes checked as TFLM does. */
#include <string.h>

#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_SQUEEZE_DIMS = 0 };

static es_status check_pair(es_op_context *ctx, const char *error) {
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0 || es_op_output_count(ctx) != 1) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, error);
  if (input->type != output->type || input->bytes != output->bytes) return es_op_fail(ctx, ES_ERR_SHAPE, error);
  return ES_OK;
}

static es_status squeeze_prepare(es_op_context *ctx) {
  static const char error[] = "SQUEEZE: expects one input and an output of its type and size";
  if (es_op_input_count(ctx) != 1) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, error);
  es_status st = check_pair(ctx, error);
  if (st != ES_OK) return st;
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  int32_t count = 0;
  const uint8_t *dims = es_op_option_int_vector(ctx, OPT_SQUEEZE_DIMS, &count);
  int squeezed[ES_MAX_DIMS] = {0};
  for (int32_t i = 0; i < count; ++i) {
    int32_t a = es_op_vector_int(dims, i);
    if (a < 0) a += input->rank;
    if (a < 0 || a >= input->rank || input->dims[a] != 1)
      return es_op_fail(ctx, ES_ERR_SHAPE, "SQUEEZE: squeeze_dims must name dimensions of size 1");
    squeezed[a] = 1;
  }
  int32_t o = 0;
  for (int32_t i = 0; i < input->rank; ++i) {
    if (count == 0 ? input->dims[i] == 1 : squeezed[i]) continue;
    if (o >= output->rank || output->dims[o++] != input->dims[i])
      return es_op_fail(ctx, ES_ERR_SHAPE, "SQUEEZE: output shape != input shape without the squeezed dimensions");
  }
  if (o != output->rank)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SQUEEZE: output shape != input shape without the squeezed dimensions");
  return ES_OK;
}

static es_status expand_dims_prepare(es_op_context *ctx) {
  static const char error[] = "EXPAND_DIMS: expects inputs (input, axis) and an output of the input's type and size";
  if (es_op_input_count(ctx) != 2) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, error);
  es_status st = check_pair(ctx, error);
  if (st != ES_OK) return st;
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *axis_tensor = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input->type != ES_INT8 && input->type != ES_INT16 && input->type != ES_FLOAT32)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "EXPAND_DIMS: input must be int8, int16 or float32 (as in TFLM)");
  int ok = axis_tensor != 0 && axis_tensor->is_constant && es_tensor_elements(axis_tensor) == 1;
  if (!ok) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "EXPAND_DIMS: axis must be one constant int32 or int64");
  int32_t axis = es_op_constant_index(axis_tensor, 0, &ok);
  if (axis < 0) axis += input->rank + 1;
  if (!ok || axis < 0 || axis > input->rank || output->rank != input->rank + 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "EXPAND_DIMS: axis out of range or output rank != input rank + 1");
  for (int32_t i = 0; i < output->rank; ++i) {
    const int32_t want = i < axis ? input->dims[i] : (i == axis ? 1 : input->dims[i - 1]);
    if (output->dims[i] != want) return es_op_fail(ctx, ES_ERR_SHAPE, "EXPAND_DIMS: output shape != input shape with a 1 at axis");
  }
  return ES_OK;
}

static es_status copy_invoke(es_op_context *ctx) {
  const es_tensor *input = es_op_input(ctx, 0);
  es_tensor *output = es_op_output(ctx, 0);
  if (output->data != input->data) memmove(output->data, input->data, output->bytes);
  return ES_OK;
}

const es_op es_op_squeeze = {43 /* SQUEEZE */, "SQUEEZE", 1, ES_OP_OUTPUT_ALIASES_INPUT0, squeeze_prepare, copy_invoke};
const es_op es_op_expand_dims = {70 /* EXPAND_DIMS */, "EXPAND_DIMS", 1, ES_OP_OUTPUT_ALIASES_INPUT0, expand_dims_prepare,
                                 copy_invoke};
