/* 1x1 convolution (stride 1, no padding) as a fully connected layer per
 * pixel in 4-output-channel blocks (edgesim/nn_fast.h).
 *
 * Each input pixel is widened once to int16 pairs (SXTB16: the (k, k+2) and
 * (k+1, k+3) words the packed weights pair with) into a small scratch that
 * every channel block of the pixel then reads: the inner loop does 16 MACs
 * with one LDRD of input, 8 (w16) or 4 (w8) weight words and 8 SMLADs, and
 * no per-block widening.  The scratch also serves as the pixel's copy when
 * the planner placed the output over the input.  A 4-channel x 2-pixel tile
 * needs 8 accumulators + 4 input words + weights + pointers: more than the
 * M4's registers (gcc's spills made it slower; measured with edgesim
 * profile). Depths that are not a multiple of 4 or exceed the scratch take
 * the int8 path (fast_fc_block) instead. */
#include "fast_internal.h"

/* Int16 scratch words: the widened pixel (2 bytes per channel). */
#define WIDE_WORDS (ES_FAST_MAX_CONV_PATCH / 4)

/* x: the pixel's depth int8 values -> xw: depth / 4 (even, odd) word pairs. */
static inline __attribute__((always_inline)) void widen_pixel(const int8_t *x, int32_t quads, uint32_t *xw) {
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t word = fast_load_u32(x + 4 * q);
    xw[2 * q] = (uint32_t)fast_sxtb16(word);
    xw[2 * q + 1] = (uint32_t)fast_sxtb16_ror8(word);
  }
}

/* One block of 4 channels over a widened pixel (quads >= 1). */
static inline __attribute__((always_inline)) void block_widened(const uint32_t *xw, int32_t quads, const uint32_t *w,
                                                                const int wide, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  uint32_t even, odd;
  const uint32_t *xp = xw;
  if (wide) {
    /* 11 instructions per 16 MACs, two quads per pass of the loop. */
    register uint32_t w0 __asm__("r4");
    register uint32_t w1 __asm__("r5");
    register uint32_t w2 __asm__("r6");
    register uint32_t w3 __asm__("r8");
#define QUAD_W16                                        \
    "ldrd %[e], %[o], [%[x]], #8\n\t"                  \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"     \
    "smlad %[a0], %[e], %[w0], %[a0]\n\t"               \
    "smlad %[a0], %[o], %[w1], %[a0]\n\t"               \
    "smlad %[a1], %[e], %[w2], %[a1]\n\t"               \
    "smlad %[a1], %[o], %[w3], %[a1]\n\t"               \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"     \
    "smlad %[a2], %[e], %[w0], %[a2]\n\t"               \
    "smlad %[a2], %[o], %[w1], %[a2]\n\t"               \
    "smlad %[a3], %[e], %[w2], %[a3]\n\t"               \
    "smlad %[a3], %[o], %[w3], %[a3]\n\t"
    int32_t n = quads / 2;
    if (n > 0)
      __asm__ volatile("1:\n\t" QUAD_W16 QUAD_W16
                       "subs %[n], %[n], #1\n\t"
                       "bne 1b\n\t"
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),
                         [n] "+r"(n), [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1),
                         [w2] "=&r"(w2), [w3] "=&r"(w3)
                       :
                       : "cc", "memory");
    if (quads & 1)
      __asm__ volatile(QUAD_W16
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),
                         [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                         [w3] "=&r"(w3)
                       :
                       : "memory");
#undef QUAD_W16
  } else {
    /* int8 weights widened in the loop: 19 instructions per 16 MACs. */
    uint32_t wa, wb, t;
    int32_t n = quads;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[e], %[o], [%[x]], #8\n\t"
        "ldrd %[wa], %[wb], [%[w]], #8\n\t"
        "sxtb16 %[t], %[wa]\n\t"
        "smlad %[a0], %[e], %[t], %[a0]\n\t"
        "sxtb16 %[t], %[wa], ror #8\n\t"
        "smlad %[a0], %[o], %[t], %[a0]\n\t"
        "sxtb16 %[t], %[wb]\n\t"
        "smlad %[a1], %[e], %[t], %[a1]\n\t"
        "sxtb16 %[t], %[wb], ror #8\n\t"
        "smlad %[a1], %[o], %[t], %[a1]\n\t"
        "ldrd %[wa], %[wb], [%[w]], #8\n\t"
        "sxtb16 %[t], %[wa]\n\t"
        "smlad %[a2], %[e], %[t], %[a2]\n\t"
        "sxtb16 %[t], %[wa], ror #8\n\t"
        "smlad %[a2], %[o], %[t], %[a2]\n\t"
        "sxtb16 %[t], %[wb]\n\t"
        "smlad %[a3], %[e], %[t], %[a3]\n\t"
        "sxtb16 %[t], %[wb], ror #8\n\t"
        "smlad %[a3], %[o], %[t], %[a3]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w), [n] "+r"(n),
          [e] "=&r"(even), [o] "=&r"(odd), [wa] "=&r"(wa), [wb] "=&r"(wb), [t] "=&r"(t)
        :
        : "cc", "memory");
  }
