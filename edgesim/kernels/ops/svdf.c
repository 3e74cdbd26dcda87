/* SVDF, int8 and float32: inputs (input, weights_feature, weights_time,
 * bias, activation_state), the state a variable tensor.
 *
 * Arithmetic is TFLM's svdf_common.cc, per time step:
 *   1. shift every state row left by one (drop the oldest of `memory` slots);
 *   2. newest slot of filter f = weights_feature[f] . (input - input_zp),
 *      int8: MBQM by input*feature/state scale, clamped to the state type,
 *      plus the state zero point (stored with the state type's wrap-around);
 *   3. per filter: sum over memory of weights_time * (state - state_zp);
 *   4. per unit: bias + the sum of its `rank` filters, int8: MBQM by
 *      state*time/output scale + output_zp, clamped to int8; float: the fused
 *      activation (TFLM's int8 path applies none).
 * Effective scales are float products and quotients converted to double, as
 * in TFLM; int8 models need a bias whose scale is state_scale * time_scale.
 */
#include <math.h>
#include <string.h>

#include "edgesim/nn_sequence.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_RANK = 0, OPT_ACTIVATION = 1 };
enum { IN_INPUT = 0, IN_FEATURE = 1, IN_TIME = 2, IN_BIAS = 3, IN_STATE = 4 };

static int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t mul_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }

static float load_f32(const void *base, size_t i) {
  float v;
  memcpy(&v, (const uint8_t *)base + 4 * i, sizeof v);
  return v;
}

static int32_t load_i32(const void *base, size_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * i, sizeof v);
  return v;
}

/* Element i of an int8 or int16 array. */
static int32_t load_state(const void *p, int is_16, size_t i) {
  if (!is_16) return ((const int8_t *)p)[i];
  int16_t v;
  memcpy(&v, (const uint8_t *)p + 2 * i, sizeof v);
  return v;
}

static void store_state(void *p, int is_16, size_t i, int32_t v) {
  if (!is_16) {
    ((int8_t *)p)[i] = (int8_t)v;
  } else {
    const int16_t s = (int16_t)v;
    memcpy((uint8_t *)p + 2 * i, &s, sizeof s);
  }
}

es_status es_svdf_s8(const es_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const void *weights_time, const void *bias, void *state, int state_is_16, int32_t *scratch,
                     int8_t *output) {
  const int32_t batch = params->batch, filters = params->filters, memory = params->memory;
  const int32_t units = filters / params->rank;
  const size_t state_len = (size_t)batch * filters * memory;
  const size_t width = state_is_16 ? 2u : 1u;
  memmove(state, (const uint8_t *)state + width, (state_len - 1) * width);
  const int32_t lo = state_is_16 ? INT16_MIN : INT8_MIN, hi = state_is_16 ? INT16_MAX : INT8_MAX;
  for (int32_t b = 0; b < batch; ++b) {
    const int8_t *w = weights_feature;
    for (int32_t f = 0; f < filters; ++f) {
      int32_t dot = 0;
      for (int32_t c = 0; c < params->input_size; ++c)
        dot = add_wrap(dot, *w++ * (input[(size_t)b * params->input_size + c] - params->input_offset));
      dot = es_multiply_by_quantized_multiplier(dot, params->feature_scale.multiplier, params->feature_scale.shift);
      dot = dot < lo ? lo : (dot > hi ? hi : dot);
      store_state(state, state_is_16, ((size_t)b * filters + f) * memory + (memory - 1), params->state_offset + dot);
    }
  }
  int32_t *filter_sums = scratch;
  int32_t *unit_sums = scratch + (size_t)batch * filters;
  for (int32_t b = 0; b < batch; ++b) {
    for (int32_t f = 0; f < filters; ++f) {
      int32_t sum = 0;
      for (int32_t m = 0; m < memory; ++m) {
        const size_t s = ((size_t)b * filters + f) * memory + m;
        sum = add_wrap(sum, mul_wrap(load_state(weights_time, state_is_16, (size_t)f * memory + m),
                                     load_state(state, state_is_16, s) - params->state_offset));
      }
      filter_sums[(size_t)b * filters + f] = sum;
    }
  }
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t u = 0; u < units; ++u) {
      int32_t acc = bias ? load_i32(bias, (size_t)u) : 0;
      for (int32_t r = 0; r < params->rank; ++r) acc = add_wrap(acc, filter_sums[(size_t)b * filters + (size_t)u * params->rank + r]);
      unit_sums[(size_t)b * units + u] = acc;
    }
  for (int32_t i = 0; i < batch * units; ++i) {
    int32_t v = es_multiply_by_quantized_multiplier(unit_sums[i], params->time_scale.multiplier, params->time_scale.shift) +
                params->output_offset;
    output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
  return ES_OK;
}

