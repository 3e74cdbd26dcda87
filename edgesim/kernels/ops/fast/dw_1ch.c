/* Depthwise convolution of a one-channel input as a small convolution
 * (edgesim/nn_fast.h): the window of each output pixel is copied once into an
 * int16 patch (the input zero point where it leaves the input), then every
 * group of 4 output channels takes SMLAD dot products with it, two taps per
 * instruction, and requantizes. */
#include "fast_internal.h"

/* Dot products of the patch with 4 channels' weights: a0..a3 += sum over
 * tap pairs j of SMLAD(patch pair j, weight word).  On the M4 an assembly
 * loop does two pairs per pass in 14 instructions for 16 MACs (one LDM brings
 * the four channels' weight words; gcc would spend one LDR each and the loop
 * bookkeeping). */
static inline const uint32_t *dot4(const int16_t *patch, const uint32_t *w, int32_t pairs, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int32_t j = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  int32_t twos = pairs / 2;
  if (twos > 0) {
    register uint32_t w0 __asm__("r4");
    register uint32_t w1 __asm__("r5");
    register uint32_t w2 __asm__("r6");
    register uint32_t w3 __asm__("r8");
    uint32_t x0, x1;
    const int16_t *pp = patch;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[x0], %[x1], [%[p]], #8\n\t"
        "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
        "smlad %[a0], %[x0], %[w0], %[a0]\n\t"
        "smlad %[a1], %[x0], %[w1], %[a1]\n\t"
        "smlad %[a2], %[x0], %[w2], %[a2]\n\t"
        "smlad %[a3], %[x0], %[w3], %[a3]\n\t"
        "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
        "smlad %[a0], %[x1], %[w0], %[a0]\n\t"
        "smlad %[a1], %[x1], %[w1], %[a1]\n\t"
        "smlad %[a2], %[x1], %[w2], %[a2]\n\t"
        "smlad %[a3], %[x1], %[w3], %[a3]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [p] "+r"(pp), [w] "+r"(w), [n] "+r"(twos),
          [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
        :
        : "cc", "memory");
    j = pairs / 2 * 2;
  }
#endif
  for (; j < pairs; ++j) {
    const int32_t x = (int32_t)fast_load_u32(patch + 2 * j);
    a0 = fast_smlad(x, (int32_t)w[0], a0);
    a1 = fast_smlad(x, (int32_t)w[1], a1);
    a2 = fast_smlad(x, (int32_t)w[2], a2);
    a3 = fast_smlad(x, (int32_t)w[3], a3);
    w += 4;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  return w;
}

/* Copies one input row segment of `n` taps into the patch.  When the
 * kernel width is a multiple of 4 (quad_order), each quad of
 * taps is stored as (t0, t2, t1, t3), the order SXTB16 widens a word into,
 * and the model compiler packs the weights in the same order. */
static inline void copy_row(int16_t *dst, const int8_t *row, int32_t n, int quad_order) {
  if (quad_order) {
    for (int32_t k = 0; k < n; k += 4) {
      const uint32_t word = fast_load_u32(row + k);
      const uint32_t even = (uint32_t)fast_sxtb16(word), odd = (uint32_t)fast_sxtb16_ror8(word);
      memcpy(dst + k, &even, 4);
      memcpy(dst + k + 2, &odd, 4);
    }
  } else {
    for (int32_t k = 0; k < n; ++k) dst[k] = row[k];
  }
}

static inline __attribute__((always_inline)) es_status dw_1ch(const es_fast_conv_params *p, const int8_t *input,
                                                             int8_t *output, void *work, const int mode) {
  const int32_t kh = p->kernel_h, kw = p->kernel_w, taps = kh * kw;
  const int32_t pairs = (taps + 1) / 2, channels = p->output.c;
  const int32_t in_h = p->input.h, in_w = p->input.w;
  const int quad_order = kw % 4 == 0;
  if (2 * pairs > ES_FAST_MAX_PATCH || channels % 4 != 0 || p->input.c != 1) return ES_ERR_UNSUPPORTED;
  int16_t *patch = (int16_t *)work; /* word-aligned for LDRD */
  patch[2 * pairs - 1] = 0; /* odd tap count: the last pair's pad (weight 0 too) */
  const int16_t border = (int16_t)p->input_zero_point;
  /* A local copy: stores to the int8 output may alias anything reached
   * through p, so gcc would reload every field per output value. */
  const es_fast_requant rq = p->requant;
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ox = 0; ox < p->output.w; ++ox) {
        const int32_t x0 = ox * p->tile.stride_w - p->tile.pad_w;
        const int columns_inside = x0 >= 0 && x0 + kw <= in_w;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t y = y0 + ky;
          int16_t *dst = patch + ky * kw;
          if (y < 0 || y >= in_h) {
            for (int32_t kx = 0; kx < kw; ++kx) dst[kx] = border;
          } else if (columns_inside) {
            copy_row(dst, image + y * in_w + x0, kw, quad_order);
          } else {
            const int8_t *row = image + y * in_w;
            for (int32_t kx = 0; kx < kw; ++kx) {
              const int32_t x = x0 + kx;
              const int32_t slot = quad_order ? (kx & ~3) | ((kx & 1) << 1) | ((kx & 2) >> 1) : kx;
              dst[slot] = (x >= 0 && x < in_w) ? row[x] : border;
            }
          }
        }
        const uint32_t *w = (const uint32_t *)p->weights;
        for (int32_t c = 0; c < channels; c += 4) {
          int32_t acc[4];
          w = dot4(patch, w, pairs, acc);
          fast_requantize4(&rq, acc, c, channels, output, mode);
          output += 4;
        }
      }
    }
  }
  return ES_OK;
}

es_status es_fast_dw_1ch_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_DW_1CH_WORK_BYTES(p->kernel_h, p->kernel_w)) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) dw_1ch(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
