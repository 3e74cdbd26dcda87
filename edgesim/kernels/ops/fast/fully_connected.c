/* Fully connected with SMLAD over 4 output rows (edgesim/nn_fast.h): each
 * input word (4 int8 columns) is widened once with SXTB16 into the (k, k+2)
 * and (k+1, k+3) int16 pairs and multiplied into 4 rows' accumulators. */
#include "fast_internal.h"

static inline __attribute__((always_inline)) es_status fc(const es_fast_fc_params *p, const int8_t *input, int8_t *output, const int wide,
                                                            const int mode) {
  const int32_t depth = p->input_depth, rows = p->output_depth;
  const uint32_t *weights = (const uint32_t *)p->weights;
  const es_fast_requant rq = p->requant; /* not re-read after each int8 store */
  const int32_t stride = fast_block_words(depth, wide);
  for (int32_t b = 0; b < p->batches; ++b) {
    const int8_t *x = input + (size_t)b * depth;
    int8_t *out = output + (size_t)b * rows;
    for (int32_t r = 0; r < rows; r += 4) {
      int32_t acc[4];
      fast_fc_block(x, depth, weights + (r / 4) * stride, wide, acc);
      fast_requantize4(&rq, acc, r, rows, out + r, mode);
    }
  }
  return ES_OK;
}

es_status es_fast_fc_s8_w16(const es_fast_fc_params *p, const int8_t *input, int8_t *output) {
  #define CALL(mode) fc(p, input, output, 1, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}

es_status es_fast_fc_s8_w8(const es_fast_fc_params *p, const int8_t *input, int8_t *output) {
  #define CALL(mode) fc(p, input, output, 0, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
