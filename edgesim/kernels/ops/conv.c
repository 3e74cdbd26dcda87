/* CONV_2D, int8 activations and weights, int32 bias; per-tensor or
 * per-channel weight scales; any stride, dilation and SAME/VALID padding;
 * grouped convolution (filter depth dividing the input depth).
 *
 * Arithmetic is TFLM's reference ConvPerChannel:
 *   acc[c] = bias[c] + sum over taps inside the image of
 *            filter[c][ky][kx][i] * (input[iy][ix][i] - input_zero_point)
 *   out    = clamp(MultiplyByQuantizedMultiplier(acc, m[c], s[c]) + out_zp)
 * Taps outside the image contribute nothing (not the zero point), and TFLM
 * ignores the filter zero point, so does this kernel.
 *
 * Speed: for each output pixel the receptive field is gathered once into an
 * int16 "im2col" column with the input offset already added and padded taps
 * set to 0 (exactly the missing terms), so the inner loop is a plain dot
 * product reused by every output channel.  Two pixels and two channels are
 * computed together (four accumulators) to halve filter and column loads;
 * the raw sums of a pixel go to an int32 row that es_requantize_row()
 * turns into int8 in one loop.  The dot product is written twice, same sums:
 * for the host with a 16-multiple main loop that compilers vectorize, and for
 * Cortex-M (ES_OPS_MCU_LOOPS) with SXTB16 + SMLAD, two multiply-adds per
 * instruction, on columns whose values are paired to match SXTB16.
 */
#include <string.h>

#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

/* Conv2DOptions field ids (schema order). */
enum { OPT_PADDING = 0, OPT_STRIDE_W = 1, OPT_STRIDE_H = 2, OPT_ACTIVATION = 3, OPT_DILATION_W = 4, OPT_DILATION_H = 5 };

/* The accumulator holds depth products of at most 255 * 128; beyond this
 * depth it could overflow int32. */
#define CONV_MAX_DEPTH 65536

/* The kernel's working copy of its parameters, with the values derived from
 * the dims (a local copy also keeps the compiler from reloading parameters
 * after every int8 store, which could alias them). */
typedef struct conv_data {
  es_channel_requant rq;
  int32_t input_offset; /* -input zero point */
  int32_t output_zero_point;
  int32_t act_min, act_max;
  int32_t stride_w, stride_h, dilation_w, dilation_h, pad_w, pad_h;
  int32_t groups;
  int32_t depth; /* filter_h * filter_w * filter input channels */
} conv_data;

/* What prepare() stores for invoke(): the params of one of the kernels. */
typedef struct conv_op_data {
  int is_float;
  union {
    es_conv_params s8;
    es_conv_f32_params f32;
  } u;
} conv_op_data;

size_t es_conv_s8_scratch_size(const es_dims *in_dims, const es_dims *filter_dims) {
  if (filter_dims->c < 1 || in_dims->c != filter_dims->c) return 0; /* grouped: no scratch */
  const size_t depth = (size_t)filter_dims->h * (size_t)filter_dims->w * (size_t)filter_dims->c;
  /* Two int16 im2col columns (rounded up to 4-byte alignment), then two
   * int32 rows of raw sums. */
  return ((depth * 2u * sizeof(int16_t) + 3u) & ~(size_t)3u) + (size_t)filter_dims->n * 2u * sizeof(int32_t);
}

static const es_conv_option_ids k_options = {OPT_PADDING, OPT_STRIDE_W, OPT_STRIDE_H, OPT_DILATION_W, OPT_DILATION_H};

