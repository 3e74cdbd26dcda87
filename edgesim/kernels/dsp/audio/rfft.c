/* Real FFT of ES_AUDIO_FFT_LENGTH int16 samples, bit-exact with kissfft v130
 * built with FIXED_POINT=16 (what tflite-micro's SignalRfft int16 uses).
 *
 * A real FFT of N points is one complex FFT of N/2 points on the samples
 * taken in (even, odd) pairs, followed by a "split" pass that separates the
 * two interleaved spectra with the super twiddles.  kissfft's fixed point:
 *  - products are Q15 and rounded: sround(p) = (p + 2^14) >> 15;
 *  - each radix-4 butterfly first divides its 4 inputs by 4 as
 *    sround(x * (32767/4)), each split input by 2 as sround(x * (32767/2)),
 *    so the spectrum comes out scaled by roughly 1/N;
 *  - sums are stored in int16 and wrap (es_wrap16).
 *
 * N/2 = 256 = 4^4: four radix-4 stages.  kissfft recurses (decimation in
 * time): position j of its work buffer starts with input pair rev(j) (base-4
 * digit reversal) and stage m (m = 1, 4, 16, 64) combines legs j, j+m, j+2m,
 * j+3m with twiddles of k = j mod m.  Here every butterfly does exactly
 * kissfft's operations, but the data is held as separate re/im arrays and the
 * first two stages work on the unpermuted input ("s-space", s = rev(j)),
 * where their legs are 64 (stage 1) or 16 (stage 2) apart and the twiddle is
 * the same across each run of contiguous butterflies; after one in-place
 * digit-reversal the last two stages run in kissfft's order with contiguous
 * twiddles.  All four are straight loops over contiguous int16 that a
 * compiler can vectorize (SSE2 on the host); on the Cortex-M4 they are plain
 * scalar loops. */
#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

#define NCFFT (ES_AUDIO_FFT_LENGTH / 2)

#if NCFFT != 256
#error "rfft.c implements a 256-point complex FFT (4 radix-4 stages); regenerate for another size"
#endif

static inline int16_t sround(int32_t product) { return es_wrap16((product + (1 << 14)) >> 15); }

/* C_FIXDIV(x, k): x * (32767 / k) in Q15. */
static inline int16_t fixdiv(int32_t x, int32_t k) { return sround(x * (32767 / k)); }

/* One forward kissfft kf_bfly4 on legs x0..x3 (in/out) with twiddles
 * (t1, t2, t3) = (tw1r, tw1i, ...) for legs 1..3. */
#define BFLY4(r0, i0, r1, i1, r2, i2, r3, i3, t1r, t1i, t2r, t2i, t3r, t3i)              \
  do {                                                                                  \
    const int16_t a0r = fixdiv(r0, 4), a0i = fixdiv(i0, 4);                             \
    const int16_t a1r = fixdiv(r1, 4), a1i = fixdiv(i1, 4);                             \
    const int16_t a2r = fixdiv(r2, 4), a2i = fixdiv(i2, 4);                             \
    const int16_t a3r = fixdiv(r3, 4), a3i = fixdiv(i3, 4);                             \
    const int16_t s0r = sround((int32_t)a1r * (t1r) - (int32_t)a1i * (t1i));            \
    const int16_t s0i = sround((int32_t)a1r * (t1i) + (int32_t)a1i * (t1r));            \
    const int16_t s1r = sround((int32_t)a2r * (t2r) - (int32_t)a2i * (t2i));            \
    const int16_t s1i = sround((int32_t)a2r * (t2i) + (int32_t)a2i * (t2r));            \
    const int16_t s2r = sround((int32_t)a3r * (t3r) - (int32_t)a3i * (t3i));            \
    const int16_t s2i = sround((int32_t)a3r * (t3i) + (int32_t)a3i * (t3r));            \
    const int16_t s5r = es_wrap16(a0r - s1r), s5i = es_wrap16(a0i - s1i);               \
    const int16_t b0r = es_wrap16(a0r + s1r), b0i = es_wrap16(a0i + s1i);               \
    const int16_t s3r = es_wrap16(s0r + s2r), s3i = es_wrap16(s0i + s2i);               \
    const int16_t s4r = es_wrap16(s0r - s2r), s4i = es_wrap16(s0i - s2i);               \
    r2 = es_wrap16(b0r - s3r);                                                          \
    i2 = es_wrap16(b0i - s3i);                                                          \
    r0 = es_wrap16(b0r + s3r);                                                          \
    i0 = es_wrap16(b0i + s3i);                                                          \
    r1 = es_wrap16(s5r + s4i);                                                          \
    i1 = es_wrap16(s5i - s4r);                                                          \
    r3 = es_wrap16(s5r - s4i);                                                          \
    i3 = es_wrap16(s5i + s4r);                                                          \
  } while (0)

/* Butterflies i < count with legs `stride` apart and one twiddle set
 * (stage m's twiddle table `tw`, index k). */