/* TFLM ActivationValFloat() for the schema's fused activations. */
static float activation_value(int32_t activation, float a) {
  switch (activation) {
    case ES_ACT_RELU: return fmaxf(0.0f, a);
    case ES_ACT_RELU_N1_TO_1: return fmaxf(-1.0f, fminf(a, 1.0f));
    case ES_ACT_RELU6: return fmaxf(0.0f, fminf(a, 6.0f));
    case ES_ACT_TANH: return es_tanhf(a); /* glibc's tanhf, as TFLM on the oracle */
    case ES_ACT_SIGN_BIT: return signbit(a) ? 1.0f : 0.0f;
    default: return a;
  }
}

es_status es_svdf_f32(const es_svdf_params *params, const float *input, const void *weights_feature,
                      const void *weights_time, const void *bias, float *state, float *scratch, float *output) {
  const int32_t batch = params->batch, filters = params->filters, memory = params->memory;
  const int32_t units = filters / params->rank;
  const size_t state_len = (size_t)batch * filters * memory;
  memmove(state, state + 1, (state_len - 1) * sizeof(float));
  for (int32_t b = 0; b < batch; ++b) {
    size_t w = 0;
    for (int32_t f = 0; f < filters; ++f) {
      float dot = 0.0f;
      for (int32_t c = 0; c < params->input_size; ++c) dot += load_f32(weights_feature, w++) * input[(size_t)b * params->input_size + c];
      state[((size_t)b * filters + f) * memory + (memory - 1)] = dot;
    }
  }
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t f = 0; f < filters; ++f) {
      float sum = 0.0f;
      for (int32_t m = 0; m < memory; ++m)
        sum += load_f32(weights_time, (size_t)f * memory + m) * state[((size_t)b * filters + f) * memory + m];
      scratch[(size_t)b * filters + f] = sum;
    }
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t u = 0; u < units; ++u) {
      float acc = bias ? load_f32(bias, (size_t)u) : 0.0f;
      for (int32_t r = 0; r < params->rank; ++r) acc += scratch[(size_t)b * filters + (size_t)u * params->rank + r];
      output[(size_t)b * units + u] = activation_value(params->activation, acc);
    }
  return ES_OK;
}

typedef struct svdf_data {
  es_svdf_params params;
  es_dtype type;
  int state_is_16;
} svdf_data;

