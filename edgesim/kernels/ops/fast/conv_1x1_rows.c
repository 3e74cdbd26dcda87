/* 1x1 convolution (stride 1, no padding) reading TFLM's own int8 weight
 * layout, output channels x input channels (edgesim/nn_fast.h): the model's
 * weight buffer serves as is, so --optimize size compiles pointwise
 * convolutions without a second copy of their weights in flash.
 *
 * Tiles of 2 output channels x 2 pixels: the two pixels are widened once to
 * int16 pairs (SXTB16), interleaved per input quad (pixel A even, odd,
 * pixel B even, odd) in a scratch every channel pair then reads with one LDM;
 * each int8 weight word is widened once (2 SXTB16) and serves both pixels:
 * 17 instructions per 16 MACs (15 with whole-range requantization, below,
 * where the loop is unrolled).  The loop needs 14 registers (4 accumulators,
 * 4 input words, the weight word and its other half, 2 pointers, the row
 * stride and the count), more than gcc gives an asm statement, so it is a
 * small assembly function. */
#include "fast_internal.h"

/* acc[0..3] = (row 0, pixel A), (row 1, A), (row 0, B), (row 1, B) dot
 * products of rows w and w + 4 * quads (int8) with the interleaved widened
 * pixels xw (4 words per quad), quads >= 1. */
void es_fast_dot_rows_2x2(int32_t acc[4], const uint32_t *xw, const int8_t *w, int32_t quads);

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
__asm__(
    "  .pushsection .text.es_fast_dot_rows_2x2,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .p2align 2\n"
    "  .global es_fast_dot_rows_2x2\n"
    "  .type es_fast_dot_rows_2x2, %function\n"
    "  .thumb_func\n"
    "es_fast_dot_rows_2x2:\n"
    /* r0 acc -> stack; r0, r4 row 0 (A, B); r5, r6 row 1 (A, B); r7-r10
     * eA oA eB oB; r11 weight word; lr its other half; r1 xw; r2 w;
     * r12 row stride (bytes); r3 count */
    "  push {r0, r4-r11, lr}\n"
    "  lsl r12, r3, #2\n"
    "  movs r0, #0\n"
    "  movs r4, #0\n"
    "  movs r5, #0\n"
    "  movs r6, #0\n"
    "1:\n"
    "  ldmia r1!, {r7, r8, r9, r10}\n"
    "  ldr r11, [r2, r12]\n"
    "  sxtb16 lr, r11\n"
    "  smlad r5, r7, lr, r5\n"
    "  smlad r6, r9, lr, r6\n"
    "  sxtb16 r11, r11, ror #8\n"
    "  smlad r5, r8, r11, r5\n"
    "  smlad r6, r10, r11, r6\n"
    "  ldr r11, [r2], #4\n"
    "  sxtb16 lr, r11\n"
    "  smlad r0, r7, lr, r0\n"
    "  smlad r4, r9, lr, r4\n"
    "  sxtb16 r11, r11, ror #8\n"
    "  smlad r0, r8, r11, r0\n"
    "  smlad r4, r10, r11, r4\n"
    "  subs r3, r3, #1\n"
    "  bne 1b\n"
    "  ldr r1, [sp]\n"
    "  stmia r1, {r0, r5}\n"
    "  strd r4, r6, [r1, #8]\n"
    "  pop {r0, r4-r11, pc}\n"
    "  .size es_fast_dot_rows_2x2, .-es_fast_dot_rows_2x2\n"
    "  .popsection\n");

/* Whole-range requantization (ES_FAST_RQ_DSP_FULL) fused: all channel pairs
 * of one pixel pair, each accumulator started at its folded bias, the quads
 * an unrolled sequence entered at depth / 4 quads from its end (a computed
 * branch: no loop count, as in es_fast_pairs_w16_full), and a channel's
 * table words (one LDM) serving both pixels. */
#define FAST_HAVE_ROWS_FULL 1
void es_fast_rows_pair_full(const uint32_t *xw, const int8_t *w, const int32_t *k, int8_t *out, int32_t pairs,
                            int32_t quads, int32_t pixel_b);

