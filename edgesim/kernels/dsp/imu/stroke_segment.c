/* Stroke segmentation: when does a gesture start and end?
 *
 * Movement is the sum of squared per-sample orientation changes over the
 * last 50 samples (about 0.4 s) compared with 9 (square degrees).  A stroke
 * starts when movement starts, already 50 samples long because the movement
 * began inside that window, and ends when movement stops; strokes of 60
 * samples or fewer are discarded and strokes keep at most their newest 320
 * samples.  Per sample, as the sketch's loop(): gyroscope update, stroke
 * update (with the gravity estimated before this sample), accelerometer
 * update.
 */
#include <math.h>

#include "edgesim/imu.h"

#define MOVING_SAMPLE_COUNT 50
#define MOVING_THRESHOLD 9.0f
#define MINIMUM_STROKE_LENGTH (MOVING_SAMPLE_COUNT + 10)

static int is_moving(const es_imu_motion *motion) {
  /* The sketch compares its 3-per-sample index with 50, so detection starts
   * once 17 samples are in. */
  if (3 * motion->samples < MOVING_SAMPLE_COUNT) return 0;
  float total = 0.0f;
  for (int32_t i = 0; i < MOVING_SAMPLE_COUNT; ++i) {
    const int32_t back = MOVING_SAMPLE_COUNT - 1 - i; /* oldest first */
    const float *current = es_imu_orientation(motion, back);
    const float *previous = es_imu_orientation(motion, back + 1);
    const float dx = current[0] - previous[0];
    const float dy = current[1] - previous[1];
    const float dz = current[2] - previous[2];
    total += (dx * dx) + (dy * dy) + (dz * dz);
  }
  return total > MOVING_THRESHOLD;
}

es_status es_imu_check_sample(const float sample[6]) {
  if (sample == NULL) return ES_ERR_ARGUMENT;
  for (int i = 0; i < 6; ++i) {
    /* Also false for NaN. */
    if (!(fabsf(sample[i]) <= ES_IMU_MAX_ABS_VALUE)) return ES_ERR_INPUT_DATA;
  }
  return ES_OK;
}

es_status es_stroke_segmenter_init(const es_stroke_segmenter_params *params,
                                   es_stroke_segmenter *segmenter) {
  if (params == NULL || segmenter == NULL) return ES_ERR_ARGUMENT;
  es_status status = es_imu_motion_init(params->sample_rate_hz, &segmenter->motion);
  if (status != ES_OK) return status;
  segmenter->state = ES_STROKE_WAITING;
  segmenter->length = 0;
  return ES_OK;
}

es_status es_stroke_segmenter_reset(es_stroke_segmenter *segmenter) {
  if (segmenter == NULL) return ES_ERR_ARGUMENT;
  segmenter->state = ES_STROKE_WAITING;
  segmenter->length = 0;
  return es_imu_motion_reset(&segmenter->motion);
}

/* The sketch's UpdateStroke for one new sample; 1 when a stroke finished. */
static es_status update_stroke(es_stroke_segmenter *seg, es_stroke *stroke, int32_t *finished) {
  *finished = 0;
  const int moving = is_moving(&seg->motion);
  const int32_t old_state = seg->state;
  if (old_state == ES_STROKE_WAITING || old_state == ES_STROKE_DONE) {
    if (moving) {
      seg->length = MOVING_SAMPLE_COUNT;
      seg->state = ES_STROKE_DRAWING;
    }
  } else if (!moving) {
    if (seg->length > MINIMUM_STROKE_LENGTH) {
      seg->state = ES_STROKE_DONE;
    } else {
      seg->length = 0;
      seg->state = ES_STROKE_WAITING;
    }
  }
  if (seg->state == ES_STROKE_WAITING) return ES_OK;

  seg->length += 1;
  if (seg->length > ES_STROKE_MAX_SAMPLES) seg->length = ES_STROKE_MAX_SAMPLES;
  if (old_state == ES_STROKE_DONE || seg->state != ES_STROKE_DONE) return ES_OK;

  /* Just finished (the sketch also re-projects the growing stroke on every
   * sample for Bluetooth; that has no effect on the finished stroke). */
  int32_t big_enough;
  es_status status = es_stroke_project(&seg->motion, seg->length, seg->motion.gravity, stroke, &big_enough);
  if (status != ES_OK) return status;
  if (!big_enough) {
    seg->state = ES_STROKE_WAITING;
    seg->length = 0;
    stroke->count = 0;
    return ES_OK;
  }
  *finished = 1;
  return ES_OK;
}

es_status es_stroke_segmenter_push(es_stroke_segmenter *segmenter, const float sample[6],
                                   es_stroke *stroke, int32_t *stroke_ready) {
  if (segmenter == NULL || sample == NULL || stroke == NULL || stroke_ready == NULL) return ES_ERR_ARGUMENT;
  *stroke_ready = 0;
  es_status status = es_imu_check_sample(sample);
  if (status != ES_OK) return status;
  if (segmenter->state < ES_STROKE_WAITING || segmenter->state > ES_STROKE_DONE ||
      segmenter->length < 0 || segmenter->length > ES_STROKE_MAX_SAMPLES)
    return ES_ERR_STATE;

  status = es_imu_motion_add_gyro(&segmenter->motion, sample + 3);
  if (status != ES_OK) return status;
  status = update_stroke(segmenter, stroke, stroke_ready);
  if (status != ES_OK) return status;
  return es_imu_motion_add_accel(&segmenter->motion, sample);
}
