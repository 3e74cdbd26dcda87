/* Hysteresis on one class score: switch on after on_count consecutive scores
 * at or above on_threshold, off after off_count consecutive scores below
 * off_threshold.  A score inside the dead band breaks a streak, so a single
 * noisy frame neither switches the state nor half-completes a switch. */
#include "edgesim/post.h"

#include <stddef.h>

static es_status check_params(const es_hysteresis_params *params) {
  if (params == NULL) return ES_ERR_ARGUMENT;
  if (params->on_threshold < 0 || params->on_threshold > 255 || params->off_threshold < 0 ||
      params->off_threshold > params->on_threshold || params->on_count < 1 || params->off_count < 1)
    return ES_ERR_ARGUMENT;
  return ES_OK;
}

es_status es_hysteresis_init(const es_hysteresis_params *params, es_hysteresis_state *state) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  return es_hysteresis_reset(state);
}

es_status es_hysteresis_reset(es_hysteresis_state *state) {
  if (state == NULL) return ES_ERR_ARGUMENT;
  state->active = 0;
  state->streak = 0;
  return ES_OK;
}

es_status es_hysteresis_process(const es_hysteresis_params *params, es_hysteresis_state *state, int8_t score,
                                es_hysteresis_output *output) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (state == NULL || output == NULL || state->active > 1 || state->streak < 0) return ES_ERR_ARGUMENT;
  const int32_t value = (int32_t)score + 128;
  const int wants_change = state->active ? value < params->off_threshold : value >= params->on_threshold;
  const int32_t needed = state->active ? params->off_count : params->on_count;
  output->changed = 0;
  if (!wants_change) {
    state->streak = 0;
  } else if (++state->streak >= needed) {
    state->active = (uint8_t)!state->active;
    state->streak = 0;
    output->changed = 1;
  }
  output->active = state->active;
  return ES_OK;
}
