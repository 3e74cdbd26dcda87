/* FFT auto-scale: shift the windowed frame up so its peak uses 15 bits,
 * which keeps the fixed-point FFT's 1/N scaling from eating quiet signals.
 * The shift is undone after the filter bank square root. */
#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

es_status es_audio_fft_auto_scale(int16_t *data, size_t count, int32_t *scale_bits) {
  if (data == NULL || scale_bits == NULL || count == 0) return ES_ERR_ARGUMENT;
  /* Peak magnitude exactly as upstream's MaxAbs16 finds it: in an int16, so
   * a -32768 sample stores -32768 (which means "no scaling") unless a later
   * sample replaces it, and the search goes on from there. */
  int16_t peak = 0;
  for (size_t i = 0; i < count; ++i) {
    const int16_t v = data[i];
    if (v > peak)
      peak = v;
    else if (-v > peak)
      peak = es_wrap16(-(int32_t)v);
  }
  const int32_t shift = peak > 0 ? 15 - (int32_t)es_msb32((uint32_t)peak) : 0;
  if (shift > 0)
    for (size_t i = 0; i < count; ++i) data[i] = es_wrap16((int32_t)data[i] * (1 << shift));
  *scale_bits = shift;
  return ES_OK;
}
