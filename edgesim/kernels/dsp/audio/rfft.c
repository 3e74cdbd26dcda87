/* Real FFT of ES_AUDIO_FFT_LENGTH int16 samples, bit-exact with kissfft v130
 * built with FIXED_POINT=16 (what tflite-micro's SignalRfft int16 uses); the
 * arithmetic is in fft_fixed.h.
 *
 * A real FFT of N points is one complex FFT of N/2 points on the samples
 * taken in (even, odd) pairs, followed by a "split" pass that separates the
 * two interleaved spectra with the super twiddles (fft_fixed.h).
 *
 * N/2 = 256 = 4^4: four radix-4 stages.  kissfft recurses (decimation in
 * time): position j of its work buffer starts with input pair rev(j) (base-4
 * digit reversal) and stage m (m = 1, 4, 16, 64) combines legs j, j+m, j+2m,
 * j+3m with twiddles of k = j mod m.  Here every butterfly does exactly
 * kissfft's operations, but on separate re/im arrays, and the first two
 * stages work on the unpermuted input ("s-space", s = rev(j)) where their
 * legs are 64 (stage 1) or 16 (stage 2) apart and the twiddle is the same
 * across each run of contiguous butterflies; the last two stages need the
 * other two digits as their legs, so the data is reordered in between - not
 * by one digit-reversing copy (a gather/scatter: scalar code) but by two
 * 4-way interleaves, one fused into stage 2's stores and one pass of its own,
 * then stage 4 writes out of place in natural order.  Every stage is a loop
 * over contiguous int16 lanes with a constant trip count, and interleaved
 * stores vectorize too, so the whole FFT vectorizes on the host.
 *
 * On the Cortex-M4 (ES_FFT_INTERLEAVED, fft_fixed.h) there is nothing to
 * vectorize but two halves of a word: the data stays in kissfft's order and
 * layout, one packed (re, im) word per complex value; stage 1 reads its legs
 * straight from the digit-reversed input positions, the other stages work in
 * place, and each butterfly is a handful of dual 16-bit instructions.
 *
 * Twiddle (32767, 0) - index 0, every butterfly of stage 1 and the first run
 * of stage 2 - multiplies exactly as the identity: the butterfly's inputs
 * are C_FIXDIV(x, 4), |a| <= 8191, and (a * 32767 + 2^14) >> 15 = a for
 * |a| <= 16384.  Those butterflies skip the multiplication. */
#include "edgesim/audio_frontend.h"

#include "fft_fixed.h"

#if ES_FFT_NCFFT != 256
#error "rfft.c implements a 256-point complex FFT (4 radix-4 stages); regenerate for another size"
#endif

#if !ES_FFT_INTERLEAVED
/* kissfft kf_bfly4 (forward) given the 4 legs after C_FIXDIV and the twiddle
 * products s0..s2 of legs 1..3; writes the outputs to the legs' places. */
#define BFLY4_OUT(a0r, a0i, s0r, s0i, s1r, s1i, s2r, s2i, r0, i0, r1, i1, r2, i2, r3, i3) \
  do {                                                                                 \
    const int16_t s5r = es_wrap16(a0r - s1r), s5i = es_wrap16(a0i - s1i);              \
    const int16_t b0r = es_wrap16(a0r + s1r), b0i = es_wrap16(a0i + s1i);              \
    const int16_t s3r = es_wrap16(s0r + s2r), s3i = es_wrap16(s0i + s2i);              \
    const int16_t s4r = es_wrap16(s0r - s2r), s4i = es_wrap16(s0i - s2i);              \
    r2 = es_wrap16(b0r - s3r);                                                         \
    i2 = es_wrap16(b0i - s3i);                                                         \
    r0 = es_wrap16(b0r + s3r);                                                         \
    i0 = es_wrap16(b0i + s3i);                                                         \
    r1 = es_wrap16(s5r + s4i);                                                         \
    i1 = es_wrap16(s5i - s4r);                                                         \
    r3 = es_wrap16(s5r - s4i);                                                         \
    i3 = es_wrap16(s5i + s4r);                                                         \
  } while (0)

