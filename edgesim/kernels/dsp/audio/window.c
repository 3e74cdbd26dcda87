/* Window stage: multiply by the Q12 Hann window, saturate to int16. */
#include "edgesim/audio_frontend.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#include "fft_fixed.h"

#if ES_AUDIO_WINDOW_SAMPLES % 2 != 0 || ES_AUDIO_WINDOW_SAMPLES > ES_AUDIO_FFT_LENGTH
#error "the window must be an even number of samples that fits the FFT"
#endif

static inline int16_t windowed(int16_t sample, int16_t coeff, int shift) {
  /* |input * coeff| <= 2^30, so the product cannot overflow int32. */
  int32_t v = ((int32_t)sample * coeff) >> shift;
#if defined(__ARM_FEATURE_DSP)
  return (int16_t)__ssat(v, 16); /* the clamp below, as one instruction */
#else
  v = v > INT16_MAX ? INT16_MAX : v; /* min then max: vectorizes (pminsd/pmaxsd or packssdw) */
  v = v < INT16_MIN ? INT16_MIN : v;
  return (int16_t)v;
#endif
}

es_status es_audio_window_apply(const int16_t *input, const int16_t *coeffs, size_t count,
                                int shift, int16_t *output) {
  if (input == NULL || coeffs == NULL || output == NULL || count == 0 || shift < 0 || shift > 31)
    return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) output[i] = windowed(input[i], coeffs[i], shift);
  return ES_OK;
}

static inline void window_planar(const int16_t *restrict samples, const int16_t *restrict coeffs, size_t pairs,
                                 int16_t *restrict even, int16_t *restrict odd) {
  const int16_t *restrict even_coeffs = coeffs;
  const int16_t *restrict odd_coeffs = coeffs + pairs;
  for (size_t s = 0; s < pairs; ++s) {
    even[s] = windowed(samples[2 * s], even_coeffs[s], ES_AUDIO_WINDOW_SHIFT);
    odd[s] = windowed(samples[2 * s + 1], odd_coeffs[s], ES_AUDIO_WINDOW_SHIFT);
  }
  for (size_t s = pairs; s < ES_FFT_NCFFT; ++s) even[s] = odd[s] = 0;
}

es_status es_audio_window_planar(const int16_t *restrict samples, int16_t *restrict even,
                                 int16_t *restrict odd) {
  if (samples == NULL || even == NULL || odd == NULL) return ES_ERR_ARGUMENT;
  /* A constant trip count and contiguous coefficients: vectorizes on the host. */
  window_planar(samples, es_audio_window_coeffs_planar, ES_AUDIO_WINDOW_SAMPLES / 2, even, odd);
  return ES_OK;
}

es_status es_audio_window_planar_n(const int16_t *restrict samples, const int16_t *restrict coeffs, size_t window,
                                   int16_t *restrict even, int16_t *restrict odd) {
  if (samples == NULL || coeffs == NULL || even == NULL || odd == NULL || window < 2 || window % 2 != 0 ||
      window > ES_AUDIO_FFT_LENGTH)
    return ES_ERR_ARGUMENT;
  window_planar(samples, coeffs, window / 2, even, odd);
  return ES_OK;
}
