/* IMU gesture preprocessing for the magic wand digit model.
 *
 * Accelerometer + gyroscope samples (~119 Hz) -> strokes of int8 points ->
 * 32x32x3 int8 raster, following the upstream Arduino sketch
 * (tflite-micro-arduino-examples, examples/magic_wand) step by step:
 *
 *   motion.c          gravity (mean of the last 100 accelerometer samples),
 *                     damped velocity, gyroscope drift (mean of the last 20
 *                     gyroscope samples, only while the velocity is small),
 *                     orientation integration in a 600-sample ring
 *   stroke_segment.c  movement detection over the last 50 orientation
 *                     changes, the waiting/drawing/done state machine
 *   stroke_project.c  projection of a finished stroke onto the drawing plane
 *                     given by gravity; int8 points round(v * 128)
 *   stroke_raster.c   Q12 fixed-point DDA rasterizer with the red -> green ->
 *                     blue colour ramp
 *
 * Arithmetic.  The segmenter uses float32 exactly where the sketch does, in
 * the same order of operations, and nothing wider (no double, built with
 * -ffp-contract=off so no fused multiply-add); every operation is an IEEE
 * single-precision add, multiply, divide or sqrtf, plus roundf, so x86-64 and
 * the Cortex-M4 FPU produce the same bits.  The rasterizer is integer only
 * (Q12, C's truncating division).
 *
 * Samples are processed one at a time, as the sketch does when its loop()
 * finds one FIFO entry per pass; the result therefore does not depend on how
 * a caller chunks the stream.  The sketch's own index arithmetic is kept
 * where it changes results: its history counters advance by 3 per sample
 * (one per axis), so the averages start with min(3 * samples, N) entries
 * (reading not-yet-written zero entries) and movement detection starts at the
 * 17th sample; gravity, drift and the velocity update read the samples before
 * the newest one.
 *
 * Units: acceleration in g, angular rate in degrees per second (LSM9DS1
 * library units).  Samples must be finite with |value| <= ES_IMU_MAX_ABS_VALUE
 * (far beyond the sensor's 16 g / 2000 dps), which keeps every intermediate
 * finite.
 *
 * Usage:
 *   es_stroke_segmenter seg;            (9184 bytes)
 *   es_stroke_segmenter_params p = {ES_IMU_SAMPLE_RATE_HZ};
 *   es_stroke_segmenter_init(&p, &seg);
 *   for each sample {ax, ay, az, gx, gy, gz}:
 *     es_stroke stroke; int32_t ready;
 *     es_stroke_segmenter_push(&seg, sample, &stroke, &ready);
 *     if (ready) {
 *       es_raster_params rp = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
 *       es_stroke_rasterize(&rp, stroke.points, stroke.count, raster);
 *     }
 */
#ifndef EDGESIM_IMU_H
#define EDGESIM_IMU_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/config.h"
#include "edgesim/status.h"

#define ES_IMU_MAX_ABS_VALUE 1.0e6f
/* History kept per sensor: gravity averages 100 accelerometer samples before
 * the newest (so >= 101), drift 20 gyroscope samples (so >= 21); entries not
 * written yet read as zero, as in the sketch's larger rings. */
#define ES_IMU_ACCEL_HISTORY 128
#define ES_IMU_GYRO_HISTORY 32
/* Smallest raster range (Q12) for which the rasterizer's int32 arithmetic
 * cannot overflow with int8 points. */
#define ES_RASTER_MIN_RANGE_Q12 1025
#define ES_RASTER_MAX_RANGE_Q12 (1 << 20)
#define ES_RASTER_BYTES (ES_RASTER_SIDE * ES_RASTER_SIDE * ES_RASTER_CHANNELS)

/* ---- motion.c: gravity, velocity, drift, orientation ---- */

typedef struct es_imu_motion {
  float accel[ES_IMU_ACCEL_HISTORY][3];
  float gyro[ES_IMU_GYRO_HISTORY][3];
  float orientation[ES_IMU_HISTORY_SAMPLES][3]; /* degrees, integrated */
  float gravity[3];
  float velocity[3];
  float drift[3];
  float recip_sample_rate;
  int32_t accel_head;       /* slot of the newest accelerometer sample */
  int32_t gyro_head;        /* slot of the newest gyroscope / orientation sample */
  int32_t orientation_head;
  int32_t samples;          /* samples seen, saturating at ES_IMU_SAMPLES_CAP */
} es_imu_motion;

