/* Final scaling into the classifier's int8 input, the model's builtin tail
 * CAST, MUL 256, ADD 333, DIV 666 (truncating), ADD -128, MIN 127, MAX -128,
 * CAST: log * 256/666 rounded to nearest, minus 128, saturated.  666 is
 * round(25.6 * 26): the legacy front end's output scale times the
 * classifier's input scale. */
#include "edgesim/audio_frontend.h"

es_status es_audio_feature_quantize(const int16_t *log_features, size_t count, int8_t *features) {
  if (log_features == NULL || features == NULL || count == 0) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    /* |log * 256| < 2^23: no overflow; C division truncates like TFLM DIV. */
    int32_t v = ((int32_t)log_features[i] * ES_AUDIO_FEATURE_MUL + ES_AUDIO_FEATURE_DIV / 2) /
                    ES_AUDIO_FEATURE_DIV -
                128;
    features[i] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
  }
  return ES_OK;
}

es_status es_audio_feature_quantize_linear(const uint32_t *signal, size_t count, int8_t *features) {
  if (signal == NULL || features == NULL || count == 0) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    /* int32 arithmetic modulo 2^32 (unsigned, then the two's complement value, as GCC converts). */
    const int32_t scaled = (int32_t)(signal[i] * (uint32_t)ES_AUDIO_FEATURE_MUL + (uint32_t)(ES_AUDIO_FEATURE_DIV / 2));
    int32_t v = scaled / ES_AUDIO_FEATURE_DIV - 128;
    features[i] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
  }
  return ES_OK;
}
