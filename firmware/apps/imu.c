/* Gesture glue: IMU frames -> orientation + stroke segmentation, or STROKE
 * frames (already segmented, e.g. mouse-drawn) -> 32x32x3 raster -> the
 * model -> top class with a minimum score.  Mirrors
 * edgesim/targets/host.py (StrokeFeeder + PostProcessor). */
#include <string.h>

#include "app.h"
#include "app_config.h"
#include "edgesim/imu.h"
#include "edgesim/post.h"

#define MAX_CHUNK_SAMPLES (ES_PROTO_MAX_PAYLOAD / ES_PROTO_IMU_SAMPLE_BYTES)

static es_stroke_segmenter segmenter;
static es_stroke stroke;
static float sample[6];
static uint32_t imu_samples;
static uint32_t strokes;
static es_tensor *input;
static const es_raster_params raster_params = {FW_RASTER_RANGE_Q12, FW_RASTER_RANGE_Q12};
static const es_classify_params classify_params = {FW_LABEL_COUNT, FW_CLASSIFY_MIN_SCORE};

es_status app_init(es_model *model, const char **detail) {
  input = app_model_input(model, ES_RASTER_BYTES);
  if (input == NULL) {
    *detail = "model input must be int8 32x32x3 and output int8, one score per label";
    return ES_ERR_SHAPE;
  }
  const es_stroke_segmenter_params params = {FW_IMU_RATE_HZ};
  es_status status = es_stroke_segmenter_init(&params, &segmenter);
  if (status != ES_OK) *detail = "stroke segmenter parameters rejected";
  app_reset();
  return status;
}

void app_reset(void) {
  es_stroke_segmenter_reset(&segmenter);
  imu_samples = strokes = 0;
}

static es_status classify_points(const int8_t *points, int32_t count, uint32_t timestamp, const char **detail) {
  app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
  es_status status = es_stroke_rasterize(&raster_params, points, count, (int8_t *)input->data);
  app_stage_end(ES_PROTO_STAGE_PREPROCESS);
  if (status != ES_OK) {
    *detail = "stroke rasterizer rejected the points";
    return status;
  }
  return app_infer(timestamp, detail);
}

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type == ES_PROTO_STROKE) {
    if (frame->length % 2 != 0) {
      *detail = "STROKE payload must be (x, y) int8 pairs";
      return ES_ERR_PROTOCOL;
    }
    return classify_points((const int8_t *)frame->payload, (int32_t)(frame->length / 2), strokes++, detail);
  }
  if (frame->type != ES_PROTO_IMU || frame->length % ES_PROTO_IMU_SAMPLE_BYTES != 0) {
    *detail = "gesture takes IMU frames of 6 float32 per sample, or STROKE frames";
    return ES_ERR_PROTOCOL;
  }
  size_t count = frame->length / ES_PROTO_IMU_SAMPLE_BYTES;
  for (size_t i = 0; i < count; ++i) {
    for (int k = 0; k < 6; ++k) {
      union { uint32_t u; float f; } v = {es_get_u32(frame->payload + i * ES_PROTO_IMU_SAMPLE_BYTES + 4 * k)};
      sample[k] = v.f;
    }
    int32_t ready = 0;
    app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
    es_status status = es_stroke_segmenter_push(&segmenter, sample, &stroke, &ready);
    app_stage_end(ES_PROTO_STAGE_PREPROCESS);
    imu_samples++;
    if (status != ES_OK) {
      *detail = "IMU sample rejected (NaN, inf or out of range)";
      return status;
    }
    if (ready) {
      status = classify_points(stroke.points, stroke.count, imu_samples, detail);
      if (status != ES_OK) return status;
    }
  }
  return ES_OK;
}

es_status app_postprocess(const int8_t *scores, uint32_t timestamp, const char **detail) {
  (void)timestamp;
  es_classify_output out;
  es_status status = es_classify_process(&classify_params, scores, &out);
  if (status != ES_OK) {
    *detail = "classify rejected the scores";
    return status;
  }
  if (out.is_accepted) app_send_detection(timestamp, out.top, out.score, ES_PROTO_DET_GESTURE);
  return ES_OK;
}
