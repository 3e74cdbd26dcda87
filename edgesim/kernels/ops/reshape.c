/* RESHAPE: the output is the input's bytes under the output tensor's shape.
 *
 * The shape comes from the output tensor itself (as in TFLM); the optional
 * second input and ReshapeOptions.new_shape are not needed once the model's
 * tensors carry static shapes.  The op declares ES_OP_OUTPUT_ALIASES_INPUT0
 * so the planner may give the output the input's memory, in which case
 * invoke() has nothing to do; otherwise it copies.
 */
#include <string.h>

#include "edgesim/nn_conv.h"
#include "edgesim/op.h"

static es_status reshape_prepare(es_op_context *ctx) {
  const int n_in = es_op_input_count(ctx);
  if ((n_in != 1 && n_in != 2) || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "RESHAPE: expects inputs (input[, shape]) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "RESHAPE: missing input or output tensor");
  if (input->type != output->type) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "RESHAPE: input and output types differ");
  for (int i = 0; i < output->rank; ++i)
    if (output->dims[i] < 0)
      return es_op_fail(ctx, ES_ERR_SHAPE, "RESHAPE: output shape has an unresolved (negative) dimension");
  if (es_tensor_elements(input) != es_tensor_elements(output) || input->bytes != output->bytes)
    return es_op_fail(ctx, ES_ERR_SHAPE, "RESHAPE: input and output element counts differ");
  return ES_OK;
}

void es_reshape(const void *input, void *output, size_t bytes) {
  if (output != input) memmove(output, input, bytes);
}

static es_status reshape_invoke(es_op_context *ctx) {
  es_tensor *output = es_op_output(ctx, 0);
  es_reshape(es_op_input(ctx, 0)->data, output->data, output->bytes);
  return ES_OK;
}

const es_op es_op_reshape = {
    22 /* RESHAPE */, "RESHAPE", 1, ES_OP_OUTPUT_ALIASES_INPUT0, reshape_prepare, reshape_invoke,
};
