/* 3x3 depthwise convolution (depth multiplier 1, channels % 4 == 0) in pixel
 * order, four channels per step (edgesim/nn_fast.h).
 *
 * Per tap, one word of 4 input channels is split by SXTB16 into the (c0, c2)
 * and (c1, c3) int16 pairs and multiplied lane by lane (SMLABB/SMLATT) with
 * weights pre-packed the same way, so a tap costs 1 input load, 1 LDRD of
 * weights, 2 SXTB16 and 4 MACs.  Taps outside the input read a word of four
 * input zero points (exact: the folded bias holds -zero_point * sum(w)).
 * Small maps, where the per-plane kernel's row widening does not pay, use
 * this one.  When the planner overlapped output and input, a pixel's outputs
 * are collected before they are written, as the interpreter's kernel does. */
#include "fast_internal.h"

static inline __attribute__((always_inline)) es_status dw_3x3_pixels(const es_fast_conv_params *p, const int8_t *input,
                                                                    int8_t *output, const int mode) {
  const int32_t channels = p->output.c, in_h = p->input.h, in_w = p->input.w;
  if (p->kernel_h != 3 || p->kernel_w != 3 || p->input.c != channels || channels % 4 != 0 ||
      channels > ES_FAST_MAX_CONV_PATCH)
    return ES_ERR_UNSUPPORTED;
  const es_fast_requant rq = p->requant;
  const uint32_t zp = (uint8_t)p->input_zero_point;
  const uint32_t border = zp | (zp << 8) | (zp << 16) | (zp << 24);
  const size_t in_bytes = (size_t)p->input.n * in_h * in_w * channels;
  const size_t out_bytes = (size_t)p->output.n * p->output.h * p->output.w * channels;
  const int overlap = (const int8_t *)output < input + in_bytes && input < (const int8_t *)output + out_bytes;
  union { uint32_t word; int8_t bytes[ES_FAST_MAX_CONV_PATCH]; } pixel;
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w * channels;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ox = 0; ox < p->output.w; ++ox) {
        const int32_t x0 = ox * p->tile.stride_w - p->tile.pad_w;
        const int inside = y0 >= 0 && x0 >= 0 && y0 + 3 <= in_h && x0 + 3 <= in_w;
        int8_t *out = overlap ? pixel.bytes : output;
        const uint32_t *w = (const uint32_t *)p->weights;
        for (int32_t c = 0; c < channels; c += 4) {
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#define TAP(word_expr)                                                     \
  do {                                                                     \
    const uint32_t word = (word_expr);                                     \
    const int32_t even = fast_sxtb16(word), odd = fast_sxtb16_ror8(word);  \
    a0 = fast_smlabb(even, (int32_t)w[0], a0);                             \
    a2 = fast_smlatt(even, (int32_t)w[0], a2);                             \
    a1 = fast_smlabb(odd, (int32_t)w[1], a1);                              \
    a3 = fast_smlatt(odd, (int32_t)w[1], a3);                              \
    w += 2;                                                                \
  } while (0)
          if (inside) { /* the 9 taps unrolled, no bounds checks */
            const int8_t *r = image + ((size_t)y0 * in_w + x0) * channels + c;
            const size_t row = (size_t)in_w * channels;
            TAP(fast_load_u32(r));
            TAP(fast_load_u32(r + channels));
            TAP(fast_load_u32(r + 2 * channels));
            TAP(fast_load_u32(r + row));
            TAP(fast_load_u32(r + row + channels));
            TAP(fast_load_u32(r + row + 2 * channels));
            TAP(fast_load_u32(r + 2 * row));
            TAP(fast_load_u32(r + 2 * row + channels));
            TAP(fast_load_u32(r + 2 * row + 2 * channels));
          } else {
            for (int32_t ky = 0; ky < 3; ++ky) {
              const int32_t y = y0 + ky;
              for (int32_t kx = 0; kx < 3; ++kx) {
                const int32_t x = x0 + kx;
                TAP((y >= 0 && y < in_h && x >= 0 && x < in_w)
                        ? fast_load_u32(image + ((size_t)y * in_w + x) * channels + c) : border);
              }
            }
          }
#undef TAP
          const int32_t acc[4] = {a0, a1, a2, a3};
          fast_requantize4(&rq, acc, c, channels, out + c, mode);
        }
        if (overlap) memcpy(output, pixel.bytes, (size_t)channels);
        output += channels;
      }
    }
  }
  return ES_OK;
}

es_status es_fast_dw_3x3_pixels_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
#define CALL(mode) dw_3x3_pixels(p, input, output, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
