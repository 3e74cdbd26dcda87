/* CONCATENATION and PACK: inputs joined along an axis (PACK stacks inputs
 * of one shape along a new axis, i.e. concatenates them as slices of size
 * 1).  Any element type; the bytes are copied, never requantized, so
 * CONCATENATION's inputs must share the output's quantization, as TFLM
 * requires (it does not check PACK's).  Like TFLM, at
 * most 10 inputs and no fused activation.
 */
#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_CONCAT_AXIS = 0, OPT_CONCAT_ACTIVATION = 1 };
enum { OPT_PACK_VALUES_COUNT = 0, OPT_PACK_AXIS = 1 };
enum { MAX_INPUTS = 10 };

typedef struct concat_data {
  es_concat_params params;
  int32_t part_bytes[MAX_INPUTS];
} concat_data;

/* Validates inputs against the output viewed as [outer][axis][inner] (for
 * PACK the inputs lack the axis: `stacked`), and fills `d`. */
static es_status prepare_join(es_op_context *ctx, int stacked, int32_t axis, concat_data *d) {
  const char *name_error = stacked ? "PACK: inputs must match the output's type, quantization and shape"
                                   : "CONCATENATION: inputs must match the output's type, quantization and shape";
  const es_tensor *output = es_op_output(ctx, 0);
  const int32_t count = es_op_input_count(ctx);
  const int32_t es = es_op_element_size(output->type);
  const int32_t in_rank = output->rank - (stacked ? 1 : 0);
  int64_t axis_total = 0;
  for (int32_t i = 0; i < count; ++i) {
    const es_tensor *in = es_op_input(ctx, i);
    /* TFLM checks the quantization for CONCATENATION, not for PACK. */
    if (in == 0 || in->rank != in_rank || in->type != output->type || (!stacked && !es_op_same_quantization(in, output)))
      return es_op_fail(ctx, ES_ERR_SHAPE, name_error);
    for (int32_t j = 0; j < in_rank; ++j) {
      const int32_t out_dim = output->dims[stacked && j >= axis ? j + 1 : j];
      if (in->dims[j] < 0 || (j != axis || stacked ? in->dims[j] != out_dim : 0)) return es_op_fail(ctx, ES_ERR_SHAPE, name_error);
    }
    const int64_t along = stacked ? 1 : in->dims[axis];
    const int64_t part = along * es_op_dims_product(in, stacked ? axis : axis + 1, in_rank) * es;
    if (part > INT32_MAX || (size_t)part * (size_t)es_op_dims_product(output, 0, axis) != in->bytes)
      return es_op_fail(ctx, ES_ERR_SHAPE, name_error);
    d->part_bytes[i] = (int32_t)part;
    axis_total += along;
  }
  if (axis_total != output->dims[axis]) return es_op_fail(ctx, ES_ERR_SHAPE, name_error);
  d->params.outer = (int32_t)es_op_dims_product(output, 0, axis);
  d->params.count = count;
  d->params.part_bytes = d->part_bytes;
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status check_common(es_op_context *ctx, const char *arity, const char *type) {
  const int32_t count = es_op_input_count(ctx);
  if (count < 1 || count > MAX_INPUTS || es_op_output_count(ctx) != 1 || es_op_output(ctx, 0) == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, arity);
  if (es_op_element_size(es_op_output(ctx, 0)->type) == 0) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, type);
  return ES_OK;
}

static es_status concatenation_prepare(es_op_context *ctx) {
  es_status st = check_common(ctx, "CONCATENATION: expects 1 to 10 inputs and one output",
                              "CONCATENATION: unsupported tensor type");
  if (st != ES_OK) return st;
  if (es_op_option_int(ctx, OPT_CONCAT_ACTIVATION, 0) != 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "CONCATENATION: fused activations are not supported (as in TFLM)");
  const es_tensor *output = es_op_output(ctx, 0);
  int32_t axis = es_op_option_int(ctx, OPT_CONCAT_AXIS, 0);
  if (axis < 0) axis += output->rank;
  if (axis < 0 || axis >= output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "CONCATENATION: axis out of range");
  concat_data *d = (concat_data *)es_op_alloc_persistent(ctx, sizeof(concat_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "CONCATENATION: arena too small for op data");
  return prepare_join(ctx, 0, axis, d);
}

static es_status pack_prepare(es_op_context *ctx) {
  es_status st = check_common(ctx, "PACK: expects 1 to 10 inputs and one output", "PACK: unsupported tensor type");
  if (st != ES_OK) return st;
  const es_tensor *output = es_op_output(ctx, 0);
  if (es_op_option_int(ctx, OPT_PACK_VALUES_COUNT, es_op_input_count(ctx)) != es_op_input_count(ctx))
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "PACK: values_count != number of inputs");
  int32_t axis = es_op_option_int(ctx, OPT_PACK_AXIS, 0);
  if (axis < 0) axis += output->rank;
  if (axis < 0 || axis >= output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "PACK: axis out of range");
  concat_data *d = (concat_data *)es_op_alloc_persistent(ctx, sizeof(concat_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "PACK: arena too small for op data");
  return prepare_join(ctx, 1, axis, d);
}

static es_status concatenation_invoke(es_op_context *ctx) {
  const concat_data *d = (const concat_data *)es_op_data(ctx);
  const void *inputs[MAX_INPUTS];
  for (int32_t i = 0; i < d->params.count; ++i) inputs[i] = es_op_input(ctx, i)->data;
  return es_concatenation(&d->params, inputs, es_op_output(ctx, 0)->data);
}

const es_op es_op_concatenation = {2 /* CONCATENATION */, "CONCATENATION", 4, 0u, concatenation_prepare,
                                   concatenation_invoke};
const es_op es_op_pack = {83 /* PACK */, "PACK", 4, 0u, pack_prepare, concatenation_invoke};
