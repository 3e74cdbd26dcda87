/* 1x1 convolution (stride 1, no padding) as a fully connected layer per
 * pixel in 4-output-channel blocks (edgesim/nn_fast.h).
 *
 * Each input pixel is widened once to int16 pairs (SXTB16: the (k, k+2) and
 * (k+1, k+3) words the packed weights pair with) into a small scratch that
 * every channel block of the pixel then reads: the inner loop does 16 MACs
 * with one LDRD of input, 2 LDM of 4 weight words and 8 SMLADs, and
 * no per-block widening.  The scratch also serves as the pixel's copy when
 * the planner placed the output over the input.  A 4-channel x 2-pixel tile
 * needs 8 accumulators + 4 input words + weights + pointers: more than the
 * M4's registers (gcc's spills made it slower; measured with edgesim
 * profile). Depths that are not a multiple of 4 or exceed the scratch take
 * the int8 path (fast_fc_block) instead. */
#include "fast_internal.h"

/* Int16 scratch words: the widened pixel (2 bytes per channel). */
#define WIDE_WORDS (ES_FAST_MAX_CONV_PATCH / 4)

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
#define HAVE_ASM 1
/* Depth 8, w16 weights, whole int8 output range (ES_FAST_RQ_DSP_FULL),
 * channels a multiple of 4: one pixel's outputs, out[0 .. 4 * blocks).  With
 * 8 MACs per output the requantization is half the work, so the pixel's 4
 * widened words stay in registers and each channel is one pass: the folded
 * bias starts the accumulator, 2 LDRD of weights, 4 SMLAD, then the
 * requantization of fast_requantize_dsp() on the channel's table words
 * (one LDM), SSAT and the store: 14 instructions per output. */
void es_fast_conv_1x1_depth8(const uint32_t xw[4], const uint32_t *w, const int32_t *k, int8_t *out, int32_t blocks);

#define DEPTH8_CHANNEL(j)                                                                       \
  "  ldr r12, [r2], #4\n"                 /* folded bias */                                     \
  "  ldrd r8, r9, [r1, #" #j " * 8]\n"    /* row j, quad 0: (w0, w2), (w1, w3) */              \
  "  ldrd r10, r11, [r1, #32 + " #j " * 8]\n" /* row j, quad 1 */                               \
  "  smlad r12, r4, r8, r12\n"                                                                  \
  "  smlad r12, r5, r9, r12\n"                                                                  \
  "  smlad r12, r6, r10, r12\n"                                                                 \
  "  smlad r12, r7, r11, r12\n"                                                                 \
  "  ldmia r2!, {r8, r9, r10}\n"          /* multiplier, right shift, rounding + offset */      \
  "  add r11, r10, r12, asr #31\n"       /* rounding less (acc < 0) */                         \
  "  add r12, r12, r12\n"                                                                       \
  "  smmlar r12, r12, r8, r11\n"                                                                \
  "  asr r12, r12, r9\n"                                                                        \
  "  ssat r12, #8, r12\n"                                                                       \
  "  strb r12, [r3], #1\n"

__asm__(
    "  .pushsection .text.es_fast_conv_1x1_depth8,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .p2align 2\n"
    "  .global es_fast_conv_1x1_depth8\n"
    "  .type es_fast_conv_1x1_depth8, %function\n"
    "  .thumb_func\n"
    "es_fast_conv_1x1_depth8:\n"
    /* r0 xw, then the block count; r1 w; r2 k; r3 out; r4-r7 the pixel */
    "  push {r4-r11, lr}\n"
    "  ldm r0, {r4, r5, r6, r7}\n"
    "  ldr r0, [sp, #36]\n"
    "1:\n"
    DEPTH8_CHANNEL(0) DEPTH8_CHANNEL(1) DEPTH8_CHANNEL(2) DEPTH8_CHANNEL(3)
    "  adds r1, r1, #64\n"
    "  subs r0, r0, #1\n"
    "  bne 1b\n"
    "  pop {r4-r11, pc}\n"
    "  .size es_fast_conv_1x1_depth8, .-es_fast_conv_1x1_depth8\n"
    "  .popsection\n");
