/* Fully connected reading TFLM's own int8 weight layout, rows x depth
 * (edgesim/nn_fast.h): the model's weight buffer serves as is, so
 * --optimize size compiles FC layers without a second copy of their weights
 * in flash.
 *
 * Blocks of 4 rows: each input word is widened once (2 SXTB16; once for
 * all blocks when the row fits a small scratch) and each row's weight word
 * once, 21-23 instructions per 16 MACs, as many as the packed int8 layout
 * took.  The loop needs 14 registers (4 accumulators, the input
 * pair, the weight word and its other half, input and weight pointers, three
 * row offsets and the count), more than gcc gives an asm statement, so it is
 * a small assembly function.  The depth tail (depth % 4) and the last rows
 * (rows % 4) are scalar C. */
#include "fast_internal.h"

/* acc[0..3] = the dot products of x with rows w, w + depth, w + 2 * depth,
 * w + 3 * depth over their first 4 * (depth / 4) columns; depth >= 4.  The
 * _widened form takes x already widened (fast_widen_quads): 2 instructions
 * less per quad. */
void es_fast_dot_rows_4(int32_t acc[4], const int8_t *x, const int8_t *w, int32_t depth);
void es_fast_dot_rows_4_widened(int32_t acc[4], const uint32_t *xw, const int8_t *w, int32_t depth);

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* One row: r10 its weight word, r11 the other half; acc += the quad. */
#define ROW(load, acc)                                                                         \
  "  ldr r10, " load "\n"                                                                      \
  "  sxtb16 r11, r10\n"                                                                        \
  "  smlad " acc ", r8, r11, " acc "\n"                                                        \
  "  sxtb16 r10, r10, ror #8\n"                                                                \
  "  smlad " acc ", r9, r10, " acc "\n"
#define ROWS ROW("[r2, r3]", "r5") ROW("[r2, r12]", "r6") ROW("[r2, lr]", "r7") ROW("[r2], #4", "r4")
#define RAW_QUAD                                                                               \
  "  ldr r8, [r1], #4\n"                                                                       \
  "  sxtb16 r9, r8, ror #8\n"                                                                  \
  "  sxtb16 r8, r8\n" ROWS
#define WIDENED_QUAD "  ldrd r8, r9, [r1], #8\n" ROWS
/* r0 acc -> stack, then the pass count; r1 x; r2 w (row 0); r3, r12, lr
 * the offsets of rows 1-3; r4-r7 accumulators; r8, r9 the input pair.  Two
 * quads per pass; an odd count enters the first pass at its second quad. */
#define DOT_ROWS_4(name, quad)                                                                 \
  "  .pushsection .text." name ",\"ax\",%progbits\n"                                            \
  "  .syntax unified\n"                                                                        \
  "  .thumb\n"                                                                                 \
  "  .p2align 2\n"                                                                             \
  "  .global " name "\n"                                                                       \
  "  .type " name ", %function\n"                                                              \
  "  .thumb_func\n" name ":\n"                                                                 \
  "  push {r0, r4-r11, lr}\n"                                                                  \
  "  add r12, r3, r3\n"                                                                        \
  "  add lr, r12, r3\n"                                                                        \
  "  movs r4, #0\n"                                                                            \
  "  movs r5, #0\n"                                                                            \
  "  movs r6, #0\n"                                                                            \
  "  movs r7, #0\n"                                                                            \
  "  lsrs r0, r3, #3\n" /* passes; carry: an odd quad */                                       \
  "  bcc 1f\n"                                                                                 \
  "  adds r0, r0, #1\n"                                                                        \
  "  b 2f\n"                                                                                   \
  "1:\n" quad "2:\n" quad                                                                        \
  "  subs r0, r0, #1\n"                                                                        \
  "  bne 1b\n"                                                                                 \
  "  ldr r1, [sp]\n"                                                                           \
  "  stmia r1, {r4, r5, r6, r7}\n"                                                             \
  "  pop {r0, r4-r11, pc}\n"                                                                   \
  "  .size " name ", .-" name "\n"                                                              \
  "  .popsection\n"

