/* Audio feed (app_layer.h): int16 audio -> micro front end -> feature
 * window -> the model input when the schedule says so. */
#include "edgesim/app_layer.h"

static es_status audio_parts(const es_audio_feed_params *params, es_feature_window_params *window,
                             es_schedule_params *schedule) {
  if (params == NULL) return ES_ERR_ARGUMENT;
  window->frames = params->window_frames;
  window->channels = es_audio_frontend_channels(&params->frontend);
  schedule->window = params->window_frames;
  schedule->every = params->infer_every_frames;
  if (es_schedule_check(schedule) != ES_OK || params->window_frames > (1 << 20) || window->channels == 0)
    return ES_ERR_ARGUMENT;
  return ES_OK;
}

size_t es_audio_feed_input_bytes(const es_audio_feed_params *params) {
  es_feature_window_params window;
  es_schedule_params schedule;
  if (audio_parts(params, &window, &schedule) != ES_OK) return 0;
  return (size_t)window.frames * (size_t)window.channels;
}

es_status es_audio_feed_init(const es_audio_feed_params *params, int8_t *rows, size_t bytes, es_audio_feed *feed) {
  es_feature_window_params window;
  es_schedule_params schedule;
  es_status status = audio_parts(params, &window, &schedule);
  if (status != ES_OK) return status;
  if (feed == NULL) return ES_ERR_ARGUMENT;
  status = es_feature_window_init(&window, rows, bytes, &feed->window);
  if (status != ES_OK) return status;
  status = es_audio_frontend_init_config(&feed->frontend, &params->frontend);
  if (status != ES_OK) return status;
  return es_audio_feed_reset(params, feed);
}

es_status es_audio_feed_reset(const es_audio_feed_params *params, es_audio_feed *feed) {
  es_feature_window_params window;
  es_schedule_params schedule;
  es_status status = audio_parts(params, &window, &schedule);
  if (status != ES_OK) return status;
  if (feed == NULL) return ES_ERR_ARGUMENT;
  status = es_audio_frontend_reset(&feed->frontend);
  if (status != ES_OK) return status;
  feed->frames = 0;
  return es_feature_window_reset(&window, &feed->window);
}

es_status es_audio_feed_push(const es_audio_feed_params *params, es_audio_feed *feed, es_audio_scratch *scratch,
                             const int16_t *samples, size_t count, int8_t *input, size_t input_bytes,
                             size_t *consumed, es_feed_result *result) {
  es_feature_window_params window;
  es_schedule_params schedule;
  es_status status = audio_parts(params, &window, &schedule);
  if (status != ES_OK) return status;
  if (feed == NULL || scratch == NULL || (samples == NULL && count > 0) || input == NULL || consumed == NULL ||
      result == NULL)
    return ES_ERR_ARGUMENT;
  if (input_bytes != (size_t)window.frames * (size_t)window.channels) return ES_ERR_SHAPE;
  const es_audio_frontend_config *config = &feed->frontend.config;
  const uint32_t window_samples = es_audio_frontend_window(config);
  if (window_samples == 0 || feed->frontend.fill >= window_samples || config->hop != params->frontend.hop ||
      config->noise_reduction != params->frontend.noise_reduction || config->pcan != params->frontend.pcan ||
      config->log_scale != params->frontend.log_scale || config->filterbank != params->frontend.filterbank ||
      config->window_coeffs != params->frontend.window_coeffs ||
      config->window_samples != params->frontend.window_samples)
    return ES_ERR_STATE;
  *consumed = 0;
  result->ready = 0;
  result->t_ms = 0;
  result->samples = 0;
  while (*consumed < count) {
    /* At most the samples that complete the front end's next frame, so one
     * step yields at most one feature row. */
    size_t take = window_samples - feed->frontend.fill;
    if (take > count - *consumed) take = count - *consumed;
    int8_t row[ES_AUDIO_MAX_CHANNELS];
    size_t produced = 0;
    status = es_audio_frontend_push(&feed->frontend, scratch, samples + *consumed, take, row, 1, &produced);
    if (status != ES_OK) return status;
    *consumed += take;
    if (produced == 0) continue;
    status = es_feature_window_push(&window, &feed->window, row);
    if (status != ES_OK) return status;
    feed->frames++;
    if (es_schedule_due(&schedule, feed->frames)) {
      status = es_feature_window_read(&window, &feed->window, input);
      if (status != ES_OK) return status;
      result->ready = 1;
      result->t_ms = es_frame_end_ms(feed->frames, window_samples, params->frontend.hop,
                                     ES_AUDIO_SAMPLE_RATE_HZ);
      return ES_OK;
    }
  }
  return ES_OK;
}