#undef DEPTH8_CHANNEL

#else
#define HAVE_ASM 0
#endif

static inline __attribute__((always_inline)) es_status conv_1x1(const es_fast_conv_params *p, const int8_t *input,
                                                                  int8_t *output, void *work, const int mode) {
  const int32_t depth = p->input.c, channels = p->output.c;
  const int32_t pixels = p->output.n * p->output.h * p->output.w;
  if (p->kernel_h != 1 || p->kernel_w != 1 || p->tile.stride_h != 1 || p->tile.stride_w != 1 ||
      p->tile.pad_h != 0 || p->tile.pad_w != 0 || pixels != p->input.n * p->input.h * p->input.w)
    return ES_ERR_UNSUPPORTED;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const es_fast_requant rq = p->requant; /* not re-read after each int8 store */
  const int32_t stride = fast_block_words(depth);
  /* The planner may place the output over the input's consumed part: then
   * each input pixel is copied before its outputs are written. */
  const int overlap = (const int8_t *)output < input + (size_t)pixels * depth &&
                      input < (const int8_t *)output + (size_t)pixels * channels;
  if (overlap && depth > ES_FAST_MAX_CONV_PATCH) return ES_ERR_UNSUPPORTED;
  uint32_t *const wide = (uint32_t *)work; /* the widened pixel, or its int8 copy */
  if (HAVE_ASM && depth == 8 && mode == ES_FAST_RQ_DSP_FULL && channels % 4 == 0 && channels > 0) {
#if HAVE_ASM
    for (int32_t px = 0; px < pixels; ++px) {
      fast_widen_quads(input + (size_t)px * depth, 2, wide);
      es_fast_conv_1x1_depth8(wide, weights, rq.channels, output, channels / 4);
      output += channels;
    }
#endif
    return ES_OK;
  }
  if (depth % 4 == 0 && depth > 0 && depth / 2 <= WIDE_WORDS && mode == ES_FAST_RQ_DSP_FULL &&
      channels % 4 == 0 && channels > 0) {
    for (int32_t px = 0; px < pixels; ++px) {
      fast_widen_quads(input + (size_t)px * depth, depth / 4, wide);
      es_fast_blocks_w16_full(wide, weights, rq.channels, output, channels / 4, depth / 4);
      output += channels;
    }
    return ES_OK;
  }
  if (depth % 4 == 0 && depth > 0 && depth / 2 <= WIDE_WORDS) {
    const int32_t quads = depth / 4;
    for (int32_t px = 0; px < pixels; ++px) {
      fast_widen_quads(input + (size_t)px * depth, quads, wide);
      const uint32_t *w = weights;
      int8_t *out = output;
      int32_t c = 0;
      for (; c + 4 <= channels; c += 4) { /* whole blocks: the table read in pairs, no bounds per value */
        int32_t acc[4];
        fast_block_widened(wide, quads, w, acc);
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
        fast_block_widened(wide, quads, w, acc);
        fast_requantize4(&rq, acc, c, channels, out, mode);
      }
      output += channels;
    }
    return ES_OK;
  }
  for (int32_t px = 0; px < pixels; ++px) {
    const int8_t *x = input + (size_t)px * depth;
    if (overlap) {
      memcpy((int8_t *)wide, x, (size_t)depth);
      x = (int8_t *)wide;
    }
    for (int32_t c = 0; c < channels; c += 4) {
      int32_t acc[4];
      fast_fc_block(x, depth, weights + (c / 4) * stride, acc);
      fast_requantize4(&rq, acc, c, channels, output + c, mode);
    }
    output += channels;
  }
  return ES_OK;
}

es_status es_fast_conv_1x1_s8_w16(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                  void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_ROW_WORK_BYTES(p->input.c)) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) conv_1x1(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
