/* Shared geometry and requantization helpers of the op kernels. */
#include "op_common.h"

#include <float.h>

#include "edgesim/model.h" /* ES_ARENA_ALIGN */

es_status es_op_conv_geometry(int32_t padding, int32_t in_size, int32_t filter_size, int32_t stride,
                              int32_t dilation, int32_t *out_size, int32_t *pad_before) {
  if (in_size < 1 || in_size > ES_OP_MAX_SPATIAL || filter_size < 1 || filter_size > ES_OP_MAX_SPATIAL ||
      stride < 1 || stride > ES_OP_MAX_SPATIAL || dilation < 1 || dilation > ES_OP_MAX_SPATIAL)
    return ES_ERR_UNSUPPORTED;
  const int64_t effective_filter = (int64_t)(filter_size - 1) * dilation + 1;
  int64_t out = 0;
  if (padding == ES_PADDING_SAME) {
    out = ((int64_t)in_size + stride - 1) / stride;
  } else if (padding == ES_PADDING_VALID) {
    out = ((int64_t)in_size + stride - effective_filter) / stride;
  } else {
    return ES_ERR_UNSUPPORTED;
  }
  if (out < 1) return ES_ERR_SHAPE;
  /* TFLM pads (total / 2) before and the odd remainder after. */
  int64_t total_pad = (out - 1) * stride + effective_filter - in_size;
  if (total_pad < 0) total_pad = 0;
  if (total_pad / 2 > ES_OP_MAX_SPATIAL) return ES_ERR_UNSUPPORTED;
  *out_size = (int32_t)out;
  *pad_before = (int32_t)(total_pad / 2);
  return ES_OK;
}

int es_op_is_int8_per_tensor(const es_tensor *t) {
  /* A zero point outside the int8 range is meaningless and would let the
   * (x - zero_point) terms overflow. */
  return t != 0 && t->type == ES_INT8 && t->quant.channel_count == 1 && t->quant.scale > 0.0f &&
         t->quant.scale < 3.0e38f && t->quant.zero_point >= -128 && t->quant.zero_point <= 127;
}

es_status es_op_prepare_channel_requant(es_op_context *ctx, float input_scale, const es_tensor *filter,
                                        float output_scale, int32_t channels, es_channel_requant *out) {
  const int32_t count = filter->quant.channel_count;
  if (count != 1 && count != channels) return ES_ERR_QUANTIZATION;
  size_t bytes = 0;
  es_status st = es_channel_requant_size(input_scale, filter->quant.scale, filter->quant.channel_scales, count,
                                         output_scale, &bytes);
  if (st != ES_OK) return st;
  void *table = es_op_alloc_persistent(ctx, bytes);
  if (table == 0) return ES_ERR_ARENA_TOO_SMALL;
  return es_channel_requant_init(out, table, input_scale, filter->quant.scale, filter->quant.channel_scales, count,
                                 output_scale);
}

/* Pool2DOptions field ids (schema order). */
enum { POOL_PADDING = 0, POOL_STRIDE_W = 1, POOL_STRIDE_H = 2, POOL_FILTER_W = 3, POOL_FILTER_H = 4, POOL_ACTIVATION = 5 };

#define POOL_FAIL(status, msg) \
  es_op_fail(ctx, (status), is_average ? "AVERAGE_POOL_2D: " msg : "MAX_POOL_2D: " msg)