static es_status conv_prepare(es_op_context *ctx) {
  int is_float = 0;
  es_status st = es_op_check_conv_tensors(ctx, "CONV_2D: input, filter and output must be 4-D (NHWC, OHWI)", &is_float);
  if (st != ES_OK) return st;
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  const es_tensor *output = es_op_output(ctx, 0);
  const int32_t batches = input->dims[0], in_h = input->dims[1], in_w = input->dims[2], in_c = input->dims[3];
  const int32_t out_c = filter->dims[0], k_h = filter->dims[1], k_w = filter->dims[2], k_c = filter->dims[3];
  if (batches < 1 || in_c < 1 || out_c < 1 || k_c < 1)
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: empty input or filter");
  if (in_c % k_c != 0)
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: input channels are not a multiple of the filter depth");
  const int32_t groups = in_c / k_c;
  if (out_c % groups != 0)
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: output channels are not a multiple of the group count");
  if (output->dims[0] != batches || output->dims[3] != out_c)
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: output batch/channels do not match input batch/filter count");
  if (bias != 0 && es_tensor_elements(bias) != out_c)
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: bias length != output channels");
  const size_t item = is_float ? 4u : 1u;
  if (filter->bytes < (size_t)es_tensor_elements(filter) * item || (bias != 0 && bias->bytes < (size_t)out_c * 4u))
    return es_op_fail(ctx, ES_ERR_SHAPE, "CONV_2D: filter or bias data shorter than their shape");
  if (!is_float && filter->quant.channel_count != 1 && filter->quant.channel_count != out_c)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "CONV_2D: filter needs 1 or output-channels scales");
  if ((int64_t)k_h * k_w * k_c > CONV_MAX_DEPTH)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "CONV_2D: filter too large (int32 accumulator could overflow)");

  conv_op_data *data = (conv_op_data *)es_op_alloc_persistent(ctx, sizeof(conv_op_data));
  if (data == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "CONV_2D: arena too small for op data");
  data->is_float = is_float;
  es_tile *tile = is_float ? &data->u.f32.tile : &data->u.s8.tile;
  st = es_op_prepare_conv_tile(ctx, &k_options, tile);
  if (st != ES_OK) return st;
  const int32_t activation = es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE);
  if (is_float) {
    es_activation_range_f32(activation, &data->u.f32.activation.min, &data->u.f32.activation.max);
    es_op_set_data(ctx, data);
    return ES_OK;
  }

  es_conv_params *p = &data->u.s8;
  st = es_op_prepare_conv_s8(ctx, activation, out_c, &p->activation, &p->requant, &p->input_offset, &p->output_offset);
  if (st != ES_OK) return st;
  if (groups == 1) {
    const es_dims in_dims = es_op_dims_of(input), filter_dims = es_op_dims_of(filter);
    st = es_op_request_scratch(ctx, es_conv_s8_scratch_size(&in_dims, &filter_dims));
    if (st != ES_OK) return es_op_fail(ctx, st, "CONV_2D: cannot reserve im2col scratch");
    /* es_conv_s8 walks pixels in order and gathers a pair's columns before
     * writing its outputs: the output may overlap the input's consumed part. */
    int32_t overlap;
    if (batches == 1 && es_op_forward_overlap(in_h, in_w, in_c, output->dims[1], output->dims[2], out_c,
                                              tile->stride_h, tile->pad_h, &overlap))
      es_op_allow_output_overlap(ctx, overlap);
  }
  es_op_set_data(ctx, data);
  return ES_OK;
}

/* Gathers the receptive field of output pixel (oy, ox) of one image into
 * `col` (filter order: ky, kx, channel) as int16 with the input offset added;
 * taps outside the image are 0. */
static void im2col(const conv_data *d, const int8_t *image, int32_t in_h, int32_t in_w, int32_t in_c,
                   int32_t k_h, int32_t k_w, int32_t oy, int32_t ox, int16_t *col) {
  const int32_t y0 = oy * d->stride_h - d->pad_h;
  const int32_t x0 = ox * d->stride_w - d->pad_w;
  const int16_t offset = (int16_t)d->input_offset;
  for (int32_t ky = 0; ky < k_h; ++ky) {
    const int32_t iy = y0 + ky * d->dilation_h;
    if (iy < 0 || iy >= in_h) {
      memset(col, 0, (size_t)k_w * (size_t)in_c * sizeof(int16_t));
      col += k_w * in_c;
      continue;
    }
    const int8_t *row = image + (size_t)iy * (size_t)in_w * (size_t)in_c;
    for (int32_t kx = 0; kx < k_w; ++kx) {
      const int32_t ix = x0 + kx * d->dilation_w;
      if (ix < 0 || ix >= in_w) {
        memset(col, 0, (size_t)in_c * sizeof(int16_t));
      } else {
        const int8_t *px = row + (size_t)ix * (size_t)in_c;
#if ES_OPS_MCU_LOOPS
        if ((in_c & 3) == 0) {
          /* Four channels per word, already in pair_for_sxtb16's order:
           * SXTB16 gives (x0, x2) and (x1, x3), SADD16 adds the offset. */
          const int32_t off_pair = (int32_t)(((uint32_t)(uint16_t)offset) * 0x10001u);
          for (int32_t i = 0; i < in_c; i += 4) {
            const uint32_t w = es_load_u32(px + i);
            const int32_t even = es_sadd16(es_sxtb16(w), off_pair), odd = es_sadd16(es_sxtb16_ror8(w), off_pair);
            memcpy(col + i, &even, sizeof even);
            memcpy(col + i + 2, &odd, sizeof odd);
          }
        } else
#endif
        for (int32_t i = 0; i < in_c; ++i) col[i] = (int16_t)(px[i] + offset);
      }
      col += in_c;
    }
  }
}