/* Butterflies i < count on legs `stride` apart, all with twiddle index 0. */
static ES_ALWAYS_INLINE void bfly4_identity(int16_t *restrict re, int16_t *restrict im, size_t count, size_t stride) {
  for (size_t i = 0; i < count; ++i) {
    int16_t *r = re + i, *m = im + i;
    const int16_t a0r = es_fft_div4(r[0]), a0i = es_fft_div4(m[0]);
    const int16_t a1r = es_fft_div4(r[stride]), a1i = es_fft_div4(m[stride]);
    const int16_t a2r = es_fft_div4(r[2 * stride]), a2i = es_fft_div4(m[2 * stride]);
    const int16_t a3r = es_fft_div4(r[3 * stride]), a3i = es_fft_div4(m[3 * stride]);
    BFLY4_OUT(a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, r[0], m[0], r[stride], m[stride], r[2 * stride],
              m[2 * stride], r[3 * stride], m[3 * stride]);
  }
}

/* Butterflies i < count on legs `stride` apart; lane i's twiddle for leg q
 * is (tw[2(q-1) * tstride + i * tstep], tw[(2(q-1) + 1) * tstride + i * tstep])
 * - tstep 0: one twiddle for the run, 1: contiguous per lane. */
static ES_ALWAYS_INLINE void bfly4_twiddled(int16_t *restrict re, int16_t *restrict im, size_t count, size_t stride,
                                  const int16_t *restrict tw, size_t tstride, size_t tstep) {
  for (size_t i = 0; i < count; ++i) {
    int16_t *r = re + i, *m = im + i;
    const int16_t *t = tw + i * tstep;
    const int16_t t1r = t[0], t1i = t[tstride], t2r = t[2 * tstride], t2i = t[3 * tstride];
    const int16_t t3r = t[4 * tstride], t3i = t[5 * tstride];
    const int16_t a0r = es_fft_div4(r[0]), a0i = es_fft_div4(m[0]);
    const int16_t a1r = es_fft_div4(r[stride]), a1i = es_fft_div4(m[stride]);
    const int16_t a2r = es_fft_div4(r[2 * stride]), a2i = es_fft_div4(m[2 * stride]);
    const int16_t a3r = es_fft_div4(r[3 * stride]), a3i = es_fft_div4(m[3 * stride]);
    /* C_MUL then sround of the legs by their twiddles */
    const int16_t s0r = es_fft_cmul_re(a1r, a1i, t1r, t1i), s0i = es_fft_cmul_im(a1r, a1i, t1r, t1i);
    const int16_t s1r = es_fft_cmul_re(a2r, a2i, t2r, t2i), s1i = es_fft_cmul_im(a2r, a2i, t2r, t2i);
    const int16_t s2r = es_fft_cmul_re(a3r, a3i, t3r, t3i), s2i = es_fft_cmul_im(a3r, a3i, t3r, t3i);
    BFLY4_OUT(a0r, a0i, s0r, s0i, s1r, s1i, s2r, s2i, r[0], m[0], r[stride], m[stride], r[2 * stride],
              m[2 * stride], r[3 * stride], m[3 * stride]);
  }
}

/* The butterflies of bfly4_identity (twiddled = 0) or bfly4_twiddled out of
 * place: lane i reads its legs at in + i + q * in_stride and writes them at
 * out + i * out_lane + q * out_stride. */
