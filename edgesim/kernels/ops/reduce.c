/* REDUCE_MAX and SUM, int8 and float32, over a constant int32 axis list
 * (negative axes and duplicates allowed), keep_dims or not.
 *
 * As TFLM (reduce_common.cc, reference reduce.h):
 *   REDUCE_MAX: outputs start at the type's lowest value (-FLT_MAX for float,
 *     so -inf inputs give -FLT_MAX) and take x when x > current; int8 needs the
 *     output to share the input's quantization.
 *   SUM float: each output accumulates its inputs in memory order from 0.0f.
 *   SUM int8: int32 sums s, then clamp(MBQM(s - input_zp * n, m, shift) + output_zp)
 *     with (m, shift) = QuantizeMultiplier(input_scale / output_scale) (double).
 */
#include <float.h>
#include <string.h>

#include "edgesim/nn_reduce.h"
#include "edgesim/op.h"
#include "op_common.h"

enum { OPT_KEEP_DIMS = 0 };

/* Calls BODY(in_index, out_index) for every input element in memory order. */
#define REDUCE_WALK(params, BODY)                                          \
  do {                                                                     \
    int32_t index_[ES_MAX_DIMS] = {0};                                     \
    int32_t out_ = 0, in_ = 0;                                             \
    const int32_t last_ = (params)->rank - 1;                              \
    for (;;) {                                                             \
      BODY(in_, out_);                                                     \
      ++in_;                                                               \
      int32_t d_ = last_;                                                  \
      for (; d_ >= 0; --d_) {                                              \
        out_ += (params)->out_stride[d_];                                  \
        if (++index_[d_] < (params)->dims[d_]) break;                      \
        out_ -= (params)->out_stride[d_] * (params)->dims[d_];             \
        index_[d_] = 0;                                                    \
      }                                                                    \
      if (d_ < 0) break;                                                   \
    }                                                                      \
  } while (0)

es_status es_reduce_max_s8(const es_reduce_params *params, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < params->outputs; ++i) output[i] = -128;
#define MAX_S8(i, o) output[o] = input[i] > output[o] ? input[i] : output[o]
  REDUCE_WALK(params, MAX_S8);
#undef MAX_S8
  return ES_OK;
}

es_status es_reduce_max_f32(const es_reduce_params *params, const float *input, float *output) {
  for (int32_t i = 0; i < params->outputs; ++i) output[i] = -FLT_MAX;
#define MAX_F32(i, o) output[o] = input[i] > output[o] ? input[i] : output[o]
  REDUCE_WALK(params, MAX_F32);
#undef MAX_F32
  return ES_OK;
}

es_status es_reduce_sum_f32(const es_reduce_params *params, const float *input, float *output) {
  for (int32_t i = 0; i < params->outputs; ++i) output[i] = 0.0f;
#define SUM_F32(i, o) output[o] = input[i] + output[o]
  REDUCE_WALK(params, SUM_F32);
#undef SUM_F32
  return ES_OK;
}

