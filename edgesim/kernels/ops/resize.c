/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (NHWC, constant int32 size).
 *
 * Arithmetic is TFLM's reference kernels:
 *   nearest:  scale = align_corners && out > 1 ? (in - 1) / (float)(out - 1) : in / (float)out
 *             src = min(align_corners ? round((o + offset) * scale) : floor((o + offset) * scale), in - 1),
 *             offset 0.5 with half_pixel_centers (then also max(src, 0)).
 *   bilinear float: the same scales; y = (o + 0.5) * scale - 0.5 (half pixel) or o * scale,
 *             y0 = max(floor(y), 0), y1 = min(ceil(y), in - 1), and the four-term sum
 *             evaluated in TFLM's order (plus 0.0f).
 *   bilinear int8: 10-bit scales ((1024 * in + out / 2) / out), coordinates
 *             o * scale (+ scale / 2 - 512), 20-bit products in int64 summed and
 *             divided by 2^20 rounding half away from zero.
 * Values are moved or interpolated, never requantized (TFLM does not check
 * the output's quantization).
 */
#include <math.h>
#include <string.h>

#include "edgesim/nn_resize.h"
#include "edgesim/op.h"
#include "shape_common.h"

enum { OPT_ALIGN_CORNERS = 0, OPT_HALF_PIXEL_CENTERS = 1 };
enum { BILINEAR_OPT_ALIGN_CORNERS = 2, BILINEAR_OPT_HALF_PIXEL_CENTERS = 3 };

static int32_t nearest(int32_t o, int32_t in_size, int32_t out_size, int align_corners, int half_pixel_centers) {
  const float scale = (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                       : (float)in_size / (float)out_size;
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float v = ((float)o + offset) * scale;
  int32_t src = align_corners ? (int32_t)roundf(v) : (int32_t)floorf(v);
  src = src < in_size - 1 ? src : in_size - 1;
  if (half_pixel_centers && src < 0) src = 0;
  return src;
}

es_status es_resize_nearest_neighbor(const es_resize_params *params, const es_dims *input_dims, const void *input,
                                     const es_dims *output_dims, void *output) {
  const size_t pixel = (size_t)input_dims->c * (size_t)params->element_size;
  const size_t row = (size_t)input_dims->w * pixel;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  for (int32_t b = 0; b < output_dims->n; ++b, in += (size_t)input_dims->h * row) {
    for (int32_t y = 0; y < output_dims->h; ++y) {
      const uint8_t *in_row =
          in + (size_t)nearest(y, input_dims->h, output_dims->h, params->align_corners, params->half_pixel_centers) * row;
      for (int32_t x = 0; x < output_dims->w; ++x, out += pixel) {
        const int32_t src = nearest(x, input_dims->w, output_dims->w, params->align_corners, params->half_pixel_centers);
        memcpy(out, in_row + (size_t)src * pixel, pixel);
      }
    }
  }
  return ES_OK;
}

static float float_scale(int32_t in_size, int32_t out_size, int align_corners) {
  return (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1) : (float)in_size / (float)out_size;
}

static void float_coordinate(int32_t o, float scale, int half_pixel_centers, int32_t in_size, float *v, int32_t *lo,
                             int32_t *hi) {
  *v = half_pixel_centers ? ((float)o + 0.5f) * scale - 0.5f : (float)o * scale;
  const int32_t f = (int32_t)floorf(*v);
  const int32_t c = (int32_t)ceilf(*v);
  *lo = f > 0 ? f : 0;
  *hi = c < in_size - 1 ? c : in_size - 1;
}

es_status es_resize_bilinear_f32(const es_resize_params *params, const es_dims *input_dims, const float *input,
                                 const es_dims *output_dims, float *output) {
  const int32_t ih = input_dims->h, iw = input_dims->w, c_n = input_dims->c;
  const float height_scale = float_scale(ih, output_dims->h, params->align_corners);
  const float width_scale = float_scale(iw, output_dims->w, params->align_corners);
  for (int32_t b = 0; b < output_dims->n; ++b) {
    const float *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c_n;
    for (int32_t y = 0; y < output_dims->h; ++y) {
      float iy;
      int32_t y0, y1;
      float_coordinate(y, height_scale, params->half_pixel_centers, ih, &iy, &y0, &y1);
      for (int32_t x = 0; x < output_dims->w; ++x) {
        float ix;
        int32_t x0, x1;
        float_coordinate(x, width_scale, params->half_pixel_centers, iw, &ix, &x0, &x1);
        const float *p00 = image + ((size_t)y0 * (size_t)iw + (size_t)x0) * (size_t)c_n;
        const float *p10 = image + ((size_t)y1 * (size_t)iw + (size_t)x0) * (size_t)c_n;
        const float *p01 = image + ((size_t)y0 * (size_t)iw + (size_t)x1) * (size_t)c_n;
        const float *p11 = image + ((size_t)y1 * (size_t)iw + (size_t)x1) * (size_t)c_n;
        const float dy = iy - (float)y0, dx = ix - (float)x0;
        for (int32_t c = 0; c < c_n; ++c)
          *output++ = p00[c] * (1 - dy) * (1 - dx) + p10[c] * dy * (1 - dx) + p01[c] * (1 - dy) * dx +
                      p11[c] * dy * dx + 0.0f;
      }
    }
  }
  return ES_OK;
}

static int32_t scale_10(int32_t in_size, int32_t out_size, int align_corners) {
  if (align_corners && out_size > 1) return ((1 << 10) * (in_size - 1) + (out_size - 1) / 2) / (out_size - 1);
  return ((1 << 10) * in_size + out_size / 2) / out_size;
}

static void integer_coordinate(int32_t o, int32_t scale, int half_pixel_centers, int32_t in_size, int32_t *v,
                               int32_t *lo, int32_t *hi) {
  *v = half_pixel_centers ? o * scale + scale / 2 - (1 << 9) : o * scale;
  const int32_t f = *v / (1 << 10);
  const int32_t c = (*v + (1 << 10) - 1) / (1 << 10);
  *lo = f > 0 ? f : 0;
  *hi = c < in_size - 1 ? c : in_size - 1;
}

es_status es_resize_bilinear_s8(const es_resize_params *params, const es_dims *input_dims, const int8_t *input,
                                const es_dims *output_dims, int8_t *output) {
  const int32_t ih = input_dims->h, iw = input_dims->w, c_n = input_dims->c;
  const int32_t hs = scale_10(ih, output_dims->h, params->align_corners);
  const int32_t ws = scale_10(iw, output_dims->w, params->align_corners);
  for (int32_t b = 0; b < output_dims->n; ++b) {
    const int8_t *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c_n;
    for (int32_t y = 0; y < output_dims->h; ++y) {
      int32_t iy, y0, y1;
      integer_coordinate(y, hs, params->half_pixel_centers, ih, &iy, &y0, &y1);
      const int32_t wy1 = iy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;
      for (int32_t x = 0; x < output_dims->w; ++x) {
        int32_t ix, x0, x1;
        integer_coordinate(x, ws, params->half_pixel_centers, iw, &ix, &x0, &x1);
        const int32_t wx1 = ix - (1 << 10) * x0, wx0 = (1 << 10) - wx1;
        const int8_t *p00 = image + ((size_t)y0 * (size_t)iw + (size_t)x0) * (size_t)c_n;
        const int8_t *p10 = image + ((size_t)y1 * (size_t)iw + (size_t)x0) * (size_t)c_n;
        const int8_t *p01 = image + ((size_t)y0 * (size_t)iw + (size_t)x1) * (size_t)c_n;
        const int8_t *p11 = image + ((size_t)y1 * (size_t)iw + (size_t)x1) * (size_t)c_n;
        for (int32_t c = 0; c < c_n; ++c) {
          const int64_t sum = (int64_t)p00[c] * wy0 * wx0 + (int64_t)p10[c] * wy1 * wx0 +
                              (int64_t)p01[c] * wy0 * wx1 + (int64_t)p11[c] * wy1 * wx1;
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          *output++ = (int8_t)((sum + round) / (1 << 20));
        }
      }
    }
  }
  return ES_OK;
}

typedef struct resize_data {
  es_resize_params params;
  es_dims input_dims, output_dims;
  es_dtype type;
} resize_data;

static es_status resize_prepare(es_op_context *ctx, int bilinear) {
  const char *arity = bilinear ? "RESIZE_BILINEAR: expects inputs (input, size) and one output"
                               : "RESIZE_NEAREST_NEIGHBOR: expects inputs (input, size) and one output";
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, arity);
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *size = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || size == 0 || output == 0) return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, arity);
  const int type_ok = input->type == output->type &&
                      (input->type == ES_INT8 || input->type == ES_FLOAT32 || (!bilinear && input->type == ES_INT16));
  if (!type_ok)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, bilinear ? "RESIZE_BILINEAR: input and output must both be int8 or float32"
                                                        : "RESIZE_NEAREST_NEIGHBOR: input and output must both be int8, int16 or float32");
  if (input->rank != 4 || output->rank != 4 || size->rank != 1 || size->dims[0] != 2 || size->type != ES_INT32 ||
      !size->is_constant)
    return es_op_fail(ctx, ES_ERR_SHAPE, bilinear ? "RESIZE_BILINEAR: needs a 4-D input and a constant int32 size of 2"
                                                  : "RESIZE_NEAREST_NEIGHBOR: needs a 4-D input and a constant int32 size of 2");
  int ok = 1;
  const int32_t out_h = es_op_constant_index(size, 0, &ok), out_w = es_op_constant_index(size, 1, &ok);
  if (!ok || out_h < 1 || out_w < 1 || output->dims[0] != input->dims[0] || output->dims[1] != out_h ||
      output->dims[2] != out_w || output->dims[3] != input->dims[3] || input->dims[1] < 1 || input->dims[2] < 1 ||
      input->dims[1] > 65535 || input->dims[2] > 65535 || out_h > 65535 || out_w > 65535)
    return es_op_fail(ctx, ES_ERR_SHAPE, bilinear ? "RESIZE_BILINEAR: output shape != [batch, size, channels]"
                                                  : "RESIZE_NEAREST_NEIGHBOR: output shape != [batch, size, channels]");
  resize_data *d = (resize_data *)es_op_alloc_persistent(ctx, sizeof(resize_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "RESIZE: arena too small for op data");
  d->params.align_corners = es_op_option_int(ctx, bilinear ? BILINEAR_OPT_ALIGN_CORNERS : OPT_ALIGN_CORNERS, 0) != 0;
  d->params.half_pixel_centers =
      es_op_option_int(ctx, bilinear ? BILINEAR_OPT_HALF_PIXEL_CENTERS : OPT_HALF_PIXEL_CENTERS, 0) != 0;
  d->params.element_size = es_op_element_size(input->type);
  d->input_dims = es_op_dims_of(input);
  d->output_dims = es_op_dims_of(output);
  d->type = (es_dtype)input->type;
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status nearest_prepare(es_op_context *ctx) { return resize_prepare(ctx, 0); }
static es_status bilinear_prepare(es_op_context *ctx) {
  es_status st = resize_prepare(ctx, 1);
  if (st == ES_OK) {
    const resize_data *d = (const resize_data *)es_op_data(ctx);
    if (d->params.align_corners && d->params.half_pixel_centers)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "RESIZE_BILINEAR: align_corners and half_pixel_centers together");
  }
  return st;
}

static es_status nearest_invoke(es_op_context *ctx) {
  const resize_data *d = (const resize_data *)es_op_data(ctx);
  return es_resize_nearest_neighbor(&d->params, &d->input_dims, es_op_input(ctx, 0)->data, &d->output_dims,
                                    es_op_output(ctx, 0)->data);
}

static es_status bilinear_invoke(es_op_context *ctx) {
  const resize_data *d = (const resize_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32)
    return es_resize_bilinear_f32(&d->params, &d->input_dims, (const float *)in, &d->output_dims, (float *)out);
  return es_resize_bilinear_s8(&d->params, &d->input_dims, (const int8_t *)in, &d->output_dims, (int8_t *)out);
}

const es_op es_op_resize_nearest_neighbor = {97 /* RESIZE_NEAREST_NEIGHBOR */, "RESIZE_NEAREST_NEIGHBOR", 4, 0u,
                                             nearest_prepare, nearest_invoke};
const es_op es_op_resize_bilinear = {23 /* RESIZE_BILINEAR */, "RESIZE_BILINEAR", 4, 0u, bilinear_prepare,
                                     bilinear_invoke};