es_status es_op_prepare_pool(es_op_context *ctx, int is_average, es_pool_op_data **out) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return POOL_FAIL(ES_ERR_MODEL_FORMAT, "expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return POOL_FAIL(ES_ERR_MODEL_FORMAT, "missing input or output tensor");
  const int is_float = input->type == ES_FLOAT32 && output->type == ES_FLOAT32;
  if (!is_float && (input->type != ES_INT8 || output->type != ES_INT8))
    return POOL_FAIL(ES_ERR_UNSUPPORTED, "only int8 or float32 input and output are supported");
  if (input->rank != 4 || output->rank != 4) return POOL_FAIL(ES_ERR_SHAPE, "input and output must be 4-D (NHWC)");
  if (!is_float) {
    if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output))
      return POOL_FAIL(ES_ERR_QUANTIZATION, "input and output need one positive scale and zero point");
    /* TFLM: |input scale - output scale| <= 1e-6 and equal zero points. */
    float scale_diff = input->quant.scale - output->quant.scale;
    scale_diff = scale_diff < 0 ? -scale_diff : scale_diff;
    if (!((double)scale_diff <= 1.0e-6) || input->quant.zero_point != output->quant.zero_point)
      return POOL_FAIL(ES_ERR_QUANTIZATION, "input and output quantization must be equal");
  }
  if (input->dims[0] < 1 || input->dims[3] < 1 || output->dims[0] != input->dims[0] ||
      output->dims[3] != input->dims[3])
    return POOL_FAIL(ES_ERR_SHAPE, "output batch/channels != input batch/channels");

  es_pool_op_data *data = (es_pool_op_data *)es_op_alloc_persistent(ctx, sizeof(es_pool_op_data));
  if (data == 0) return POOL_FAIL(ES_ERR_ARENA_TOO_SMALL, "arena too small for op data");
  data->is_float = is_float;
  /* The geometry fields are laid out alike in both params structs. */
  es_pool_params g;
  const int32_t padding = es_op_option_int(ctx, POOL_PADDING, ES_PADDING_SAME);
  g.stride_w = es_op_option_int(ctx, POOL_STRIDE_W, 0);
  g.stride_h = es_op_option_int(ctx, POOL_STRIDE_H, 0);
  g.filter_w = es_op_option_int(ctx, POOL_FILTER_W, 0);
  g.filter_h = es_op_option_int(ctx, POOL_FILTER_H, 0);
  int32_t out_h = 0, out_w = 0;
  es_status st = es_op_conv_geometry(padding, input->dims[1], g.filter_h, g.stride_h, 1, &out_h, &g.pad_h);
  if (st == ES_OK) st = es_op_conv_geometry(padding, input->dims[2], g.filter_w, g.stride_w, 1, &out_w, &g.pad_w);
  if (st == ES_ERR_UNSUPPORTED) return POOL_FAIL(st, "invalid padding, filter size or stride (must be >= 1)");
  if (st != ES_OK) return POOL_FAIL(st, "filter larger than the input");
  if (output->dims[1] != out_h || output->dims[2] != out_w)
    return POOL_FAIL(ES_ERR_SHAPE, "output height/width do not match padding, filter and stride");
  const int32_t activation = es_op_option_int(ctx, POOL_ACTIVATION, ES_ACT_NONE);
  if (is_float) {
    es_pool_f32_params *f = &data->u.f32;
    f->stride_w = g.stride_w;
    f->stride_h = g.stride_h;
    f->filter_w = g.filter_w;
    f->filter_h = g.filter_h;
    f->pad_w = g.pad_w;
    f->pad_h = g.pad_h;
    es_activation_range_f32(activation, &f->activation.min, &f->activation.max);
  } else {
    st = es_activation_range_int8(activation, output->quant.scale, output->quant.zero_point, &g.act_min, &g.act_max);
    if (st != ES_OK) return POOL_FAIL(st, "unsupported fused activation");
    data->u.s8 = g;
  }
  data->in_dims = es_op_dims_of(input);
  data->out_dims = es_op_dims_of(output);
  es_op_set_data(ctx, data);
  *out = data;
  return ES_OK;
}

