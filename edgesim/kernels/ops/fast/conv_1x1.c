/* 1x1 convolution (stride 1, no padding) in 4-channel x 2-pixel tiles
 * (edgesim/nn_fast.h): each weight pair feeds two pixels and each widened
 * input pair four channels, so the inner loop does 16 MACs per input quad
 * of each pixel with 2 input loads and 4 (w8) or 8 (w16) weight words. */
#include "fast_internal.h"

static inline void tile_4x2(const int8_t *x0, const int8_t *x1, int32_t depth, const uint32_t *w, int wide,
                            int32_t acc[8]) {
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a30 = 0, a31 = 0;
  const int32_t quads = depth / 4;
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t u0 = fast_load_u32(x0 + 4 * q), u1 = fast_load_u32(x1 + 4 * q);
    const int32_t e0 = fast_sxtb16(u0), o0 = fast_sxtb16_ror8(u0);
    const int32_t e1 = fast_sxtb16(u1), o1 = fast_sxtb16_ror8(u1);
    int32_t we, wo;
#define ROW(i, lo, hi)                                                                 \
    if (wide) {                                                                        \
      we = (int32_t)w[2 * (i)];                                                        \
      wo = (int32_t)w[2 * (i) + 1];                                                    \
    } else {                                                                           \
      we = fast_sxtb16(w[i]);                                                          \
      wo = fast_sxtb16_ror8(w[i]);                                                     \
    }                                                                                  \
    lo = fast_smlad(e0, we, lo);                                                       \
    lo = fast_smlad(o0, wo, lo);                                                       \
    hi = fast_smlad(e1, we, hi);                                                       \
    hi = fast_smlad(o1, wo, hi);
    ROW(0, a00, a01)
    ROW(1, a10, a11)
    ROW(2, a20, a21)
    ROW(3, a30, a31)
#undef ROW
    w += wide ? 8 : 4;
  }
  const int8_t *tail = (const int8_t *)w;
  for (int32_t k = 4 * quads; k < depth; ++k) {
    const int32_t v0 = x0[k], v1 = x1[k];
    a00 += v0 * tail[0];
    a01 += v1 * tail[0];
    a10 += v0 * tail[1];
    a11 += v1 * tail[1];
    a20 += v0 * tail[2];
    a21 += v1 * tail[2];
    a30 += v0 * tail[3];
    a31 += v1 * tail[3];
    tail += 4;
  }
  acc[0] = a00;
  acc[1] = a10;
  acc[2] = a20;
  acc[3] = a30;
  acc[4] = a01;
  acc[5] = a11;
  acc[6] = a21;
  acc[7] = a31;
}

static es_status conv_1x1(const es_fast_conv_params *p, const int8_t *input, int8_t *output, int wide) {
  const int32_t depth = p->input.c, channels = p->output.c;
  const int32_t pixels = p->output.n * p->output.h * p->output.w;
  if (p->kernel_h != 1 || p->kernel_w != 1 || p->tile.stride_h != 1 || p->tile.stride_w != 1 ||
      p->tile.pad_h != 0 || p->tile.pad_w != 0 || pixels != p->input.n * p->input.h * p->input.w)
    return ES_ERR_UNSUPPORTED;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const es_fast_requant rq = p->requant; /* not re-read after each int8 store */
  const int32_t stride = fast_block_words(depth, wide);
  int32_t px = 0;
  for (; px + 1 < pixels; px += 2) {
    const int8_t *x0 = input + (size_t)px * depth;
    int8_t *out0 = output + (size_t)px * channels;
    int8_t *out1 = out0 + channels;
    for (int32_t c = 0; c < channels; c += 4) {
      int32_t acc[8];
      tile_4x2(x0, x0 + depth, depth, weights + (c / 4) * stride, wide, acc);
      for (int32_t i = 0; i < 4 && c + i < channels; ++i) {
        out0[c + i] = fast_requantize(&rq, acc[i], c + i);
        out1[c + i] = fast_requantize(&rq, acc[4 + i], c + i);
      }
    }
  }
  if (px < pixels) {
    const int8_t *x = input + (size_t)px * depth;
    int8_t *out = output + (size_t)px * channels;
    for (int32_t c = 0; c < channels; c += 4) {
      int32_t acc[4];
      fast_fc_block(x, depth, weights + (c / 4) * stride, wide, acc);
      for (int32_t i = 0; i < 4 && c + i < channels; ++i) out[c + i] = fast_requantize(&rq, acc[i], c + i);
    }
  }
  return ES_OK;
}

es_status es_fast_conv_1x1_s8_w16(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
  return conv_1x1(p, input, output, 1);
}

es_status es_fast_conv_1x1_s8_w8(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
  return conv_1x1(p, input, output, 0);
}
