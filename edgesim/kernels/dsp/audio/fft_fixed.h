/* kissfft v130 FIXED_POINT=16 arithmetic shared by rfft.c (the complex FFT
 * and the public real FFT) and energy.c (the split fused with |X|^2).
 *
 *  - products are Q15 and rounded: sround(p) = (p + 2^14) >> 15;
 *  - C_FIXDIV(x, k) = sround(x * (32767 / k)): each radix-4 butterfly
 *    divides its 4 inputs by 4 that way, the real-FFT split its inputs by 2,
 *    so the spectrum comes out scaled by roughly 1/N;
 *  - sums are stored in int16 and wrap (es_wrap16).
 *
 * Each rounded product has two exact forms (below): int16-lane expressions
 * that compilers vectorize on the host, and the Cortex-M4 DSP extension's
 * 16x16 multiplies, with dual 16-bit instructions on packed (re, im) words
 * for the FFT itself (ES_FFT_INTERLEAVED). */
#ifndef EDGESIM_DSP_AUDIO_FFT_FIXED_H
#define EDGESIM_DSP_AUDIO_FFT_FIXED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audio_fixed.h"
#include "edgesim/audio_frontend.h"

#define ES_FFT_NCFFT (ES_AUDIO_FFT_LENGTH / 2) /* complex points */

static inline int16_t es_fft_sround(int32_t product) { return es_wrap16((product + (1 << 14)) >> 15); }

/* Two exact ways to evaluate the rounded Q15 products.  The Cortex-M4 (DSP
 * extension) multiplies 16x16 -> 32 in one cycle, so it takes the
 * expressions above literally.  Everywhere else they are written in forms
 * whose intermediates stay in int16 lanes, so that SIMD units do 8-32 of
 * them per instruction (x86: pmulhrsw, pmulhw, pmullw), while the literal
 * forms need widening to int32 lanes and narrowing back.  Both give the same
 * bits for every input (tests/c and the firmware tests compare them with the
 * model). */
#if !defined(__ARM_FEATURE_DSP)
/* floor(a * b / 2^16) and a * b mod 2^16 (pmulhw, pmullw). */
static inline int16_t es_fft_mulhi(int16_t a, int16_t b) { return (int16_t)(((int32_t)a * b) >> 16); }
static inline uint16_t es_fft_mullo(int16_t a, int16_t b) { return (uint16_t)((int32_t)a * b); }
#endif

/* sround(x * k) for any int16 x, k.  (P + 2^14) >> 15 = ((P >> 14) + 1) >> 1
 * for any integer P, and that is the rounding multiply of SIMD units. */
static inline int16_t es_fft_mul_q15(int16_t x, int16_t k) {
#if defined(__ARM_FEATURE_DSP)
  return es_fft_sround((int32_t)x * k);
#else
  return es_wrap16(((((int32_t)x * k) >> 14) + 1) >> 1);
#endif
}

/* C_FIXDIV(x, 4) and C_FIXDIV(x, 2). */
#if defined(__ARM_FEATURE_DSP)
static inline int16_t es_fft_div4(int16_t x) { return es_fft_mul_q15(x, 32767 / 4); }
static inline int16_t es_fft_div2(int16_t x) { return es_fft_mul_q15(x, 32767 / 2); }
#else
static inline int16_t es_fft_div4(int16_t x) { return es_fft_mul_q15(x, es_audio_fft_fixdiv_q15[1]); }
static inline int16_t es_fft_div2(int16_t x) { return es_fft_mul_q15(x, es_audio_fft_fixdiv_q15[0]); }
#endif

#if !defined(__ARM_FEATURE_DSP)
/* The butterflies' C_MUL: real part sround(a c - b d), imaginary part
 * sround(a d + b c), for |a|, |b| <= 8191 (C_FIXDIV(x, 4) outputs) and any
 * twiddle c, d (the M4 uses SMUSD/SMUADX below instead).  floor(a c / 2^14)
 * = mulhi(4a, c) exactly (4a fits int16), and the low 14 bits of a c are
 * mullo(a, c) & 0x3FFF; the two products' low parts only carry into (or
 * borrow from) bit 14, so H = floor((a c -/+ b d) / 2^14) is the high parts'
 * sum plus that carry, |H| < 2^15, and sround = (H + 1) >> 1
 * = (H >> 1) + (H & 1). */
static inline int16_t es_fft_cmul_re(int16_t a, int16_t b, int16_t c, int16_t d) {
  const int16_t high = es_wrap16(es_fft_mulhi(es_wrap16(a * 4), c) - es_fft_mulhi(es_wrap16(b * 4), d));
  const int16_t low = es_wrap16((es_fft_mullo(a, c) & 0x3FFF) - (es_fft_mullo(b, d) & 0x3FFF));
  const int16_t h = es_wrap16(high + (low >> 14));
  return es_wrap16((h >> 1) + (h & 1));
}

static inline int16_t es_fft_cmul_im(int16_t a, int16_t b, int16_t c, int16_t d) {
  const int16_t high = es_wrap16(es_fft_mulhi(es_wrap16(a * 4), d) + es_fft_mulhi(es_wrap16(b * 4), c));
  const int16_t low = es_wrap16((es_fft_mullo(a, d) & 0x3FFF) + (es_fft_mullo(b, c) & 0x3FFF));
  const int16_t h = es_wrap16(high + (low >> 14));
  return es_wrap16((h >> 1) + (h & 1));
}
#endif