int es_op_forward_overlap(int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h, int32_t out_w, int32_t out_c,
                          int32_t stride_h, int32_t pad_h, int32_t *offset) {
  const int64_t in_row = (int64_t)in_w * in_c, out_row = (int64_t)out_w * out_c;
  const int64_t out_bytes = out_row * out_h;
  int64_t lead = 0; /* bytes the output must start before the input */
  for (int32_t r = 0; r < out_h; ++r) {
    int64_t first_row = (int64_t)r * stride_h - pad_h;
    if (first_row < 0) first_row = 0;
    if (first_row > in_h) first_row = in_h;
    const int64_t need = ((int64_t)(r + 1) * out_row - out_c) - first_row * in_row;
    if (need > lead) lead = need;
    if (lead >= out_bytes) return 0;
  }
  lead = (lead + (int64_t)ES_ARENA_ALIGN - 1) & ~(int64_t)(ES_ARENA_ALIGN - 1);
  if (lead >= out_bytes || lead > INT32_MAX) return 0;
  *offset = (int32_t)-lead;
  return 1;
}

es_status es_op_prepare_binary(es_op_context *ctx, const es_binary_messages *messages, size_t size,
                               int activation_field, es_binary_op_data **out) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, messages->arity);
  const es_tensor *in1 = es_op_input(ctx, 0);
  const es_tensor *in2 = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (in1 == 0 || in2 == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, messages->arity);
  if (in1->type != output->type || in2->type != output->type ||
      (output->type != ES_INT8 && output->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, messages->types);
  const int is_float = output->type == ES_FLOAT32;
  if (is_float && (!es_op_is_aligned(in1, 4) || !es_op_is_aligned(in2, 4)))
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, messages->types);
  if (!is_float && messages->quant != 0 &&
      (!es_op_is_int8_per_tensor(in1) || !es_op_is_int8_per_tensor(in2) || !es_op_is_int8_per_tensor(output)))
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, messages->quant);
  es_binary_op_data *data = (es_binary_op_data *)es_op_alloc_persistent(ctx, size);
  if (data == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, messages->arena);
  const es_shape s1 = es_op_shape_of(in1), s2 = es_op_shape_of(in2), so = es_op_shape_of(output);
  if (es_broadcast_init(&s1, &s2, &so, &data->bc) != ES_OK) return es_op_fail(ctx, ES_ERR_SHAPE, messages->shape);
  data->is_float = is_float;
  data->activation = activation_field < 0 ? ES_ACT_NONE : es_op_option_int(ctx, activation_field, ES_ACT_NONE);
  es_activation_range_f32(data->activation, &data->activation_f32.min, &data->activation_f32.max);
  es_op_set_data(ctx, data);
  *out = data;
  return ES_OK;
}

es_status es_op_check_conv_tensors(es_op_context *ctx, const char *rank_detail, int *is_float) {
  const int n_in = es_op_input_count(ctx);
  if ((n_in != 2 && n_in != 3) || es_op_output_count(ctx) != 1)
    return es_op_fail_named(ctx, ES_ERR_MODEL_FORMAT, "expects inputs (input, filter[, bias]) and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || filter == 0 || output == 0)
    return es_op_fail_named(ctx, ES_ERR_MODEL_FORMAT, "missing input, filter or output tensor");
  *is_float = input->type == ES_FLOAT32;
  if (*is_float) {
    if (filter->type != ES_FLOAT32 || output->type != ES_FLOAT32 || (bias != 0 && bias->type != ES_FLOAT32))
      return es_op_fail_named(ctx, ES_ERR_UNSUPPORTED, "float32 input needs float32 filter, bias and output");
    if (!es_op_is_aligned(filter, 4) || !es_op_is_aligned(bias, 4))
      return es_op_fail_named(ctx, ES_ERR_MODEL_FORMAT, "float32 filter or bias not 4-byte aligned in the model");
  } else {
    if (input->type != ES_INT8) return es_op_fail_named(ctx, ES_ERR_UNSUPPORTED, "input must be int8 or float32");
    if (filter->type != ES_INT8) return es_op_fail_named(ctx, ES_ERR_UNSUPPORTED, "filter must be int8");
    if (output->type != ES_INT8) return es_op_fail_named(ctx, ES_ERR_UNSUPPORTED, "output must be int8");
    if (bias != 0 && bias->type != ES_INT32) return es_op_fail_named(ctx, ES_ERR_UNSUPPORTED, "bias must be int32");
  }
  if (input->rank != 4 || filter->rank != 4 || output->rank != 4) return es_op_fail(ctx, ES_ERR_SHAPE, rank_detail);
  if (!*is_float && (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output)))
    return es_op_fail_named(ctx, ES_ERR_QUANTIZATION, "input and output need one positive scale and zero point");
  if (!*is_float && filter->quant.channel_count < 1)
    return es_op_fail_named(ctx, ES_ERR_QUANTIZATION, "filter is not quantized");
  return ES_OK;
}

