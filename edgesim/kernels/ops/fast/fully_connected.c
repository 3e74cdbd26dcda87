/* Fully connected with SMLAD over 4 output rows (edgesim/nn_fast.h): each
 * input word (4 int8 columns) is widened with SXTB16 into the (k, k+2) and
 * (k+1, k+3) int16 pairs and multiplied into 4 rows' accumulators.  An input
 * row of at most ES_FAST_MAX_CONV_PATCH / 2 columns (a multiple of 4) is
 * widened once into a scratch that every row block reads when there are 4
 * blocks or more (fewer did not repay the widening pass, measured); other
 * rows are widened per block. */
#include "fast_internal.h"

static inline __attribute__((always_inline)) es_status fc(const es_fast_fc_params *p, const int8_t *input, int8_t *output,
                                                            void *work, const int mode) {
  const int32_t depth = p->input_depth, rows = p->output_depth;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const es_fast_requant rq = p->requant; /* not re-read after each int8 store */
  const int32_t stride = fast_block_words(depth);
  const int32_t quads = depth / 4;
  if (depth > 0 && depth % 4 == 0 && 2 * depth <= ES_FAST_MAX_CONV_PATCH && rows >= 16) {
    uint32_t *const xw = (uint32_t *)work; /* the widened input row */
    for (int32_t b = 0; b < p->batches; ++b) {
      fast_widen_quads(input + (size_t)b * depth, quads, xw);
      int8_t *out = output + (size_t)b * rows;
      const uint32_t *w = weights;
      int32_t r = 0;
      if (mode == ES_FAST_RQ_DSP_FULL && rows >= 4) { /* whole blocks in one assembly pass */
        es_fast_blocks_w16_full(xw, w, rq.channels, out, rows / 4, quads);
        r = rows / 4 * 4;
        w += (rows / 4) * stride;
      }
      for (; r + 4 <= rows; r += 4) {
        int32_t acc[4];
        fast_block_widened(xw, quads, w, acc);
        const int32_t *k = rq.channels + 4 * r;
        out[r] = fast_requantize_table(&rq, acc[0], k, mode);
        out[r + 1] = fast_requantize_table(&rq, acc[1], k + 4, mode);
        out[r + 2] = fast_requantize_table(&rq, acc[2], k + 8, mode);
        out[r + 3] = fast_requantize_table(&rq, acc[3], k + 12, mode);
        w += stride;
      }
      if (r < rows) {
        int32_t acc[4];
        fast_block_widened(xw, quads, w, acc);
        fast_requantize4(&rq, acc, r, rows, out + r, mode);
      }
    }
    return ES_OK;
  }
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + (size_t)b * depth;
    int8_t *out = output + (size_t)b * rows;
    for (int32_t r = 0; r < rows; r += 4) {
      int32_t acc[4];
      fast_fc_block(x, depth, weights + (r / 4) * stride, acc);
      fast_requantize4(&rq, acc, r, rows, out + r, mode);
    }
  }
  return ES_OK;
}

es_status es_fast_fc_s8_w16(const es_fast_fc_params *p, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_ROW_WORK_BYTES(p->input_depth)) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) fc(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
