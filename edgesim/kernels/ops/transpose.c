/* TRANSPOSE: output dimension d is input dimension perm[d] (constant int32
 * perm, rank <= 5); int8, int16 and float32 like TFLM. */
#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

typedef struct transpose_data {
  es_transpose_params params;
  es_shape input_shape;
} transpose_data;

static es_status transpose_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "TRANSPOSE: expects inputs (input, perm) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *perm = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || perm == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "TRANSPOSE: missing input, perm or output tensor");
  const int32_t es = es_op_element_size(input->type);
  if (output->type != input->type || (input->type != ES_INT8 && input->type != ES_INT16 && input->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE: input and output must both be int8, int16 or float32");
  if (!perm->is_constant || perm->type != ES_INT32)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE: perm must be a constant int32 tensor");
  if (es_tensor_elements(perm) != input->rank || output->rank != input->rank)
    return es_op_fail(ctx, ES_ERR_SHAPE, "TRANSPOSE: perm must list every input dimension once");
  transpose_data *d = (transpose_data *)es_op_alloc_persistent(ctx, sizeof(transpose_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "TRANSPOSE: arena too small for op data");
  int seen[ES_MAX_DIMS] = {0};
  for (int32_t i = 0; i < input->rank; ++i) {
    int ok = 1;
    const int32_t p = es_op_constant_index(perm, i, &ok);
    if (!ok || p < 0 || p >= input->rank || seen[p]++)
      return es_op_fail(ctx, ES_ERR_SHAPE, "TRANSPOSE: perm must list every input dimension once");
    if (output->dims[i] != input->dims[p] || input->dims[p] < 0)
      return es_op_fail(ctx, ES_ERR_SHAPE, "TRANSPOSE: output shape != permuted input shape");
    d->params.perm[i] = p;
  }
  d->params.element_size = es;
  d->input_shape = es_op_shape_of(input);
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status transpose_invoke(es_op_context *ctx) {
  const transpose_data *d = (const transpose_data *)es_op_data(ctx);
  return es_transpose(&d->params, &d->input_shape, es_op_input(ctx, 0)->data, es_op_output(ctx, 0)->data);
}

const es_op es_op_transpose = {39 /* TRANSPOSE */, "TRANSPOSE", 6, 0u, transpose_prepare, transpose_invoke};
