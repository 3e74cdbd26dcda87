/* TRANSPOSE_CONV, int8 (per-channel or per-tensor filter scales, int32
 * bias) and float32; inputs (output_shape, filter, input[, bias]).
 *
 * As TFLM (transpose_conv.cc, reference transpose_conv.h): padding is that
 * of a convolution from the output back to the input (ComputePaddingHeightWidth
 * on the output size); every input value scatters
 * (x - input_zp) * filter into an int32 (float) accumulator per output value
 * in the order in_y, in_x, in_channel, filter_y, filter_x, out_channel; then
 * bias, per-channel MultiplyByQuantizedMultiplier with
 * input_scale * filter_scale[c] / output_scale, output zero point and the
 * fused activation's clamp.
 */
#include <float.h>
#include <string.h>

#include "edgesim/nn_matmul.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_PADDING = 0, OPT_STRIDE_W = 1, OPT_STRIDE_H = 2, OPT_ACTIVATION = 3 };
enum { IN_OUTPUT_SHAPE = 0, IN_FILTER = 1, IN_INPUT = 2, IN_BIAS = 3 };

static int32_t load_i32(const void *base, int32_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, sizeof v);
  return v;
}

static float load_f32(const void *base, size_t i) {
  float v;
  memcpy(&v, (const uint8_t *)base + 4 * i, sizeof v);
  return v;
}

/* Calls BODY(input_index, filter_index, output_index) in TFLM's scatter order. */
#define SCATTER(BODY)                                                                                    \
  for (int32_t b = 0; b < input_dims->n; ++b)                                                            \
    for (int32_t in_y = 0; in_y < input_dims->h; ++in_y)                                                 \
      for (int32_t in_x = 0; in_x < input_dims->w; ++in_x)                                               \
        for (int32_t ic = 0; ic < input_dims->c; ++ic) {                                                 \
          const int32_t out_x0 = in_x * params->tile.stride_w - params->tile.pad_w;                      \
          const int32_t out_y0 = in_y * params->tile.stride_h - params->tile.pad_h;                      \
          const size_t in_i = (((size_t)b * input_dims->h + in_y) * input_dims->w + in_x) * input_dims->c + ic; \
          for (int32_t fy = 0; fy < filter_dims->h; ++fy) {                                              \
            const int32_t out_y = out_y0 + fy;                                                           \
            if (out_y < 0 || out_y >= output_dims->h) continue;                                          \
            for (int32_t fx = 0; fx < filter_dims->w; ++fx) {                                            \
              const int32_t out_x = out_x0 + fx;                                                         \
              if (out_x < 0 || out_x >= output_dims->w) continue;                                        \
              const size_t out_base = (((size_t)b * output_dims->h + out_y) * output_dims->w + out_x) * output_dims->c; \
              for (int32_t oc = 0; oc < output_dims->c; ++oc) {                                          \
                const size_t f_i = (((size_t)oc * filter_dims->h + fy) * filter_dims->w + fx) * filter_dims->c + ic; \
                BODY(in_i, f_i, out_base + (size_t)oc);                                                  \
              }                                                                                          \
            }                                                                                            \
          }                                                                                              \
        }

es_status es_transpose_conv_s8(const es_transpose_conv_params *params, const es_qmul *per_channel,
                               const es_dims *input_dims, const int8_t *input, const es_dims *filter_dims,
                               const int8_t *filter, const void *bias, const es_dims *output_dims, int8_t *output,
                               int32_t *scratch) {
  const size_t total = (size_t)output_dims->n * output_dims->h * output_dims->w * output_dims->c;
  memset(scratch, 0, total * sizeof(int32_t));
#define ACCUMULATE_S8(i, f, o) \
  scratch[o] = (int32_t)((uint32_t)scratch[o] + (uint32_t)((input[i] + params->input_offset) * filter[f]))
  SCATTER(ACCUMULATE_S8)
#undef ACCUMULATE_S8
  for (size_t i = 0; i < total; ++i) {
    const int32_t oc = (int32_t)(i % (size_t)output_dims->c);
    int32_t acc = scratch[i];
    if (bias) acc = (int32_t)((uint32_t)acc + (uint32_t)load_i32(bias, oc));
    acc = es_multiply_by_quantized_multiplier(acc, per_channel[oc].multiplier, per_channel[oc].shift) +
          params->output_offset;
    acc = acc < params->activation.min ? params->activation.min : acc;
    acc = acc > params->activation.max ? params->activation.max : acc;
    output[i] = (int8_t)acc;
  }
  return ES_OK;
}