es_status es_op_prepare_conv_tile(es_op_context *ctx, const es_conv_option_ids *options, es_tile *tile) {
  const es_tensor *input = es_op_input(ctx, 0), *filter = es_op_input(ctx, 1), *output = es_op_output(ctx, 0);
  const int32_t padding = es_op_option_int(ctx, options->padding, ES_PADDING_SAME);
  tile->stride_w = es_op_option_int(ctx, options->stride_w, 0);
  tile->stride_h = es_op_option_int(ctx, options->stride_h, 0);
  tile->dilation_w = es_op_option_int(ctx, options->dilation_w, 1);
  tile->dilation_h = es_op_option_int(ctx, options->dilation_h, 1);
  int32_t out_h = 0, out_w = 0;
  es_status st = es_op_conv_geometry(padding, input->dims[1], filter->dims[1], tile->stride_h, tile->dilation_h,
                                     &out_h, &tile->pad_h);
  if (st == ES_OK)
    st = es_op_conv_geometry(padding, input->dims[2], filter->dims[2], tile->stride_w, tile->dilation_w, &out_w,
                             &tile->pad_w);
  if (st == ES_ERR_UNSUPPORTED)
    return es_op_fail_named(ctx, st, "invalid padding, stride or dilation (must be >= 1)");
  if (st != ES_OK) return es_op_fail_named(ctx, st, "filter larger than the input");
  if (output->dims[1] != out_h || output->dims[2] != out_w)
    return es_op_fail_named(ctx, ES_ERR_SHAPE, "output height/width do not match padding, stride and dilation");
  return ES_OK;
}

es_status es_op_prepare_conv_s8(es_op_context *ctx, int32_t activation, int32_t channels, es_range_i32 *range,
                                es_channel_requant *requant, int32_t *input_offset, int32_t *output_offset) {
  const es_tensor *input = es_op_input(ctx, 0), *filter = es_op_input(ctx, 1), *output = es_op_output(ctx, 0);
  es_status st = es_activation_range_int8(activation, output->quant.scale, output->quant.zero_point, &range->min,
                                          &range->max);
  if (st != ES_OK) return es_op_fail_named(ctx, st, "unsupported fused activation");
  st = es_op_prepare_channel_requant(ctx, input->quant.scale, filter, output->quant.scale, channels, requant);
  if (st == ES_ERR_ARENA_TOO_SMALL) return es_op_fail_named(ctx, st, "arena too small for channel multipliers");
  if (st != ES_OK) return es_op_fail_named(ctx, st, "scales give an unusable output multiplier");
  *input_offset = -input->quant.zero_point;
  *output_offset = output->quant.zero_point;
  return ES_OK;
}