/* 60 bytes: every instruction 32-bit, so quad i starts 60 * i bytes in. */
#define ROWS_QUAD                                                                              \
  "  ldmia.w r1!, {r7, r8, r9, r10}\n"                                                         \
  "  ldr.w r11, [r2, r12]\n"                                                                   \
  "  sxtb16 lr, r11\n"                                                                         \
  "  smlad r5, r7, lr, r5\n"                                                                   \
  "  smlad r6, r9, lr, r6\n"                                                                   \
  "  sxtb16 r11, r11, ror #8\n"                                                                \
  "  smlad r5, r8, r11, r5\n"                                                                  \
  "  smlad r6, r10, r11, r6\n"                                                                 \
  "  ldr.w r11, [r2], #4\n"                                                                    \
  "  sxtb16 lr, r11\n"                                                                         \
  "  smlad r0, r7, lr, r0\n"                                                                   \
  "  smlad r4, r9, lr, r4\n"                                                                   \
  "  sxtb16 r11, r11, ror #8\n"                                                                \
  "  smlad r0, r8, r11, r0\n"                                                                  \
  "  smlad r4, r10, r11, r4\n"
#define ROWS_QUAD4 ROWS_QUAD ROWS_QUAD ROWS_QUAD ROWS_QUAD
#define ROWS_QUAD16 ROWS_QUAD4 ROWS_QUAD4 ROWS_QUAD4 ROWS_QUAD4
/* fast_requantize_dsp() of pixels A (a) and B (b) of one channel: r8
 * multiplier, r9 right shift, r10 rounding constant with the output offset;
 * r7 (the bias, used) then the rounding constant less (a < 0), (b < 0). */
#define ROWS_REQUANT(a, b)                                                                     \
  "  ldmia r1!, {r7, r8, r9, r10}\n"                                                           \
  "  add r7, r10, " a ", asr #31\n"                                                            \
  "  add " a ", " a ", " a "\n"                                                                \
  "  smmlar " a ", " a ", r8, r7\n"                                                            \
  "  add r7, r10, " b ", asr #31\n"                                                            \
  "  add " b ", " b ", " b "\n"                                                                \
  "  smmlar " b ", " b ", r8, r7\n"                                                            \
  "  asr " a ", " a ", r9\n"                                                                   \
  "  asr " b ", " b ", r9\n"                                                                   \
  "  ssat " a ", #8, " a "\n"                                                                  \
  "  ssat " b ", #8, " b "\n"

__asm__(
    "  .pushsection .text.es_fast_rows_pair_full,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .p2align 2\n"
    "  .global es_fast_rows_pair_full\n"
    "  .type es_fast_rows_pair_full, %function\n"
    "  .thumb_func\n"
    "es_fast_rows_pair_full:\n"
    /* [sp] the entry address, [sp, #8] xw, [sp, #12] k, [sp, #16] out,
     * [sp, #56] pairs, [sp, #60] quads, [sp, #64] pixel B's offset from A in
     * out; in the sequence as in es_fast_dot_rows_2x2. */
    "  push {r0, r2, r3, r4-r11, lr}\n"
    "  sub sp, sp, #8\n"
    "  mov r2, r1\n"
    "  adr r3, 9f\n"
    "  ldr lr, [sp, #60]\n"
    "  rsb lr, lr, lr, lsl #4\n"
    "  sub r3, r3, lr, lsl #2\n" /* 60 bytes per quad before the end */
    "  orr r3, r3, #1\n"         /* Thumb state for the LDR to PC */
    "  str r3, [sp]\n"
    "  ldr r12, [sp, #60]\n"
    "  lsls r12, r12, #2\n"
    "2:\n"
    "  ldr r1, [sp, #12]\n"
    "  ldr r0, [r1]\n"
    "  ldr r5, [r1, #16]\n"
    "  mov r4, r0\n"
    "  mov r6, r5\n"
    "  ldr r1, [sp, #8]\n"
    "  ldr pc, [sp]\n"
    "  .p2align 2\n"
    ROWS_QUAD16 ROWS_QUAD16 ROWS_QUAD16 ROWS_QUAD16 /* ES_FAST_MAX_ROWS_DEPTH / 4 quads */
    "9:\n"
    "  add r2, r2, r12\n" /* past row 1: the next pair */
    "  ldr r1, [sp, #12]\n"
    ROWS_REQUANT("r0", "r4") ROWS_REQUANT("r5", "r6")
    "  str r1, [sp, #12]\n"
    "  ldr r3, [sp, #16]\n"
    "  ldr r11, [sp, #64]\n"
    "  strb r4, [r3, r11]\n"
    "  strb r0, [r3], #1\n"
    "  strb r6, [r3, r11]\n"
    "  strb r5, [r3], #1\n"
    "  str r3, [sp, #16]\n"
    "  ldr r3, [sp, #56]\n"
    "  subs r3, r3, #1\n"
    "  str r3, [sp, #56]\n"
    "  bne 2b\n"
    "  add sp, sp, #8\n"
    "  pop {r0, r2, r3, r4-r11, pc}\n"
    "  .size es_fast_rows_pair_full, .-es_fast_rows_pair_full\n"
    "  .popsection\n");
