/* Mel filter bank: each bin's energy is split between two neighbouring
 * triangular channels by weight (Q12) and 1 - weight (the "unweight");
 * the unweighted part carries over into the next channel's sum. */
#include "edgesim/audio_frontend.h"

es_status es_audio_filterbank(const uint32_t *energy, uint64_t *channels) {
  if (energy == NULL || channels == NULL) return ES_ERR_ARGUMENT;
  uint64_t weighted = 0, unweighted = 0;
  for (int c = 0; c <= ES_AUDIO_FEATURE_CHANNELS; ++c) {
    const uint32_t *bins = energy + es_audio_fb_freq_starts[c];
    const int16_t *w = es_audio_fb_weights + es_audio_fb_weight_starts[c];
    const int16_t *u = es_audio_fb_unweights + es_audio_fb_weight_starts[c];
    for (int j = 0; j < es_audio_fb_widths[c]; ++j) {
      /* weights are 0..4096: a 32x32->64 multiply-accumulate (UMLAL). */
      weighted += (uint64_t)(uint32_t)w[j] * bins[j];
      unweighted += (uint64_t)(uint32_t)u[j] * bins[j];
    }
    channels[c] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
  return ES_OK;
}
