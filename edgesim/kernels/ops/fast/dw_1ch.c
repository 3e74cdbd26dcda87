/* Depthwise convolution of a one-channel input as a small convolution
 * (edgesim/nn_fast.h): the window of each output pixel is copied once into an
 * int16 patch (the input zero point where it leaves the input), then every
 * group of 4 output channels takes SMLAD dot products with it, two taps per
 * instruction, and requantizes. */
#include "fast_internal.h"

es_status es_fast_dw_1ch_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t kh = p->kernel_h, kw = p->kernel_w, taps = kh * kw;
  const int32_t pairs = (taps + 1) / 2, channels = p->output.c;
  const int32_t in_h = p->input.h, in_w = p->input.w;
  if (2 * pairs > ES_FAST_MAX_PATCH || channels % 4 != 0 || p->input.c != 1) return ES_ERR_UNSUPPORTED;
  int16_t patch[ES_FAST_MAX_PATCH];
  patch[2 * pairs - 1] = 0; /* odd tap count: the last pair's pad (weight 0 too) */
  const int16_t border = (int16_t)p->input_zero_point;
  const uint32_t *weights = (const uint32_t *)p->weights;
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ox = 0; ox < p->output.w; ++ox) {
        const int32_t x0 = ox * p->tile.stride_w - p->tile.pad_w;
        int16_t *dst = patch;
        if (y0 >= 0 && x0 >= 0 && y0 + kh <= in_h && x0 + kw <= in_w) {
          for (int32_t ky = 0; ky < kh; ++ky) {
            const int8_t *row = image + (y0 + ky) * in_w + x0;
            for (int32_t kx = 0; kx < kw; ++kx) *dst++ = row[kx];
          }
        } else {
          for (int32_t ky = 0; ky < kh; ++ky) {
            const int32_t y = y0 + ky;
            for (int32_t kx = 0; kx < kw; ++kx) {
              const int32_t x = x0 + kx;
              *dst++ = (y >= 0 && y < in_h && x >= 0 && x < in_w) ? image[y * in_w + x] : border;
            }
          }
        }
        const uint32_t *w = weights;
        for (int32_t c = 0; c < channels; c += 4) {
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (int32_t j = 0; j < pairs; ++j) {
            const int32_t x = (int32_t)fast_load_u32(patch + 2 * j);
            a0 = fast_smlad(x, (int32_t)w[0], a0);
            a1 = fast_smlad(x, (int32_t)w[1], a1);
            a2 = fast_smlad(x, (int32_t)w[2], a2);
            a3 = fast_smlad(x, (int32_t)w[3], a3);
            w += 4;
          }
          output[0] = fast_requantize(&p->requant, a0, c);
          output[1] = fast_requantize(&p->requant, a1, c + 1);
          output[2] = fast_requantize(&p->requant, a2, c + 2);
          output[3] = fast_requantize(&p->requant, a3, c + 3);
          output += 4;
        }
      }
    }
  }
  return ES_OK;
}