#undef ROWS_QUAD
#undef ROWS_QUAD4
#undef ROWS_QUAD16
#undef ROWS_REQUANT
#else
#define FAST_HAVE_ROWS_FULL 0
void es_fast_dot_rows_2x2(int32_t acc[4], const uint32_t *xw, const int8_t *w, int32_t quads) {
  int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  const int8_t *w1 = w + 4 * quads;
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t r0 = fast_load_u32(w + 4 * q), r1 = fast_load_u32(w1 + 4 * q);
    const int32_t e0 = fast_sxtb16(r0), o0 = fast_sxtb16_ror8(r0), e1 = fast_sxtb16(r1), o1 = fast_sxtb16_ror8(r1);
    const int32_t ea = (int32_t)xw[4 * q], oa = (int32_t)xw[4 * q + 1];
    const int32_t eb = (int32_t)xw[4 * q + 2], ob = (int32_t)xw[4 * q + 3];
    a0 = fast_smlad(oa, o0, fast_smlad(ea, e0, a0));
    a1 = fast_smlad(oa, o1, fast_smlad(ea, e1, a1));
    b0 = fast_smlad(ob, o0, fast_smlad(eb, e0, b0));
    b1 = fast_smlad(ob, o1, fast_smlad(eb, e1, b1));
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = b0;
  acc[3] = b1;
}
#endif

static inline __attribute__((always_inline)) es_status conv_1x1_rows(const es_fast_conv_params *p, const int8_t *input,
                                                                       int8_t *output, void *work, const int mode) {
  const int32_t depth = p->input.c, channels = p->output.c;
  const int32_t pixels = p->output.n * p->output.h * p->output.w;
  if (p->kernel_h != 1 || p->kernel_w != 1 || p->tile.stride_h != 1 || p->tile.stride_w != 1 ||
      p->tile.pad_h != 0 || p->tile.pad_w != 0 || pixels != p->input.n * p->input.h * p->input.w ||
      depth <= 0 || depth % 4 != 0 || depth > ES_FAST_MAX_ROWS_DEPTH || channels % 2 != 0)
    return ES_ERR_UNSUPPORTED;
  const int8_t *weights = (const int8_t *)p->weights;
  const es_fast_requant rq = p->requant;
  const int32_t quads = depth / 4;
  /* Both pixels are widened before any output is written: an output placed
   * over the consumed input (overlap_safe) is still read first. */
  uint32_t *const xw = (uint32_t *)work; /* the two widened pixels */
  for (int32_t px = 0; px < pixels; px += 2) {
    const int8_t *a = input + (size_t)px * depth;
    const int pair = px + 1 < pixels;
    fast_widen_pair(a, pair ? a + depth : a, quads, xw); /* a last odd pixel pairs with itself */
    int8_t *out = output + (size_t)px * channels;
#if FAST_HAVE_ROWS_FULL
    if (mode == ES_FAST_RQ_DSP_FULL) {
      /* a lone last pixel writes its outputs twice, to the same place */
      es_fast_rows_pair_full(xw, weights, rq.channels, out, channels / 2, quads, pair ? channels : 0);
      continue;
    }
#endif
    const int32_t *k = rq.channels;
    const int8_t *w = weights;
    for (int32_t c = 0; c < channels; c += 2) {
      int32_t acc[4];
      es_fast_dot_rows_2x2(acc, xw, w, quads);
      out[c] = fast_requantize_table(&rq, acc[0], k, mode);
      out[c + 1] = fast_requantize_table(&rq, acc[1], k + 4, mode);
      if (pair) {
        out[channels + c] = fast_requantize_table(&rq, acc[2], k, mode);
        out[channels + c + 1] = fast_requantize_table(&rq, acc[3], k + 4, mode);
      }
      k += 8;
      w += 2 * depth;
    }
  }
  return ES_OK;
}

es_status es_fast_conv_1x1_s8_rows(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                   void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_PAIRS_WORK_BYTES(p->input.c)) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) conv_1x1_rows(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