#define ES_IMU_SAMPLES_CAP 1000 /* only compared with small thresholds */

es_status es_imu_motion_init(float sample_rate_hz, es_imu_motion *motion);
es_status es_imu_motion_reset(es_imu_motion *motion);
/* Store one gyroscope sample (dps): re-estimate drift unless moving, then
 * integrate the orientation.  Counts the sample. */
es_status es_imu_motion_add_gyro(es_imu_motion *motion, const float gyro[3]);
/* Store one accelerometer sample (g): re-estimate gravity, update velocity. */
es_status es_imu_motion_add_accel(es_imu_motion *motion, const float accel[3]);
/* Orientation `back` samples before the newest (0 = newest), back < 600. */
static inline const float *es_imu_orientation(const es_imu_motion *motion, int32_t back) {
  int32_t slot = motion->orientation_head - back;
  if (slot < 0) slot += ES_IMU_HISTORY_SAMPLES;
  return motion->orientation[slot];
}

/* ---- stroke_project.c ---- */

typedef struct es_stroke {
  int8_t points[2 * ES_STROKE_MAX_POINTS]; /* x0, y0, x1, y1, ...; +y is up */
  int32_t count;                           /* points, 0..ES_STROKE_MAX_POINTS */
} es_stroke;

/* Project the last `length` orientation samples (1..ES_STROKE_MAX_SAMPLES)
 * onto the plane given by `gravity`, keeping every ES_STROKE_STRIDE-th one.
 * *big_enough is 0 when both extents are under 0.2 (a twitch, not a gesture). */
es_status es_stroke_project(const es_imu_motion *motion, int32_t length, const float gravity[3],
                            es_stroke *stroke, int32_t *big_enough);

/* ---- stroke_segment.c ---- */

typedef enum es_stroke_state {
  ES_STROKE_WAITING = 0,
  ES_STROKE_DRAWING = 1,
  ES_STROKE_DONE = 2
} es_stroke_state;

typedef struct es_stroke_segmenter_params {
  float sample_rate_hz; /* gyroscope rate; the sketch reads 119 from the IMU */
} es_stroke_segmenter_params;

typedef struct es_stroke_segmenter {
  es_imu_motion motion;
  int32_t state;   /* es_stroke_state */
  int32_t length;  /* samples in the current stroke, <= ES_STROKE_MAX_SAMPLES */
} es_stroke_segmenter;

es_status es_stroke_segmenter_init(const es_stroke_segmenter_params *params,
                                   es_stroke_segmenter *segmenter);
/* Forget everything (orientation, gravity, drift, stroke), keep the rate. */
es_status es_stroke_segmenter_reset(es_stroke_segmenter *segmenter);
/* One sample {ax, ay, az, gx, gy, gz}.  When a stroke has just finished,
 * *stroke_ready = 1 and *stroke holds it; otherwise *stroke_ready = 0.
 * A non-finite or out-of-range value gives ES_ERR_INPUT_DATA and leaves the
 * state untouched. */
es_status es_stroke_segmenter_push(es_stroke_segmenter *segmenter, const float sample[6],
                                   es_stroke *stroke, int32_t *stroke_ready);
/* ES_OK if all six values are finite and within ES_IMU_MAX_ABS_VALUE. */
es_status es_imu_check_sample(const float sample[6]);

/* ---- stroke_raster.c ---- */

typedef struct es_raster_params {
  int32_t x_range_q12; /* stroke units (1 = 128 in int8) from centre to edge, Q12 */
  int32_t y_range_q12;
  int32_t side;        /* pixels per side, 1..ES_RASTER_SIDE (32, the magic wand's; larger
                          sides could overflow the Q12 line arithmetic) */
} es_raster_params;

/* Draw `count` points (x, y int8 pairs, 1..ES_RASTER_MAX_POINTS) into out:
 * side x side x 3 int8, HWC, background -128. */
es_status es_stroke_rasterize(const es_raster_params *params, const int8_t *points, int32_t count,
                              int8_t *out);

#endif /* EDGESIM_IMU_H */
