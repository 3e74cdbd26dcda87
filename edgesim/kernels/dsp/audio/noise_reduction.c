/* Noise reduction by spectral subtraction.  Per channel, a slow running
 * average of the signal (Q10 fixed point, smoothing coefficients Q14;
 * odd channels adapt faster) is the noise estimate; the output is the signal
 * minus that estimate, but never below 5% of the signal. */
#include "edgesim/audio_frontend.h"

es_status es_audio_noise_reduction(uint32_t *signal, uint32_t *noise_estimate, size_t count) {
  if (signal == NULL || noise_estimate == NULL || count > ES_AUDIO_MAX_CHANNELS) return ES_ERR_ARGUMENT;
  const uint32_t one = 1u << ES_AUDIO_NR_COEFF_BITS;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t smoothing = (i & 1) ? ES_AUDIO_NR_ALT_SMOOTHING : ES_AUDIO_NR_SMOOTHING;
    const uint32_t input = signal[i];
    /* uint32 shift: wraps for inputs >= 2^22 exactly as upstream's does. */
    const uint32_t scaled = input << ES_AUDIO_NR_SMOOTHING_BITS;
    noise_estimate[i] = (uint32_t)(((uint64_t)scaled * smoothing +
                                    (uint64_t)noise_estimate[i] * (one - smoothing)) >>
                                   ES_AUDIO_NR_COEFF_BITS);
    /* No clamping of the stored estimate (the model's clamping = false). */
    const uint32_t estimate = noise_estimate[i] > scaled ? scaled : noise_estimate[i];
    const uint32_t floor =
        (uint32_t)(((uint64_t)input * ES_AUDIO_NR_MIN_SIGNAL_REMAINING) >> ES_AUDIO_NR_COEFF_BITS);
    const uint32_t subtracted = (scaled - estimate) >> ES_AUDIO_NR_SMOOTHING_BITS;
    signal[i] = subtracted > floor ? subtracted : floor;
  }
  return ES_OK;
}
