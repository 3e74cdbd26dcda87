/* AVERAGE_POOL_2D, int8, SAME/VALID padding, any filter and stride.
 *
 * Arithmetic is TFLM's reference integer AveragePool: padded positions are
 * left out of both the sum and the count, and the mean is rounded half away
 * from zero with truncating C division:
 *   avg = sum > 0 ? (sum + count/2) / count : (sum - count/2) / count
 * then clamped to the fused activation range.  Input and output share their
 * quantization (checked in prepare), so no rescaling is involved.
 *
 * Speed: the window of each output pixel is clipped once, and whole pixels
 * (all channels, unit stride) are summed into an int32 row in scratch memory.
 */
#include "edgesim/op.h"
#include "op_common.h"

static es_status average_pool_prepare(es_op_context *ctx) {
  es_pool_params *p = 0;
  es_status st = es_op_prepare_pool(ctx, 1, &p);
  if (st != ES_OK) return st;
  const int32_t channels = es_op_input(ctx, 0)->dims[3];
  st = es_op_request_scratch(ctx, (size_t)channels * sizeof(int32_t));
  if (st != ES_OK) return es_op_fail(ctx, st, "AVERAGE_POOL_2D: cannot reserve scratch for channel sums");
  return ES_OK;
}

static es_status average_pool_invoke(es_op_context *ctx) {
  const es_pool_params *p = (const es_pool_params *)es_op_data(ctx);
  const es_tensor *input = es_op_input(ctx, 0);
  es_tensor *output = es_op_output(ctx, 0);
  const int32_t batches = input->dims[0], in_h = input->dims[1], in_w = input->dims[2], channels = input->dims[3];
  const int32_t out_h = output->dims[1], out_w = output->dims[2];
  const int8_t *in = (const int8_t *)input->data;
  int8_t *out = (int8_t *)output->data;
  int32_t *sum = (int32_t *)es_op_scratch(ctx);
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)channels;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      int32_t y0, fy0, fy1;
      es_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        int32_t x0, fx0, fx1;
        es_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
        for (int32_t c = 0; c < channels; ++c) sum[c] = 0;
        for (int32_t fy = fy0; fy < fy1; ++fy) {
          const int8_t *row = image + ((size_t)(y0 + fy) * (size_t)in_w + (size_t)(x0 + fx0)) * (size_t)channels;
          for (int32_t fx = fx0; fx < fx1; ++fx, row += channels)
            for (int32_t c = 0; c < channels; ++c) sum[c] += row[c];
        }
        /* The geometry check in prepare guarantees count >= 1. */
        const int32_t count = (fy1 - fy0) * (fx1 - fx0);
        for (int32_t c = 0; c < channels; ++c) {
          const int32_t s = sum[c];
          int32_t v = s > 0 ? (s + count / 2) / count : (s - count / 2) / count;
          v = v < p->act_min ? p->act_min : v;
          v = v > p->act_max ? p->act_max : v;
          out[c] = (int8_t)v;
        }
        out += channels;
      }
    }
  }
  return ES_OK;
}

const es_op es_op_average_pool_2d = {
    1 /* AVERAGE_POOL_2D */, "AVERAGE_POOL_2D", 2 /* v2: int8 */, 0u, average_pool_prepare, average_pool_invoke,
};