es_status es_reduce_sum_s8(const es_reduce_params *params, const int8_t *input, int32_t *scratch, int8_t *output) {
  for (int32_t i = 0; i < params->outputs; ++i) scratch[i] = 0;
#define SUM_S8(i, o) scratch[o] += input[i]
  REDUCE_WALK(params, SUM_S8);
#undef SUM_S8
  const int32_t zero_point_sum = params->input_offset * params->reduced_count;
  for (int32_t i = 0; i < params->outputs; ++i) {
    int32_t v = es_multiply_by_quantized_multiplier(scratch[i] - zero_point_sum, params->output.scale.multiplier,
                                                    params->output.scale.shift) +
                params->output.zero_point;
    output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
  return ES_OK;
}

typedef struct reduce_data {
  es_reduce_params params;
  es_dtype type;
} reduce_data;

static es_status reduce_prepare(es_op_context *ctx, int is_sum) {
#define FAIL(status, detail) es_op_fail(ctx, status, is_sum ? "SUM: " detail : "REDUCE_MAX: " detail)
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return FAIL(ES_ERR_MODEL_FORMAT, "expects inputs (input, axis) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *axis = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || axis == 0 || output == 0) return FAIL(ES_ERR_MODEL_FORMAT, "missing input, axis or output tensor");
  if (input->type != output->type || (input->type != ES_INT8 && input->type != ES_FLOAT32))
    return FAIL(ES_ERR_UNSUPPORTED, "input and output must both be int8 or both float32");
  if (axis->type != ES_INT32 || !axis->is_constant) return FAIL(ES_ERR_UNSUPPORTED, "axis must be a constant int32 tensor");
  const int32_t rank = input->rank;
  if (rank < 1) return FAIL(ES_ERR_SHAPE, "input must have at least one dimension");
  const int32_t axis_count = es_tensor_elements(axis);
  if (axis_count < 0 || (size_t)axis_count * 4u > axis->bytes) return FAIL(ES_ERR_SHAPE, "axis tensor data shorter than its shape");
  int reduced[ES_MAX_DIMS] = {0};
  for (int32_t i = 0; i < axis_count; ++i) {
    int32_t a = es_op_load_i32((const int32_t *)axis->data, i);
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return FAIL(ES_ERR_SHAPE, "axis out of range");
    reduced[a] = 1;
  }
  reduce_data *d = (reduce_data *)es_op_alloc_persistent(ctx, sizeof(reduce_data));
  if (d == 0) return FAIL(ES_ERR_ARENA_TOO_SMALL, "arena too small for op data");
  memset(d, 0, sizeof *d);
  int64_t n = 1, outputs = 1;
  int32_t kept_rank = 0, stride = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    if (input->dims[i] < 1) return FAIL(ES_ERR_SHAPE, "empty input");
    d->params.dims[i] = input->dims[i];
    d->params.out_stride[i] = reduced[i] ? 0 : stride;
    if (reduced[i]) {
      n *= input->dims[i];
    } else {
      stride *= input->dims[i];
      outputs *= input->dims[i];
      ++kept_rank;
    }
  }
  if (es_tensor_elements(output) != outputs) return FAIL(ES_ERR_SHAPE, "output size != product of the kept dimensions");
  const int keep_dims = es_op_option_int(ctx, OPT_KEEP_DIMS, 0) != 0;
  if (keep_dims ? output->rank != rank : (output->rank != kept_rank && !(kept_rank == 0 && output->rank <= 1)))
    return FAIL(ES_ERR_SHAPE, "output rank does not match keep_dims");
  if (n > (1 << 23)) return FAIL(ES_ERR_UNSUPPORTED, "too many reduced elements (int32 sum could overflow)");
  d->params.rank = rank;
  d->params.outputs = (int32_t)outputs;
  d->params.reduced_count = (int32_t)n;
  d->type = (es_dtype)input->type;
  if (input->type == ES_INT8) {
    if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output))
      return FAIL(ES_ERR_QUANTIZATION, "int8 input and output need one positive scale and zero point");
    if (!is_sum && (input->quant.scale != output->quant.scale || input->quant.zero_point != output->quant.zero_point))
      return FAIL(ES_ERR_QUANTIZATION, "int8 output must share the input's scale and zero point");
    if (is_sum) {
      if (es_quantize_multiplier((double)input->quant.scale / (double)output->quant.scale, &d->params.output.scale) != ES_OK)
        return FAIL(ES_ERR_QUANTIZATION, "input/output scale ratio unusable");
      d->params.input_offset = input->quant.zero_point;
      d->params.output.zero_point = output->quant.zero_point;
      es_status st = es_op_request_scratch(ctx, (size_t)outputs * sizeof(int32_t));
      if (st != ES_OK) return FAIL(st, "cannot reserve scratch for sums");
    }
  }
#undef FAIL
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status reduce_max_prepare(es_op_context *ctx) { return reduce_prepare(ctx, 0); }
static es_status sum_prepare(es_op_context *ctx) { return reduce_prepare(ctx, 1); }

static es_status reduce_max_invoke(es_op_context *ctx) {
  const reduce_data *d = (const reduce_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_reduce_max_f32(&d->params, (const float *)in, (float *)out);
  return es_reduce_max_s8(&d->params, (const int8_t *)in, (int8_t *)out);
}

static es_status sum_invoke(es_op_context *ctx) {
  const reduce_data *d = (const reduce_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_reduce_sum_f32(&d->params, (const float *)in, (float *)out);
  return es_reduce_sum_s8(&d->params, (const int8_t *)in, (int32_t *)es_op_scratch(ctx), (int8_t *)out);
}

const es_op es_op_reduce_max = {82 /* REDUCE_MAX */, "REDUCE_MAX", 3, 0u, reduce_max_prepare, reduce_max_invoke};
const es_op es_op_sum = {74 /* SUM */, "SUM", 2, 0u, sum_prepare, sum_invoke};
