/* DEPTHWISE_CONV_2D, int8 activations and weights, int32 bias; per-tensor or
 * per-channel weight scales; any stride, dilation, SAME/VALID padding and
 * depth multiplier.
 *
 * Arithmetic is TFLM's reference DepthwiseConvPerChannel: output channel
 * c = i * depth_multiplier + m of input channel i gets
 *   acc = bias[c] + sum over taps inside the image of
 *         filter[0][ky][kx][c] * (input[iy][ix][i] - input_zero_point)
 *   out = clamp(MultiplyByQuantizedMultiplier(acc, m[c], s[c]) + out_zp)
 * (taps outside the image contribute nothing; the filter zero point is
 * ignored, as in TFLM).
 *
 * Speed: per output pixel the valid tap window is computed once (no bounds
 * test per tap) and the raw sums of all its channels go to an int32 row in
 * scratch memory that es_requantize_row() turns into int8 in one tight
 * loop.  Loop orders for the sums (same results):
 *  - depth multiplier > 1: channels outer in blocks kept in registers, taps
 *    inner, so each input value is loaded once per block (on Cortex-M blocks
 *    of eight, SXTB16 + SMLABB/SMLATB);
 *  - depth multiplier 1 on Cortex-M (ES_OPS_MCU_LOOPS): four channels per
 *    32-bit load, SXTB16 + SADD16 (input offset) + SMLABB/SMLATT;
 *  - depth multiplier 1 on the host: taps outer, channels inner, accumulating
 *    into the row; the channel loop runs a multiple of 16 iterations so
 *    compilers vectorize it.
 */
#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

/* DepthwiseConv2DOptions field ids (schema order). */
enum {
  OPT_PADDING = 0,
  OPT_STRIDE_W = 1,
  OPT_STRIDE_H = 2,
  OPT_DEPTH_MULTIPLIER = 3,
  OPT_ACTIVATION = 4,
  OPT_DILATION_W = 5,
  OPT_DILATION_H = 6
};

/* The kernel's working copy of its parameters (see es_depthwise_conv_s8). */
typedef struct dw_data {
  es_channel_requant rq;
  int32_t input_offset; /* -input zero point */
  int32_t output_zero_point;
  int32_t act_min, act_max;
  int32_t stride_w, stride_h, dilation_w, dilation_h, pad_w, pad_h;
  int32_t depth_multiplier;
} dw_data;

/* What prepare() stores for invoke(): the params of one of the kernels. */
typedef struct dw_op_data {
  int is_float;
  union {
    es_depthwise_conv_params s8;
    es_depthwise_conv_f32_params f32;
  } u;
} dw_op_data;

size_t es_depthwise_conv_s8_scratch_size(const es_dims *filter_dims) {
  /* One int32 row of raw sums per output pixel, requantized in one loop. */
  return (size_t)filter_dims->c * sizeof(int32_t);
}

static const es_conv_option_ids k_options = {OPT_PADDING, OPT_STRIDE_W, OPT_STRIDE_H, OPT_DILATION_W, OPT_DILATION_H};

