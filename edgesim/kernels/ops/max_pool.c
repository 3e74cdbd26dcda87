/* MAX_POOL_2D, int8, SAME/VALID padding, any filter and stride.
 *
 * TFLM's reference integer MaxPool: the maximum over the window positions
 * inside the image (padding never wins), clamped to the fused activation
 * range.  Input and output share their quantization (checked in prepare).
 *
 * Speed: the window is clipped once per output pixel and whole pixels (all
 * channels, unit stride) are folded into the output row.
 */
#include "edgesim/op.h"
#include "op_common.h"

static es_status max_pool_prepare(es_op_context *ctx) {
  es_pool_params *p = 0;
  return es_op_prepare_pool(ctx, 0, &p);
}

static es_status max_pool_invoke(es_op_context *ctx) {
  const es_pool_params *p = (const es_pool_params *)es_op_data(ctx);
  const es_tensor *input = es_op_input(ctx, 0);
  es_tensor *output = es_op_output(ctx, 0);
  const int32_t batches = input->dims[0], in_h = input->dims[1], in_w = input->dims[2], channels = input->dims[3];
  const int32_t out_h = output->dims[1], out_w = output->dims[2];
  const int8_t *in = (const int8_t *)input->data;
  int8_t *out = (int8_t *)output->data;
  const int8_t lo = (int8_t)p->act_min, hi = (int8_t)p->act_max;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)channels;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      int32_t y0, fy0, fy1;
      es_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        int32_t x0, fx0, fx1;
        es_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
        for (int32_t c = 0; c < channels; ++c) out[c] = -128;
        for (int32_t fy = fy0; fy < fy1; ++fy) {
          const int8_t *row = image + ((size_t)(y0 + fy) * (size_t)in_w + (size_t)(x0 + fx0)) * (size_t)channels;
          for (int32_t fx = fx0; fx < fx1; ++fx, row += channels)
            for (int32_t c = 0; c < channels; ++c) out[c] = row[c] > out[c] ? row[c] : out[c];
        }
        for (int32_t c = 0; c < channels; ++c) {
          int8_t v = out[c] < lo ? lo : out[c];
          out[c] = v > hi ? hi : v;
        }
        out += channels;
      }
    }
  }
  return ES_OK;
}

const es_op es_op_max_pool_2d = {
    17 /* MAX_POOL_2D */, "MAX_POOL_2D", 2 /* v2: int8 */, 0u, max_pool_prepare, max_pool_invoke,
};