static ES_ALWAYS_INLINE void bfly4_to(const int16_t *restrict in_re, const int16_t *restrict in_im, size_t in_stride,
                                      int16_t *restrict out_re, int16_t *restrict out_im, size_t out_lane,
                                      size_t out_stride, size_t count, int twiddled, const int16_t *restrict tw,
                                      size_t tstride, size_t tstep) {
  for (size_t i = 0; i < count; ++i) {
    const int16_t *r = in_re + i, *m = in_im + i;
    const int16_t a0r = es_fft_div4(r[0]), a0i = es_fft_div4(m[0]);
    int16_t a1r = es_fft_div4(r[in_stride]), a1i = es_fft_div4(m[in_stride]);
    int16_t a2r = es_fft_div4(r[2 * in_stride]), a2i = es_fft_div4(m[2 * in_stride]);
    int16_t a3r = es_fft_div4(r[3 * in_stride]), a3i = es_fft_div4(m[3 * in_stride]);
    if (twiddled) {
      const int16_t *t = tw + i * tstep;
      const int16_t t1r = t[0], t1i = t[tstride], t2r = t[2 * tstride], t2i = t[3 * tstride];
      const int16_t t3r = t[4 * tstride], t3i = t[5 * tstride];
      const int16_t s0r = es_fft_cmul_re(a1r, a1i, t1r, t1i), s0i = es_fft_cmul_im(a1r, a1i, t1r, t1i);
      const int16_t s1r = es_fft_cmul_re(a2r, a2i, t2r, t2i), s1i = es_fft_cmul_im(a2r, a2i, t2r, t2i);
      const int16_t s2r = es_fft_cmul_re(a3r, a3i, t3r, t3i), s2i = es_fft_cmul_im(a3r, a3i, t3r, t3i);
      a1r = s0r, a1i = s0i, a2r = s1r, a2i = s1i, a3r = s2r, a3i = s2i;
    }
    int16_t *o = out_re + i * out_lane, *n = out_im + i * out_lane;
    BFLY4_OUT(a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, o[0], n[0], o[out_stride], n[out_stride],
              o[2 * out_stride], n[2 * out_stride], o[3 * out_stride], n[3 * out_stride]);
  }
}

#endif

#if ES_FFT_INTERLEAVED
/* Packed words (fft_fixed.h): one radix-4 butterfly of kissfft on the words
 * at out[j + q * m] (q = 0..3) with packed twiddles t[0..2] of legs 1..3. */
static inline void bfly4_packed(int16_t *restrict out, size_t j, size_t m, const uint32_t *restrict t) {
  const uint32_t a0 = es_fft_fixdiv_packed(es_fft_load(out + 2 * j), 4);
  const uint32_t s0 = es_fft_cmul_packed(es_fft_fixdiv_packed(es_fft_load(out + 2 * (j + m)), 4), t[0]);
  const uint32_t s1 = es_fft_cmul_packed(es_fft_fixdiv_packed(es_fft_load(out + 2 * (j + 2 * m)), 4), t[1]);
  const uint32_t s2 = es_fft_cmul_packed(es_fft_fixdiv_packed(es_fft_load(out + 2 * (j + 3 * m)), 4), t[2]);
  const int16x2_t s5 = __ssub16((int16x2_t)a0, (int16x2_t)s1), b0 = __sadd16((int16x2_t)a0, (int16x2_t)s1);
  const int16x2_t s3 = __sadd16((int16x2_t)s0, (int16x2_t)s2), s4 = __ssub16((int16x2_t)s0, (int16x2_t)s2);
  es_fft_store(out + 2 * j, (uint32_t)__sadd16(b0, s3));
  es_fft_store(out + 2 * (j + m), (uint32_t)__ssax(s5, s4));     /* (s5r + s4i, s5i - s4r) */
  es_fft_store(out + 2 * (j + 2 * m), (uint32_t)__ssub16(b0, s3));
  es_fft_store(out + 2 * (j + 3 * m), (uint32_t)__sasx(s5, s4)); /* (s5r - s4i, s5i + s4r) */
}

/* One input pair (re[s], im[s]) << shift (wrapping) as a packed word. */
static inline uint32_t load_scaled(const int16_t *re, const int16_t *im, size_t s, int32_t shift) {
  return ((uint32_t)re[s] << shift & 0xFFFFu) | ((uint32_t)im[s] << (16 + shift));
}

