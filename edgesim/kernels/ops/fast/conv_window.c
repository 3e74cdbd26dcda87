/* Convolution with any window (dilation 1) as one fully connected block per
 * output pixel (edgesim/nn_fast.h): the pixel's window is copied once into an
 * int8 patch (rows of kernel_w * input channels bytes; the input zero point
 * where the window leaves the input, exact since the bias is folded), then
 * each block of 4 output channels takes the 4-row SMLAD dot product with it.
 * A patch of at most half the buffer is first widened to int16 pairs in
 * place, so the channel blocks do not each widen it again. */
#include "fast_internal.h"

static inline __attribute__((always_inline)) es_status conv_window(const es_fast_conv_params *p, const int8_t *input,
                                                                  int8_t *output, void *work, const int mode) {
  const int32_t kh = p->kernel_h, kw = p->kernel_w, in_c = p->input.c, in_h = p->input.h, in_w = p->input.w;
  const int32_t row_bytes = kw * in_c, channels = p->output.c;
  /* The window padded to whole quads: the pad bytes meet zero weights. */
  const int32_t depth = (kh * row_bytes + 3) & ~3;
  if (depth > ES_FAST_MAX_CONV_PATCH) return ES_ERR_UNSUPPORTED;
  uint32_t *const patch_words = (uint32_t *)work; /* the window, int8 then widened in place */
  int8_t *const patch_bytes = (int8_t *)work;
  const int32_t quads = depth / 4;
  const int widened = depth > 0 && 2 * depth <= ES_FAST_MAX_CONV_PATCH;
  memset(patch_bytes + kh * row_bytes, 0, (size_t)(depth - kh * row_bytes));
  const int8_t border = (int8_t)p->input_zero_point;
  const es_fast_requant rq = p->requant;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const int32_t stride = fast_block_words(depth);
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w * in_c;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ox = 0; ox < p->output.w; ++ox) {
        const int32_t x0 = ox * p->tile.stride_w - p->tile.pad_w;
        const int columns_inside = x0 >= 0 && x0 + kw <= in_w;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t y = y0 + ky;
          int8_t *dst = patch_bytes + ky * row_bytes;
          if (y < 0 || y >= in_h) {
            memset(dst, border, (size_t)row_bytes);
          } else if (columns_inside) {
            memcpy(dst, image + ((size_t)y * in_w + x0) * in_c, (size_t)row_bytes);
          } else {
            for (int32_t kx = 0; kx < kw; ++kx) {
              const int32_t x = x0 + kx;
              if (x >= 0 && x < in_w) memcpy(dst + kx * in_c, image + ((size_t)y * in_w + x) * in_c, (size_t)in_c);
              else memset(dst + kx * in_c, border, (size_t)in_c);
            }
          }
        }
        if (widened) {
          /* In place, last quad first: quad q's two words overwrite int8
           * quads 2q and 2q + 1, already widened (quad 0 is read first).  The
           * pad bytes then hold the previous pixel's values: they still meet
           * zero weights. */
          for (int32_t q = quads - 1; q >= 0; --q) {
            const uint32_t word = patch_words[q];
            patch_words[2 * q] = (uint32_t)fast_sxtb16(word);
            patch_words[2 * q + 1] = (uint32_t)fast_sxtb16_ror8(word);
          }
          const uint32_t *w = weights;
          int32_t c = 0;
          if (mode == ES_FAST_RQ_DSP_FULL && channels >= 4) { /* whole blocks in one assembly pass */
            es_fast_blocks_w16_full(patch_words, w, rq.channels, output, channels / 4, quads);
            c = channels / 4 * 4;
            w += (channels / 4) * stride;
          }
          for (; c + 4 <= channels; c += 4) {
            int32_t acc[4];
            fast_block_widened(patch_words, quads, w, acc);
            const int32_t *k = rq.channels + 4 * c;
            output[c] = fast_requantize_table(&rq, acc[0], k, mode);
            output[c + 1] = fast_requantize_table(&rq, acc[1], k + 4, mode);
            output[c + 2] = fast_requantize_table(&rq, acc[2], k + 8, mode);
            output[c + 3] = fast_requantize_table(&rq, acc[3], k + 12, mode);
            w += stride;
          }
          if (c < channels) {
            int32_t acc[4];
            fast_block_widened(patch_words, quads, w, acc);
            fast_requantize4(&rq, acc, c, channels, output + c, mode);
          }
        } else {
          for (int32_t c = 0; c < channels; c += 4) {
            int32_t acc[4];
            fast_fc_block(patch_bytes, depth, weights + (c / 4) * stride, acc);
            fast_requantize4(&rq, acc, c, channels, output + c, mode);
          }
        }
        output += channels;
      }
    }
  }
  return ES_OK;
}

es_status es_fast_conv_s8_w16(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                              void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_ROW_WORK_BYTES((p->kernel_h * p->kernel_w * p->input.c + 3) & ~3))
    return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) conv_window(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
