/* SPLIT, SPLIT_V and UNPACK: the input cut along an axis into the outputs
 * (UNPACK into slices of size 1, dropping the axis).  Any element type; the
 * sizes come from the outputs' static shapes, checked against the axis
 * (and SPLIT_V's size_splits) like TFLM.  Bytes are copied, never
 * requantized (TFLM does not check the outputs' quantization either).
 */
#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_UNPACK_NUM = 0, OPT_UNPACK_AXIS = 1 };
enum { MAX_OUTPUTS = 16 };

typedef struct split_data {
  es_concat_params params;
  int32_t part_bytes[MAX_OUTPUTS];
} split_data;

/* The outputs against the input viewed as [outer][axis][inner]; for UNPACK
 * (`unstacked`) the outputs lack the axis. */
static es_status prepare_cut(es_op_context *ctx, const es_tensor *input, int32_t axis, int unstacked,
                             const char *shape_error) {
  const int32_t count = es_op_output_count(ctx);
  const int32_t es = es_op_element_size(input->type);
  if (count < 1 || count > MAX_OUTPUTS) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SPLIT: 1 to 16 outputs supported");
  split_data *d = (split_data *)es_op_alloc_persistent(ctx, sizeof(split_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "SPLIT: arena too small for op data");
  const int32_t out_rank = input->rank - (unstacked ? 1 : 0);
  int64_t total = 0;
  for (int32_t i = 0; i < count; ++i) {
    const es_tensor *out = es_op_output(ctx, i);
    if (out == 0 || out->rank != out_rank || out->type != input->type)
      return es_op_fail(ctx, ES_ERR_SHAPE, shape_error);
    for (int32_t j = 0; j < out_rank; ++j) {
      const int32_t in_dim = input->dims[unstacked && j >= axis ? j + 1 : j];
      if (out->dims[j] < 0 || ((j != axis || unstacked) && out->dims[j] != in_dim))
        return es_op_fail(ctx, ES_ERR_SHAPE, shape_error);
    }
    const int64_t along = unstacked ? 1 : out->dims[axis];
    const int64_t part = along * es_op_dims_product(out, unstacked ? axis : axis + 1, out_rank) * es;
    if (part > INT32_MAX) return es_op_fail(ctx, ES_ERR_SHAPE, shape_error);
    d->part_bytes[i] = (int32_t)part;
    total += along;
  }
  if (total != input->dims[axis]) return es_op_fail(ctx, ES_ERR_SHAPE, shape_error);
  d->params.outer = (int32_t)es_op_dims_product(input, 0, axis);
  d->params.count = count;
  d->params.part_bytes = d->part_bytes;
  es_op_set_data(ctx, d);
  return ES_OK;
}

/* A constant scalar axis, resolved against `rank`. */
static int resolve_axis(const es_tensor *axis_tensor, int32_t rank, int32_t *axis) {
  int ok = axis_tensor != 0 && axis_tensor->is_constant && axis_tensor->type == ES_INT32;
  if (!ok) return 0;
  int32_t a = es_op_constant_index(axis_tensor, 0, &ok);
  if (a < 0) a += rank;
  *axis = a;
  return ok && a >= 0 && a < rank;
}

static es_status split_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SPLIT: expects inputs (axis, input)");
  const es_tensor *input = es_op_input(ctx, 1);
  if (input == 0 || es_op_element_size(input->type) == 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SPLIT: missing input or unsupported tensor type");
  int32_t axis;
  if (!resolve_axis(es_op_input(ctx, 0), input->rank, &axis))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SPLIT: axis must be a constant int32 within the input's rank");
  /* TFLM splits evenly: every output the same size along the axis. */
  for (int32_t i = 1; i < es_op_output_count(ctx); ++i)
    if (es_op_output(ctx, i) == 0 || es_op_output(ctx, 0) == 0 || es_op_output(ctx, i)->rank <= axis ||
        es_op_output(ctx, 0)->rank <= axis || es_op_output(ctx, i)->dims[axis] != es_op_output(ctx, 0)->dims[axis])
      return es_op_fail(ctx, ES_ERR_SHAPE, "SPLIT: outputs must split the axis evenly");
  return prepare_cut(ctx, input, axis, 0, "SPLIT: output shapes do not split the input");
}

static es_status split_v_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 3)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SPLIT_V: expects inputs (input, size_splits, axis)");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *sizes = es_op_input(ctx, 1);
  if (input == 0 || sizes == 0 || es_op_element_size(input->type) == 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SPLIT_V: missing input or unsupported tensor type");
  int32_t axis;
  if (!resolve_axis(es_op_input(ctx, 2), input->rank, &axis))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SPLIT_V: axis must be a constant int32 within the input's rank");
  /* size_splits (one entry may be -1: the rest) must agree with the outputs. */
  if (sizes->is_constant) {
    for (int32_t i = 0; i < es_op_output_count(ctx); ++i) {
      int ok = 1;
      const int32_t s = es_op_constant_index(sizes, i, &ok);
      const es_tensor *out = es_op_output(ctx, i);
      if (!ok || out == 0 || out->rank <= axis || (s != -1 && s != out->dims[axis]))
        return es_op_fail(ctx, ES_ERR_SHAPE, "SPLIT_V: size_splits do not match the output shapes");
    }
  }
  return prepare_cut(ctx, input, axis, 0, "SPLIT_V: output shapes do not split the input");
}

static es_status unpack_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 1) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNPACK: expects one input");
  const es_tensor *input = es_op_input(ctx, 0);
  if (input == 0 || es_op_element_size(input->type) == 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNPACK: missing input or unsupported tensor type");
  int32_t axis = es_op_option_int(ctx, OPT_UNPACK_AXIS, 0);
  if (axis < 0) axis += input->rank;
  if (axis < 0 || axis >= input->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "UNPACK: axis out of range");
  if (es_op_option_int(ctx, OPT_UNPACK_NUM, es_op_output_count(ctx)) != es_op_output_count(ctx))
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNPACK: num != number of outputs");
  return prepare_cut(ctx, input, axis, 1, "UNPACK: output shapes do not unpack the input");
}

static es_status split_invoke_from(es_op_context *ctx, int input_index) {
  const split_data *d = (const split_data *)es_op_data(ctx);
  void *outputs[MAX_OUTPUTS];
  for (int32_t i = 0; i < d->params.count; ++i) outputs[i] = es_op_output(ctx, i)->data;
  return es_split(&d->params, es_op_input(ctx, input_index)->data, outputs);
}

static es_status split_invoke(es_op_context *ctx) { return split_invoke_from(ctx, 1); }
static es_status first_input_split_invoke(es_op_context *ctx) { return split_invoke_from(ctx, 0); }

const es_op es_op_split = {49 /* SPLIT */, "SPLIT", 4, 0u, split_prepare, split_invoke};
const es_op es_op_split_v = {102 /* SPLIT_V */, "SPLIT_V", 2, 0u, split_v_prepare, first_input_split_invoke};
const es_op es_op_unpack = {88 /* UNPACK */, "UNPACK", 4, 0u, unpack_prepare, first_input_split_invoke};