#if ES_OPS_MCU_LOOPS
/* Reorders each group of four column values (x0 x1 x2 x3 -> x0 x2 x1 x3) so
 * that 32-bit loads give the pairs (x0, x2) and (x1, x3) that match SXTB16's
 * split of four filter bytes into (f0, f2) and (f1, f3). */
static void pair_for_sxtb16(int16_t *col, int32_t n) {
  for (int32_t k = 0; k + 4 <= n; k += 4) {
    const int16_t t = col[k + 1];
    col[k + 1] = col[k + 2];
    col[k + 2] = t;
  }
}
#endif

static inline int32_t add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }

#if ES_OPS_MCU_LOOPS
/* acc[0..3] = dot(f0, x0), dot(f0, x1), dot(f1, x0), dot(f1, x1) over n
 * elements, columns paired by pair_for_sxtb16(): per four elements, two
 * filter words expanded with SXTB16 feed eight SMLADs (16 multiply-adds). */
static ES_OP_NOINLINE void dot_2x2(const int8_t *f0, const int8_t *f1, const int16_t *x0, const int16_t *x1,
                                   int32_t n, int32_t *acc) {
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
  int32_t k = n >> 2;
  /* Both filters expanded first (four registers), then each column word
   * loaded just before its two SMLADs: with four accumulators, four pointers
   * and the count this fits the Cortex-M4's registers without spilling (in
   * a function of its own: inlined, the caller's values crowd it). */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* The same steps in assembly: gcc keeps accumulators on the stack here
   * whatever the C looks like.  LDR allows the filter's any alignment;
   * columns are 4-byte aligned. */
  for (; k > 0; --k) {
    uint32_t w0, w1, e0, e1, x;
    __asm__(
        "ldr    %[w0], [%[f0]], #4\n\t"
        "ldr    %[w1], [%[f1]], #4\n\t"
        "sxtb16 %[e0], %[w0]\n\t"
        "sxtb16 %[w0], %[w0], ror #8\n\t"
        "sxtb16 %[e1], %[w1]\n\t"
        "sxtb16 %[w1], %[w1], ror #8\n\t"
        "ldr    %[x], [%[x0]], #4\n\t"
        "smlad  %[a00], %[e0], %[x], %[a00]\n\t"
        "smlad  %[a10], %[e1], %[x], %[a10]\n\t"
        "ldr    %[x], [%[x0]], #4\n\t"
        "smlad  %[a00], %[w0], %[x], %[a00]\n\t"
        "smlad  %[a10], %[w1], %[x], %[a10]\n\t"
        "ldr    %[x], [%[x1]], #4\n\t"
        "smlad  %[a01], %[e0], %[x], %[a01]\n\t"
        "smlad  %[a11], %[e1], %[x], %[a11]\n\t"
        "ldr    %[x], [%[x1]], #4\n\t"
        "smlad  %[a01], %[w0], %[x], %[a01]\n\t"
        "smlad  %[a11], %[w1], %[x], %[a11]"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [f0] "+r"(f0), [f1] "+r"(f1),
          [x0] "+r"(x0), [x1] "+r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1), [e0] "=&r"(e0), [e1] "=&r"(e1), [x] "=&r"(x)
        :
        : "memory");
  }
#endif
  while (k-- > 0) {
    const uint32_t w0 = es_load_u32(f0), w1 = es_load_u32(f1);
    const int32_t f0_even = es_sxtb16(w0), f0_odd = es_sxtb16_ror8(w0);
    const int32_t f1_even = es_sxtb16(w1), f1_odd = es_sxtb16_ror8(w1);
    f0 += 4;
    f1 += 4;
    int32_t x = (int32_t)es_load_u32(x0);
    a00 = es_smlad(f0_even, x, a00);
    a10 = es_smlad(f1_even, x, a10);
    x = (int32_t)es_load_u32(x0 + 2);
    a00 = es_smlad(f0_odd, x, a00);
    a10 = es_smlad(f1_odd, x, a10);
    x0 += 4;
    x = (int32_t)es_load_u32(x1);
    a01 = es_smlad(f0_even, x, a01);
    a11 = es_smlad(f1_even, x, a11);
    x = (int32_t)es_load_u32(x1 + 2);
    a01 = es_smlad(f0_odd, x, a01);
    a11 = es_smlad(f1_odd, x, a11);
    x1 += 4;
  }
  for (k = n & 3; k > 0; --k) { /* the last n % 4 values are in natural order */
    const int32_t w0 = *f0++, w1 = *f1++, v0 = *x0++, v1 = *x1++;
    a00 += w0 * v0;
    a01 += w0 * v1;
    a10 += w1 * v0;
    a11 += w1 * v1;
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}
#else
/* Host: acc[0..3] = dot(f0, x0), dot(f0, x1), dot(f1, x0), dot(f1, x1) over n
 * elements.  The main loop runs a multiple of 16 iterations (n & ~15), which
 * lets compilers vectorize the whole reduction even at -O2 (gcc's "very
 * cheap" cost model), e.g. into pmaddwd on x86-64. */
static ES_OP_NOINLINE void dot_2x2(const int8_t *f0, const int8_t *f1, const int16_t *x0, const int16_t *x1, int32_t n,
                           int32_t *acc) {
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
  const int32_t n16 = n & ~15;
  for (int32_t k = 0; k < n16; ++k) {
    const int32_t v0 = x0[k], v1 = x1[k], w0 = f0[k], w1 = f1[k];
    a00 += w0 * v0;
    a01 += w0 * v1;
    a10 += w1 * v0;
    a11 += w1 * v1;
  }
  for (int32_t k = n16; k < n; ++k) {
    const int32_t v0 = x0[k], v1 = x1[k], w0 = f0[k], w1 = f1[k];
    a00 += w0 * v0;
    a01 += w0 * v1;
    a10 += w1 * v0;
    a11 += w1 * v1;
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}
#endif

/* Output channels [0, out_c) of two pixels whose columns are col0 and col1
 * (col1 == NULL: one pixel, computed as a duplicate rather than branching).
 * Raw sums go to the int32 rows sum0/sum1, then each row is requantized in
 * one tight loop (es_requantize_row). */
static void conv_columns(const conv_data *d, const int8_t *filter, const int32_t *bias, int32_t out_c,
                         const int16_t *col0, const int16_t *col1, int32_t *sum0, int32_t *sum1, int8_t *out0,
                         int8_t *out1) {
  const int32_t depth = d->depth;
  const int16_t *c1 = col1 != 0 ? col1 : col0;
  for (int32_t c = 0; c < out_c; c += 2) {
    /* An odd last channel pairs with itself. */
    const int32_t c_next = c + 1 < out_c ? c + 1 : c;
    int32_t acc[4];
    dot_2x2(filter + (size_t)c * (size_t)depth, filter + (size_t)c_next * (size_t)depth, col0, c1, depth, acc);
    sum0[c] = acc[0];
    sum1[c] = acc[1];
    sum0[c_next] = acc[2];
    sum1[c_next] = acc[3];
  }
  es_requantize_row(sum0, bias, &d->rq, out_c, d->output_zero_point, d->act_min, d->act_max, out0);
  if (col1 != 0) es_requantize_row(sum1, bias, &d->rq, out_c, d->output_zero_point, d->act_min, d->act_max, out1);
}

/* Grouped convolution: the reference loop order with hoisted indexing.  A
 * rare path, kept out of line so its frame is not part of es_conv_s8's. */
static ES_OP_NOINLINE void conv_grouped(const conv_data *d, const es_dims *in_dims, const int8_t *in, const es_dims *filter_dims,
                         const int8_t *w, const int32_t *bias, const es_dims *out_dims, int8_t *out) {
  const int32_t batches = in_dims->n, in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
  const int32_t out_c = filter_dims->n, k_h = filter_dims->h, k_w = filter_dims->w, k_c = filter_dims->c;
  const int32_t out_h = out_dims->h, out_w = out_dims->w;
  const int32_t per_group = out_c / d->groups;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;
        for (int32_t c = 0; c < out_c; ++c) {
          const int32_t first_in = (c / per_group) * k_c;
          const int8_t *fc = w + (size_t)c * (size_t)d->depth;
          int32_t acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t iy = y0 + ky * d->dilation_h;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t ix = x0 + kx * d->dilation_w;
              if (ix < 0 || ix >= in_w) continue;
              const int8_t *px = image + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c + first_in;
              const int8_t *fk = fc + ((size_t)ky * (size_t)k_w + (size_t)kx) * (size_t)k_c;
              for (int32_t i = 0; i < k_c; ++i) acc += fk[i] * (px[i] + d->input_offset);
            }
          }
          if (bias != 0) acc = add_wrap(acc, es_op_load_i32(bias, c));
          int32_t m;
          int s;
          es_channel_requant_at(&d->rq, c, &m, &s);
          *out++ = es_requantize_int8(acc, m, s, d->output_zero_point, d->act_min, d->act_max);
        }
      }
    }
  }
}

