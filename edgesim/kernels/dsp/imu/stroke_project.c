/* A finished stroke: orientation history -> 2-D int8 points.
 *
 * The wand is drawn in the plane facing the user, and which sensor
 * axes span that plane depends on how the board is held, so the y/z
 * orientation angles (centred on their mean, 45 degrees -> 1.0) are rotated
 * by the direction of gravity in the sensor's y/z plane.  Points are stored
 * as the sketch transmits them: every second sample, int8 round(v * 128)
 * saturated, +y up.
 */
#include <math.h>

#include "edgesim/imu.h"

/* round(v * 128) saturated to int8; NaN (impossible with checked input)
 * maps to -128 instead of undefined behaviour. */
static int8_t to_int8(float v) {
  const float r = roundf(v * 128.0f);
  if (r > 127.0f) return 127;
  if (!(r >= -128.0f)) return -128;
  return (int8_t)r;
}

es_status es_stroke_project(const es_imu_motion *motion, int32_t length, const float gravity[3],
                            es_stroke *stroke, int32_t *big_enough) {
  if (motion == NULL || gravity == NULL || stroke == NULL || big_enough == NULL) return ES_ERR_ARGUMENT;
  if (length < 1 || length > ES_STROKE_MAX_SAMPLES) return ES_ERR_ARGUMENT;
  const int32_t oldest = length - 1; /* samples back from the newest */

  float y_total = 0.0f;
  float z_total = 0.0f;
  for (int32_t j = 0; j < length; ++j) {
    const float *entry = es_imu_orientation(motion, oldest - j);
    y_total += entry[1];
    z_total += entry[2];
  }
  const float y_mean = y_total / (float)length;
  const float z_mean = z_total / (float)length;
  const float range = 45.0f;

  /* Drawing plane axes from gravity's direction in the y/z plane. */
  const float gy = gravity[1];
  const float gz = gravity[2];
  float gmag = sqrtf((gy * gy) + (gz * gz));
  if (gmag < 0.0001f) gmag = 0.0001f;
  const float ngy = gy / gmag;
  const float ngz = gz / gmag;
  const float xaxisz = -ngz;
  const float xaxisy = -ngy;
  const float yaxisz = -ngy;
  const float yaxisy = ngz;

  stroke->count = length / ES_STROKE_STRIDE;
  float x_min = 0.0f, y_min = 0.0f, x_max = 0.0f, y_max = 0.0f;
  for (int32_t j = 0; j < stroke->count; ++j) {
    const float *entry = es_imu_orientation(motion, oldest - j * ES_STROKE_STRIDE);
    const float ny = (entry[1] - y_mean) / range;
    const float nz = (entry[2] - z_mean) / range;
    const float x_axis = (xaxisz * nz) + (xaxisy * ny);
    const float y_axis = (yaxisz * nz) + (yaxisy * ny);
    stroke->points[2 * j] = to_int8(x_axis);
    stroke->points[2 * j + 1] = to_int8(y_axis);
    if (j == 0 || x_axis < x_min) x_min = x_axis;
    if (j == 0 || y_axis < y_min) y_min = y_axis;
    if (j == 0 || x_axis > x_max) x_max = x_axis;
    if (j == 0 || y_axis > y_max) y_max = y_axis;
  }
  /* A stroke whose extent is small on both axes is a twitch, not a digit. */
  const float minimum_size = 0.2f;
  *big_enough = !(((x_max - x_min) < minimum_size) && ((y_max - y_min) < minimum_size));
  return ES_OK;
}
