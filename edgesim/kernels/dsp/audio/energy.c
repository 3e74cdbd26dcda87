/* Energy stage: squared magnitude of the bins the filter bank reads. */
#include "edgesim/audio_frontend.h"

#include "fft_fixed.h"

/* Each square fits int32 (<= 2^30); their sum may reach 2^31, so add as
 * uint32 - upstream's int32 sum wraps to the same bits. */
static inline uint32_t squared_magnitude(int32_t re, int32_t im) { return (uint32_t)(re * re) + (uint32_t)(im * im); }

es_status es_audio_energy(const es_cpx16 *spectrum, size_t count, size_t start, size_t end,
                          uint32_t *energy) {
  if (spectrum == NULL || energy == NULL || start > end || end > count) return ES_ERR_ARGUMENT;
  for (size_t k = 0; k < start; ++k) energy[k] = 0; /* the model zeroes bins outside [start, end) */
  for (size_t k = start; k < end; ++k) energy[k] = squared_magnitude(spectrum[k].re, spectrum[k].im);
  for (size_t k = end; k < count; ++k) energy[k] = 0;
  return ES_OK;
}

#if ES_FFT_INTERLEAVED
es_status es_audio_spectrum_energy(const int16_t *restrict fft, size_t start, size_t end, uint32_t *restrict energy) {
  if (fft == NULL || energy == NULL || start > end || end > ES_AUDIO_SPECTRUM_BINS) return ES_ERR_ARGUMENT;
  /* Packed words (fft_fixed.h), one bin pair k, N - k per pass. */
  for (size_t k = 1; k <= ES_FFT_NCFFT / 2; ++k) {
    const uint32_t xk = es_fft_load(fft + 2 * k), xnk = es_fft_load(fft + 2 * (ES_FFT_NCFFT - k));
    const int32_t conj_im = (int32_t)__ssub16(0, (int16x2_t)xnk) >> 16; /* wrap16(-im), sign-extended */
    const uint32_t fpk = es_fft_fixdiv_packed(xk, 2);
    const uint32_t fpnk = es_fft_round_pack((int32_t)(int16_t)xnk * (32767 / 2), conj_im * (32767 / 2));
    const int16x2_t f1 = __sadd16((int16x2_t)fpk, (int16x2_t)fpnk), f2 = __ssub16((int16x2_t)fpk, (int16x2_t)fpnk);
    const int16x2_t t = (int16x2_t)es_fft_cmul_packed((uint32_t)f2, es_audio_rfft_twiddles_packed[k - 1]);
    const int16x2_t x = __shadd16(f1, t); /* ((f1r + tr) >> 1, (f1i + ti) >> 1) */
    /* ((f1r - tr) >> 1, (ti - f1i) >> 1): halves regrouped first (PKHBT) */
    const int16x2_t y = __shsub16((int16x2_t)(((uint32_t)f1 & 0xFFFFu) | ((uint32_t)t & 0xFFFF0000u)),
                                  (int16x2_t)(((uint32_t)t & 0xFFFFu) | ((uint32_t)f1 & 0xFFFF0000u)));
    energy[k] = (uint32_t)__smuad(x, x);
    energy[ES_FFT_NCFFT - k] = (uint32_t)__smuad(y, y); /* k = N/2: this write is kept, as in kissfft */
  }
  const int16_t dcr = es_fft_div2(fft[0]), dci = es_fft_div2(fft[1]);
#else
es_status es_audio_spectrum_energy(const int16_t *restrict fft, size_t start, size_t end, uint32_t *restrict energy) {
  if (fft == NULL || energy == NULL || start > end || end > ES_AUDIO_SPECTRUM_BINS) return ES_ERR_ARGUMENT;
  enum { HALF = ES_FFT_NCFFT / 2 };
  const int16_t *restrict re = fft, *restrict im = fft + ES_FFT_NCFFT;
  const int16_t *restrict twr = es_audio_rfft_twiddles, *restrict twi = es_audio_rfft_twiddles + HALF;
  /* Lane i is the bin pair k = i + 1, N - k.  The upper half is first copied
   * mirrored so that the split reads and writes contiguous ascending lanes
   * (vectorizes); the spectrum itself is never stored.  Bin HALF pairs with
   * itself and kissfft keeps the X[N-k] write: lane HALF - 1's y. */
  int16_t mirror_re[HALF], mirror_im[HALF], x_re[HALF], x_im[HALF], y_re[HALF], y_im[HALF];
  for (size_t i = 0; i < HALF; ++i) {
    mirror_re[i] = re[ES_FFT_NCFFT - 1 - i];
    mirror_im[i] = im[ES_FFT_NCFFT - 1 - i];
  }
  for (size_t i = 0; i < HALF; ++i)
    es_fft_split_pair(re[i + 1], im[i + 1], mirror_re[i], mirror_im[i], twr[i], twi[i], &x_re[i], &x_im[i],
                      &y_re[i], &y_im[i]);
  /* x of the last lane (bin HALF) is overwritten by its y, as in kissfft. */
  for (size_t i = 0; i < HALF; ++i) energy[i + 1] = squared_magnitude(x_re[i], x_im[i]);
  uint32_t y_energy[HALF]; /* computed ascending, stored mirrored: both passes vectorize */
  for (size_t i = 0; i < HALF; ++i) y_energy[i] = squared_magnitude(y_re[i], y_im[i]);
  for (size_t i = 0; i < HALF; ++i) energy[ES_FFT_NCFFT - 1 - i] = y_energy[i];
  const int16_t dcr = es_fft_div2(re[0]), dci = es_fft_div2(im[0]);
#endif
  energy[0] = squared_magnitude(es_wrap16(dcr + dci), 0);
  energy[ES_FFT_NCFFT] = squared_magnitude(es_wrap16(dcr - dci), 0);
  /* The model zeroes the bins outside [start, end). */
  for (size_t k = 0; k < start; ++k) energy[k] = 0;
  for (size_t k = end; k <= ES_FFT_NCFFT; ++k) energy[k] = 0;
  return ES_OK;
}