es_status es_transpose_conv_f32(const es_transpose_conv_params *params, const es_dims *input_dims, const float *input,
                                const es_dims *filter_dims, const void *filter, const void *bias,
                                const es_dims *output_dims, float *output) {
  const size_t total = (size_t)output_dims->n * output_dims->h * output_dims->w * output_dims->c;
  for (size_t i = 0; i < total; ++i) output[i] = 0.0f;
#define ACCUMULATE_F32(i, f, o) output[o] += input[i] * load_f32(filter, f)
  SCATTER(ACCUMULATE_F32)
#undef ACCUMULATE_F32
  const float lo = params->activation_f32.min, hi = params->activation_f32.max;
  for (size_t i = 0; i < total; ++i) {
    float acc = output[i];
    if (bias) acc += load_f32(bias, i % (size_t)output_dims->c);
    acc = acc < lo ? lo : acc; /* std::max(acc, lo) */
    output[i] = hi < acc ? hi : acc;
  }
  return ES_OK;
}

typedef struct transpose_conv_data {
  es_transpose_conv_params params;
  es_dims input_dims, filter_dims, output_dims;
  es_qmul *per_channel;
  es_dtype type;
} transpose_conv_data;

/* TFLM's ComputePaddingWithOffset on the output size (dilation 1). */
static int padding_for(int32_t padding, int32_t size, int32_t filter, int32_t stride, int32_t *pad) {
  int64_t out;
  if (padding == ES_PADDING_SAME) out = ((int64_t)size + stride - 1) / stride;
  else if (padding == ES_PADDING_VALID) out = ((int64_t)size + stride - filter) / stride;
  else return 0;
  int64_t total = (out - 1) * stride + filter - size;
  *pad = (int32_t)(total > 0 ? total / 2 : 0);
  return 1;
}

