/* MAX_POOL_2D, int8 or float32, SAME/VALID padding, any filter and stride.
 *
 * TFLM's reference MaxPool: the maximum over the window positions inside
 * the image (padding never wins), clamped to the fused activation range;
 * float starts from the lowest float and folds with std::max.  int8 input
 * and output share their quantization (checked in prepare).
 *
 * Speed (int8): the window is clipped once per output pixel and whole
 * pixels (all channels, unit stride) are folded into the output row.
 */
#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "op_common.h"

es_status es_maxpool_s8(const es_pool_params *p, const es_dims *in_dims, const int8_t *in, const es_dims *out_dims,
                        int8_t *out) {
  const int32_t batches = in_dims->n, in_h = in_dims->h, in_w = in_dims->w, channels = in_dims->c;
  const int32_t out_h = out_dims->h, out_w = out_dims->w;
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

es_status es_maxpool_f32(const es_pool_f32_params *p, const es_dims *in_dims, const float *in,
                         const es_dims *out_dims, float *out) {
  return es_op_pool_f32(p, 0 /* average */, in_dims, in, out_dims, out);
}

static es_status max_pool_prepare(es_op_context *ctx) {
  es_pool_op_data *data = 0;
  return es_op_prepare_pool(ctx, 0, &data);
}

static es_status max_pool_invoke(es_op_context *ctx) {
  const es_pool_op_data *data = (const es_pool_op_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (data->is_float)
    return es_maxpool_f32(&data->u.f32, &data->in_dims, (const float *)in, &data->out_dims, (float *)out);
  return es_maxpool_s8(&data->u.s8, &data->in_dims, (const int8_t *)in, &data->out_dims, (int8_t *)out);
}

const es_op es_op_max_pool_2d = {
    17 /* MAX_POOL_2D */, "MAX_POOL_2D", 2 /* v1 float, v2 int8 */, 0u, max_pool_prepare, max_pool_invoke,
};