es_status es_fft_complex(int16_t *restrict re, int16_t *restrict im, int32_t shift, int16_t *restrict out) {
  if (shift < 0 || shift > 15) return ES_ERR_ARGUMENT;
  /* kissfft's order throughout: stage 1 (m = 1, twiddle index 0 = identity,
   * see above) reads its legs j = 4t + q from input pair rev(4t) + 64q and
   * writes them in place of j; stages 4, 16, 64 then work in place. */
  for (size_t d0 = 0; d0 < 4; ++d0)
    for (size_t d1 = 0; d1 < 4; ++d1)
      for (size_t d2 = 0; d2 < 4; ++d2) {
        const size_t j = 64 * d0 + 16 * d1 + 4 * d2, s = d0 + 4 * d1 + 16 * d2;
        const uint32_t a0 = es_fft_fixdiv_packed(load_scaled(re, im, s, shift), 4);
        const uint32_t s0 = es_fft_fixdiv_packed(load_scaled(re, im, s + 64, shift), 4);
        const uint32_t s1 = es_fft_fixdiv_packed(load_scaled(re, im, s + 128, shift), 4);
        const uint32_t s2 = es_fft_fixdiv_packed(load_scaled(re, im, s + 192, shift), 4);
        const int16x2_t s5 = __ssub16((int16x2_t)a0, (int16x2_t)s1), b0 = __sadd16((int16x2_t)a0, (int16x2_t)s1);
        const int16x2_t s3 = __sadd16((int16x2_t)s0, (int16x2_t)s2), s4 = __ssub16((int16x2_t)s0, (int16x2_t)s2);
        es_fft_store(out + 2 * j, (uint32_t)__sadd16(b0, s3));
        es_fft_store(out + 2 * (j + 1), (uint32_t)__ssax(s5, s4));
        es_fft_store(out + 2 * (j + 2), (uint32_t)__ssub16(b0, s3));
        es_fft_store(out + 2 * (j + 3), (uint32_t)__sasx(s5, s4));
      }
  const uint32_t *tw = es_audio_fft_twiddles_packed; /* per stage, per k: legs 1..3 */
  for (size_t m = 4; m < ES_FFT_NCFFT; tw += 3 * m, m *= 4)
    for (size_t g = 0; g < ES_FFT_NCFFT; g += 4 * m)
      for (size_t k = 0; k < m; ++k) bfly4_packed(out, g + k, m, tw + 3 * k);
  return ES_OK;
}
#else
es_status es_fft_complex(int16_t *restrict re, int16_t *restrict im, int32_t shift, int16_t *restrict out) {
  if (shift < 0 || shift > 15) return ES_ERR_ARGUMENT;
  int16_t *restrict out_re = out, *restrict out_im = out + ES_FFT_NCFFT;
  const int16_t *tw = es_audio_fft_twiddles; /* stage m's table at tw + 2 * (m - 1) */
  /* Auto-scale shift, applied as the data enters the FFT: x * 2^shift
   * wrapped to int16 is the low 16 bits of the product, which depend only on
   * the factors' low 16 bits - written so, the compiler keeps 16-bit lanes
   * (pmullw) instead of widening to int32 and packing back. */
  if (shift > 0) {
    const uint16_t scale = (uint16_t)(1u << shift);
    for (size_t s = 0; s < ES_FFT_NCFFT; ++s) {
      re[s] = es_wrap16((uint16_t)((uint16_t)re[s] * scale));
      im[s] = es_wrap16((uint16_t)((uint16_t)im[s] * scale));
    }
  }
  /* Stage m = 1 in s-space: legs s = r + 64q, twiddle index 0. */
  bfly4_identity(re, im, 64, 64);
  /* Stage m = 4 in s-space: leg q at +16q, twiddle index k at +64k; written
   * to out with the legs interleaved (leg q of lane i at 4i + q). */
  bfly4_to(re, im, 16, out_re, out_im, 4, 1, 16, 0, tw, 0, 0);
  for (size_t k = 1; k < 4; ++k)
    bfly4_to(re + 64 * k, im + 64 * k, 16, out_re + 64 * k, out_im + 64 * k, 4, 1, 16, 1, tw + 2 * 3 + k, 4, 0);
  /* Toward kissfft's order.  With j = (a b c d) base 4 (a most significant),
   * the input sits at s = (d c b a); stages 16 and 64 need their legs (b,
   * then a) 16 or more apart and lanes (c d) contiguous.  Two 4-way
   * interleaves move the digits: stage 2 above stored (d c b a) as
   * (d b a c), this pass makes it (b a c d). */
  for (size_t i = 0; i < 64; ++i)
    for (size_t d = 0; d < 4; ++d) {
      re[4 * i + d] = out_re[64 * d + i];
      im[4 * i + d] = out_im[64 * d + i];
    }
  /* Stage m = 16 at (b a c d): legs b 64 apart, group a at +16a, twiddle
   * index 4c + d contiguous. */
  for (size_t a = 0; a < 4; ++a) bfly4_twiddled(re + 16 * a, im + 16 * a, 16, 64, tw + 2 * 15, 16, 1);
  /* Stage m = 64: legs a 16 apart, twiddle index 16b + 4c + d; written to
   * out in natural order (a b c d). */
  for (size_t b = 0; b < 4; ++b)
    bfly4_to(re + 64 * b, im + 64 * b, 16, out_re + 16 * b, out_im + 16 * b, 1, 64, 16, 1, tw + 2 * 63 + 16 * b,
             64, 1);
  return ES_OK;
}
#endif

