/* SLICE and STRIDED_SLICE, any element type, through es_strided_slice().
 *
 * SLICE: constant int32/int64 begin and size (size -1: to the end).
 * STRIDED_SLICE follows TFLM exactly (strided_slice_common.cc and
 * reference strided_slice.h): rank <= 4; constant int32 begin/end/strides;
 * begin_mask, end_mask and shrink_axis_mask honoured, ellipsis_mask,
 * new_axis_mask and offset ignored (TFLM clears them); prepare checks the
 * output shape with the older StartForAxis/StopForAxis and
 * ceil((stop - start) / (float)stride), invoke walks the indices of
 * StridedSliceStartForAxis/EndForAxis.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "edgesim/nn_shape.h"
#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_BEGIN_MASK = 0, OPT_END_MASK = 1, OPT_SHRINK_AXIS_MASK = 4 };

typedef struct slice_data {
  es_slice_params params;
  es_shape input_shape;
} slice_data;

static int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return hi < v ? hi : (v < lo ? lo : v); }

/* Number of indices start, start + step, ... before reaching stop. */
static int32_t index_count(int32_t start, int32_t stop, int32_t step) {
  const int64_t span = step > 0 ? (int64_t)stop - start : (int64_t)start - stop;
  const int64_t s = step > 0 ? step : -(int64_t)step;
  return span <= 0 ? 0 : (int32_t)((span + s - 1) / s);
}

/* The output holds exactly the elements the walk writes. */
static int output_matches(const es_tensor *output, const es_slice_params *p) {
  int64_t n = 1;
  for (int d = 0; d < ES_MAX_DIMS; ++d) n *= p->count[d];
  return n == es_tensor_elements(output);
}

