/* Motion state of the magic wand sketch: gravity, velocity, gyroscope drift
 * and the integrated orientation.
 *
 * Every float expression follows the sketch's order of operations (see
 * edgesim/imu.h for why that makes host and Cortex-M4 agree to the bit).
 */
#include <math.h>
#include <string.h>

#include "edgesim/imu.h"

/* Compile-time checks (C99 has no _Static_assert): the rings must reach the
 * oldest entry each average reads, one before the newest (see imu.h). */
typedef char es_accel_history_fits_gravity_mean[(ES_IMU_ACCEL_HISTORY >= 100 + 1) ? 1 : -1];
typedef char es_gyro_history_fits_drift_mean[(ES_IMU_GYRO_HISTORY >= 20 + 1) ? 1 : -1];
typedef char es_orientation_history_fits_stroke[(ES_IMU_HISTORY_SAMPLES >= ES_STROKE_MAX_SAMPLES + 1) ? 1 : -1];

/* The sketch caps its averages with a history index that advances by 3 per
 * sample, so early averages span min(3 * samples, limit) entries. */
static int32_t entries_to_average(int32_t samples, int32_t limit) {
  const int32_t index = 3 * samples;
  return limit >= index ? index : limit;
}

/* Mean of `n` entries ending one before the newest (slot `head`) of a ring. */
static void mean_before_newest(const float (*ring)[3], int32_t ring_size, int32_t head, int32_t n,
                               float mean[3]) {
  float total[3] = {0.0f, 0.0f, 0.0f};
  for (int32_t i = 0; i < n; ++i) {
    int32_t slot = head - n + i; /* oldest first, as the sketch sums */
    if (slot < 0) slot += ring_size;
    total[0] += ring[slot][0];
    total[1] += ring[slot][1];
    total[2] += ring[slot][2];
  }
  mean[0] = total[0] / (float)n;
  mean[1] = total[1] / (float)n;
  mean[2] = total[2] / (float)n;
}

/* The state lives in caller memory: refuse indices that would leave the
 * rings rather than trust them. */
static int state_valid(const es_imu_motion *m) {
  return m->accel_head >= 0 && m->accel_head < ES_IMU_ACCEL_HISTORY && m->gyro_head >= 0 &&
         m->gyro_head < ES_IMU_GYRO_HISTORY && m->orientation_head >= 0 &&
         m->orientation_head < ES_IMU_HISTORY_SAMPLES && m->samples >= 0 && m->samples <= ES_IMU_SAMPLES_CAP;
}

es_status es_imu_motion_init(float sample_rate_hz, es_imu_motion *motion) {
  if (motion == NULL) return ES_ERR_ARGUMENT;
  if (!(sample_rate_hz >= 1.0f && sample_rate_hz <= 100000.0f)) return ES_ERR_ARGUMENT;
  es_status status = es_imu_motion_reset(motion);
  motion->recip_sample_rate = 1.0f / sample_rate_hz;
  return status;
}

es_status es_imu_motion_reset(es_imu_motion *motion) {
  if (motion == NULL) return ES_ERR_ARGUMENT;
  const float recip = motion->recip_sample_rate;
  memset(motion, 0, sizeof(*motion));
  motion->recip_sample_rate = recip;
  /* Heads point at the slot before the first write, like the sketch's
   * "next free entry" starting at 0. */
  motion->accel_head = ES_IMU_ACCEL_HISTORY - 1;
  motion->gyro_head = ES_IMU_GYRO_HISTORY - 1;
  motion->orientation_head = ES_IMU_HISTORY_SAMPLES - 1;
  return ES_OK;
}

es_status es_imu_motion_add_gyro(es_imu_motion *motion, const float gyro[3]) {
  if (motion == NULL || gyro == NULL) return ES_ERR_ARGUMENT;
  if (!state_valid(motion)) return ES_ERR_STATE;
  motion->gyro_head = (motion->gyro_head + 1) % ES_IMU_GYRO_HISTORY;
  memcpy(motion->gyro[motion->gyro_head], gyro, sizeof(float) * 3);
  if (motion->samples < ES_IMU_SAMPLES_CAP) motion->samples += 1;

  /* Drift: while the device is still (|velocity| <= 0.1), whatever the
   * gyroscope reads is sensor bias; during a gesture the last estimate holds. */
  const float *v = motion->velocity;
  const int moving = sqrtf((v[0] * v[0]) + (v[1] * v[1]) + (v[2] * v[2])) > 0.1f;
  if (!moving) {
    const int32_t n = entries_to_average(motion->samples, 20);
    mean_before_newest((const float(*)[3])motion->gyro, ES_IMU_GYRO_HISTORY, motion->gyro_head, n,
                       motion->drift);
  }

  /* Orientation: integrate drift-corrected degrees per second over one
   * sample period. */
  const float *previous = motion->orientation[motion->orientation_head];
  motion->orientation_head = (motion->orientation_head + 1) % ES_IMU_HISTORY_SAMPLES;
  float *current = motion->orientation[motion->orientation_head];
  for (int axis = 0; axis < 3; ++axis) {
    const float normalized = (gyro[axis] - motion->drift[axis]) * motion->recip_sample_rate;
    current[axis] = previous[axis] + normalized;
  }
  return ES_OK;
}

es_status es_imu_motion_add_accel(es_imu_motion *motion, const float accel[3]) {
  if (motion == NULL || accel == NULL) return ES_ERR_ARGUMENT;
  if (!state_valid(motion)) return ES_ERR_STATE;
  motion->accel_head = (motion->accel_head + 1) % ES_IMU_ACCEL_HISTORY;
  memcpy(motion->accel[motion->accel_head], accel, sizeof(float) * 3);

  /* Gravity: the mean acceleration over the last ~0.8 s. */
  const int32_t n = entries_to_average(motion->samples, 100);
  mean_before_newest((const float(*)[3])motion->accel, ES_IMU_ACCEL_HISTORY, motion->accel_head, n,
                     motion->gravity);

  /* Velocity: integrate gravity-free acceleration, damped so it cannot run
   * away.  The sketch reads the sample before the newest here. */
  int32_t slot = motion->accel_head - 1;
  if (slot < 0) slot += ES_IMU_ACCEL_HISTORY;
  const float friction = 0.98f;
  for (int axis = 0; axis < 3; ++axis) {
    motion->velocity[axis] += motion->accel[slot][axis] - motion->gravity[axis];
    motion->velocity[axis] *= friction;
  }
  return ES_OK;
}
