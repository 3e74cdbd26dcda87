/* MEAN, int8 or float32, over any set of axes (constant int32 axis tensor, negative axes
 * and duplicates allowed), keep_dims or not.
 *
 * Arithmetic is TFLM's reference QuantizedMeanOrSum (int8, int32 sums):
 *   real = input_scale / output_scale  ->  QuantizeMultiplier -> (m, s)
 *   n    = number of reduced elements per output
 *   k    = min(floor(log2 n), 32, 31 + s)
 *   m'   = (m * 2^k) / n   (int64, truncating),  s' = s - k
 *   out  = clamp(MultiplyByQuantizedMultiplier(sum - input_zp * n, m', s') + output_zp)
 * The division by n is folded into the multiplier in prepare.  TFLM has no
 * special int8 path for spatial means (axes {1, 2}), so neither has this.
 *
 * Speed: sums accumulate into an int32 scratch row.  The input is walked in
 * memory order; the innermost dimension is either summed whole (reduced) or
 * added element-wise into consecutive outputs (kept), so the spatial mean of
 * an NHWC tensor is a unit-stride vector add per pixel.
 */
#include <string.h>

#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_KEEP_DIMS = 0 };

/* What prepare() stores for invoke(). */
typedef struct mean_op_data {
  int is_float;
  es_mean_params params;
} mean_op_data;

static es_status mean_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "MEAN: expects inputs (input, axis) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *axis = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || axis == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "MEAN: missing input, axis or output tensor");
  const int is_float = input->type == ES_FLOAT32 && output->type == ES_FLOAT32;
  if (!is_float && (input->type != ES_INT8 || output->type != ES_INT8))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "MEAN: only int8 or float32 input and output are supported");
  if (axis->type != ES_INT32) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "MEAN: axis must be int32");
  if (!axis->is_constant) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "MEAN: axis must be a constant tensor");
  if (!is_float && (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output)))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "MEAN: input and output need one positive scale and zero point");
  const int32_t rank = input->rank;
  if (rank < 1) return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: input must have at least one dimension");
  const int32_t axis_count = es_tensor_elements(axis);
  if (axis_count < 0 || (size_t)axis_count * 4u > axis->bytes)
    return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: axis tensor data shorter than its shape");

  /* Resolve axes like TFLM's ResolveAxis(): negative counts from the end,
   * duplicates are ignored, anything else out of range is an error. */
  int reduced[ES_MAX_DIMS] = {0};
  for (int32_t i = 0; i < axis_count; ++i) {
    int32_t a;
    memcpy(&a, (const uint8_t *)axis->data + 4 * i, 4); /* constant data may be unaligned */
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: axis out of range");
    reduced[a] = 1;
  }
  int64_t n = 1, outputs = 1;
  int32_t kept_rank = 0;
  for (int32_t i = 0; i < rank; ++i) {
    if (input->dims[i] < 1) return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: empty input");
    if (reduced[i]) n *= input->dims[i];
    else {
      outputs *= input->dims[i];
      ++kept_rank;
    }
  }
  if (es_tensor_elements(output) != outputs)
    return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: output size != product of the kept dimensions");
  const int keep_dims = es_op_option_int(ctx, OPT_KEEP_DIMS, 0) != 0;
  if (keep_dims ? output->rank != rank : (output->rank != kept_rank && !(kept_rank == 0 && output->rank <= 1)))
    return es_op_fail(ctx, ES_ERR_SHAPE, "MEAN: output rank does not match keep_dims");
  if (n > (1 << 23)) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "MEAN: too many reduced elements (int32 sum could overflow)");

  mean_op_data *data = (mean_op_data *)es_op_alloc_persistent(ctx, sizeof(mean_op_data));
  if (data == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "MEAN: arena too small for op data");
  data->is_float = is_float;
  es_mean_params *d = &data->params;
  d->multiplier = 0;
  d->shift = 0;
  if (!is_float) {
    es_qmul q;
    const double real = (double)input->quant.scale / (double)output->quant.scale;
    if (es_quantize_multiplier(real, &q) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "MEAN: input/output scale ratio unusable");
    /* Fold 1/n into the multiplier, exactly as TFLM does at every Eval. */
    int k = 0;
    while (k < 62 && (((int64_t)1 << (k + 1)) <= n)) ++k; /* floor(log2 n) */
    if (k > 32) k = 32;
    if (k > 31 + q.shift) k = 31 + q.shift;
    d->multiplier = (int32_t)(((int64_t)q.multiplier << k) / n);
    d->shift = q.shift - k;
  }
  d->input_zero_point = input->quant.zero_point;
  d->output_zero_point = output->quant.zero_point;
  d->reduced_count = (int32_t)n;
  d->outputs = (int32_t)outputs;
  d->in_shape.rank = rank;
  int32_t stride = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    d->in_shape.d[i] = input->dims[i];
    d->out_stride[i] = reduced[i] ? 0 : stride;
    if (!reduced[i]) stride *= input->dims[i];
  }
  if (!is_float) {
    const es_status st = es_op_request_scratch(ctx, es_mean_scratch_size(d));
    if (st != ES_OK) return es_op_fail(ctx, st, "MEAN: cannot reserve scratch for sums");
  }
  es_op_set_data(ctx, data);
  return ES_OK;
}

