/* The 4-row blocks of w16 weights over one widened vector with the
 * requantization of ES_FAST_RQ_DSP_FULL fused (fast_internal.h): shared by
 * the 1x1 and window convolutions and the fully connected kernel.
 *
 * On the M4 it is a small assembly function: each block's folded biases
 * start its 4 accumulators, the dot product runs 24 instructions per two
 * quads, and the 4 outputs are requantized in registers (one LDM of the
 * channel's table words each) and stored: about 45 instructions per block
 * besides the dot product, where gcc's code for the same took ~75 (the
 * accumulators went through the stack).  Elsewhere, the same arithmetic in
 * C with the portable instruction models. */
#include "fast_internal.h"

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
#define QUAD                                                                                   \
  "  ldrd r12, lr, [r0], #8\n"                                                                 \
  "  ldmia r1!, {r4, r5, r6, r7}\n"                                                            \
  "  smlad r3, r12, r4, r3\n"                                                                  \
  "  smlad r3, lr, r5, r3\n"                                                                   \
  "  smlad r8, r12, r6, r8\n"                                                                  \
  "  smlad r8, lr, r7, r8\n"                                                                   \
  "  ldmia r1!, {r4, r5, r6, r7}\n"                                                            \
  "  smlad r9, r12, r4, r9\n"                                                                  \
  "  smlad r9, lr, r5, r9\n"                                                                   \
  "  smlad r10, r12, r6, r10\n"                                                                \
  "  smlad r10, lr, r7, r10\n"
/* fast_requantize_dsp() in ES_FAST_RQ_DSP_FULL: r5 multiplier, r6 right
 * shift, r7 rounding constant with the output offset (r4: the bias, used,
 * then the rounding constant less (acc < 0)). */
#define REQUANT(acc)                                                                           \
  "  ldmia r11!, {r4, r5, r6, r7}\n"                                                           \
  "  add r4, r7, " acc ", asr #31\n"                                                           \
  "  add " acc ", " acc ", " acc "\n"                                                          \
  "  smmlar " acc ", " acc ", r5, r4\n"                                                        \
  "  asr " acc ", " acc ", r6\n"                                                               \
  "  ssat " acc ", #8, " acc "\n"

__asm__(
    "  .pushsection .text.es_fast_blocks_w16_full,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .p2align 2\n"
    "  .global es_fast_blocks_w16_full\n"
    "  .type es_fast_blocks_w16_full, %function\n"
    "  .thumb_func\n"
    "es_fast_blocks_w16_full:\n"
    /* [sp] xw, [sp, #4] out, [sp, #44] blocks, [sp, #48] quads; r11 the
     * table; r3, r8, r9, r10 the block's accumulators; r0 xw; r1 w; r2 the
     * pass count; r12, lr the widened input pair; r4-r7 weights */
    "  push {r0, r3, r4-r11, lr}\n"
    "  mov r11, r2\n"
    "2:\n"
    "  ldr r3, [r11]\n"
    "  ldr r8, [r11, #16]\n"
    "  ldr r9, [r11, #32]\n"
    "  ldr r10, [r11, #48]\n"
    "  ldr r0, [sp]\n"
    "  ldr r2, [sp, #48]\n"
    "  lsrs r2, r2, #1\n" /* passes of two quads; carry: an odd quad */
    "  bcc 1f\n"
    "  adds r2, r2, #1\n" /* odd: the first pass does only its second quad */
    "  b 3f\n"
    "1:\n"
    QUAD
    "3:\n"
    QUAD
    "  subs r2, r2, #1\n"
    "  bne 1b\n"
    REQUANT("r3") REQUANT("r8") REQUANT("r9") REQUANT("r10")
    "  ldr r12, [sp, #4]\n"
    "  strb r3, [r12]\n"
    "  strb r8, [r12, #1]\n"
    "  strb r9, [r12, #2]\n"
    "  strb r10, [r12, #3]\n"
    "  adds r12, r12, #4\n"
    "  str r12, [sp, #4]\n"
    "  ldr r2, [sp, #44]\n"
    "  subs r2, r2, #1\n"
    "  str r2, [sp, #44]\n"
    "  bne 2b\n"
    "  pop {r0, r3, r4-r11, pc}\n"
    "  .size es_fast_blocks_w16_full, .-es_fast_blocks_w16_full\n"
    "  .popsection\n");
#undef QUAD
#undef REQUANT
#else
void es_fast_blocks_w16_full(const uint32_t *xw, const uint32_t *w, const int32_t *k, int8_t *out, int32_t blocks,
                             int32_t quads) {
  const es_fast_requant rq = {k, 0, -128, 127, ES_FAST_RQ_DSP_FULL};
  for (int32_t b = 0; b < blocks; ++b) {
    int32_t acc[4];
    fast_block_widened(xw, quads, w, acc);
    for (int32_t j = 0; j < 4; ++j) out[j] = fast_requantize_table(&rq, acc[j], k + 4 * j, ES_FAST_RQ_DSP_FULL);
    w += 8 * quads;
    k += 16;
    out += 4;
  }
}
#endif
