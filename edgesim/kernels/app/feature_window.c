/* Feature window: a ring of the newest rows, read oldest first (app_layer.h). */
#include <string.h>

#include "edgesim/app_layer.h"

static int window_params_ok(const es_feature_window_params *params) {
  return params != NULL && params->frames >= 1 && params->channels >= 1 &&
         (int64_t)params->frames * params->channels <= INT32_MAX;
}

es_status es_feature_window_init(const es_feature_window_params *params, int8_t *rows, size_t bytes,
                                 es_feature_window *window) {
  if (!window_params_ok(params) || rows == NULL || window == NULL) return ES_ERR_ARGUMENT;
  if (bytes < (size_t)params->frames * (size_t)params->channels) return ES_ERR_BUFFER_FULL;
  window->rows = rows;
  return es_feature_window_reset(params, window);
}

es_status es_feature_window_reset(const es_feature_window_params *params, es_feature_window *window) {
  if (!window_params_ok(params) || window == NULL || window->rows == NULL) return ES_ERR_ARGUMENT;
  memset(window->rows, 0, (size_t)params->frames * (size_t)params->channels);
  window->head = 0;
  return ES_OK;
}

es_status es_feature_window_push(const es_feature_window_params *params, es_feature_window *window,
                                 const int8_t *row) {
  if (!window_params_ok(params) || window == NULL || window->rows == NULL || row == NULL) return ES_ERR_ARGUMENT;
  if (window->head < 0 || window->head >= params->frames) return ES_ERR_STATE;
  /* The oldest slot takes the new row, and the slot after it becomes the oldest. */
  memcpy(window->rows + (size_t)window->head * (size_t)params->channels, row, (size_t)params->channels);
  window->head = window->head + 1 == params->frames ? 0 : window->head + 1;
  return ES_OK;
}

es_status es_feature_window_read(const es_feature_window_params *params, const es_feature_window *window,
                                 int8_t *out) {
  if (!window_params_ok(params) || window == NULL || window->rows == NULL || out == NULL) return ES_ERR_ARGUMENT;
  if (window->head < 0 || window->head >= params->frames) return ES_ERR_STATE;
  const size_t row = (size_t)params->channels;
  const size_t older = (size_t)(params->frames - window->head) * row; /* head .. end */
  memcpy(out, window->rows + (size_t)window->head * row, older);
  memcpy(out + older, window->rows, (size_t)window->head * row);
  return ES_OK;
}
