/* 1x1 convolution (stride 1, no padding) with int16 weights in tiles of
 * 2 output channels x 2 pixels, whole int8 output range only
 * (ES_FAST_RQ_DSP_FULL; edgesim/nn_fast.h).
 *
 * The two pixels are widened once, interleaved per input quad (pixel A even,
 * odd, pixel B even, odd; fast_widen_pair), and each pair of channels reads
 * them with one LDM per quad against one LDM of the two rows' int16 weights:
 * 10 instructions per 16 MACs, each weight word serving two pixels.  The
 * tile needs all 14 registers (4 accumulators, 4 input and 4 weight words,
 * 2 pointers), none left for a loop count, so the quads are an unrolled
 * sequence entered at depth / 4 quads from its end (a computed branch, as in
 * Duff's device).  The folded biases start the accumulators; the
 * requantization (one table LDM per channel for both pixels) and the stores
 * follow in registers.  The model compiler doubles the weights and folded
 * biases (fast_requantize_ssat8 in fast_internal.h): the accumulators end
 * as 2a, the requantization's doubling done in advance. */
#include "fast_internal.h"

/* All channel pairs of one pixel pair: out[2c], out[2c + 1] for pixel A and
 * at out + pixel_b for pixel B (0: a lone pixel, written twice). */
void es_fast_pairs_w16_full(const uint32_t *xw, const uint32_t *w, const int32_t *k, int8_t *out, int32_t pairs,
                            int32_t quads, int32_t pixel_b);

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* 40 bytes: every instruction 32-bit, so quad i starts 40 * i bytes in. */
#define QUAD                                                                                   \
  "  ldmia.w r1!, {r4, r5, r6, r7}\n"  /* eA oA eB oB */                                       \
  "  ldmia.w r2!, {r8, r9, r10, r11}\n" /* row 0 (w0,w2) (w1,w3), row 1 the same */            \
  "  smlad r0, r4, r8, r0\n"                                                                   \
  "  smlad r0, r5, r9, r0\n"                                                                   \
  "  smlad r3, r6, r8, r3\n"                                                                   \
  "  smlad r3, r7, r9, r3\n"                                                                   \
  "  smlad r12, r4, r10, r12\n"                                                                \
  "  smlad r12, r5, r11, r12\n"                                                                \
  "  smlad lr, r6, r10, lr\n"                                                                  \
  "  smlad lr, r7, r11, lr\n"
#define QUAD4 QUAD QUAD QUAD QUAD
#define QUAD16 QUAD4 QUAD4 QUAD4 QUAD4
/* fast_requantize_dsp() of one channel for pixels A (a) and B (b), both
 * already doubled: r5 multiplier, r6 right shift, r7 rounding constant with
 * the output offset; r4 (the bias, used) then the rounding constant less
 * (a < 0), (b < 0). */
#define REQUANT(a, b)                                                                          \
  "  ldmia r1!, {r4, r5, r6, r7}\n"                                                            \
  "  add r4, r7, " a ", asr #31\n"                                                             \
  "  smmlar " a ", " a ", r5, r4\n"                                                            \
  "  add r4, r7, " b ", asr #31\n"                                                             \
  "  smmlar " b ", " b ", r5, r4\n"                                                            \
  "  asr " a ", " a ", r6\n"                                                                   \
  "  asr " b ", " b ", r6\n"                                                                   \
  "  ssat " a ", #8, " a "\n"                                                                  \
  "  ssat " b ", #8, " b "\n"

