/* FULLY_CONNECTED, int8 activations and weights, optional int32 bias,
 * per-tensor or per-channel weight scales, keep_num_dims (which only shapes
 * the output tensor).
 *
 * Arithmetic is TFLM's reference FullyConnected / FullyConnectedPerChannel:
 *   acc[b][o] = bias[o] + sum_d (filter[o][d] + filter_offset) * (input[b][d] + input_offset)
 * where filter_offset = -filter zero point in the per-tensor kernel and 0 in
 * the per-channel one, then requantized per tensor or per output channel.
 *
 * Speed: four output rows at a time share each input load, and the filter
 * offset leaves the inner loop,
 *   acc = bias + sum_d filter*(input + io) + filter_offset * sum_d (input + io)
 * (equal modulo 2^32, hence bit-exact; the second sum only for asymmetric
 * per-tensor weights).  Nothing per row is stored in the arena: a folded bias
 * table would cost 4 bytes per output row of RAM (6.7 KB on the MLPerf Tiny
 * autoencoder, three times its activations); the compiled schedule keeps its
 * folded bias in flash instead (edgesim/mcu/model_compiler.py).
 */
#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

/* FullyConnectedOptions field ids (schema order). */
enum { OPT_ACTIVATION = 0, OPT_WEIGHTS_FORMAT = 1, OPT_KEEP_NUM_DIMS = 2 };

#define FC_MAX_DEPTH 65536 /* keeps every partial sum inside int32 */

/* The kernel's working copy of its parameters (see es_fully_connected_s8). */
typedef struct fc_data {
  es_channel_requant rq;
  int32_t input_offset;       /* -input zero point */
  int32_t filter_offset;      /* -filter zero point (per-tensor kernel only) */
  int32_t output_zero_point;
  int32_t act_min, act_max;
  int32_t batches, depth, rows;
} fc_data;

/* What prepare() stores for invoke(). */
typedef struct fc_op_data {
  int is_float;
  union {
    es_fully_connected_params s8;
    es_fully_connected_f32_params f32;
  } u;
  int32_t batches, rows, depth; /* the dims are rebuilt at invoke: 12 bytes of arena, not 48 */
} fc_op_data;

static inline int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mul_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }

static es_status fc_prepare(es_op_context *ctx) {
  const int n_in = es_op_input_count(ctx);
  if ((n_in != 2 && n_in != 3) || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "FULLY_CONNECTED: expects inputs (input, weights[, bias]) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || filter == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "FULLY_CONNECTED: missing input, weights or output tensor");
  const int is_float = input->type == ES_FLOAT32;
  if (is_float) {
    if (filter->type != ES_FLOAT32 || output->type != ES_FLOAT32 || (bias != 0 && bias->type != ES_FLOAT32))
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: float32 input needs float32 weights, bias and output");
    if (!es_op_is_aligned(filter, 4) || !es_op_is_aligned(bias, 4))
      return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "FULLY_CONNECTED: float32 weights or bias not 4-byte aligned in the model");
  } else {
    if (input->type != ES_INT8)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: input must be int8 or float32");
    if (filter->type != ES_INT8) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: weights must be int8");
    if (output->type != ES_INT8) return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: output must be int8");
    if (bias != 0 && bias->type != ES_INT32)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: bias must be int32");
  }
  if (es_op_option_int(ctx, OPT_WEIGHTS_FORMAT, 0) != 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: only the DEFAULT weights format is supported");
  if (!is_float && (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output)))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "FULLY_CONNECTED: input and output need one positive scale and zero point");
  if (!is_float && filter->quant.channel_count < 1)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "FULLY_CONNECTED: weights are not quantized");
  if (filter->rank != 2 || output->rank < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "FULLY_CONNECTED: weights must be 2-D [outputs, depth]");
  const int32_t rows = filter->dims[0], depth = filter->dims[1];
  const int32_t in_elements = es_tensor_elements(input);
  if (rows < 1 || depth < 1 || in_elements < 1 || in_elements % depth != 0)
    return es_op_fail(ctx, ES_ERR_SHAPE, "FULLY_CONNECTED: input size is not a multiple of the weights depth");
  if (depth > FC_MAX_DEPTH)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "FULLY_CONNECTED: depth too large (int32 accumulator could overflow)");
  const int32_t batches = in_elements / depth;
  if (output->dims[output->rank - 1] != rows || (int64_t)es_tensor_elements(output) != (int64_t)batches * rows)
    return es_op_fail(ctx, ES_ERR_SHAPE, "FULLY_CONNECTED: output shape != [batches, weight rows]");
  if (bias != 0 && es_tensor_elements(bias) != rows)
    return es_op_fail(ctx, ES_ERR_SHAPE, "FULLY_CONNECTED: bias length != weight rows");
  fc_op_data *data = (fc_op_data *)es_op_alloc_persistent(ctx, sizeof(fc_op_data));
  if (data == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "FULLY_CONNECTED: arena too small for op data");
  data->is_float = is_float;
  data->batches = batches;
  data->rows = rows;
  data->depth = depth;
  if (filter->bytes < (size_t)rows * (size_t)depth * (is_float ? 4u : 1u) || (bias != 0 && bias->bytes < (size_t)rows * 4u))
    return es_op_fail(ctx, ES_ERR_SHAPE, "FULLY_CONNECTED: weights or bias data shorter than their shape");
  const int32_t activation = es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE);
  if (is_float) {
    es_activation_range_f32(activation, &data->u.f32.activation.min, &data->u.f32.activation.max);
    es_op_set_data(ctx, data);
    return ES_OK;
  }

  const int per_channel = filter->quant.channel_count > 1;
  if (!per_channel && (filter->quant.zero_point < -128 || filter->quant.zero_point > 127))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "FULLY_CONNECTED: weights zero point outside the int8 range");
  if (per_channel && filter->quant.channel_count != rows)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "FULLY_CONNECTED: per-channel weights need one scale per row");
  if (!per_channel && bias != 0) {
    /* TFLM's GetQuantizedConvolutionMultipler(): the bias scale (0 when the
     * bias is not quantized) must be the product of input and weight scales,
     * within 2% of an output step. */
    const double product = (double)input->quant.scale * (double)filter->quant.scale;
    double diff = product - (double)bias->quant.scale;
    diff = diff < 0 ? -diff : diff;
    if (!(diff / (double)output->quant.scale <= 0.02))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "FULLY_CONNECTED: bias scale != input scale * weight scale");
  }

  es_fully_connected_params *p = &data->u.s8;
  es_status st = es_activation_range_int8(activation, output->quant.scale, output->quant.zero_point,
                                          &p->activation.min, &p->activation.max);
  if (st != ES_OK) return es_op_fail(ctx, st, "FULLY_CONNECTED: unsupported fused activation");
  if (per_channel) {
    st = es_op_prepare_channel_requant(ctx, input->quant.scale, filter, output->quant.scale, rows, &p->requant);
  } else {
    /* TFLM multiplies the two float scales in float before widening. */
    es_tensor product_scale = *filter;
    product_scale.quant.scale = input->quant.scale * filter->quant.scale;
    st = es_op_prepare_channel_requant(ctx, 1.0f, &product_scale, output->quant.scale, rows, &p->requant);
  }
  if (st == ES_ERR_ARENA_TOO_SMALL) return es_op_fail(ctx, st, "FULLY_CONNECTED: arena too small for multipliers");
  if (st != ES_OK) return es_op_fail(ctx, st, "FULLY_CONNECTED: scales give an unusable output multiplier");
  p->input_offset = -input->quant.zero_point;
  p->filter_offset = per_channel ? 0 : -filter->quant.zero_point;
  p->output_offset = output->quant.zero_point;
  es_op_set_data(ctx, data);
  return ES_OK;
}

static inline int8_t fc_finish(const fc_data *d, int32_t o, int32_t acc) {
  int32_t m;
  int s;
  es_channel_requant_at(&d->rq, o, &m, &s);
  return es_requantize_int8(acc, m, s, d->output_zero_point, d->act_min, d->act_max);
}

static inline int32_t fc_bias(const int32_t *bias, int32_t o) { return bias != 0 ? es_op_load_i32(bias, o) : 0; }