static es_status dw_prepare(es_op_context *ctx) {
  int is_float = 0;
  es_status st = es_op_check_conv_tensors(
      ctx, "DEPTHWISE_CONV_2D: input, filter and output must be 4-D (NHWC, 1HWC)", &is_float);
  if (st != ES_OK) return st;
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  const es_tensor *output = es_op_output(ctx, 0);
  const int32_t batches = input->dims[0], in_h = input->dims[1], in_w = input->dims[2], in_c = input->dims[3];
  const int32_t k_h = filter->dims[1], k_w = filter->dims[2], out_c = filter->dims[3];
  const int32_t multiplier = es_op_option_int(ctx, OPT_DEPTH_MULTIPLIER, 0);
  if (batches < 1 || in_c < 1 || out_c < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: empty input or filter");
  if (filter->dims[0] != 1) return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: filter must have shape [1, h, w, c]");
  if (multiplier < 1 || (int64_t)in_c * multiplier != out_c)
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: output channels != input channels * depth multiplier");
  if (output->dims[0] != batches || output->dims[3] != out_c)
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: output batch/channels do not match input/filter");
  if (bias != 0 && es_tensor_elements(bias) != out_c)
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: bias length != output channels");
  if (filter->bytes < (size_t)es_tensor_elements(filter) * (is_float ? 4u : 1u) ||
      (bias != 0 && bias->bytes < (size_t)out_c * 4u))
    return es_op_fail(ctx, ES_ERR_SHAPE, "DEPTHWISE_CONV_2D: filter or bias data shorter than their shape");
  if (!is_float && filter->quant.channel_count != 1 && filter->quant.channel_count != out_c)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "DEPTHWISE_CONV_2D: filter needs 1 or output-channels scales");
  if ((int64_t)k_h * k_w > 65536)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "DEPTHWISE_CONV_2D: filter too large (int32 accumulator could overflow)");

  dw_op_data *data = (dw_op_data *)es_op_alloc_persistent(ctx, sizeof(dw_op_data));
  if (data == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "DEPTHWISE_CONV_2D: arena too small for op data");
  data->is_float = is_float;
  es_tile *tile = is_float ? &data->u.f32.tile : &data->u.s8.tile;
  if (is_float) data->u.f32.depth_multiplier = multiplier;
  else data->u.s8.depth_multiplier = multiplier;
  st = es_op_prepare_conv_tile(ctx, &k_options, tile);
  if (st != ES_OK) return st;
  const int32_t activation = es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE);
  if (is_float) {
    es_activation_range_f32(activation, &data->u.f32.activation.min, &data->u.f32.activation.max);
    es_op_set_data(ctx, data);
    return ES_OK;
  }
  es_depthwise_conv_params *p = &data->u.s8;
  st = es_op_prepare_conv_s8(ctx, activation, out_c, &p->activation, &p->requant, &p->input_offset, &p->output_offset);
  if (st != ES_OK) return st;
  const es_dims filter_dims = es_op_dims_of(filter);
  st = es_op_request_scratch(ctx, es_depthwise_conv_s8_scratch_size(&filter_dims));
  if (st != ES_OK) return es_op_fail(ctx, st, "DEPTHWISE_CONV_2D: cannot reserve scratch for channel sums");
  /* es_depthwise_conv_s8 walks pixels in order and sums a pixel's window
   * into scratch before writing it: the output may overlap the input's
   * consumed part. */
  int32_t overlap;
  if (batches == 1 && es_op_forward_overlap(in_h, in_w, in_c, output->dims[1], output->dims[2], out_c,
                                            tile->stride_h, tile->pad_h, &overlap))
    es_op_allow_output_overlap(ctx, overlap);
  es_op_set_data(ctx, data);
  return ES_OK;
}

/* First tap index k >= 0 with origin + k * dilation >= 0, and one past the
 * last with origin + k * dilation < size. */
static void valid_taps(int32_t origin, int32_t dilation, int32_t size, int32_t taps, int32_t *first, int32_t *end) {
  int32_t k0 = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
  int32_t k1 = origin < size ? (size - origin + dilation - 1) / dilation : 0;
  if (k1 > taps) k1 = taps;
  if (k0 > k1) k0 = k1;
  *first = k0;
  *end = k1;
}

typedef struct window {
  int32_t ky0, ky1, kx0, kx1; /* valid tap ranges */
  int32_t y0, x0;             /* input position of tap (0, 0) */
} window;