static es_status slice_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 3 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SLICE: expects inputs (input, begin, size) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *begin = es_op_input(ctx, 1);
  const es_tensor *size = es_op_input(ctx, 2);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || begin == 0 || size == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SLICE: missing input, begin, size or output tensor");
  const int32_t es = es_op_element_size(input->type);
  if (es == 0 || output->type != input->type) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SLICE: unsupported or differing tensor types");
  if (!begin->is_constant || !size->is_constant)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SLICE: begin and size must be constant tensors");
  if (output->rank != input->rank || es_tensor_elements(begin) != input->rank || es_tensor_elements(size) != input->rank)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SLICE: begin and size need one entry per input dimension");
  slice_data *d = (slice_data *)es_op_alloc_persistent(ctx, sizeof(slice_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "SLICE: arena too small for op data");
  const int32_t lead = ES_MAX_DIMS - input->rank;
  for (int d_ = 0; d_ < ES_MAX_DIMS; ++d_) {
    d->params.start[d_] = 0;
    d->params.count[d_] = 1;
    d->params.step[d_] = 1;
  }
  for (int32_t i = 0; i < input->rank; ++i) {
    int ok = 1;
    const int32_t b = es_op_constant_index(begin, i, &ok);
    int32_t s = es_op_constant_index(size, i, &ok);
    if (ok && s == -1) s = input->dims[i] - b;
    if (!ok || b < 0 || s < 0 || (int64_t)b + s > input->dims[i] || output->dims[i] != s)
      return es_op_fail(ctx, ES_ERR_SHAPE, "SLICE: begin/size outside the input or not the output shape");
    d->params.start[lead + i] = b;
    d->params.count[lead + i] = s;
  }
  d->params.element_size = es;
  d->input_shape = es_op_shape_of(input);
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status strided_slice_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 4 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "STRIDED_SLICE: expects inputs (input, begin, end, strides) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  const es_tensor *vec[3] = {es_op_input(ctx, 1), es_op_input(ctx, 2), es_op_input(ctx, 3)};
  if (input == 0 || output == 0 || vec[0] == 0 || vec[1] == 0 || vec[2] == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "STRIDED_SLICE: missing input, begin, end, strides or output tensor");
  const int32_t es = es_op_element_size(input->type);
  if (es == 0 || output->type != input->type)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "STRIDED_SLICE: unsupported or differing tensor types");
  const int32_t rank = input->rank;
  if (rank > 4) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "STRIDED_SLICE: input rank above 4 (as in TFLM)");
  int32_t begin[4], end[4], strides[4];
  int32_t *dst[3] = {begin, end, strides};
  for (int v = 0; v < 3; ++v) {
    if (!vec[v]->is_constant || vec[v]->type != ES_INT32)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "STRIDED_SLICE: begin, end and strides must be constant int32 tensors");
    for (int32_t i = 0; i < rank; ++i) {
      int ok = 1;
      dst[v][i] = es_op_constant_index(vec[v], i, &ok);
      if (!ok) return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: begin, end and strides need one entry per dimension");
    }
  }
  const uint32_t begin_mask = (uint32_t)es_op_option_int(ctx, OPT_BEGIN_MASK, 0);
  const uint32_t end_mask = (uint32_t)es_op_option_int(ctx, OPT_END_MASK, 0);
  const uint32_t shrink_mask = (uint32_t)es_op_option_int(ctx, OPT_SHRINK_AXIS_MASK, 0);

  /* TFLM's CheckOutputSize (StartForAxis / StopForAxis). */
  int32_t kept = 0;
  for (int32_t i = 0; i < rank; ++i) {
    const int32_t size = input->dims[i], stride = strides[i];
    if (stride == 0) return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: stride value has to be non-zero");
    if (size < 0) return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: negative input dimension");
    const int shrink = (shrink_mask >> i) & 1u;
    int32_t start = 0, stop = 0;
    if (size != 0) {
      int64_t s = (begin_mask >> i) & 1u ? (stride > 0 ? INT_MIN : INT_MAX) : begin[i];
      if (s < 0) s += size;
      start = stride > 0 ? clamp((int32_t)s, 0, size) : clamp((int32_t)s, -1, size - 1);
      if (shrink) {
        stop = start + 1;
      } else {
        int64_t e = (end_mask >> i) & 1u ? (stride > 0 ? INT_MAX : INT_MIN) : end[i];
        if (e < 0) e += size;
        stop = stride > 0 ? clamp((int32_t)e, 0, size) : clamp((int32_t)e, -1, size - 1);
      }
    }
    if (shrink) stop = start + 1;
    int32_t dim = (int32_t)ceilf((float)(stop - start) / (float)stride);
    dim = dim < 0 ? 0 : dim;
    if (!shrink) {
      if (kept >= output->rank || output->dims[kept] != dim)
        return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: output shape does not match the slice");
      ++kept;
    }
  }
  if (kept != output->rank) return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: output shape does not match the slice");

  /* The walk: StridedSlicePadIndices to 5 dimensions, then
   * StridedSliceStartForAxis / StridedSliceEndForAxis. */
  slice_data *d = (slice_data *)es_op_alloc_persistent(ctx, sizeof(slice_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "STRIDED_SLICE: arena too small for op data");
  const int32_t lead = ES_MAX_DIMS - rank;
  for (int32_t a = 0; a < ES_MAX_DIMS; ++a) {
    const int32_t i = a - lead;
    const int32_t size = i < 0 ? 1 : input->dims[i];
    const int32_t stride = i < 0 ? 1 : strides[i];
    const int padded = i < 0;
    int32_t start = padded ? 0 : begin[i];
    if (start < 0) start += size;
    start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
    if (padded || ((begin_mask >> i) & 1u)) start = stride > 0 ? 0 : size - 1;
    int32_t stop;
    if (!padded && ((shrink_mask >> i) & 1u)) {
      stop = start >= size ? start : start + 1;
    } else {
      stop = padded ? 1 : end[i];
      if (stop < 0) stop += size;
      stop = stride > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1);
      if (padded || ((end_mask >> i) & 1u)) stop = stride > 0 ? size : -1;
    }
    d->params.start[a] = start;
    d->params.step[a] = stride;
    d->params.count[a] = index_count(start, stop, stride);
  }
  /* TFLM rejects outputs with a zero dimension as dynamic, except the
   * legacy scalar shape [0]. */
  if (es_tensor_elements(output) == 0 && !(output->rank == 1 && output->dims[0] == 0))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "STRIDED_SLICE: empty output (TFLM treats it as a dynamic tensor)");
  if (!output_matches(output, &d->params))
    return es_op_fail(ctx, ES_ERR_SHAPE, "STRIDED_SLICE: output shape does not match the slice");
  d->params.element_size = es;
  d->input_shape = es_op_shape_of(input);
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status slice_invoke(es_op_context *ctx) {
  const slice_data *d = (const slice_data *)es_op_data(ctx);
  return es_strided_slice(&d->params, &d->input_shape, es_op_input(ctx, 0)->data, es_op_output(ctx, 0)->data);
}

const es_op es_op_slice = {65 /* SLICE */, "SLICE", 6, 0u, slice_prepare, slice_invoke};
const es_op es_op_strided_slice = {45 /* STRIDED_SLICE */, "STRIDED_SLICE", 8, 0u, strided_slice_prepare, slice_invoke};
