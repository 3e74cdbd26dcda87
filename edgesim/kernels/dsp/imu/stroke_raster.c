/* Stroke points -> side x side x 3 int8 image (32 x 32, as the magic wand
 * model was trained, or smaller).
 *
 * Q12 fixed point (4096 = 1.0), int32 throughout, C's truncating division
 * (also for negative values; the model was trained on exactly these pixels).
 * A point v (int8, 128 = 1.0) maps to pixel v / range * side/2 + side/2, y flipped so
 * +y is up.  Consecutive points are joined by a DDA line stepping one pixel
 * along its longer axis.  Colour encodes time: segment i of n has
 * t = i * (4096 / n); the first half fades red -> green, the second half
 * green -> blue (channels 0..255, stored - 128).
 * Overflow bound: |point| <= 4096 in Q12, so a range >= ES_RASTER_MIN_RANGE_Q12
 * keeps coordinates within +-262144 and delta * 4096 below 2^31.
 */
#include "edgesim/imu.h"

#define FP_ONE 4096
#define FP_HALF (FP_ONE / 2)

static int32_t mul_fp(int32_t a, int32_t b) { return (a * b) / FP_ONE; }

static int32_t div_fp(int32_t a, int32_t b) { return (a * FP_ONE) / (b == 0 ? 1 : b); }

/* Rounds half up for positive values only (truncating division), as the
 * sketch; -0.9 px therefore lands on pixel 0. */
static int32_t round_fp_to_int(int32_t a) { return (a + FP_HALF) / FP_ONE; }

static int32_t abs_i32(int32_t a) { return a > 0 ? a : -a; }

static int8_t clamp_i8(int32_t a) { return (int8_t)(a < -128 ? -128 : (a > 127 ? 127 : a)); }

/* Normalized stroke coordinate -> pixel coordinate, Q12. */
static int32_t to_pixel_fp(int32_t v_fp, int32_t range_fp, int32_t half_size_fp) {
  return mul_fp(div_fp(v_fp, range_fp), half_size_fp) + half_size_fp;
}

es_status es_stroke_rasterize(const es_raster_params *params, const int8_t *points, int32_t count,
                              int8_t *out) {
  if (params == NULL || points == NULL || out == NULL) return ES_ERR_ARGUMENT;
  if (count < 1 || count > ES_RASTER_MAX_POINTS) return ES_ERR_INPUT_DATA;
  if (params->x_range_q12 < ES_RASTER_MIN_RANGE_Q12 || params->x_range_q12 > ES_RASTER_MAX_RANGE_Q12 ||
      params->y_range_q12 < ES_RASTER_MIN_RANGE_Q12 || params->y_range_q12 > ES_RASTER_MAX_RANGE_Q12 ||
      params->side < 1 || params->side > ES_RASTER_SIDE)
    return ES_ERR_ARGUMENT;

  const int32_t side = params->side;
  const int32_t channels = ES_RASTER_CHANNELS;
  for (int32_t i = 0; i < side * side * channels; ++i) out[i] = -128;

  const int32_t half_fp = (side * FP_ONE) / 2;
  const int32_t t_inc_fp = FP_ONE / count;

  for (int32_t p = 0; p + 1 < count; ++p) {
    const int8_t *a = &points[2 * p];
    const int8_t *b = &points[2 * (p + 1)];
    const int32_t start_x_fp = to_pixel_fp((a[0] * FP_ONE) / 128, params->x_range_q12, half_fp);
    const int32_t start_y_fp = to_pixel_fp(-((a[1] * FP_ONE) / 128), params->y_range_q12, half_fp);
    const int32_t end_x_fp = to_pixel_fp((b[0] * FP_ONE) / 128, params->x_range_q12, half_fp);
    const int32_t end_y_fp = to_pixel_fp(-((b[1] * FP_ONE) / 128), params->y_range_q12, half_fp);
    const int32_t delta_x_fp = end_x_fp - start_x_fp;
    const int32_t delta_y_fp = end_y_fp - start_y_fp;

    /* Colour of this segment from its position along the stroke. */
    const int32_t t_fp = p * t_inc_fp;
    int32_t red, green, blue;
    if (t_fp < FP_HALF) {
      const int32_t local_t_fp = div_fp(t_fp, FP_HALF);
      red = round_fp_to_int((FP_ONE - local_t_fp) * 255) - 128;
      green = round_fp_to_int(local_t_fp * 255) - 128;
      blue = -128;
    } else {
      const int32_t local_t_fp = div_fp(t_fp - FP_HALF, FP_HALF);
      red = -128;
      green = round_fp_to_int((FP_ONE - local_t_fp) * 255) - 128;
      blue = round_fp_to_int(local_t_fp * 255) - 128;
    }
    const int8_t colour[3] = {clamp_i8(red), clamp_i8(green), clamp_i8(blue)};

    /* DDA: one step per pixel along the longer axis. */
    int32_t steps, x_inc_fp, y_inc_fp;
    if (abs_i32(delta_x_fp) > abs_i32(delta_y_fp)) {
      steps = abs_i32(round_fp_to_int(delta_x_fp));
      x_inc_fp = delta_x_fp > 0 ? FP_ONE : -FP_ONE;
      y_inc_fp = delta_x_fp > 0 ? div_fp(delta_y_fp, delta_x_fp) : -div_fp(delta_y_fp, delta_x_fp);
    } else {
      steps = abs_i32(round_fp_to_int(delta_y_fp));
      y_inc_fp = delta_y_fp > 0 ? FP_ONE : -FP_ONE;
      x_inc_fp = delta_y_fp > 0 ? div_fp(delta_x_fp, delta_y_fp) : -div_fp(delta_x_fp, delta_y_fp);
    }
    for (int32_t i = 0; i <= steps; ++i) {
      const int32_t x = round_fp_to_int(start_x_fp + i * x_inc_fp);
      const int32_t y = round_fp_to_int(start_y_fp + i * y_inc_fp);
      if (x < 0 || x >= side || y < 0 || y >= side) continue;
      int8_t *pixel = &out[(y * side + x) * channels];
      pixel[0] = colour[0];
      pixel[1] = colour[1];
      pixel[2] = colour[2];
    }
  }
  return ES_OK;
}