__asm__(DOT_ROWS_4("es_fast_dot_rows_4", RAW_QUAD) DOT_ROWS_4("es_fast_dot_rows_4_widened", WIDENED_QUAD));
#undef ROW
#undef ROWS
#undef RAW_QUAD
#undef WIDENED_QUAD
#undef DOT_ROWS_4
#else
static void dot_rows_4(int32_t acc[4], const int8_t *x, const uint32_t *xw, const int8_t *w, int32_t depth) {
  for (int32_t r = 0; r < 4; ++r) {
    const int8_t *row = w + (size_t)r * depth;
    int32_t a = 0;
    for (int32_t q = 0; q < depth / 4; ++q) {
      const uint32_t xq = x ? fast_load_u32(x + 4 * q) : 0, wq = fast_load_u32(row + 4 * q);
      const int32_t even = x ? fast_sxtb16(xq) : (int32_t)xw[2 * q];
      const int32_t odd = x ? fast_sxtb16_ror8(xq) : (int32_t)xw[2 * q + 1];
      a = fast_smlad(odd, fast_sxtb16_ror8(wq), fast_smlad(even, fast_sxtb16(wq), a));
    }
    acc[r] = a;
  }
}
void es_fast_dot_rows_4(int32_t acc[4], const int8_t *x, const int8_t *w, int32_t depth) {
  dot_rows_4(acc, x, NULL, w, depth);
}
void es_fast_dot_rows_4_widened(int32_t acc[4], const uint32_t *xw, const int8_t *w, int32_t depth) {
  dot_rows_4(acc, NULL, xw, w, depth);
}
#endif

/* Columns from..depth-1 of row w into acc (scalar). */
static inline int32_t dot_tail(const int8_t *x, const int8_t *w, int32_t from, int32_t depth, int32_t acc) {
  for (int32_t k = from; k < depth; ++k) acc = (int32_t)((uint32_t)acc + (uint32_t)(x[k] * w[k]));
  return acc;
}

static inline __attribute__((always_inline)) es_status fc_rows(const es_fast_fc_params *p, const int8_t *input,
                                                               int8_t *output, void *work, const int mode) {
  const int32_t depth = p->input_depth, rows = p->output_depth;
  const int8_t *weights = (const int8_t *)p->weights;
  const es_fast_requant rq = p->requant;
  const int32_t body = depth / 4 * 4;
  /* Widened once when 2 or more blocks share it and it fits the scratch. */
  const int widen = body > 0 && rows >= 8 && 2 * depth <= ES_FAST_MAX_CONV_PATCH;
  uint32_t *const xw = (uint32_t *)work; /* the widened input row */
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + (size_t)b * depth;
    int8_t *out = output + (size_t)b * rows;
    if (widen) fast_widen_quads(x, depth / 4, xw);
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4) {
      const int8_t *w = weights + (size_t)r * depth;
      int32_t acc[4] = {0, 0, 0, 0};
      if (widen) es_fast_dot_rows_4_widened(acc, xw, w, depth);
      else if (body > 0) es_fast_dot_rows_4(acc, x, w, depth);
      const int32_t *k = rq.channels + 4 * r;
      if (body == depth) {
        out[r] = fast_requantize_table(&rq, acc[0], k, mode);
        out[r + 1] = fast_requantize_table(&rq, acc[1], k + 4, mode);
        out[r + 2] = fast_requantize_table(&rq, acc[2], k + 8, mode);
        out[r + 3] = fast_requantize_table(&rq, acc[3], k + 12, mode);
        continue;
      }
      for (int32_t j = 0; j < 4; ++j) {
        const int32_t a = dot_tail(x, w + (size_t)j * depth, body, depth, acc[j]);
        out[r + j] = fast_requantize_table(&rq, a, k + 4 * j, mode);
      }
    }
    for (; r < rows; ++r) { /* the last rows % 4 */
      const int32_t a = dot_tail(x, weights + (size_t)r * depth, 0, depth, 0);
      out[r] = fast_requantize_table(&rq, a, rq.channels + 4 * r, mode);
    }
  }
  return ES_OK;
}

es_status es_fast_fc_s8_rows(const es_fast_fc_params *p, const int8_t *input, int8_t *output,
                             void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_ROW_WORK_BYTES(p->input_depth)) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) fc_rows(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