es_status es_conv_s8(const es_conv_params *params, const es_dims *in_dims, const int8_t *in,
                     const es_dims *filter_dims, const int8_t *w, const int32_t *bias,
                     const es_dims *out_dims, int8_t *out, void *scratch) {
  if (filter_dims->c < 1 || in_dims->c % filter_dims->c != 0) return ES_ERR_ARGUMENT;
  conv_data local;
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
  local.groups = in_dims->c / filter_dims->c;
  local.depth = filter_dims->h * filter_dims->w * filter_dims->c;
  const conv_data *d = &local;
  if (d->groups != 1) {
    conv_grouped(d, in_dims, in, filter_dims, w, bias, out_dims, out);
    return ES_OK;
  }
  const int32_t batches = in_dims->n, in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
  const int32_t out_c = filter_dims->n, k_h = filter_dims->h, k_w = filter_dims->w;
  const int32_t out_h = out_dims->h, out_w = out_dims->w;
  int16_t *col0 = (int16_t *)scratch;
  int16_t *col1 = col0 + d->depth;
  int32_t *sum0 = (int32_t *)(void *)((uint8_t *)col0 + (((size_t)d->depth * 2u * sizeof(int16_t) + 3u) & ~(size_t)3u));
  int32_t *sum1 = sum0 + out_c;
  const size_t image_size = (size_t)in_h * (size_t)in_w * (size_t)in_c;
  const int32_t pixels = out_h * out_w;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * image_size;
    int32_t p = 0;
    for (; p + 2 <= pixels; p += 2) {
      im2col(d, image, in_h, in_w, in_c, k_h, k_w, p / out_w, p % out_w, col0);
      im2col(d, image, in_h, in_w, in_c, k_h, k_w, (p + 1) / out_w, (p + 1) % out_w, col1);
#if ES_OPS_MCU_LOOPS
      if (in_c & 3) {
        pair_for_sxtb16(col0, d->depth);
        pair_for_sxtb16(col1, d->depth);
      }
#endif
      conv_columns(d, w, bias, out_c, col0, col1, sum0, sum1, out, out + out_c);
      out += 2 * out_c;
    }
    if (p < pixels) {
      im2col(d, image, in_h, in_w, in_c, k_h, k_w, p / out_w, p % out_w, col0);
#if ES_OPS_MCU_LOOPS
      if (in_c & 3) pair_for_sxtb16(col0, d->depth);
#endif
      conv_columns(d, w, bias, out_c, col0, 0, sum0, sum1, out, 0);
      out += out_c;
    }
  }
  return ES_OK;
}