#else
  for (int32_t q = 0; q < quads; ++q) {
    const int32_t even = (int32_t)xw[2 * q], odd = (int32_t)xw[2 * q + 1];
    if (wide) {
      a0 = fast_smlad(even, (int32_t)w[0], a0);
      a0 = fast_smlad(odd, (int32_t)w[1], a0);
      a1 = fast_smlad(even, (int32_t)w[2], a1);
      a1 = fast_smlad(odd, (int32_t)w[3], a1);
      a2 = fast_smlad(even, (int32_t)w[4], a2);
      a2 = fast_smlad(odd, (int32_t)w[5], a2);
      a3 = fast_smlad(even, (int32_t)w[6], a3);
      a3 = fast_smlad(odd, (int32_t)w[7], a3);
      w += 8;
    } else {
      a0 = fast_smlad(even, fast_sxtb16(w[0]), a0);
      a0 = fast_smlad(odd, fast_sxtb16_ror8(w[0]), a0);
      a1 = fast_smlad(even, fast_sxtb16(w[1]), a1);
      a1 = fast_smlad(odd, fast_sxtb16_ror8(w[1]), a1);
      a2 = fast_smlad(even, fast_sxtb16(w[2]), a2);
      a2 = fast_smlad(odd, fast_sxtb16_ror8(w[2]), a2);
      a3 = fast_smlad(even, fast_sxtb16(w[3]), a3);
      a3 = fast_smlad(odd, fast_sxtb16_ror8(w[3]), a3);
      w += 4;
    }
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

static inline __attribute__((always_inline)) es_status conv_1x1(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                                                  const int wide, const int mode) {
  const int32_t depth = p->input.c, channels = p->output.c;
  const int32_t pixels = p->output.n * p->output.h * p->output.w;
  if (p->kernel_h != 1 || p->kernel_w != 1 || p->tile.stride_h != 1 || p->tile.stride_w != 1 ||
      p->tile.pad_h != 0 || p->tile.pad_w != 0 || pixels != p->input.n * p->input.h * p->input.w)
    return ES_ERR_UNSUPPORTED;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const es_fast_requant rq = p->requant; /* not re-read after each int8 store */
  const int32_t stride = fast_block_words(depth, wide);
  /* The planner may place the output over the input's consumed part: then
   * each input pixel is copied before its outputs are written. */
  const int overlap = (const int8_t *)output < input + (size_t)pixels * depth &&
                      input < (const int8_t *)output + (size_t)pixels * channels;
  if (overlap && depth > ES_FAST_MAX_CONV_PATCH) return ES_ERR_UNSUPPORTED;
  union { uint32_t words[WIDE_WORDS]; int8_t bytes[ES_FAST_MAX_CONV_PATCH]; } scratch; /* word-aligned */
  if (depth % 4 == 0 && depth > 0 && depth / 2 <= WIDE_WORDS) {
    const int32_t quads = depth / 4;
    for (int32_t px = 0; px < pixels; ++px) {
      widen_pixel(input + (size_t)px * depth, quads, scratch.words);
      const uint32_t *w = weights;
      int8_t *out = output;
      int32_t c = 0;
      for (; c + 4 <= channels; c += 4) { /* whole blocks: the table read in pairs, no bounds per value */
        int32_t acc[4];
        block_widened(scratch.words, quads, w, wide, acc);
        const int32_t *k = rq.channels + 4 * c;
        out[0] = fast_requantize_table(&rq, acc[0], k, mode);
        out[1] = fast_requantize_table(&rq, acc[1], k + 4, mode);
        out[2] = fast_requantize_table(&rq, acc[2], k + 8, mode);
        out[3] = fast_requantize_table(&rq, acc[3], k + 12, mode);
        out += 4;
        w += stride;
      }
      if (c < channels) {
        int32_t acc[4];
        block_widened(scratch.words, quads, w, wide, acc);
        fast_requantize4(&rq, acc, c, channels, out, mode);
      }
      output += channels;
    }
    return ES_OK;
  }
  for (int32_t px = 0; px < pixels; ++px) {
    const int8_t *x = input + (size_t)px * depth;
    if (overlap) {
      memcpy(scratch.bytes, x, (size_t)depth);
      x = scratch.bytes;
    }
    for (int32_t c = 0; c < channels; c += 4) {
      int32_t acc[4];
      fast_fc_block(x, depth, weights + (c / 4) * stride, wide, acc);
      fast_requantize4(&rq, acc, c, channels, output + c, mode);
    }
    output += channels;
  }
  return ES_OK;
}

es_status es_fast_conv_1x1_s8_w16(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
  #define CALL(mode) conv_1x1(p, input, output, 1, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}

es_status es_fast_conv_1x1_s8_w8(const es_fast_conv_params *p, const int8_t *input, int8_t *output) {
  #define CALL(mode) conv_1x1(p, input, output, 0, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
