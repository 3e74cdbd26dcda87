/* Inference schedule (app_layer.h): first when the window is full, then
 * every `every` new frames. */
#include "edgesim/app_layer.h"

es_status es_schedule_check(const es_schedule_params *params) {
  if (params == NULL || params->window < 1 || params->every < 1) return ES_ERR_ARGUMENT;
  return ES_OK;
}

int32_t es_schedule_due(const es_schedule_params *params, uint32_t frames) {
  if (es_schedule_check(params) != ES_OK || frames < (uint32_t)params->window) return 0;
  return (frames - (uint32_t)params->window) % (uint32_t)params->every == 0;
}