/* TFLM reference_ops::Conv (float), see es_op_conv_f32. */
es_status es_conv_f32(const es_conv_f32_params *params, const es_dims *in_dims, const float *input,
                      const es_dims *filter_dims, const float *filter, const float *bias,
                      const es_dims *out_dims, float *output) {
  if (filter_dims->c < 1 || in_dims->c % filter_dims->c != 0) return ES_ERR_ARGUMENT;
  const int32_t k_h = filter_dims->h, k_w = filter_dims->w, k_c = filter_dims->c, out_c = filter_dims->n;
  const es_op_conv_f32_filter f = {filter, k_h, k_w, k_c, out_c / (in_dims->c / k_c), out_c,
                                   (size_t)k_h * (size_t)k_w * (size_t)k_c, (size_t)k_c};
  es_op_conv_f32(&params->tile, &params->activation, in_dims, input, &f, bias, out_dims, output);
  return ES_OK;
}

static es_status conv_invoke(es_op_context *ctx) {
  const conv_op_data *data = (const conv_op_data *)es_op_data(ctx);
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *filter = es_op_input(ctx, 1);
  const es_tensor *bias = es_op_input(ctx, 2);
  es_tensor *output = es_op_output(ctx, 0);
  const es_dims in_dims = es_op_dims_of(input), filter_dims = es_op_dims_of(filter), out_dims = es_op_dims_of(output);
  if (data->is_float)
    return es_conv_f32(&data->u.f32, &in_dims, (const float *)input->data, &filter_dims, (const float *)filter->data,
                       bias != 0 ? (const float *)bias->data : 0, &out_dims, (float *)output->data);
  return es_conv_s8(&data->u.s8, &in_dims, (const int8_t *)input->data, &filter_dims, (const int8_t *)filter->data,
                    bias != 0 ? (const int32_t *)bias->data : 0, &out_dims, (int8_t *)output->data,
                    es_op_scratch(ctx));
}

const es_op es_op_conv_2d = {
    3 /* CONV_2D */, "CONV_2D", 6 /* v1 float, v3 int8, v6 grouped */, 0u, conv_prepare, conv_invoke,
};
