/* Area-average resize of a square crop (exact integer weights).
 *
 * Output pixel o covers source interval [o*S/D, (o+1)*S/D).  Scaling all
 * coordinates by D makes source pixel i the interval [D*i, D*(i+1)) and
 * output pixel o the interval [S*o, S*(o+1)), so every overlap is an integer
 * and the weights of one output pixel sum to S per axis.  The result is the
 * exact mean rounded half up; no scratch memory is needed because each
 * output pixel sums its own (at most ceil(S/D)+1 squared) source pixels.
 */
#include "edgesim/image.h"

#include "pixel.h"

static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }

es_status es_image_resize_area(const es_image_view *view, const es_image_rect *rect,
                               int32_t out_side, uint8_t *out) {
  const es_status status = es_resize_check_args(view, rect, out_side, out);
  if (status != ES_OK) return status;
  const int32_t s = rect->side;
  const int32_t d = out_side;
  const uint64_t area = (uint64_t)s * (uint64_t)s;
  const size_t step = es_view_out_step(view);

  for (int32_t oy = 0; oy < d; ++oy) {
    const int32_t y_begin = oy * s;       /* in units of 1/d source pixel */
    const int32_t y_end = y_begin + s;
    for (int32_t ox = 0; ox < d; ++ox) {
      const int32_t x_begin = ox * s;
      const int32_t x_end = x_begin + s;
      uint64_t sum = 0;
      for (int32_t j = y_begin / d; j * d < y_end; ++j) {
        const uint32_t wy = (uint32_t)(min_i32(y_end, d * (j + 1)) - max_i32(y_begin, d * j));
        const uint8_t *row = view->data + (size_t)(rect->top + j) * (size_t)view->stride;
        uint32_t row_sum = 0; /* <= 255 * s, fits easily */
        for (int32_t i = x_begin / d; i * d < x_end; ++i) {
          const uint32_t wx = (uint32_t)(min_i32(x_end, d * (i + 1)) - max_i32(x_begin, d * i));
          row_sum += wx * es_pixel_value(view, row, rect->left + i);
        }
        sum += (uint64_t)row_sum * wy;
      }
      out[((size_t)oy * (size_t)d + (size_t)ox) * step] = (uint8_t)((sum + area / 2) / area);
    }
  }
  return ES_OK;
}