/* One batch: dot products with the input offset, four rows at a time. */
static void fc_batch(const fc_data *d, const int8_t *x, const int8_t *w, const int32_t *bias, int8_t *out) {
  const int32_t depth = d->depth, io = d->input_offset;
  int32_t x_term = 0; /* filter_offset * sum(x + io): non-zero only for asymmetric per-tensor weights */
  if (d->filter_offset != 0) {
    int32_t sum = 0;
    for (int32_t k = 0; k < depth; ++k) sum += x[k] + io;
    x_term = mul_wrap(d->filter_offset, sum);
  }
  int32_t o = 0;
  for (; o + 4 <= d->rows; o += 4) {
    const int8_t *w0 = w + (size_t)o * (size_t)depth;
    const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t k = 0; k < depth; ++k) {
      const int32_t xv = x[k] + io;
      a0 += w0[k] * xv;
      a1 += w1[k] * xv;
      a2 += w2[k] * xv;
      a3 += w3[k] * xv;
    }
    out[o] = fc_finish(d, o, add_wrap(add_wrap(a0, fc_bias(bias, o)), x_term));
    out[o + 1] = fc_finish(d, o + 1, add_wrap(add_wrap(a1, fc_bias(bias, o + 1)), x_term));
    out[o + 2] = fc_finish(d, o + 2, add_wrap(add_wrap(a2, fc_bias(bias, o + 2)), x_term));
    out[o + 3] = fc_finish(d, o + 3, add_wrap(add_wrap(a3, fc_bias(bias, o + 3)), x_term));
  }
  for (; o < d->rows; ++o) {
    const int8_t *w0 = w + (size_t)o * (size_t)depth;
    int32_t a0 = 0;
    for (int32_t k = 0; k < depth; ++k) a0 += w0[k] * (x[k] + io);
    out[o] = fc_finish(d, o, add_wrap(add_wrap(a0, fc_bias(bias, o)), x_term));
  }
}

es_status es_fully_connected_s8(const es_fully_connected_params *params, const es_dims *in_dims, const int8_t *x,
                                const es_dims *filter_dims, const int8_t *w, const int32_t *bias,
                                const es_dims *out_dims, int8_t *out) {
  if (in_dims->c != filter_dims->c || out_dims->c != filter_dims->n) return ES_ERR_ARGUMENT;
  fc_data local; /* see es_depthwise_conv_s8(): no reloads after stores */
  local.rq = params->requant;
  local.input_offset = params->input_offset;
  local.filter_offset = params->filter_offset;
  local.output_zero_point = params->output_offset;
  local.act_min = params->activation.min;
  local.act_max = params->activation.max;
  local.batches = in_dims->n;
  local.depth = in_dims->c;
  local.rows = filter_dims->n;
  const fc_data *d = &local;
  for (int32_t b = 0; b < d->batches; ++b) {
    fc_batch(d, x, w, bias, out);
    x += d->depth;
    out += d->rows;
  }
  return ES_OK;
}

/* TFLM reference_ops::FullyConnected (float): the dot product in depth order
 * from 0.0f, then + bias, then the activation clamp. */
es_status es_fully_connected_f32(const es_fully_connected_f32_params *params, const es_dims *in_dims,
                                 const float *input, const es_dims *filter_dims, const float *filter,
                                 const float *bias, const es_dims *out_dims, float *output) {
  if (in_dims->c != filter_dims->c || out_dims->c != filter_dims->n) return ES_ERR_ARGUMENT;
  const int32_t depth = in_dims->c, rows = filter_dims->n;
  const float lo = params->activation.min, hi = params->activation.max;
  for (int32_t b = 0; b < in_dims->n; ++b, input += depth) {
    for (int32_t o = 0; o < rows; ++o) {
      const float *wo = filter + (size_t)o * (size_t)depth;
      float total = 0.0f;
      for (int32_t k = 0; k < depth; ++k) total += input[k] * wo[k];
      *output++ = es_clamp_f32(total + (bias != 0 ? bias[o] : 0.0f), lo, hi);
    }
  }
  return ES_OK;
}

static es_status fc_invoke(es_op_context *ctx) {
  const fc_op_data *data = (const fc_op_data *)es_op_data(ctx);
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  es_tensor *output = es_op_output(ctx, 0);
  const es_dims in_dims = {data->batches, 1, 1, data->depth}, filter_dims = {data->rows, 1, 1, data->depth};
  const es_dims out_dims = {data->batches, 1, 1, data->rows};
  if (data->is_float)
    return es_fully_connected_f32(&data->u.f32, &in_dims, (const float *)input->data, &filter_dims,
                                  (const float *)filter->data, bias != 0 ? (const float *)bias->data : 0, &out_dims,
                                  (float *)output->data);
  return es_fully_connected_s8(&data->u.s8, &in_dims, (const int8_t *)input->data, &filter_dims,
                               (const int8_t *)filter->data, bias != 0 ? (const int32_t *)bias->data : 0, &out_dims,
                               (int8_t *)output->data);
}

const es_op es_op_fully_connected = {
    9 /* FULLY_CONNECTED */, "FULLY_CONNECTED", 6 /* v1 float, v4 int8, v5 keep_num_dims, v6 no bias */, 0u, fc_prepare, fc_invoke,
};