es_status es_op_pool_f32(const es_pool_f32_params *p, int is_average, const es_dims *in_dims, const float *in,
                         const es_dims *out_dims, float *out) {
  const int32_t in_h = in_dims->h, in_w = in_dims->w, channels = in_dims->c;
  for (int32_t b = 0; b < in_dims->n; ++b) {
    const float *image = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)channels;
    for (int32_t oy = 0; oy < out_dims->h; ++oy) {
      int32_t y0, fy0, fy1;
      es_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        int32_t x0, fx0, fx1;
        es_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
        if (is_average && (fy1 <= fy0 || fx1 <= fx0)) return ES_ERR_ARGUMENT;
        for (int32_t c = 0; c < channels; ++c) {
          float total = 0.0f, count = 0.0f, max = -FLT_MAX;
          for (int32_t fy = fy0; fy < fy1; ++fy)
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              const float v = image[((size_t)(y0 + fy) * (size_t)in_w + (size_t)(x0 + fx)) * (size_t)channels + (size_t)c];
              if (is_average) {
                total += v;
                count += 1.0f;
              } else {
                max = max < v ? v : max; /* std::max(max, v) */
              }
            }
          *out++ = es_clamp_f32(is_average ? total / count : max, p->activation.min, p->activation.max);
        }
      }
    }
  }
  return ES_OK;
}

void es_op_conv_f32(const es_tile *tile, const es_range_f32 *activation, const es_dims *in_dims, const float *input,
                    const es_op_conv_f32_filter *filter, const float *bias, const es_dims *out_dims, float *output) {
  const es_tile t = *tile;
  const es_op_conv_f32_filter f = *filter;
  const float lo = activation->min, hi = activation->max;
  const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
  for (int32_t b = 0; b < in_dims->n; ++b) {
    const float *image = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
    for (int32_t oy = 0; oy < out_dims->h; ++oy) {
      const int32_t y0 = oy * t.stride_h - t.pad_h;
      for (int32_t ox = 0; ox < out_dims->w; ++ox) {
        const int32_t x0 = ox * t.stride_w - t.pad_w;
        for (int32_t c = 0; c < f.out_c; ++c) {
          const int32_t first_in = (c / f.per_group) * f.depth;
          const float *fc = f.data + (size_t)c * f.channel_step;
          float total = 0.0f;
          for (int32_t ky = 0; ky < f.k_h; ++ky) {
            const int32_t iy = y0 + ky * t.dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t kx = 0; kx < f.k_w; ++kx) {
              const int32_t ix = x0 + kx * t.dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              const float *px = image + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c + first_in;
              const float *fk = fc + ((size_t)ky * (size_t)f.k_w + (size_t)kx) * f.tap_step;
              for (int32_t i = 0; i < f.depth; ++i) total += px[i] * fk[i];
            }
          }
          *output++ = es_clamp_f32(total + (bias != 0 ? bias[c] : 0.0f), lo, hi);
        }
      }
    }
  }
}

typedef struct add_sub_op_data {
  es_binary_op_data base;
  es_add_params s8;
} add_sub_op_data;

es_status es_op_prepare_add_sub(es_op_context *ctx, const es_add_sub_op *op) {
  es_binary_op_data *base = 0;
  es_status st = es_op_prepare_binary(ctx, &op->messages, sizeof(add_sub_op_data), 0 /* fused_activation_function */,
                                      &base);
  if (st != ES_OK || base->is_float) return st;
  const es_tensor *in1 = es_op_input(ctx, 0), *in2 = es_op_input(ctx, 1), *out = es_op_output(ctx, 0);
  st = op->s8_params(in1->quant.scale, in1->quant.zero_point, in2->quant.scale, in2->quant.zero_point,
                     out->quant.scale, out->quant.zero_point, base->activation, &((add_sub_op_data *)base)->s8);
  if (st == ES_ERR_UNSUPPORTED) return es_op_fail(ctx, st, op->activation_message);
  if (st != ES_OK) return es_op_fail(ctx, st, op->multiplier_message);
  return ES_OK;
}

es_status es_op_invoke_add_sub(es_op_context *ctx, const es_add_sub_op *op) {
  const add_sub_op_data *d = (const add_sub_op_data *)es_op_data(ctx);
  const void *in1 = es_op_input(ctx, 0)->data, *in2 = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->base.is_float)
    return op->f32(&d->base.activation_f32, &d->base.bc, (const float *)in1, (const float *)in2, (float *)out);
  return op->s8(&d->s8, &d->base.bc, (const int8_t *)in1, (const int8_t *)in2, (int8_t *)out);
}
