/* 1x1 convolution (stride 1, no padding) as a fully connected layer per
 * pixel in 4-output-channel blocks (edgesim/nn_fast.h): each input quad is
 * widened once (SXTB16) and feeds 4 channels, 16 MACs for 1 input load and
 * 8 (w16) or 4 (w8) weight words.  A 4-channel x 2-pixel tile needs 8
 * accumulators + 4 widened inputs + pointers: more than the M4's registers,
 * and gcc's spills made it slower than this (measured with edgesim profile). */
#include "fast_internal.h"

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
  union { uint32_t word; int8_t bytes[ES_FAST_MAX_CONV_PATCH]; } copy; /* word-aligned */
  for (int32_t px = 0; px < pixels; ++px) {
    const int8_t *x = input + (size_t)px * depth;
    if (overlap) {
      memcpy(copy.bytes, x, (size_t)depth);
      x = copy.bytes;
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