/* One bin pair of kiss_fftr's split: from the complex FFT's bin k (kr, ki)
 * and bin NCFFT - k (nkr, nki), with the super twiddle (twr, twi) of bin k
 * (1 <= k <= NCFFT/2), the real signal's bins k (x) and NCFFT - k (y). */
static inline void es_fft_split_pair(int16_t kr, int16_t ki, int16_t nkr, int16_t nki, int16_t twr, int16_t twi,
                                     int16_t *x_re, int16_t *x_im, int16_t *y_re, int16_t *y_im) {
  const int16_t fpkr = es_fft_div2(kr), fpki = es_fft_div2(ki);
  const int16_t fpnkr = es_fft_div2(nkr), fpnki = es_fft_div2(es_wrap16(-(int32_t)nki));
  const int16_t f1r = es_wrap16(fpkr + fpnkr), f1i = es_wrap16(fpki + fpnki);
  const int16_t f2r = es_wrap16(fpkr - fpnkr), f2i = es_wrap16(fpki - fpnki);
  const int16_t tr = es_fft_sround((int32_t)f2r * twr - (int32_t)f2i * twi);
  const int16_t ti = es_fft_sround((int32_t)f2r * twi + (int32_t)f2i * twr);
  *x_re = es_wrap16((f1r + tr) >> 1);
  *x_im = es_wrap16((f1i + ti) >> 1);
  *y_re = es_wrap16((f1r - tr) >> 1);
  *y_im = es_wrap16((ti - f1i) >> 1);
}

#if defined(__ARM_FEATURE_DSP)
/* ---- Cortex-M4 (DSP extension): complex values as packed words ----
 * A complex int16 (re, im) is one 32-bit word, re in the low half - the
 * memory layout of kissfft's interleaved buffers.  The M4's SIMD32
 * instructions then do kissfft's arithmetic on both halves at once:
 * SADD16/SSUB16 are the wrapping int16 sums, SASX/SSAX the +-i rotations,
 * SMUSD/SMUADX the two products of a complex multiply in full 32 bits
 * (|a c - b d| < 2^31 for the values that reach them), SHADD16/SHSUB16 the
 * split's (a +- b) >> 1 and SMUAD re^2 + im^2 (wrapping at 2^31 exactly like
 * the uint32 sum). */
#include <arm_acle.h>

#define ES_FFT_INTERLEAVED 1

static inline uint32_t es_fft_load(const int16_t *p) {
  uint32_t word;
  memcpy(&word, p, sizeof word); /* one LDR */
  return word;
}

static inline void es_fft_store(int16_t *p, uint32_t word) { memcpy(p, &word, sizeof word); }

/* Two rounded Q15 values (products + 2^14, i.e. before the >> 15) packed:
 * the high one's bits 15..30 land in the top half directly. */
static inline uint32_t es_fft_pack_rounded(int32_t low, int32_t high) {
  return ((uint32_t)(low >> 15) & 0xFFFFu) | (((uint32_t)high << 1) & 0xFFFF0000u);
}

static inline uint32_t es_fft_round_pack(int32_t low, int32_t high) {
  return es_fft_pack_rounded(low + (1 << 14), high + (1 << 14));
}

/* C_FIXDIV(x, k) of both halves (k = 4 or 2): SMLABB/SMLATB multiply a half
 * and add the rounding constant in one instruction. */
static inline uint32_t es_fft_fixdiv_packed(uint32_t x, int32_t k) {
  return es_fft_pack_rounded(__smlabb((int32_t)x, 32767 / k, 1 << 14), __smlatb((int32_t)x, 32767 / k, 1 << 14));
}

/* C_MUL then sround of a by the twiddle t. */
static inline uint32_t es_fft_cmul_packed(uint32_t a, uint32_t t) {
  return es_fft_round_pack(__smusd((int32_t)a, (int32_t)t), __smuadx((int32_t)a, (int32_t)t));
}
#else
#define ES_FFT_INTERLEAVED 0
#endif

/* The ES_FFT_NCFFT-point complex FFT of the real FFT's (even, odd) sample
 * pairs, given as planar halves re, im (modified), each first multiplied by
 * 2^shift (wrapping to int16: the auto-scale stage).  out (2 * ES_FFT_NCFFT
 * int16, not overlapping re/im) receives the spectrum in natural order,
 * planar (all re, then all im) or, when ES_FFT_INTERLEAVED, interleaved
 * (re, im) pairs. */
es_status es_fft_complex(int16_t *restrict re, int16_t *restrict im, int32_t shift, int16_t *restrict out);

/* The real FFT's split fused with the energy stage (energy.c): from
 * es_fft_complex's output, energy[k] = |X[k]|^2 of the real spectrum for
 * start <= k < end (the filter bank's bins), 0 for the other
 * ES_AUDIO_SPECTRUM_BINS; the spectrum itself is never stored. */
es_status es_audio_spectrum_energy(const int16_t *restrict fft, size_t start, size_t end, uint32_t *restrict energy);

#endif /* EDGESIM_DSP_AUDIO_FFT_FIXED_H */
