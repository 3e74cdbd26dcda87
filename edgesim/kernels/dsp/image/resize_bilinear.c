/* Bilinear resize of a square crop with half-pixel centres (exact integer
 * weights).
 *
 * Source coordinate of output pixel o: (o + 0.5) * S / D - 0.5, clamped to
 * [0, S-1].  In units of 1/(2D) source pixel that is (2o+1)*S - D, so the
 * integer part selects the left/top neighbour and the remainder f is the
 * weight of the right/bottom one (2D - f of the left/top).  The blend of four
 * pixels is at most 255 * (2D)^2 < 2^32 for D <= 1024 and is divided by
 * (2D)^2 rounding half up.
 */
#include "edgesim/image.h"

#include "pixel.h"

/* Neighbour index and weight of output pixel o along one axis. */
static void source_position(int32_t o, int32_t s, int32_t d, int32_t *index, uint32_t *frac) {
  int32_t pos = (2 * o + 1) * s - d;          /* in units of 1/(2d) pixel */
  const int32_t last = 2 * d * (s - 1);
  if (pos < 0) pos = 0;                       /* upscaling: before the first centre */
  if (pos > last) pos = last;                 /* ... or after the last one */
  *index = pos / (2 * d);
  *frac = (uint32_t)(pos % (2 * d));
}

es_status es_image_resize_bilinear(const es_image_view *view, const es_image_rect *rect,
                                   int32_t out_side, uint8_t *out) {
  const es_status status = es_resize_check_args(view, rect, out_side, out);
  if (status != ES_OK) return status;
  const int32_t s = rect->side;
  const int32_t d = out_side;
  const uint32_t unit = (uint32_t)(2 * d);
  const uint32_t denominator = unit * unit;
  const size_t step = es_view_out_step(view);

  for (int32_t oy = 0; oy < d; ++oy) {
    int32_t y0;
    uint32_t fy;
    source_position(oy, s, d, &y0, &fy);
    /* At the clamped ends fy is 0, so the second row only needs to exist. */
    const int32_t y1 = y0 + 1 < s ? y0 + 1 : y0;
    const uint8_t *row0 = view->data + (size_t)(rect->top + y0) * (size_t)view->stride;
    const uint8_t *row1 = view->data + (size_t)(rect->top + y1) * (size_t)view->stride;
    for (int32_t ox = 0; ox < d; ++ox) {
      int32_t x0;
      uint32_t fx;
      source_position(ox, s, d, &x0, &fx);
      const int32_t x1 = x0 + 1 < s ? x0 + 1 : x0;
      const uint32_t top = es_pixel_value(view, row0, rect->left + x0) * (unit - fx) +
                           es_pixel_value(view, row0, rect->left + x1) * fx;
      const uint32_t bottom = es_pixel_value(view, row1, rect->left + x0) * (unit - fx) +
                              es_pixel_value(view, row1, rect->left + x1) * fx;
      const uint32_t blend = top * (unit - fy) + bottom * fy;
      out[((size_t)oy * (size_t)d + (size_t)ox) * step] = (uint8_t)((blend + denominator / 2) / denominator);
    }
  }
  return ES_OK;
}
