/* Log scale: natural log of each channel in Q6 (ES_AUDIO_LOG_SCALE), after
 * restoring ES_AUDIO_LOG_CORRECTION_BITS of precision the earlier stages
 * dropped.  log2 = integer part from the leading bit + fraction from a
 * 128-segment table of log2(1+f) - f with linear interpolation (Q16). */
#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

#define LOG_SCALE_BITS 16
#define LOG_SEGMENT_BITS 7
#define LOG_ROUND (1u << (LOG_SCALE_BITS - 1))
#define LOG_LN2_Q16 45426u /* ln(2) in Q16 */

static uint32_t log2_fraction(uint32_t x, uint32_t log2x) {
  /* x - 2^log2x < 2^31 always fits int32. */
  int32_t frac = (int32_t)(x - ((uint32_t)1 << log2x));
  if (log2x < LOG_SCALE_BITS)
    frac <<= LOG_SCALE_BITS - log2x;
  else
    frac >>= log2x - LOG_SCALE_BITS;
  const uint32_t seg = (uint32_t)frac >> (LOG_SCALE_BITS - LOG_SEGMENT_BITS);
  const int32_t c0 = es_audio_log_lut[seg];
  const int32_t c1 = es_audio_log_lut[seg + 1];
  const int32_t seg_base = (int32_t)(seg << (LOG_SCALE_BITS - LOG_SEGMENT_BITS));
  const int32_t rel = ((c1 - c0) * (frac - seg_base)) >> LOG_SCALE_BITS;
  return (uint32_t)(frac + c0 + rel);
}

/* ln(x) * out_scale, rounded; x > 1. */
static uint32_t log32(uint32_t x, uint32_t out_scale) {
  const uint32_t integer = es_msb32(x) - 1;
  const uint32_t log2 = (integer << LOG_SCALE_BITS) + log2_fraction(x, integer);
  const uint32_t loge = (uint32_t)(((uint64_t)LOG_LN2_Q16 * log2 + LOG_ROUND) >> LOG_SCALE_BITS);
  return (out_scale * loge + LOG_ROUND) >> LOG_SCALE_BITS;
}

es_status es_audio_log_scale(const uint32_t *input, size_t count, int16_t *output) {
  if (input == NULL || output == NULL || count == 0) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t scaled = input[i] << ES_AUDIO_LOG_CORRECTION_BITS; /* wraps like upstream */
    if (scaled > 1) {
      const uint32_t v = log32(scaled, ES_AUDIO_LOG_SCALE);
      output[i] = (int16_t)(v < (uint32_t)INT16_MAX ? v : (uint32_t)INT16_MAX);
    } else {
      output[i] = 0;
    }
  }
  return ES_OK;
}