size_t es_mean_scratch_size(const es_mean_params *params) { return (size_t)params->outputs * sizeof(int32_t); }

es_status es_mean_s8(const es_mean_params *d, const int8_t *in, int8_t *out, void *scratch) {
  if (d->in_shape.rank < 1 || d->in_shape.rank > ES_MAX_DIMS) return ES_ERR_ARGUMENT;
  int32_t *sum = (int32_t *)scratch;
  for (int32_t i = 0; i < d->outputs; ++i) sum[i] = 0;

  /* Odometer over the outer dimensions; the innermost one is a vector. */
  const int32_t last = d->in_shape.rank - 1;
  const int32_t inner = d->in_shape.d[last];
  const int inner_reduced = d->out_stride[last] == 0;
  int32_t index[ES_MAX_DIMS] = {0};
  int32_t base = 0; /* output index of the current outer position */
  for (;;) {
    if (inner_reduced) {
      int32_t s = 0;
      for (int32_t c = 0; c < inner; ++c) s += in[c];
      sum[base] += s;
    } else {
      int32_t *row = sum + base;
      for (int32_t c = 0; c < inner; ++c) row[c] += in[c];
    }
    in += inner;
    int32_t dim = last - 1;
    for (; dim >= 0; --dim) {
      base += d->out_stride[dim];
      if (++index[dim] < d->in_shape.d[dim]) break;
      base -= d->out_stride[dim] * d->in_shape.d[dim];
      index[dim] = 0;
    }
    if (dim < 0) break;
  }

  const int32_t zero_point_sum = d->input_zero_point * d->reduced_count;
  for (int32_t i = 0; i < d->outputs; ++i) {
    int32_t v = es_multiply_by_quantized_multiplier(sum[i] - zero_point_sum, d->multiplier, d->shift) +
                d->output_zero_point;
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    out[i] = (int8_t)v;
  }
  return ES_OK;
}

/* TFLM's float Mean: every output's sum accumulated one input value at a
 * time in input memory order (from 0.0f, in the output itself), then divided
 * by the reduced count as a float. */
es_status es_mean_f32(const es_mean_params *d, const float *in, float *out, void *scratch) {
  (void)scratch;
  if (d->in_shape.rank < 1 || d->in_shape.rank > ES_MAX_DIMS) return ES_ERR_ARGUMENT;
  for (int32_t i = 0; i < d->outputs; ++i) out[i] = 0.0f;
  const int32_t last = d->in_shape.rank - 1;
  const int32_t inner = d->in_shape.d[last];
  const int32_t inner_step = d->out_stride[last];
  int32_t index[ES_MAX_DIMS] = {0};
  int32_t base = 0;
  for (;;) {
    float *o = out + base;
    for (int32_t c = 0; c < inner; ++c, o += inner_step) *o += in[c];
    in += inner;
    int32_t dim = last - 1;
    for (; dim >= 0; --dim) {
      base += d->out_stride[dim];
      if (++index[dim] < d->in_shape.d[dim]) break;
      base -= d->out_stride[dim] * d->in_shape.d[dim];
      index[dim] = 0;
    }
    if (dim < 0) break;
  }
  const float count = (float)d->reduced_count;
  for (int32_t i = 0; i < d->outputs; ++i) out[i] = out[i] / count;
  return ES_OK;
}

static es_status mean_invoke(es_op_context *ctx) {
  const mean_op_data *data = (const mean_op_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (data->is_float) return es_mean_f32(&data->params, (const float *)in, (float *)out, 0);
  return es_mean_s8(&data->params, (const int8_t *)in, (int8_t *)out, es_op_scratch(ctx));
}

const es_op es_op_mean = {
    40 /* MEAN */, "MEAN", 2 /* v1 float, v2 int8 */, 0u, mean_prepare, mean_invoke,
};