static inline void bfly_uniform(int16_t *restrict re, int16_t *restrict im, size_t count, size_t stride,
                                const int16_t *tw, size_t m, size_t k) {
  const int16_t t1r = tw[k], t1i = tw[m + k], t2r = tw[2 * m + k], t2i = tw[3 * m + k];
  const int16_t t3r = tw[4 * m + k], t3i = tw[5 * m + k];
  for (size_t i = 0; i < count; ++i)
    BFLY4(re[i], im[i], re[i + stride], im[i + stride], re[i + 2 * stride], im[i + 2 * stride],
          re[i + 3 * stride], im[i + 3 * stride], t1r, t1i, t2r, t2i, t3r, t3i);
}

/* kissfft's stage m on one group: butterfly k has legs k + q*m and twiddles
 * of index k. */
static inline void bfly_stage(int16_t *restrict re, int16_t *restrict im, const int16_t *restrict tw,
                              size_t m) {
  for (size_t k = 0; k < m; ++k)
    BFLY4(re[k], im[k], re[k + m], im[k + m], re[k + 2 * m], im[k + 2 * m], re[k + 3 * m], im[k + 3 * m],
          tw[k], tw[m + k], tw[2 * m + k], tw[3 * m + k], tw[4 * m + k], tw[5 * m + k]);
}

static void complex_fft(int16_t *restrict re, int16_t *restrict im) {
  const int16_t *tw = es_audio_fft_twiddles; /* stage m's table at tw + 2 * (m - 1) */
  /* Stage m = 1 in s-space: legs s = r + 64q, all with twiddle index 0. */
  bfly_uniform(re, im, 64, 64, tw, 1, 0);
  /* Stage m = 4 in s-space: leg q at +16q, k at +64k, group at 0..15. */
  for (size_t k = 0; k < 4; ++k) bfly_uniform(re + 64 * k, im + 64 * k, 16, 16, tw + 2 * 3, 4, k);
  /* To kissfft's order: swap j = (d0 d1 d2 d3) base 4 with s = (d3 d2 d1 d0)
   * (the digit reversal is its own inverse). */
  for (size_t d0 = 0; d0 < 4; ++d0)
    for (size_t d1 = 0; d1 < 4; ++d1)
      for (size_t d2 = 0; d2 < 4; ++d2)
        for (size_t d3 = 0; d3 < 4; ++d3) {
          const size_t j = 64 * d0 + 16 * d1 + 4 * d2 + d3, s = d0 + 4 * d1 + 16 * d2 + 64 * d3;
          if (s > j) {
            const int16_t tr = re[j], ti = im[j];
            re[j] = re[s];
            im[j] = im[s];
            re[s] = tr;
            im[s] = ti;
          }
        }
  for (size_t g = 0; g < NCFFT; g += 64) bfly_stage(re + g, im + g, tw + 2 * 15, 16);
  bfly_stage(re, im, tw + 2 * 63, 64);
}

es_status es_audio_rfft(const int16_t *input, int16_t *work, es_cpx16 *spectrum) {
  if (input == NULL || work == NULL || spectrum == NULL) return ES_ERR_ARGUMENT;
  int16_t *re = work, *im = work + NCFFT;
  /* Pairs (even, odd) are the complex input; spectrum may overlay input. */
  for (size_t s = 0; s < NCFFT; ++s) {
    re[s] = input[2 * s];
    im[s] = input[2 * s + 1];
  }
  complex_fft(re, im);

  /* Split into the real signal's spectrum (kiss_fftr); bin NCFFT/2 pairs
   * with itself and keeps the second write, as in kissfft. */
  const int16_t dcr = fixdiv(re[0], 2), dci = fixdiv(im[0], 2);
  spectrum[0].re = es_wrap16(dcr + dci);
  spectrum[0].im = 0;
  spectrum[NCFFT].re = es_wrap16(dcr - dci);
  spectrum[NCFFT].im = 0;
  for (size_t k = 1; k <= NCFFT / 2; ++k) {
    const int16_t fpkr = fixdiv(re[k], 2), fpki = fixdiv(im[k], 2);
    const int16_t fpnkr = fixdiv(re[NCFFT - k], 2), fpnki = fixdiv(es_wrap16(-(int32_t)im[NCFFT - k]), 2);
    const int16_t f1r = es_wrap16(fpkr + fpnkr), f1i = es_wrap16(fpki + fpnki);
    const int16_t f2r = es_wrap16(fpkr - fpnkr), f2i = es_wrap16(fpki - fpnki);
    const int16_t twr = es_audio_rfft_twiddles[2 * (k - 1)], twi = es_audio_rfft_twiddles[2 * (k - 1) + 1];
    const int16_t tr = sround((int32_t)f2r * twr - (int32_t)f2i * twi);
    const int16_t ti = sround((int32_t)f2r * twi + (int32_t)f2i * twr);
    spectrum[k].re = es_wrap16((f1r + tr) >> 1);
    spectrum[k].im = es_wrap16((f1i + ti) >> 1);
    spectrum[NCFFT - k].re = es_wrap16((f1r - tr) >> 1);
    spectrum[NCFFT - k].im = es_wrap16((ti - f1i) >> 1);
  }
  return ES_OK;
}