static es_status svdf_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 5 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SVDF: expects inputs (input, weights_feature, weights_time, bias, state) and one output");
  const es_tensor *input = es_op_input(ctx, IN_INPUT);
  const es_tensor *feature = es_op_input(ctx, IN_FEATURE);
  const es_tensor *time = es_op_input(ctx, IN_TIME);
  const es_tensor *bias = es_op_input(ctx, IN_BIAS);
  const es_tensor *state = es_op_input(ctx, IN_STATE);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || feature == 0 || time == 0 || state == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SVDF: missing input, weights, state or output tensor");
  if (!state->is_variable || state->is_constant)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "SVDF: the state must be a variable tensor");
  const int32_t rank = es_op_option_int(ctx, OPT_RANK, 0);
  if (input->rank != 2 || feature->rank != 2 || time->rank != 2 || state->rank != 2 || output->rank != 2 || rank < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "SVDF: input, weights, state and output must be 2-D and rank >= 1");
  const int32_t batch = input->dims[0], input_size = input->dims[1], filters = feature->dims[0], memory = time->dims[1];
  if (batch < 1 || input_size < 1 || filters < 1 || memory < 1 || filters % rank != 0 || feature->dims[1] != input_size ||
      time->dims[0] != filters || state->dims[0] != batch || state->dims[1] != memory * filters ||
      output->dims[0] != batch || output->dims[1] != filters / rank ||
      (bias != 0 && (bias->rank != 1 || bias->dims[0] != filters / rank)))
    return es_op_fail(ctx, ES_ERR_SHAPE, "SVDF: shapes must be input [b, n], weights [f, n] and [f, m], bias [f/rank], state [b, m*f], output [b, f/rank]");
  svdf_data *d = (svdf_data *)es_op_alloc_persistent(ctx, sizeof(svdf_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "SVDF: arena too small for op data");
  memset(d, 0, sizeof *d);
  es_svdf_params *p = &d->params;
  p->batch = batch;
  p->input_size = input_size;
  p->filters = filters;
  p->rank = rank;
  p->memory = memory;
  p->activation = es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE);
  d->type = (es_dtype)input->type;
  size_t scratch;
  if (input->type == ES_FLOAT32) {
    if (feature->type != ES_FLOAT32 || time->type != ES_FLOAT32 || state->type != ES_FLOAT32 ||
        output->type != ES_FLOAT32 || (bias != 0 && bias->type != ES_FLOAT32))
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SVDF: a float32 input needs float32 weights, bias, state and output");
    if (p->activation < ES_ACT_NONE || p->activation > ES_ACT_SIGN_BIT)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SVDF: unknown fused activation");
    scratch = (size_t)batch * filters * sizeof(float);
  } else if (input->type == ES_INT8) {
    d->state_is_16 = time->type == ES_INT16;
    if (feature->type != ES_INT8 || (time->type != ES_INT16 && time->type != ES_INT8) || state->type != time->type ||
        output->type != ES_INT8)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SVDF: an int8 input needs int8 feature weights, int16 (or int8) time weights and state of that type, int8 output");
    if (bias == 0 || bias->type != ES_INT32)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SVDF: int8 models need an int32 bias");
    if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output) || !(feature->quant.scale > 0.0f) ||
        !(time->quant.scale > 0.0f) || !(state->quant.scale > 0.0f))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SVDF: input, weights, state and output need positive scales");
    if (fabs((double)bias->quant.scale - (double)(state->quant.scale * time->quant.scale)) >= 1e-5)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SVDF: bias scale must be state scale * time weights scale");
    const double s1 = (double)(input->quant.scale * feature->quant.scale / state->quant.scale);
    const double s2 = (double)(state->quant.scale * time->quant.scale / output->quant.scale);
    if (es_quantize_multiplier(s1, &p->feature_scale) != ES_OK || es_quantize_multiplier(s2, &p->time_scale) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "SVDF: unusable scales");
    p->input_offset = input->quant.zero_point;
    p->state_offset = state->quant.zero_point;
    p->output_offset = output->quant.zero_point;
    scratch = ((size_t)batch * filters + (size_t)batch * (filters / rank)) * sizeof(int32_t);
  } else {
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "SVDF: input must be int8 or float32");
  }
  const es_status st = es_op_request_scratch(ctx, scratch);
  if (st != ES_OK) return es_op_fail(ctx, st, "SVDF: cannot reserve scratch");
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status svdf_invoke(es_op_context *ctx) {
  const svdf_data *d = (const svdf_data *)es_op_data(ctx);
  const es_tensor *bias = es_op_input(ctx, IN_BIAS);
  const void *bias_data = bias ? bias->data : 0;
  const void *feature = es_op_input(ctx, IN_FEATURE)->data;
  const void *time = es_op_input(ctx, IN_TIME)->data;
  void *state = es_op_input(ctx, IN_STATE)->data;
  const void *in = es_op_input(ctx, IN_INPUT)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32)
    return es_svdf_f32(&d->params, (const float *)in, feature, time, bias_data, (float *)state,
                       (float *)es_op_scratch(ctx), (float *)out);
  return es_svdf_s8(&d->params, (const int8_t *)in, (const int8_t *)feature, time, bias_data, state, d->state_is_16,
                    (int32_t *)es_op_scratch(ctx), (int8_t *)out);
}

const es_op es_op_svdf = {27 /* SVDF */, "SVDF", 4, 0u, svdf_prepare, svdf_invoke};
