/* Top class of one result, accepted when its score reaches min_score. */
#include "edgesim/post.h"

#include <stddef.h>

es_status es_classify_process(const es_classify_params *params, const int8_t *scores, es_classify_output *output) {
  if (params == NULL || scores == NULL || output == NULL) return ES_ERR_ARGUMENT;
  if (params->category_count < 1 || params->min_score < 0 || params->min_score > 255) return ES_ERR_ARGUMENT;
  int32_t top = 0;
  for (int32_t i = 1; i < params->category_count; ++i)
    if (scores[i] > scores[top]) top = i; /* strict: the first maximum wins, as argmax */
  output->top = top;
  output->score = (int32_t)scores[top] + 128;
  output->is_accepted = output->score >= params->min_score;
  return ES_OK;
}
