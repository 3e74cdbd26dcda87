/* FFT auto-scale: shift the windowed frame up so its peak uses 15 bits,
 * which keeps the fixed-point FFT's 1/N scaling from eating quiet signals.
 * The shift is undone after the filter bank square root. */
#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

/* Peak magnitude exactly as upstream's MaxAbs16 finds it, sample after
 * sample: in an int16, so a -32768 sample stores -32768 (which means "no
 * scaling") unless a later sample replaces it, and the search goes on from
 * there. */
static inline int16_t max_abs16_step(int16_t peak, int16_t v) {
  if (v > peak) return v;
  if (-v > peak) return es_wrap16(-(int32_t)v);
  return peak;
}

static inline int32_t shift_for(int16_t peak) {
  return peak > 0 ? 15 - (int32_t)es_msb32((uint32_t)peak) : 0;
}

es_status es_audio_fft_auto_scale(int16_t *data, size_t count, int32_t *scale_bits) {
  if (data == NULL || scale_bits == NULL || count == 0) return ES_ERR_ARGUMENT;
  int16_t peak = 0;
  for (size_t i = 0; i < count; ++i) peak = max_abs16_step(peak, data[i]);
  const int32_t shift = shift_for(peak);
  if (shift > 0)
    for (size_t i = 0; i < count; ++i) data[i] = es_wrap16((int32_t)data[i] * (1 << shift));
  *scale_bits = shift;
  return ES_OK;
}

static inline int32_t scale_bits_of(const int16_t *restrict even, const int16_t *restrict odd, size_t pairs) {
  /* Without a -32768 sample the scan above finds max |v| (or 0), and only
   * that number's leading bit matters: it is the leading bit of the OR of
   * all |v|, one vectorizable pass (|v| as uint16: -32768 gives 0x8000,
   * which flags the quirk). */
  uint16_t magnitudes = 0;
  for (size_t s = 0; s < pairs; ++s)
    magnitudes |= (uint16_t)(even[s] < 0 ? -(int32_t)even[s] : even[s]) |
                  (uint16_t)(odd[s] < 0 ? -(int32_t)odd[s] : odd[s]);
  int16_t peak;
  if (magnitudes < 0x8000u) {
    peak = (int16_t)magnitudes; /* not max |v|, but the same leading bit */
  } else { /* rare (full-scale negative input): replay upstream's order */
    peak = 0;
    for (size_t s = 0; s < pairs; ++s) peak = max_abs16_step(max_abs16_step(peak, even[s]), odd[s]);
  }
  return shift_for(peak);
}

es_status es_audio_fft_scale_bits(const int16_t *restrict even, const int16_t *restrict odd,
                                  int32_t *scale_bits) {
  if (even == NULL || odd == NULL || scale_bits == NULL) return ES_ERR_ARGUMENT;
  /* A constant trip count lets the compiler vectorize without an epilogue. */
  *scale_bits = scale_bits_of(even, odd, ES_AUDIO_WINDOW_SAMPLES / 2);
  return ES_OK;
}

es_status es_audio_fft_scale_bits_n(const int16_t *restrict even, const int16_t *restrict odd, size_t window,
                                    int32_t *scale_bits) {
  if (even == NULL || odd == NULL || scale_bits == NULL || window < 2 || window % 2 != 0 ||
      window > ES_AUDIO_FFT_LENGTH)
    return ES_ERR_ARGUMENT;
  *scale_bits = scale_bits_of(even, odd, window / 2);
  return ES_OK;
}