es_status es_audio_rfft(const int16_t *input, int16_t *work, es_cpx16 *spectrum) {
  if (input == NULL || work == NULL || spectrum == NULL) return ES_ERR_ARGUMENT;
  /* Pairs (even, odd) are the complex input, in planar halves of work; the
   * FFT's output goes to spectrum's memory (which may overlay input: it has
   * been copied by then) and comes back to work, planar, for the split. */
  int16_t *re = work, *im = work + ES_FFT_NCFFT;
  for (size_t s = 0; s < ES_FFT_NCFFT; ++s) {
    re[s] = input[2 * s];
    im[s] = input[2 * s + 1];
  }
  int16_t *out = (int16_t *)(void *)spectrum;
  es_status status = es_fft_complex(re, im, 0, out);
  if (status != ES_OK) return status;
  for (size_t k = 0; k < ES_FFT_NCFFT; ++k) {
    re[k] = ES_FFT_INTERLEAVED ? out[2 * k] : out[k];
    im[k] = ES_FFT_INTERLEAVED ? out[2 * k + 1] : out[ES_FFT_NCFFT + k];
  }

  const int16_t dcr = es_fft_div2(re[0]), dci = es_fft_div2(im[0]);
  spectrum[0].re = es_wrap16(dcr + dci);
  spectrum[0].im = 0;
  spectrum[ES_FFT_NCFFT].re = es_wrap16(dcr - dci);
  spectrum[ES_FFT_NCFFT].im = 0;
  const int16_t *twr = es_audio_rfft_twiddles, *twi = es_audio_rfft_twiddles + ES_FFT_NCFFT / 2;
  for (size_t k = 1; k <= ES_FFT_NCFFT / 2; ++k)
    /* Bin NCFFT/2 pairs with itself; kissfft keeps the second write. */
    es_fft_split_pair(re[k], im[k], re[ES_FFT_NCFFT - k], im[ES_FFT_NCFFT - k], twr[k - 1], twi[k - 1],
                      &spectrum[k].re, &spectrum[k].im, &spectrum[ES_FFT_NCFFT - k].re,
                      &spectrum[ES_FFT_NCFFT - k].im);
  return ES_OK;
}
