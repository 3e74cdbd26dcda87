/* Depthwise convolution of a one-channel input with a 4- or 8-wide kernel
 * (narrower kernels are zero-padded to 4 by the model compiler), as a small
 * convolution over a widened band of rows (edgesim/nn_fast.h).
 *
 * For each output row, the kernel_h input rows it reads are widened once to
 * int16 (natural order, zero-point border), so neighbouring windows share
 * the work.  Each window row is 4 (or 2) tap pairs; per pixel and group of
 * 4 channels an assembly loop takes, per kernel row and tap pair, 1 load of
 * the pair, 1 LDM of the 4 channels' weight words and 4 SMLADs (27
 * instructions for 32 MACs with 8 taps). */
#include "fast_internal.h"

/* Widens input row y into band columns [0, width): pad_w zero points, the
 * row, zero points up to width. */
static void widen_row(int16_t *dst, const int8_t *image, int32_t y, int32_t in_h, int32_t in_w, int32_t pad,
                      int32_t width, int16_t border) {
  int32_t i = 0;
  if (y >= 0 && y < in_h) {
    const int8_t *row = image + (size_t)y * in_w;
    for (; i < pad; ++i) dst[i] = border;
    int32_t x = 0;
    for (; x + 4 <= in_w && i + 4 <= width; x += 4, i += 4) {
      const uint32_t word = fast_load_u32(row + x);
      const uint32_t even = (uint32_t)fast_sxtb16(word), odd = (uint32_t)fast_sxtb16_ror8(word);
      const uint32_t lo = (even & 0xFFFFu) | (odd << 16), hi = (odd & 0xFFFF0000u) | (even >> 16);
      memcpy(dst + i, &lo, 4);
      memcpy(dst + i + 2, &hi, 4);
    }
    for (; x < in_w && i < width; ++x, ++i) dst[i] = row[x];
  }
  for (; i < width; ++i) dst[i] = border;
}

/* acc[0..3] of one pixel and 4 channels: rows kernel rows from `taps` (row
 * stride `stride` int16), `pairs` (4 or 2) pairs each; w advances past the
 * group. */
static inline __attribute__((always_inline)) const uint32_t *dot_rows(const int16_t *taps, int32_t stride, int32_t rows, int32_t pairs,
                                       const uint32_t *w, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  register uint32_t w0 __asm__("r4");
  register uint32_t w1 __asm__("r5");
  register uint32_t w2 __asm__("r6");
  register uint32_t w3 __asm__("r8");
  uint32_t x;
  const int16_t *t = taps;
  const int32_t skip = 2 * stride - 4 * pairs; /* bytes from a row's end to the next row */
  int32_t n = rows;
#define PAIR                                              \
  "ldr %[x], [%[t]], #4\n\t"                              \
  "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"         \
  "smlad %[a0], %[x], %[w0], %[a0]\n\t"                   \
  "smlad %[a1], %[x], %[w1], %[a1]\n\t"                   \
  "smlad %[a2], %[x], %[w2], %[a2]\n\t"                   \
  "smlad %[a3], %[x], %[w3], %[a3]\n\t"
#define OPERANDS                                                                                              \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t] "+r"(t), [w] "+r"(w), [n] "+r"(n),      \
    [x] "=&r"(x), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)                             \
  : [skip] "r"(skip)                                                                                        \
  : "cc", "memory"
  if (pairs == 4)
    __asm__ volatile("1:\n\t" PAIR PAIR PAIR PAIR "add %[t], %[t], %[skip]\n\tsubs %[n], %[n], #1\n\tbne 1b\n\t" OPERANDS);
  else
    __asm__ volatile("1:\n\t" PAIR PAIR "add %[t], %[t], %[skip]\n\tsubs %[n], %[n], #1\n\tbne 1b\n\t" OPERANDS);
#undef OPERANDS
#undef PAIR
#else
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t j = 0; j < pairs; ++j) {
      const int32_t x = (int32_t)fast_load_u32(taps + r * stride + 2 * j);
      a0 = fast_smlad(x, (int32_t)w[0], a0);
      a1 = fast_smlad(x, (int32_t)w[1], a1);
      a2 = fast_smlad(x, (int32_t)w[2], a2);
      a3 = fast_smlad(x, (int32_t)w[3], a3);
      w += 4;
    }
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/* kw: the kernel width (8 or 4) as a literal, so the pair loop is fixed. */
static inline __attribute__((always_inline)) es_status dw_1ch_band(const es_fast_conv_params *p, const int8_t *input,
                                                                  int8_t *output, void *work,
                                                                  const int mode, const int32_t kw) {
  const int32_t kh = p->kernel_h, channels = p->output.c, in_h = p->input.h, in_w = p->input.w;
  const int32_t out_w = p->output.w, stride_w = p->tile.stride_w;
  const int32_t width = (out_w - 1) * stride_w + kw; /* every window's columns */
  if (p->input.c != 1 || channels % 4 != 0 || kh * width > ES_FAST_MAX_BAND)
    return ES_ERR_UNSUPPORTED;
  int16_t *const band = (int16_t *)work;
  const int16_t border = (int16_t)p->input_zero_point;
  const es_fast_requant rq = p->requant;
  const uint32_t lo4 = 0x01010101u * (uint8_t)rq.act_min, hi4 = 0x01010101u * (uint8_t)rq.act_max;
  /* Output pixels are written after the band holds their rows; an output
   * over the input's consumed part (the planner's overlap) is safe as in the
   * interpreter's pixel-order kernel. */
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ky = 0; ky < kh; ++ky)
        widen_row(band + ky * width, image, y0 + ky, in_h, in_w, p->tile.pad_w, width, border);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const uint32_t *w = (const uint32_t *)p->weights;
        for (int32_t c = 0; c < channels; c += 4) {
          int32_t acc[4];
          w = dot_rows(band + ox * stride_w, width, kh, kw / 2, w, acc);
          if (mode == ES_FAST_RQ_GENERIC) {
            fast_requantize4(&rq, acc, c, channels, output, mode);
          } else {
            uint32_t packed = fast_requantize4_packed(acc, rq.channels + 4 * c);
            if (mode == ES_FAST_RQ_DSP) packed = fast_clamp4(packed, lo4, hi4);
            memcpy(output, &packed, 4);
          }
          output += 4;
        }
      }
    }
  }
  return ES_OK;
}

es_status es_fast_dw_1ch_band_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                 void *work, size_t work_bytes) {
  const int32_t width = (p->output.w - 1) * p->tile.stride_w + p->kernel_w;
  if (work_bytes < (size_t)ES_FAST_DW_1CH_BAND_WORK_BYTES(p->kernel_h, width)) return ES_ERR_ARENA_TOO_SMALL;
#define CALL8(mode) dw_1ch_band(p, input, output, work, mode, 8)
#define CALL4(mode) dw_1ch_band(p, input, output, work, mode, 4)
  if (p->kernel_w == 8) return FAST_DISPATCH_MODE(p, CALL8);
  if (p->kernel_w == 4) return FAST_DISPATCH_MODE(p, CALL4);
  return ES_ERR_UNSUPPORTED;
#undef CALL8
#undef CALL4
}