__asm__(
    "  .pushsection .text.es_fast_pairs_w16_full,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .p2align 2\n"
    "  .global es_fast_pairs_w16_full\n"
    "  .type es_fast_pairs_w16_full, %function\n"
    "  .thumb_func\n"
    "es_fast_pairs_w16_full:\n"
    /* [sp] the entry address, [sp, #8] xw, [sp, #12] k, [sp, #16] out,
     * [sp, #56] pairs, [sp, #60] quads, [sp, #64] pixel_b.  In the sequence:
     * r0, r3 row 0 (A, B); r12, lr row 1 (A, B); r1 xw; r2 w. */
    "  push {r0, r2, r3, r4-r11, lr}\n"
    "  sub sp, sp, #8\n"
    "  mov r2, r1\n"
    "  adr r12, 9f\n"
    "  ldr lr, [sp, #60]\n"
    "  add lr, lr, lr, lsl #2\n"
    "  sub r12, r12, lr, lsl #3\n" /* 40 bytes per quad before the end */
    "  orr r12, r12, #1\n"         /* Thumb state for the LDR to PC */
    "  str r12, [sp]\n"
    "2:\n"
    "  ldr r4, [sp, #12]\n"
    "  ldr r0, [r4]\n"
    "  ldr r12, [r4, #16]\n"
    "  mov r3, r0\n"
    "  mov lr, r12\n"
    "  ldr r1, [sp, #8]\n"
    "  ldr pc, [sp]\n"
    "  .p2align 2\n"
    QUAD16 QUAD16 QUAD16 QUAD16 /* ES_FAST_MAX_ROWS_DEPTH / 4 quads */
    "9:\n"
    "  ldr r1, [sp, #12]\n"
    REQUANT("r0", "r3") REQUANT("r12", "lr")
    "  str r1, [sp, #12]\n"
    "  ldr r4, [sp, #16]\n"
    "  ldr r5, [sp, #64]\n"
    "  strb r3, [r4, r5]\n"
    "  strb r0, [r4], #1\n"
    "  strb lr, [r4, r5]\n"
    "  strb r12, [r4], #1\n"
    "  str r4, [sp, #16]\n"
    "  ldr r4, [sp, #56]\n"
    "  subs r4, r4, #1\n"
    "  str r4, [sp, #56]\n"
    "  bne 2b\n"
    "  add sp, sp, #8\n"
    "  pop {r0, r2, r3, r4-r11, pc}\n"
    "  .size es_fast_pairs_w16_full, .-es_fast_pairs_w16_full\n"
    "  .popsection\n");
#undef QUAD
#undef QUAD4
#undef QUAD16
#undef REQUANT
#else
void es_fast_pairs_w16_full(const uint32_t *xw, const uint32_t *w, const int32_t *k, int8_t *out, int32_t pairs,
                            int32_t quads, int32_t pixel_b) {
  for (int32_t c = 0; c < pairs; ++c, k += 8, out += 2) {
    int32_t a0 = 0, b0 = 0, a1 = 0, b1 = 0;
    for (int32_t q = 0; q < quads; ++q, w += 4) {
      const int32_t *x = (const int32_t *)xw + 4 * q;
      a0 = fast_smlad(x[1], (int32_t)w[1], fast_smlad(x[0], (int32_t)w[0], a0));
      b0 = fast_smlad(x[3], (int32_t)w[1], fast_smlad(x[2], (int32_t)w[0], b0));
      a1 = fast_smlad(x[1], (int32_t)w[3], fast_smlad(x[0], (int32_t)w[2], a1));
      b1 = fast_smlad(x[3], (int32_t)w[3], fast_smlad(x[2], (int32_t)w[2], b1));
    }
    out[pixel_b] = (int8_t)fast_requantize_ssat8(b0, k);
    out[0] = (int8_t)fast_requantize_ssat8(a0, k);
    out[pixel_b + 1] = (int8_t)fast_requantize_ssat8(b1, k + 4);
    out[1] = (int8_t)fast_requantize_ssat8(a1, k + 4);
  }
}
#endif

es_status es_fast_conv_1x1_s8_pairs(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                    void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_PAIRS_WORK_BYTES(p->input.c)) return ES_ERR_ARENA_TOO_SMALL;
  const int32_t depth = p->input.c, channels = p->output.c;
  const int32_t pixels = p->output.n * p->output.h * p->output.w;
  if (p->kernel_h != 1 || p->kernel_w != 1 || p->tile.stride_h != 1 || p->tile.stride_w != 1 ||
      p->tile.pad_h != 0 || p->tile.pad_w != 0 || pixels != p->input.n * p->input.h * p->input.w ||
      depth <= 0 || depth % 4 != 0 || depth > ES_FAST_MAX_ROWS_DEPTH || channels <= 0 || channels % 2 != 0 ||
      p->requant.mode != ES_FAST_RQ_DSP_FULL)
    return ES_ERR_UNSUPPORTED;
  /* Both pixels are widened before any output is written (overlap_safe). */
  uint32_t *const xw = (uint32_t *)work; /* the two widened pixels */
  for (int32_t px = 0; px < pixels; px += 2) {
    const int8_t *a = input + (size_t)px * depth;
    const int pair = px + 1 < pixels;
    fast_widen_pair(a, pair ? a + depth : a, depth / 4, xw);
    es_fast_pairs_w16_full(xw, (const uint32_t *)p->weights, p->requant.channels, output + (size_t)px * channels,
                           channels / 2, depth / 4, pair ? channels : 0);
  }
  return ES_OK;
}
