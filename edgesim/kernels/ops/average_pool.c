/* AVERAGE_POOL_2D, int8 or float32, SAME/VALID padding, any filter and stride.
 *
 * int8 arithmetic is TFLM's reference integer AveragePool: padded positions
 * are left out of both the sum and the count, and the mean is rounded half
 * away from zero with truncating C division:
 *   avg = sum > 0 ? (sum + count/2) / count : (sum - count/2) / count
 * then clamped to the fused activation range.  Input and output share their
 * quantization (checked in prepare), so no rescaling is involved.  Float is
 * TFLM's float AveragePool: the window summed in (y, x) order from 0.0f,
 * divided by the (float) count, clamped.
 *
 * Speed: the window of each output pixel is clipped once, and whole pixels
 * (all channels, unit stride) are summed into an int32 row in scratch memory.
 */
#include "edgesim/nn_conv.h"
#include "edgesim/op.h"
#include "op_common.h"

size_t es_avgpool_s8_scratch_size(const es_dims *in_dims) { return (size_t)in_dims->c * sizeof(int32_t); }

es_status es_avgpool_s8(const es_pool_params *params, const es_dims *in_dims, const int8_t *in,
                        const es_dims *out_dims, int8_t *out, void *scratch) {
  const es_pool_params pp = *params;
  const es_pool_params *p = &pp;
  const int32_t batches = in_dims->n, in_h = in_dims->h, in_w = in_dims->w, channels = in_dims->c;
  const int32_t out_h = out_dims->h, out_w = out_dims->w;
  int32_t *sum = (int32_t *)scratch;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *image = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)channels;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      int32_t y0, fy0, fy1;
      es_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        int32_t x0, fx0, fx1;
        es_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
        if (fy1 <= fy0 || fx1 <= fx0) return ES_ERR_ARGUMENT; /* a window outside the image */
        for (int32_t c = 0; c < channels; ++c) sum[c] = 0;
        for (int32_t fy = fy0; fy < fy1; ++fy) {
          const int8_t *row = image + ((size_t)(y0 + fy) * (size_t)in_w + (size_t)(x0 + fx0)) * (size_t)channels;
          for (int32_t fx = fx0; fx < fx1; ++fx, row += channels)
            for (int32_t c = 0; c < channels; ++c) sum[c] += row[c];
        }
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

es_status es_avgpool_f32(const es_pool_f32_params *p, const es_dims *in_dims, const float *in,
                         const es_dims *out_dims, float *out) {
  return es_op_pool_f32(p, 1 /* average */, in_dims, in, out_dims, out);
}

static es_status average_pool_prepare(es_op_context *ctx) {
  es_pool_op_data *data = 0;
  es_status st = es_op_prepare_pool(ctx, 1, &data);
  if (st != ES_OK || data->is_float) return st;
  st = es_op_request_scratch(ctx, es_avgpool_s8_scratch_size(&data->in_dims));
  if (st != ES_OK) return es_op_fail(ctx, st, "AVERAGE_POOL_2D: cannot reserve scratch for channel sums");
  return ES_OK;
}

static es_status average_pool_invoke(es_op_context *ctx) {
  const es_pool_op_data *data = (const es_pool_op_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (data->is_float)
    return es_avgpool_f32(&data->u.f32, &data->in_dims, (const float *)in, &data->out_dims, (float *)out);
  return es_avgpool_s8(&data->u.s8, &data->in_dims, (const int8_t *)in, &data->out_dims, (int8_t *)out,
                       es_op_scratch(ctx));
}

const es_op es_op_average_pool_2d = {
    1 /* AVERAGE_POOL_2D */, "AVERAGE_POOL_2D", 2 /* v1 float, v2 int8 */, 0u, average_pool_prepare,
    average_pool_invoke,
};
