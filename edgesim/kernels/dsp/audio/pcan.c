/* PCAN (per-channel amplitude normalization) gain control: each channel is
 * multiplied by a gain that falls with its noise estimate, roughly
 * 2^21 * (noise + 80)^-0.95, then compressed.  The gain comes from a
 * piecewise-quadratic table with one segment per octave of the estimate. */
#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6

/* Gain for noise estimate x: segment = octave of x, position = the 10 bits
 * below x's leading one; y0 + a1*t + a2*t^2 evaluated in Q15. */
static uint32_t pcan_gain(uint32_t x) {
  if (x <= 2) return (uint32_t)(int32_t)es_audio_pcan_gain_lut[x];
  const int32_t octave = (int32_t)es_msb32(x);
  const int16_t *seg = es_audio_pcan_gain_lut + (4 * octave - 6); /* max 122: 3 entries left */
  /* x << (11 - octave) below octave 11, x >> (octave - 11) above, without a
   * branch: one of the two shifts is by 0 (and x < 2^octave, so the left
   * shift loses nothing). */
  const int32_t up = octave < 11 ? 11 - octave : 0, down = octave > 11 ? octave - 11 : 0;
  const int32_t frac = (int32_t)(((x << up) >> down) & 0x3FFu);
  /* Upstream computes this in int32; its operands keep it in range, and
   * uint32 arithmetic gives the same bits without signed overflow. */
  int32_t r = ((int32_t)seg[2] * frac) >> 5;
  r = (int32_t)((uint32_t)r + ((uint32_t)(int32_t)seg[1] << 5));
  r = (int32_t)((uint32_t)r * (uint32_t)frac);
  r = (int32_t)((uint32_t)r + (1u << 14)) >> 15;
  r += seg[0];
  /* Upstream returns int16 and widens it to uint32 (sign-extending). */
  return (uint32_t)(int32_t)es_wrap16(r);
}

/* Compress the SNR (Q12): quadratic below 2, linear above, to Q6. */
static uint32_t pcan_shrink(uint32_t x) {
  if (x < (2u << PCAN_SNR_BITS)) return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
  return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

es_status es_audio_pcan(uint32_t *signal, const uint32_t *noise_estimate, size_t count) {
  if (signal == NULL || noise_estimate == NULL || count > ES_AUDIO_MAX_CHANNELS) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t gain = pcan_gain(noise_estimate[i]);
    const uint32_t snr = (uint32_t)(((uint64_t)signal[i] * gain) >> ES_AUDIO_PCAN_SNR_SHIFT);
    signal[i] = pcan_shrink(snr);
  }
  return ES_OK;
}