static es_status transpose_conv_prepare(es_op_context *ctx) {
  const int32_t n_in = es_op_input_count(ctx);
  if ((n_in != 3 && n_in != 4) || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "TRANSPOSE_CONV: expects inputs (output_shape, filter, input[, bias]) and one output");
  const es_tensor *filter = es_op_input(ctx, IN_FILTER);
  const es_tensor *input = es_op_input(ctx, IN_INPUT);
  const es_tensor *bias = n_in == 4 ? es_op_input(ctx, IN_BIAS) : 0;
  const es_tensor *output = es_op_output(ctx, 0);
  if (filter == 0 || input == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "TRANSPOSE_CONV: missing filter, input or output tensor");
  const int is_float = input->type == ES_FLOAT32;
  if (input->type != output->type || filter->type != input->type || (!is_float && input->type != ES_INT8))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: input, filter and output must be all int8 or all float32");
  if (bias != 0 && (bias->type != (is_float ? ES_FLOAT32 : ES_INT32)))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: bias must be int32 (int8 model) or float32 (float model)");
  if (input->rank != 4 || filter->rank != 4 || output->rank != 4 || input->dims[0] != output->dims[0] ||
      input->dims[3] != filter->dims[3] || filter->dims[0] != output->dims[3] ||
      (bias != 0 && (es_tensor_elements(bias) != output->dims[3] || bias->bytes < 4u * (size_t)output->dims[3])))
    return es_op_fail(ctx, ES_ERR_SHAPE, "TRANSPOSE_CONV: shapes must be NHWC input/output, [out_c, h, w, in_c] filter, [out_c] bias");
  for (int i = 0; i < 4; ++i)
    if (input->dims[i] < 1 || filter->dims[i] < 1 || output->dims[i] < 1 || output->dims[i] > ES_OP_MAX_SPATIAL ||
        filter->dims[i] > ES_OP_MAX_SPATIAL)
      return es_op_fail(ctx, ES_ERR_SHAPE, "TRANSPOSE_CONV: empty or oversized dimension");
  const int32_t stride_w = es_op_option_int(ctx, OPT_STRIDE_W, 0), stride_h = es_op_option_int(ctx, OPT_STRIDE_H, 0);
  if (stride_w < 1 || stride_h < 1 || stride_w > ES_OP_MAX_SPATIAL || stride_h > ES_OP_MAX_SPATIAL)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: strides must be positive");
  transpose_conv_data *d = (transpose_conv_data *)es_op_alloc_persistent(ctx, sizeof(transpose_conv_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "TRANSPOSE_CONV: arena too small for op data");
  memset(d, 0, sizeof *d);
  const int32_t padding = es_op_option_int(ctx, OPT_PADDING, ES_PADDING_SAME);
  d->params.tile.stride_w = stride_w;
  d->params.tile.stride_h = stride_h;
  d->params.tile.dilation_w = d->params.tile.dilation_h = 1;
  if (!padding_for(padding, output->dims[1], filter->dims[1], stride_h, &d->params.tile.pad_h) ||
      !padding_for(padding, output->dims[2], filter->dims[2], stride_w, &d->params.tile.pad_w))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: padding must be SAME or VALID");
  d->input_dims = es_op_dims_of(input);
  d->filter_dims = es_op_dims_of(filter);
  d->output_dims = es_op_dims_of(output);
  d->type = (es_dtype)input->type;
  const int32_t activation = es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE);
  if (is_float) {
    /* TFLM CalculateActivationRange(). */
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (activation == ES_ACT_RELU) lo = 0.0f;
    else if (activation == ES_ACT_RELU6) lo = 0.0f, hi = 6.0f;
    else if (activation == ES_ACT_RELU_N1_TO_1) lo = -1.0f, hi = 1.0f;
    else if (activation != ES_ACT_NONE)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: unsupported fused activation");
    d->params.activation_f32.min = lo;
    d->params.activation_f32.max = hi;
  } else {
    if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "TRANSPOSE_CONV: input and output need one positive scale and zero point");
    const int32_t channels = output->dims[3];
    const int32_t count = filter->quant.channel_count;
    if ((count != 1 && count != channels) || (count > 1 && filter->quant.channel_axis != 0))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "TRANSPOSE_CONV: filter needs one scale or one per output channel (axis 0)");
    d->per_channel = (es_qmul *)es_op_alloc_persistent(ctx, sizeof(es_qmul) * (size_t)channels);
    if (d->per_channel == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "TRANSPOSE_CONV: arena too small for op data");
    for (int32_t c = 0; c < channels; ++c) {
      const float filter_scale = es_op_channel_scale(filter, count > 1 ? c : 0);
      const double real = (double)input->quant.scale * (double)filter_scale / (double)output->quant.scale;
      if (!(filter_scale >= 0.0f) || es_quantize_multiplier(real, &d->per_channel[c]) != ES_OK)
        return es_op_fail(ctx, ES_ERR_QUANTIZATION, "TRANSPOSE_CONV: unusable input/filter/output scales");
    }
    if (es_activation_range_int8(activation, output->quant.scale, output->quant.zero_point, &d->params.activation.min,
                                 &d->params.activation.max) != ES_OK)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "TRANSPOSE_CONV: unsupported fused activation");
    d->params.input_offset = -input->quant.zero_point;
    d->params.output_offset = output->quant.zero_point;
    const es_status st = es_op_request_scratch(ctx, (size_t)es_tensor_elements(output) * sizeof(int32_t));
    if (st != ES_OK) return es_op_fail(ctx, st, "TRANSPOSE_CONV: cannot reserve scratch for accumulators");
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status transpose_conv_invoke(es_op_context *ctx) {
  const transpose_conv_data *d = (const transpose_conv_data *)es_op_data(ctx);
  const es_tensor *bias = es_op_input_count(ctx) == 4 ? es_op_input(ctx, IN_BIAS) : 0;
  const void *bias_data = bias ? bias->data : 0;
  const void *in = es_op_input(ctx, IN_INPUT)->data;
  const void *filter = es_op_input(ctx, IN_FILTER)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32)
    return es_transpose_conv_f32(&d->params, &d->input_dims, (const float *)in, &d->filter_dims, filter, bias_data,
                                 &d->output_dims, (float *)out);
  return es_transpose_conv_s8(&d->params, d->per_channel, &d->input_dims, (const int8_t *)in, &d->filter_dims,
                              (const int8_t *)filter, bias_data, &d->output_dims, (int8_t *)out,
                              (int32_t *)es_op_scratch(ctx));
}

const es_op es_op_transpose_conv = {67 /* TRANSPOSE_CONV */, "TRANSPOSE_CONV", 4, 0u, transpose_conv_prepare,
                                    transpose_conv_invoke};