#if ES_OPS_MCU_LOOPS
/* depth_multiplier == 1: output channel c reads input channel c. */
/* Not inlined: inside dw_invoke's loop nest gcc spills the tap loop. */
static ES_OP_NOINLINE void dw_pixel_m1(const dw_data *d, const window *w, const int8_t *image, int32_t in_w,
                                       int32_t channels, int32_t k_w, const int8_t *filter, int32_t *sum) {
  const int32_t off = d->input_offset;
  /* The input offset in both int16 halves, added two channels at a time. */
  const int32_t off_pair = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
  const int32_t tap_x_step = d->dilation_w * channels;
  const int32_t taps_x = w->kx1 - w->kx0;
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    /* Four channels per 32-bit load; SXTB16 splits them into (c, c+2) and
     * (c+1, c+3) int16 pairs, SMLABB / SMLATT multiply-add each half. */
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
      const int32_t iy = w->y0 + ky * d->dilation_h;
      const int8_t *x = image + ((size_t)iy * (size_t)in_w + (size_t)(w->x0 + w->kx0 * d->dilation_w)) * (size_t)channels + c;
      const int8_t *f = filter + ((size_t)ky * (size_t)k_w + (size_t)w->kx0) * (size_t)channels + c;
      for (int32_t n = taps_x; n > 0; --n) {
        const uint32_t xw = es_load_u32(x), fw = es_load_u32(f);
        const int32_t x_even = es_sadd16(es_sxtb16(xw), off_pair);
        const int32_t x_odd = es_sadd16(es_sxtb16_ror8(xw), off_pair);
        const int32_t f_even = es_sxtb16(fw), f_odd = es_sxtb16_ror8(fw);
        a0 = es_smlabb(f_even, x_even, a0);
        a2 = es_smlatt(f_even, x_even, a2);
        a1 = es_smlabb(f_odd, x_odd, a1);
        a3 = es_smlatt(f_odd, x_odd, a3);
        x += tap_x_step;
        f += channels;
      }
    }
    sum[c] = a0;
    sum[c + 1] = a1;
    sum[c + 2] = a2;
    sum[c + 3] = a3;
  }
  for (; c < channels; ++c) {
    int32_t acc = 0;
    for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
      const int32_t iy = w->y0 + ky * d->dilation_h;
      const int8_t *x = image + ((size_t)iy * (size_t)in_w + (size_t)(w->x0 + w->kx0 * d->dilation_w)) * (size_t)channels + c;
      const int8_t *f = filter + ((size_t)ky * (size_t)k_w + (size_t)w->kx0) * (size_t)channels + c;
      for (int32_t n = taps_x; n > 0; --n) {
        acc += *f * (*x + off);
        x += tap_x_step;
        f += channels;
      }
    }
    sum[c] = acc;
  }
}
#endif

/* depth_multiplier > 1: the M output channels of input channel i share one
 * input value per tap. */
static void dw_pixel_mn(const dw_data *d, const window *w, const int8_t *image, int32_t in_w, int32_t in_c,
                        int32_t k_w, const int8_t *filter, int32_t *sum) {
  const int32_t off = d->input_offset;
  const int32_t mult = d->depth_multiplier;
  const int32_t out_c = in_c * mult;
  for (int32_t i = 0; i < in_c; ++i) {
    int32_t m = 0;
#if ES_OPS_MCU_LOOPS
    /* Eight outputs share each input value: two filter words split by SXTB16
     * into int16 halves feed SMLABB/SMLATB (one instruction per multiply-add). */
    for (; m + 8 <= mult; m += 8) {
      const int32_t c = i * mult + m;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
        const int32_t iy = w->y0 + ky * d->dilation_h;
        const int8_t *x = image + ((size_t)iy * (size_t)in_w + (size_t)(w->x0 + w->kx0 * d->dilation_w)) * (size_t)in_c + i;
        const int8_t *f = filter + ((size_t)ky * (size_t)k_w + (size_t)w->kx0) * (size_t)out_c + c;
        for (int32_t n = w->kx1 - w->kx0; n > 0; --n) {
          const int32_t xv = *x + off;
          const uint32_t lo = es_load_u32(f), hi = es_load_u32(f + 4);
          const int32_t lo_even = es_sxtb16(lo), lo_odd = es_sxtb16_ror8(lo);
          const int32_t hi_even = es_sxtb16(hi), hi_odd = es_sxtb16_ror8(hi);
          a0 = es_smlabb(lo_even, xv, a0);
          a2 = es_smlatb(lo_even, xv, a2);
          a1 = es_smlabb(lo_odd, xv, a1);
          a3 = es_smlatb(lo_odd, xv, a3);
          a4 = es_smlabb(hi_even, xv, a4);
          a6 = es_smlatb(hi_even, xv, a6);
          a5 = es_smlabb(hi_odd, xv, a5);
          a7 = es_smlatb(hi_odd, xv, a7);
          x += d->dilation_w * in_c;
          f += out_c;
        }
      }
      sum[c] = a0;
      sum[c + 1] = a1;
      sum[c + 2] = a2;
      sum[c + 3] = a3;
      sum[c + 4] = a4;
      sum[c + 5] = a5;
      sum[c + 6] = a6;
      sum[c + 7] = a7;
    }
#endif
    for (; m + 4 <= mult; m += 4) {
      const int32_t c = i * mult + m;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
        const int32_t iy = w->y0 + ky * d->dilation_h;
        const int8_t *x = image + ((size_t)iy * (size_t)in_w + (size_t)(w->x0 + w->kx0 * d->dilation_w)) * (size_t)in_c + i;
        const int8_t *f = filter + ((size_t)ky * (size_t)k_w + (size_t)w->kx0) * (size_t)out_c + c;
        for (int32_t kx = w->kx0; kx < w->kx1; ++kx) {
          const int32_t xv = *x + off;
          a0 += f[0] * xv;
          a1 += f[1] * xv;
          a2 += f[2] * xv;
          a3 += f[3] * xv;
          x += d->dilation_w * in_c;
          f += out_c;
        }
      }
      sum[c] = a0;
      sum[c + 1] = a1;
      sum[c + 2] = a2;
      sum[c + 3] = a3;
    }
    for (; m < mult; ++m) {
      const int32_t c = i * mult + m;
      int32_t acc = 0;
      for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
        const int32_t iy = w->y0 + ky * d->dilation_h;
        const int8_t *x = image + ((size_t)iy * (size_t)in_w + (size_t)(w->x0 + w->kx0 * d->dilation_w)) * (size_t)in_c + i;
        const int8_t *f = filter + ((size_t)ky * (size_t)k_w + (size_t)w->kx0) * (size_t)out_c + c;
        for (int32_t kx = w->kx0; kx < w->kx1; ++kx) {
          acc += *f * (*x + off);
          x += d->dilation_w * in_c;
          f += out_c;
        }
      }
      sum[c] = acc;
    }
  }
}

