/* Stroke feed (app_layer.h): IMU samples -> stroke segmentation -> the
 * raster of each completed stroke as the model input. */
#include "edgesim/app_layer.h"

es_status es_stroke_feed_init(const es_stroke_feed_params *params, es_stroke_feed *feed) {
  if (params == NULL || feed == NULL || es_stroke_feed_input_bytes(params) == 0) return ES_ERR_ARGUMENT;
  const es_stroke_segmenter_params segmenter = {params->sample_rate_hz};
  es_status status = es_stroke_segmenter_init(&segmenter, &feed->segmenter);
  if (status != ES_OK) return status;
  return es_stroke_feed_reset(feed);
}

es_status es_stroke_feed_reset(es_stroke_feed *feed) {
  if (feed == NULL) return ES_ERR_ARGUMENT;
  es_status status = es_stroke_segmenter_reset(&feed->segmenter);
  if (status != ES_OK) return status;
  feed->stroke.count = 0;
  feed->samples = 0;
  return ES_OK;
}

size_t es_stroke_feed_input_bytes(const es_stroke_feed_params *params) {
  if (params == NULL || params->raster.side < 1 || params->raster.side > ES_RASTER_SIDE) return 0;
  return (size_t)params->raster.side * (size_t)params->raster.side * ES_RASTER_CHANNELS;
}

es_status es_stroke_feed_points(const es_stroke_feed_params *params, const int8_t *points, int32_t count,
                                int8_t *input, size_t input_bytes) {
  if (params == NULL || input == NULL) return ES_ERR_ARGUMENT;
  if (input_bytes != es_stroke_feed_input_bytes(params)) return ES_ERR_SHAPE;
  return es_stroke_rasterize(&params->raster, points, count, input);
}

es_status es_stroke_feed_push(const es_stroke_feed_params *params, es_stroke_feed *feed, const float *samples,
                              size_t count, int8_t *input, size_t input_bytes, size_t *consumed,
                              es_feed_result *result) {
  if (params == NULL || feed == NULL || (samples == NULL && count > 0) || input == NULL || consumed == NULL ||
      result == NULL)
    return ES_ERR_ARGUMENT;
  if (input_bytes != es_stroke_feed_input_bytes(params)) return ES_ERR_SHAPE;
  *consumed = 0;
  result->ready = 0;
  result->t_ms = 0;
  result->samples = 0;
  while (*consumed < count) {
    int32_t ready = 0;
    es_status status = es_stroke_segmenter_push(&feed->segmenter, samples + 6 * *consumed, &feed->stroke, &ready);
    if (status != ES_OK) return status;
    ++*consumed;
    feed->samples++;
    if (ready) {
      status = es_stroke_rasterize(&params->raster, feed->stroke.points, feed->stroke.count, input);
      if (status != ES_OK) return status;
      result->ready = 1;
      result->samples = feed->samples;
      return ES_OK;
    }
  }
  return ES_OK;
}

int32_t es_stroke_feed_drawing(const es_stroke_feed *feed) {
  return feed != NULL && feed->segmenter.state == ES_STROKE_DRAWING;
}
