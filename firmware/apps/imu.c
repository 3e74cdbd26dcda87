/* IMU app I/O: IMU frames (6 float32 per sample) -> the app layer's stroke
 * feed (kernels/app/stroke_feed.c: segmentation, raster), or STROKE frames
 * (already segmented, e.g. mouse-drawn) -> the raster -> app_infer().  The
 * host target runs the same feed (edgesim._app.StrokeFeed).
 *
 * Timestamps (see SCORES in protocol.h): IMU samples since the stream began
 * when a stroke completed, or the index of the STROKE frame.
 */
#include "app.h"
#include "app_config.h"
#include "edgesim/app_layer.h"

#define MAX_CHUNK_SAMPLES (ES_PROTO_MAX_PAYLOAD / ES_PROTO_IMU_SAMPLE_BYTES)

static const es_stroke_feed_params feed_params = {FW_IMU_RATE_HZ,
                                                  {FW_RASTER_RANGE_Q12, FW_RASTER_RANGE_Q12, FW_RASTER_SIDE}};
static es_stroke_feed feed;
static float samples[MAX_CHUNK_SAMPLES * 6];
static uint32_t stroke_frames;
static size_t input_bytes;
static int8_t *input; /* app_model_input(): the int8 values of one model input */

es_status app_init(es_model *model, const char **detail) {
  input_bytes = es_stroke_feed_input_bytes(&feed_params);
  input = app_model_input(model, input_bytes);
  if (input == NULL) {
    *detail = "model input must be int8 or float32 "
                "side x side x 3 (the app's raster) and output int8 or float32, "
                "one score per label";
    return ES_ERR_SHAPE;
  }
  es_status status = es_stroke_feed_init(&feed_params, &feed);
  if (status != ES_OK) *detail = "stroke feed parameters rejected";
  app_reset();
  return status;
}

void app_reset(void) {
  es_stroke_feed_reset(&feed);
  stroke_frames = 0;
}

static es_status on_stroke(const es_proto_frame *frame, const char **detail) {
  if (frame->length % 2 != 0) {
    *detail = "STROKE payload must be (x, y) int8 pairs";
    return ES_ERR_PROTOCOL;
  }
  app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
  es_status status = es_stroke_feed_points(&feed_params, (const int8_t *)frame->payload, (int32_t)(frame->length / 2),
                                           input, input_bytes);
  app_stage_end(ES_PROTO_STAGE_PREPROCESS);
  if (status != ES_OK) {
    *detail = "stroke rasterizer rejected the points";
    return status;
  }
  return app_infer(stroke_frames++, detail);
}

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type == ES_PROTO_STROKE) return on_stroke(frame, detail);
  if (frame->type != ES_PROTO_IMU || frame->length % ES_PROTO_IMU_SAMPLE_BYTES != 0) {
    *detail = "this app takes IMU frames of 6 float32 per sample, or STROKE frames";
    return ES_ERR_PROTOCOL;
  }
  size_t count = frame->length / ES_PROTO_IMU_SAMPLE_BYTES;
  for (size_t i = 0; i < 6 * count; ++i) {
    union { uint32_t u; float f; } v = {es_get_u32(frame->payload + 4 * i)};
    samples[i] = v.f;
  }
  for (size_t used = 0; used < count;) {
    size_t consumed = 0;
    es_feed_result result;
    app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
    es_status status = es_stroke_feed_push(&feed_params, &feed, samples + 6 * used, count - used,
                                           input, input_bytes, &consumed, &result);
    app_stage_end(ES_PROTO_STAGE_PREPROCESS);
    if (status != ES_OK) {
      *detail = "IMU sample rejected (NaN, inf or out of range)";
      return status;
    }
    used += consumed;
    if (result.ready) {
      status = app_infer(result.samples, detail);
      if (status != ES_OK) return status;
    }
  }
  return ES_OK;
}
