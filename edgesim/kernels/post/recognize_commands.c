/* Streaming command recognizer with TFLM RecognizeCommands semantics.
 *
 * The queue is a ring of (time, scores) in caller memory.  All arithmetic is
 * integer: scores move to the 0..255 scale (q + 128), averages are sums
 * divided by the count with truncation, times are compared in 64 bits so
 * that int32 millisecond timestamps near the limits cannot overflow.
 */
#include "edgesim/post.h"

#include <stddef.h>

static es_status check_params(const es_recognizer_params *params) {
  if (params == NULL) return ES_ERR_ARGUMENT;
  if (params->category_count < 1 || params->average_window_ms < 1 || params->suppression_ms < 0 ||
      params->minimum_count < 1 || params->detection_threshold < 0 || params->detection_threshold > 255)
    return ES_ERR_ARGUMENT;
  return ES_OK;
}

es_status es_recognizer_init(const es_recognizer_params *params, int32_t *times, int8_t *scores,
                             int32_t capacity, es_recognizer_state *state) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (times == NULL || scores == NULL || state == NULL || capacity < 1) return ES_ERR_ARGUMENT;
  state->times = times;
  state->scores = scores;
  state->capacity = capacity;
  return es_recognizer_reset(state);
}

es_status es_recognizer_reset(es_recognizer_state *state) {
  if (state == NULL || state->times == NULL || state->scores == NULL || state->capacity < 1)
    return ES_ERR_ARGUMENT;
  state->front = 0;
  state->count = 0;
  state->newest_time_ms = 0;
  state->previous_top = 0; /* upstream starts from "silence" */
  state->previous_top_time_ms = 0;
  state->has_newest = 0;
  state->has_previous_top = 0;
  state->results_count = 0;
  state->starved_count = 0;
  state->starved_after_warmup = 0;
  state->evicted_count = 0;
  state->first_time_ms = 0;
  return ES_OK;
}

static int32_t slot(const es_recognizer_state *state, int32_t offset) {
  int32_t index = state->front + offset;
  return index >= state->capacity ? index - state->capacity : index;
}

static void drop_oldest(es_recognizer_state *state) {
  state->front = slot(state, 1);
  state->count -= 1;
}

es_status es_recognizer_process(const es_recognizer_params *params, es_recognizer_state *state,
                                const int8_t *scores, int32_t time_ms, es_recognizer_output *output) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (state == NULL || state->times == NULL || state->scores == NULL || scores == NULL || output == NULL)
    return ES_ERR_ARGUMENT;
  if (state->count < 0 || state->count > state->capacity || state->front < 0 || state->front >= state->capacity)
    return ES_ERR_STATE;
  /* Time must not run backwards: averaging a window that is not one is the
   * classic silent failure when two loops feed one recognizer. */
  if (state->has_newest && time_ms < state->newest_time_ms) return ES_ERR_INPUT_DATA;

  /* Drop results older than the averaging window (upstream keeps a result
   * whose age equals the window exactly). */
  const int64_t time_limit = (int64_t)time_ms - params->average_window_ms;
  while (state->count > 0 && (int64_t)state->times[state->front] < time_limit) drop_oldest(state);
  if (state->count == state->capacity) {
    drop_oldest(state);
    state->evicted_count += 1;
  }

  const int32_t categories = params->category_count;
  const int32_t back = slot(state, state->count);
  state->times[back] = time_ms;
  for (int32_t i = 0; i < categories; ++i) state->scores[(size_t)back * (size_t)categories + (size_t)i] = scores[i];
  state->count += 1;
  if (!state->has_newest) state->first_time_ms = time_ms;
  state->newest_time_ms = time_ms;
  state->has_newest = 1;
  state->results_count += 1;

  /* Too few results, or spanning too short a time, give an unreliable
   * average: report the previous command with score 0. */
  const int64_t span = (int64_t)time_ms - state->times[state->front];
  if (state->count < params->minimum_count || span < params->average_window_ms / 4) {
    state->starved_count += 1;
    /* A full window after the first result, starving means results arrive
     * too slowly for the window (not the warm-up every stream has). */
    if ((int64_t)time_ms - state->first_time_ms >= params->average_window_ms) state->starved_after_warmup += 1;
    output->top = state->previous_top;
    output->score = 0;
    output->is_new = 0;
    output->is_reliable = 0;
    return ES_OK;
  }

  /* Highest average; ties and all-zero averages keep the lowest index. */
  int32_t top = 0;
  int32_t top_score = 0;
  for (int32_t c = 0; c < categories; ++c) {
    int32_t sum = 0;
    for (int32_t r = 0; r < state->count; ++r)
      sum += (int32_t)state->scores[(size_t)slot(state, r) * (size_t)categories + (size_t)c] + 128;
    const int32_t average = sum / state->count;
    if (average > top_score) {
      top_score = average;
      top = c;
    }
  }

  /* Suppression applies only after a real (non-silence) command. */
  int suppressed = 0;
  if (state->has_previous_top && state->previous_top != 0 && top == state->previous_top) {
    const int64_t since = (int64_t)time_ms - state->previous_top_time_ms;
    suppressed = since <= params->suppression_ms;
  }
  output->is_new = 0;
  if (top_score > params->detection_threshold && !suppressed) {
    state->previous_top = top;
    state->previous_top_time_ms = time_ms;
    state->has_previous_top = 1;
    output->is_new = 1;
  }
  output->top = top;
  output->score = top_score;
  output->is_reliable = 1;
  return ES_OK;
}