#if !ES_OPS_MCU_LOOPS
/* acc[c] += f[c] * (x[c] + off) for c < n: one tap of a whole pixel. */
static ES_OP_NOINLINE void accumulate_tap(int32_t *restrict acc, const int8_t *restrict x, const int8_t *restrict f,
                                          int32_t n, int32_t off) {
  const int32_t n16 = n & ~15;
  for (int32_t c = 0; c < n16; ++c) acc[c] += f[c] * (x[c] + off);
  for (int32_t c = n16; c < n; ++c) acc[c] += f[c] * (x[c] + off);
}

/* depth_multiplier == 1, accumulated tap by tap into the scratch row. */
static void dw_pixel_m1_scratch(const dw_data *d, const window *w, const int8_t *image, int32_t in_w, int32_t channels,
                                int32_t k_w, const int8_t *filter, int32_t *acc) {
  for (int32_t c = 0; c < channels; ++c) acc[c] = 0;
  for (int32_t ky = w->ky0; ky < w->ky1; ++ky) {
    const int32_t iy = w->y0 + ky * d->dilation_h;
    for (int32_t kx = w->kx0; kx < w->kx1; ++kx) {
      const int32_t ix = w->x0 + kx * d->dilation_w;
      accumulate_tap(acc, image + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)channels,
                     filter + ((size_t)ky * (size_t)k_w + (size_t)kx) * (size_t)channels, channels, d->input_offset);
    }
  }
}
#endif

/* The pixel loops, in a function of their own with the dims passed by value
 * and the parameters copied locally: nothing the int8 output stores could
 * alias, and the caller's unpacking stays out of the loops' register
 * allocation (each measurably cost Cortex-M4 instructions per pixel). */
