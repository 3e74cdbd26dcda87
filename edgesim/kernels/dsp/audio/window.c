/* Window stage: multiply by the Q12 Hann window, saturate to int16. */
#include "edgesim/audio_frontend.h"

es_status es_audio_window_apply(const int16_t *input, const int16_t *coeffs, size_t count,
                                int shift, int16_t *output) {
  if (input == NULL || coeffs == NULL || output == NULL || count == 0 || shift < 0 || shift > 31)
    return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    /* |input * coeff| <= 2^30, so the product cannot overflow int32. */
    int32_t v = ((int32_t)input[i] * coeffs[i]) >> shift;
    v = v > INT16_MAX ? INT16_MAX : v; /* min then max: one SSAT on the M4 */
    v = v < INT16_MIN ? INT16_MIN : v;
    output[i] = (int16_t)v;
  }
  return ES_OK;
}
