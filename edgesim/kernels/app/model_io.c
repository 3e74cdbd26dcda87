/* Model I/O of float models (app_layer.h): the preprocessing's int8 values
 * as a float32 model input, and float32 scores as the int8 scores the post
 * feed takes.  Plain single-precision multiplies and roundf, so x86-64 and
 * the Cortex-M4F give the same bits (-ffp-contract=off everywhere). */
#include <math.h>

#include "edgesim/app_layer.h"

es_status es_float_input_check(const es_float_input_params *params) {
  if (params == NULL || !(params->scale > 0.0f) || params->scale > 1e30f || params->zero_point < -128 ||
      params->zero_point > 127)
    return ES_ERR_ARGUMENT;
  return ES_OK;
}

es_status es_float_input_from_int8(const es_float_input_params *params, const int8_t *q, size_t count, float *out) {
  es_status status = es_float_input_check(params);
  if (status != ES_OK) return status;
  if (count > 0 && (q == NULL || out == NULL)) return ES_ERR_ARGUMENT;
  /* Last element first: q may be the first count bytes of out (widened in
   * place), and out[i] only covers bytes of q[4i..4i+3], already read. */
  for (size_t i = count; i-- > 0;) out[i] = params->scale * (float)((int32_t)q[i] - params->zero_point);
  return ES_OK;
}

es_status es_scores_from_float(const float *scores, size_t count, int8_t *out) {
  if (count > 0 && (scores == NULL || out == NULL)) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    /* A probability p in [0, 1] -> round(p * 256) - 128, saturated; NaN -> -128. */
    const float r = roundf(scores[i] * (float)ES_FLOAT_SCORE_STEPS) - 128.0f;
    out[i] = (int8_t)(!(r > -128.0f) ? -128 : r >= 127.0f ? 127 : (int32_t)r);
  }
  return ES_OK;
}
