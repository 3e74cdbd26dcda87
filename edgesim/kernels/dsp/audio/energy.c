/* Energy stage: squared magnitude of the bins the filter bank reads. */
#include "edgesim/audio_frontend.h"

es_status es_audio_energy(const es_cpx16 *spectrum, size_t count, size_t start, size_t end,
                          uint32_t *energy) {
  if (spectrum == NULL || energy == NULL || start > end || end > count) return ES_ERR_ARGUMENT;
  for (size_t k = 0; k < start; ++k) energy[k] = 0; /* the model zeroes bins outside [start, end) */
  for (size_t k = start; k < end; ++k) {
    /* Each square fits int32 (<= 2^30); their sum may reach 2^31, so add as
     * uint32 - upstream's int32 sum wraps to the same bits. */
    const int32_t re = spectrum[k].re, im = spectrum[k].im;
    energy[k] = (uint32_t)(re * re) + (uint32_t)(im * im);
  }
  for (size_t k = end; k < count; ++k) energy[k] = 0;
  return ES_OK;
}