static ES_OP_NOINLINE void dw_run(const es_depthwise_conv_params *params, const es_dims in_dims_v,
                                  const int8_t *in, const es_dims filter_dims_v, const int8_t *filter,
                                  const int32_t *bias, const es_dims out_dims_v, int8_t *out, void *scratch) {
  const es_dims *in_dims = &in_dims_v, *filter_dims = &filter_dims_v, *out_dims = &out_dims_v;
  dw_data local;
  local.rq = params->requant;
  local.input_offset = params->input_offset;
  local.output_zero_point = params->output_offset;
  local.act_min = params->activation.min;
  local.act_max = params->activation.max;
  local.stride_w = params->tile.stride_w;
  local.stride_h = params->tile.stride_h;
  local.dilation_w = params->tile.dilation_w;
  local.dilation_h = params->tile.dilation_h;
  local.pad_w = params->tile.pad_w;
  local.pad_h = params->tile.pad_h;
  local.depth_multiplier = params->depth_multiplier;
  const dw_data *d = &local;
  const int32_t batches = in_dims->n, in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
  const int32_t k_h = filter_dims->h, k_w = filter_dims->w, out_c = filter_dims->c;
  const int32_t out_h = out_dims->h, out_w = out_dims->w;
  int32_t *sum = (int32_t *)scratch;
  const size_t image_size = (size_t)in_h * (size_t)in_w * (size_t)in_c;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * image_size;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      window w;
      w.y0 = oy * d->stride_h - d->pad_h;
      valid_taps(w.y0, d->dilation_h, in_h, k_h, &w.ky0, &w.ky1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        w.x0 = ox * d->stride_w - d->pad_w;
        valid_taps(w.x0, d->dilation_w, in_w, k_w, &w.kx0, &w.kx1);
        if (d->depth_multiplier != 1)
          dw_pixel_mn(d, &w, image, in_w, in_c, k_w, filter, sum);
        else
#if ES_OPS_MCU_LOOPS
          dw_pixel_m1(d, &w, image, in_w, in_c, k_w, filter, sum);
#else
          dw_pixel_m1_scratch(d, &w, image, in_w, in_c, k_w, filter, sum);
#endif
        es_requantize_row(sum, bias, &d->rq, out_c, d->output_zero_point, d->act_min, d->act_max, out);
        out += out_c;
      }
    }
  }
}


es_status es_depthwise_conv_s8(const es_depthwise_conv_params *params, const es_dims *in_dims, const int8_t *in,
                               const es_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                               const es_dims *out_dims, int8_t *out, void *scratch) {
  if (params->depth_multiplier < 1 || filter_dims->c != in_dims->c * params->depth_multiplier) return ES_ERR_ARGUMENT;
  dw_run(params, *in_dims, in, *filter_dims, filter, bias, *out_dims, out, scratch);
  return ES_OK;
}

/* TFLM reference_ops::DepthwiseConv (float), see es_op_conv_f32: output
 * channel c reads input channel c / depth_multiplier. */
es_status es_depthwise_conv_f32(const es_depthwise_conv_f32_params *params, const es_dims *in_dims,
                                const float *input, const es_dims *filter_dims, const float *filter,
                                const float *bias, const es_dims *out_dims, float *output) {
  const int32_t mult = params->depth_multiplier;
  if (mult < 1 || filter_dims->c != in_dims->c * mult) return ES_ERR_ARGUMENT;
  const es_op_conv_f32_filter f = {filter, filter_dims->h, filter_dims->w, 1, mult, filter_dims->c,
                                   1u, (size_t)filter_dims->c};
  es_op_conv_f32(&params->tile, &params->activation, in_dims, input, &f, bias, out_dims, output);
  return ES_OK;
}

static es_status dw_invoke(es_op_context *ctx) {
  const dw_op_data *data = (const dw_op_data *)es_op_data(ctx);
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  es_tensor *output = es_op_output(ctx, 0);
  const es_dims in_dims = es_op_dims_of(input), filter_dims = es_op_dims_of(filter), out_dims = es_op_dims_of(output);
  if (data->is_float)
    return es_depthwise_conv_f32(&data->u.f32, &in_dims, (const float *)input->data, &filter_dims,
                                 (const float *)filter->data, bias != 0 ? (const float *)bias->data : 0, &out_dims,
                                 (float *)output->data);
  return es_depthwise_conv_s8(&data->u.s8, &in_dims, (const int8_t *)input->data, &filter_dims,
                              (const int8_t *)filter->data, bias != 0 ? (const int32_t *)bias->data : 0, &out_dims,
                              (int8_t *)output->data, es_op_scratch(ctx));
}

const es_op es_op_depthwise_conv_2d = {
    4 /* DEPTHWISE_CONV_2D */, "DEPTHWISE_CONV_2D", 3 /* v1 float, v3: int8, per-channel */, 0u, dw_prepare, dw_invoke,
};
