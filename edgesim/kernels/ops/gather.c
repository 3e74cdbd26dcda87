/* GATHER: slices of the input along `axis` picked by int32 indices, with
 * optional batch_dims (TFLM gather.cc); int8 or float32 like TFLM.  An index outside
 * the axis fails the invoke with a clear error (TFLM only DCHECKs it). */
#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_AXIS = 0, OPT_BATCH_DIMS = 1 };

static es_status gather_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "GATHER: expects inputs (params, indices) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *indices = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || indices == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "GATHER: missing params, indices or output tensor");
  const int32_t es = es_op_element_size(input->type);
  if (output->type != input->type || (input->type != ES_INT8 && input->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "GATHER: params and output must both be int8 or float32 (as in TFLM)");
  if (indices->type != ES_INT32) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "GATHER: indices must be int32 (as in TFLM)");
  int32_t axis = es_op_option_int(ctx, OPT_AXIS, 0);
  int32_t batch_dims = es_op_option_int(ctx, OPT_BATCH_DIMS, 0);
  if (axis < 0) axis += input->rank;
  if (batch_dims < 0) batch_dims += indices->rank;
  if (axis < 0 || axis >= input->rank || batch_dims < 0 || batch_dims > indices->rank || batch_dims >= input->rank ||
      axis < batch_dims)
    return es_op_fail(ctx, ES_ERR_SHAPE, "GATHER: axis or batch_dims out of range");
  for (int32_t i = 0; i < batch_dims; ++i)
    if (input->dims[i] != indices->dims[i])
      return es_op_fail(ctx, ES_ERR_SHAPE, "GATHER: batch dimensions of params and indices differ");
  /* output = params[:axis] + indices[batch_dims:] + params[axis + 1:] */
  const int32_t out_rank = input->rank - 1 + indices->rank - batch_dims;
  int ok = output->rank == out_rank;
  for (int32_t i = 0, o = 0; ok && i < input->rank; ++i) {
    if (i == axis) {
      for (int32_t j = batch_dims; ok && j < indices->rank; ++j) ok = output->dims[o++] == indices->dims[j];
    } else {
      ok = output->dims[o++] == input->dims[i] && input->dims[i] >= 0;
    }
  }
  if (!ok) return es_op_fail(ctx, ES_ERR_SHAPE, "GATHER: output shape != params[:axis] + indices + params[axis+1:]");
  es_gather_params *p = (es_gather_params *)es_op_alloc_persistent(ctx, sizeof(es_gather_params));
  if (p == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "GATHER: arena too small for op data");
  p->element_size = es;
  p->batch = (int32_t)es_op_dims_product(input, 0, batch_dims);
  p->outer = (int32_t)es_op_dims_product(input, batch_dims, axis);
  p->axis_size = input->dims[axis];
  p->inner = (int32_t)es_op_dims_product(input, axis + 1, input->rank);
  p->coords = (int32_t)es_op_dims_product(indices, batch_dims, indices->rank);
  if ((size_t)p->batch * (size_t)p->coords * 4u > indices->bytes)
    return es_op_fail(ctx, ES_ERR_SHAPE, "GATHER: indices data shorter than its shape");
  es_op_set_data(ctx, p);
  return ES_OK;
}

static es_status gather_invoke(es_op_context *ctx) {
  const es_gather_params *p = (const es_gather_params *)es_op_data(ctx);
  const es_status st = es_gather(p, es_op_input(ctx, 0)->data, es_op_input(ctx, 1)->data, es_op_output(ctx, 0)->data);
  return st == ES_OK ? st : es_op_fail(ctx, st, "GATHER: index outside the gathered axis");
}

const es_op es_op_gather = {36 /* GATHER */, "GATHER", 7, 0u, gather_prepare, gather_invoke};
