/* Any camera frame -> the frame an app's sensor declares (width x height gray8).
 *
 * What a real camera module (an ArduCAM at QVGA, say) does before the
 * firmware sees a frame, done once on the host so every target receives the
 * same bytes: centre crop to the declared aspect ratio, then an exact area
 * average to the declared size (up or down), luma as pixel.h defines it.
 *
 * Crop: the largest centred region with out_w:out_h proportions,
 *   crop_w = min(w, h * out_w / out_h), crop_h = min(h, w * out_h / out_w)
 *   (integer division), left = (w - crop_w) / 2, top = (h - crop_h) / 2.
 * Area average per axis, as resize_area.c: with S source and D output pixels,
 *   output pixel o covers [o*S/D, (o+1)*S/D); in units of 1/D source pixel
 *   every overlap is an integer and the weights of one output pixel sum to
 *   S, so out = (sum wx wy p + Sx*Sy/2) / (Sx*Sy), rounded half up.  When
 *   the frame already has the declared size and is gray8 it is copied as is.
 */
#include "edgesim/image.h"

#include "pixel.h"

static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }

es_status es_image_to_frame(const es_image_params *params, const uint8_t *data, size_t length,
                            int32_t out_width, int32_t out_height, uint8_t *out, const char **detail) {
  if (out == NULL) return ES_ERR_ARGUMENT;
  if (out_width < 1 || out_height < 1 || out_width > ES_IMAGE_MAX_DIM || out_height > ES_IMAGE_MAX_DIM) {
    if (detail != NULL) *detail = "declared frame size must be 1..ES_IMAGE_MAX_DIM per side";
    return ES_ERR_ARGUMENT;
  }
  const es_status status = es_image_validate(params, length, detail);
  if (status != ES_OK) return status;
  const int32_t w = params->width;
  const int32_t h = params->height;
  const int32_t stride = params->stride ? params->stride : w * es_pixel_format_bytes(params->pixel_format);
  const int64_t wide = (int64_t)h * out_width / out_height;
  const int64_t tall = (int64_t)w * out_height / out_width;
  const int32_t sx = (int32_t)(wide < w ? wide : w);
  const int32_t sy = (int32_t)(tall < h ? tall : h);
  if (sx < 1 || sy < 1) {
    if (detail != NULL) *detail = "frame too narrow for the declared aspect ratio";
    return ES_ERR_INPUT_DATA;
  }
  const int32_t left = (w - sx) / 2;
  const int32_t top = (h - sy) / 2;
  const int32_t dx = out_width;
  const int32_t dy = out_height;
  const uint64_t area = (uint64_t)sx * (uint64_t)sy;

  for (int32_t oy = 0; oy < dy; ++oy) {
    const int64_t y_begin = (int64_t)oy * sy; /* in units of 1/dy source pixel */
    const int64_t y_end = y_begin + sy;
    for (int32_t ox = 0; ox < dx; ++ox) {
      const int64_t x_begin = (int64_t)ox * sx; /* in units of 1/dx source pixel */
      const int64_t x_end = x_begin + sx;
      uint64_t sum = 0;
      for (int32_t j = (int32_t)(y_begin / dy); (int64_t)j * dy < y_end; ++j) {
        const uint64_t wy = (uint64_t)(min_i32((int32_t)y_end, dy * (j + 1)) - max_i32((int32_t)y_begin, dy * j));
        const uint8_t *row = data + (size_t)(top + j) * (size_t)stride;
        uint64_t row_sum = 0;
        for (int32_t i = (int32_t)(x_begin / dx); (int64_t)i * dx < x_end; ++i) {
          const uint64_t wx = (uint64_t)(min_i32((int32_t)x_end, dx * (i + 1)) - max_i32((int32_t)x_begin, dx * i));
          row_sum += wx * es_pixel_luma(params->pixel_format, row, left + i);
        }
        sum += row_sum * wy;
      }
      out[(size_t)oy * (size_t)dx + (size_t)ox] = (uint8_t)((sum + area / 2) / area);
    }
  }
  return ES_OK;
}
