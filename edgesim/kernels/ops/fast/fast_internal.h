/* DSP instruction models and the fused requantization of ops/fast/. */
#ifndef EDGESIM_OPS_FAST_INTERNAL_H
#define EDGESIM_OPS_FAST_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "edgesim/nn_fast.h"
#include "edgesim/quant.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
static inline int32_t fast_sxtb16(uint32_t x) { return (int32_t)__sxtb16((int8x4_t)x); }
static inline int32_t fast_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t fast_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
static inline int32_t fast_ssat8(int32_t v) { return __ssat(v, 8); }
/* SMLABT: acc + lo(a) * hi(b); SMLATB: acc + hi(a) * lo(b). */
static inline int32_t fast_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
static inline int32_t fast_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
/* SMLABB: acc + lo(a) * lo(b); SMLATT: acc + hi(a) * hi(b). */
static inline int32_t fast_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t fast_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
/* SMMLAR: acc + (a * b + 2^31) >> 32 (the add wraps). */
static inline int32_t fast_smmlar(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
#else /* portable models of the same instructions (host builds, tests) */
static inline int32_t fast_sxtb16(uint32_t x) {
  return (int32_t)(((uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)x) |
                   ((uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)(x >> 16) << 16));
}
static inline int32_t fast_sxtb16_ror8(uint32_t x) { return fast_sxtb16((x >> 8) | (x << 24)); }
static inline int32_t fast_smlad(int32_t a, int32_t b, int32_t acc) {
  const int32_t lo = (int32_t)(int16_t)(uint16_t)(uint32_t)a * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  const int32_t hi = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
static inline int32_t fast_smlabt(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(uint16_t)(uint32_t)a *
                                              (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16)));
}
static inline int32_t fast_smlatb(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) *
                                              (int32_t)(int16_t)(uint16_t)(uint32_t)b));
}
static inline int32_t fast_ssat8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static inline int32_t fast_smlabb(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(uint16_t)(uint32_t)a *
                                              (int32_t)(int16_t)(uint16_t)(uint32_t)b));
}
static inline int32_t fast_smlatt(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) *
                                              (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16)));
}
static inline int32_t fast_smmlar(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32));
}
#endif

/* Unaligned 32-bit load (the M4 allows it; memcpy compiles to one LDR). */
static inline uint32_t fast_load_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Output channel c's int8 from its accumulator (folded bias not yet added).
 * In the DSP modes, the same arithmetic as es_requantize_int8() for a right
 * shift e = -shift in [1, 21] and a multiplier in [2^30, 2^31):
 *  - SMMULR(QADD(a, a), m) = (2a * m + 2^31) >> 32 = (a * m + 2^30) >> 31
 *    for |a| < 2^30 (2a exact); TFLM's rounding doubling high multiply.
 *  - rounding divide by 2^e, ties away from zero, is
 *    (high + 2^(e-1) - (high < 0)) >> e; |high| <= 2^30 so QADD is exact.
 *  - the output offset z rides in the rounding constant: round =
 *    2^(e-1) + z * 2^e, and (h + 2^(e-1) + z * 2^e) >> e = ((h + 2^(e-1)) >> e)
 *    + z exactly; |h| <= 2^30, |z * 2^e| <= 2^28, so the QADD cannot saturate.
 *  - |a| >= 2^30: QADD saturates, but both results have |high| >= 2^29, so
 *    h + round stays beyond +-2^28 and after >> e (e <= 21) both results are
 *    beyond [-128, 127] and clamp to the same end.
 * The model compiler gives the DSP modes only to layers whose accumulators
 * are bounded, |a| < 2^30 (sum |w| * 128 + |folded bias|): then 2a is exact
 * and |high| <= 2^30, so one SMMLAR does the high multiply and the add of the
 * rounding constant without overflow, and the (high < 0) of the tie rule is
 * (a < 0): a >= 0 gives high >= 0; a < 0 gives high <= 0, and high = 0 only
 * for a = -1, m = 2^30, where (2^(e-1) + z * 2^e - 1) >> e = z as without
 * the -1.  Per value: ADD (round - (a < 0)), ADD (2a), SMMLAR, ASR: one
 * instruction less than QADD, SMMULR, ADD, QADD, ASR.
 * (The interpreter's requantize_dsp in ops/op_common.c uses the QADD form,
 * exact for any a; tests/test_requant_dsp.py checks both against TFLM's
 * formula.) */
static inline __attribute__((always_inline)) int8_t fast_requantize_dsp(int32_t a, int32_t multiplier, int32_t right,
                                                                       int32_t round, const es_fast_requant *rq,
                                                                       const int mode) {
  /* round holds the output offset too; |a| < 2^30 (see above) */
  int32_t v = fast_smmlar((int32_t)((uint32_t)a << 1), multiplier, round + (a >> 31)) >> right;
  if (mode == ES_FAST_RQ_DSP_FULL) return (int8_t)fast_ssat8(v);
  v = v < rq->act_min ? rq->act_min : v;
  return (int8_t)(v > rq->act_max ? rq->act_max : v);
}

/* mode: rq->mode as a literal constant (kernels instantiate a loop per mode,
 * so the choice is made once per call, not per value). */
static inline __attribute__((always_inline)) int8_t fast_requantize(const es_fast_requant *rq, int32_t acc, int32_t c,
                                                                   const int mode) {
  const int32_t *k = rq->channels + 4 * c;
  const int32_t a = (int32_t)((uint32_t)acc + (uint32_t)k[0]);
  if (mode != ES_FAST_RQ_GENERIC) return fast_requantize_dsp(a, k[1], k[2], k[3], rq, mode);
  return es_requantize_int8(a, k[1], k[2], rq->output_offset, rq->act_min, rq->act_max);
}

/* fast_requantize() with k = the channel's 4 table words, read in two LDRDs
 * (gcc loads them one LDR at a time). */
static inline __attribute__((always_inline)) int8_t fast_requantize_table(const es_fast_requant *rq, int32_t acc,
                                                                         const int32_t *k, const int mode) {
  int32_t bias, multiplier, third, round;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  __asm__("ldrd %0, %1, [%4]\n\t"
          "ldrd %2, %3, [%4, #8]"
          : "=&r"(bias), "=&r"(multiplier), "=&r"(third), "=r"(round)
          : "r"(k), "m"(*(const int32_t(*)[4])k));
#else
  bias = k[0], multiplier = k[1], third = k[2], round = k[3];
#endif
  const int32_t a = (int32_t)((uint32_t)acc + (uint32_t)bias);
  if (mode != ES_FAST_RQ_GENERIC) return fast_requantize_dsp(a, multiplier, third, round, rq, mode);
  return es_requantize_int8(a, multiplier, third, rq->output_offset, rq->act_min, rq->act_max);
}

/* Four consecutive channels c..c+3 into out[0..3] (or fewer at the end). */
static inline __attribute__((always_inline)) void fast_requantize4(const es_fast_requant *rq, const int32_t acc[4],
                                                                  int32_t c, int32_t channels, int8_t *out,
                                                                  const int mode) {
  if (c + 4 <= channels) {
    out[0] = fast_requantize(rq, acc[0], c, mode);
    out[1] = fast_requantize(rq, acc[1], c + 1, mode);
    out[2] = fast_requantize(rq, acc[2], c + 2, mode);
    out[3] = fast_requantize(rq, acc[3], c + 3, mode);
  } else {
    for (int32_t i = 0; c + i < channels; ++i) out[i] = fast_requantize(rq, acc[i], c + i, mode);
  }
}

/* fast_requantize_dsp() of one channel (k: its 4 constants) saturated to
 * int8, whatever the clamp (fast_clamp4 applies a narrower one), for the
 * kernels whose DSP-mode weights and folded bias the model compiler doubles
 * (dw_3x3_pixels.c, dw_1ch_band.c, conv_1x1_pairs.c; int16 weight lanes hold 2w): acc + k[0]
 * is then 2a, exact as |a| < 2^30, and one ADD does the bias and the
 * doubling. */
static inline __attribute__((always_inline)) int32_t fast_requantize_ssat8(int32_t acc, const int32_t *k) {
  int32_t bias, multiplier, right, round;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* two LDRDs (gcc loads the four words one LDR at a time) */
  __asm__("ldrd %0, %1, [%4]\n\tldrd %2, %3, [%4, #8]"
          : "=&r"(bias), "=&r"(multiplier), "=&r"(right), "=r"(round)
          : "r"(k), "m"(*(const int32_t(*)[4])k));
#else
  bias = k[0], multiplier = k[1], right = k[2], round = k[3];
#endif
  const int32_t doubled = (int32_t)((uint32_t)acc + (uint32_t)bias); /* 2a */
  return fast_ssat8(fast_smmlar(doubled, multiplier, round + (doubled >> 31)) >> right);
}

/* The DSP modes' requantization of 4 consecutive channels (acc without the
 * folded bias, weights and bias doubled: see fast_requantize_ssat8; k: the
 * first channel's constants), saturated to int8 and
 * packed into one word (channel i in byte i) for one STR instead of 4 STRB.
 * In ES_FAST_RQ_DSP mode fast_clamp4 then applies the activation's clamp. */
static inline __attribute__((always_inline)) uint32_t fast_requantize4_packed(const int32_t acc[4], const int32_t *k) {
  const int32_t v0 = fast_requantize_ssat8(acc[0], k), v1 = fast_requantize_ssat8(acc[1], k + 4);
  const int32_t v2 = fast_requantize_ssat8(acc[2], k + 8), v3 = fast_requantize_ssat8(acc[3], k + 12);
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* 3 BFIs (bytes 1..3 into v0; byte 0 is v0's own) */
  uint32_t packed = (uint32_t)v0;
  __asm__("bfi %0, %1, #8, #8\n\tbfi %0, %2, #16, #8\n\tbfi %0, %3, #24, #8"
          : "+r"(packed)
          : "r"(v1), "r"(v2), "r"(v3));
  return packed;
#else
  return ((uint32_t)v0 & 0xFFu) | (((uint32_t)v1 & 0xFFu) << 8) | (((uint32_t)v2 & 0xFFu) << 16) |
         ((uint32_t)v3 << 24);
#endif
}

/* Each byte of `packed` clamped to [lo, hi] (lo4, hi4: the bounds in every
 * byte); on the M4 per byte lane at once: SSUB8 sets a lane's GE flag when
 * the first operand is >= the second, SEL picks per lane by it. */
static inline __attribute__((always_inline)) uint32_t fast_clamp4(uint32_t packed, uint32_t lo4, uint32_t hi4) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  uint32_t scratch;
  __asm__("ssub8 %[s], %[v], %[lo]\n\t"
          "sel %[v], %[v], %[lo]\n\t"
          "ssub8 %[s], %[hi], %[v]\n\t"
          "sel %[v], %[v], %[hi]\n\t"
          : [v] "+r"(packed), [s] "=&r"(scratch)
          : [lo] "r"(lo4), [hi] "r"(hi4)
          : "cc");
  return packed;
#else
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    const int32_t v = (int8_t)(uint8_t)(packed >> (8 * i)), lo = (int8_t)(uint8_t)lo4, hi = (int8_t)(uint8_t)hi4;
    out |= (uint32_t)(uint8_t)(v < lo ? lo : v > hi ? hi : v) << (8 * i);
  }
  return out;
#endif
}

/* Calls kernel(p, input, output, ..., mode) with the params' requantization
 * mode as a literal. */
#define FAST_DISPATCH_MODE(p, call)                                         \
  ((p)->requant.mode == ES_FAST_RQ_DSP_FULL ? call(ES_FAST_RQ_DSP_FULL)      \
   : (p)->requant.mode == ES_FAST_RQ_DSP   ? call(ES_FAST_RQ_DSP)           \
                                           : call(ES_FAST_RQ_GENERIC))

/* One block of 4 rows over the whole depth; w points at the block. */
static inline __attribute__((always_inline)) void fast_fc_block(const int8_t *x, int32_t depth, const uint32_t *w, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const int32_t quads = depth / 4;
  int32_t q = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  if (quads >= 2) {
    /* 13 instructions per 16 MACs: gcc loads the 8 weight words one LDR at a
     * time; two LDMs bring 4 each, and the loop does two quads per pass. */
    register uint32_t w0 __asm__("r4");
    register uint32_t w1 __asm__("r5");
    register uint32_t w2 __asm__("r6");
    register uint32_t w3 __asm__("r8");
    uint32_t even, odd;
    const int8_t *xp = x;
    int32_t n = quads / 2;
#define QUAD                                                \
    "ldr %[e], [%[x]], #4\n\t"                            \
    "sxtb16 %[o], %[e], ror #8\n\t"                       \
    "sxtb16 %[e], %[e]\n\t"                               \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
    "smlad %[a0], %[e], %[w0], %[a0]\n\t"                 \
    "smlad %[a0], %[o], %[w1], %[a0]\n\t"                 \
    "smlad %[a1], %[e], %[w2], %[a1]\n\t"                 \
    "smlad %[a1], %[o], %[w3], %[a1]\n\t"                 \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"       \
    "smlad %[a2], %[e], %[w0], %[a2]\n\t"                 \
    "smlad %[a2], %[o], %[w1], %[a2]\n\t"                 \
    "smlad %[a3], %[e], %[w2], %[a3]\n\t"                 \
    "smlad %[a3], %[o], %[w3], %[a3]\n\t"
    __asm__ volatile(
        "1:\n\t" QUAD QUAD
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w), [n] "+r"(n),
          [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
        :
        : "cc", "memory");
    if (quads & 1) /* the odd last quad, without the loop */
      __asm__ volatile(QUAD
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),
                         [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                         [w3] "=&r"(w3)
                       :
                       : "memory");
#undef QUAD
    q = quads;
  }
#endif
  for (; q < quads; ++q) {
    const uint32_t word = fast_load_u32(x + 4 * q);
    const int32_t even = fast_sxtb16(word), odd = fast_sxtb16_ror8(word);
    a0 = fast_smlad(even, (int32_t)w[0], a0);
    a0 = fast_smlad(odd, (int32_t)w[1], a0);
    a1 = fast_smlad(even, (int32_t)w[2], a1);
    a1 = fast_smlad(odd, (int32_t)w[3], a1);
    a2 = fast_smlad(even, (int32_t)w[4], a2);
    a2 = fast_smlad(odd, (int32_t)w[5], a2);
    a3 = fast_smlad(even, (int32_t)w[6], a3);
    a3 = fast_smlad(odd, (int32_t)w[7], a3);
    w += 8;
  }
  const int8_t *tail = (const int8_t *)w;
  for (int32_t k = 4 * quads; k < depth; ++k) {
    const int32_t v = x[k];
    a0 += v * tail[0];
    a1 += v * tail[1];
    a2 += v * tail[2];
    a3 += v * tail[3];
    tail += 4;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* Widening for the kernels that reuse one input vector over many channel
 * blocks: x's 4 * quads int8 values -> xw: per quad the (even, odd) int16
 * pair words SXTB16 gives, the order the packed weights pair with. */
static inline __attribute__((always_inline)) void fast_widen_quads(const int8_t *x, int32_t quads, uint32_t *xw) {
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t word = fast_load_u32(x + 4 * q);
    xw[2 * q] = (uint32_t)fast_sxtb16(word);
    xw[2 * q + 1] = (uint32_t)fast_sxtb16_ror8(word);
  }
}

/* Two pixels a and b widened for the 2-pixel tiles: per quad the words
 * (a even, a odd, b even, b odd). */
static inline __attribute__((always_inline)) void fast_widen_pair(const int8_t *a, const int8_t *b, int32_t quads,
                                                                  uint32_t *xw) {
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t wa = fast_load_u32(a + 4 * q), wb = fast_load_u32(b + 4 * q);
    xw[4 * q] = (uint32_t)fast_sxtb16(wa);
    xw[4 * q + 1] = (uint32_t)fast_sxtb16_ror8(wa);
    xw[4 * q + 2] = (uint32_t)fast_sxtb16(wb);
    xw[4 * q + 3] = (uint32_t)fast_sxtb16_ror8(wb);
  }
}

/* One block of 4 rows (weights packed as for es_fast_fc_s8_w16) over a
 * widened vector xw (quads >= 1, no depth tail). */
static inline __attribute__((always_inline)) void fast_block_widened(const uint32_t *xw, int32_t quads, const uint32_t *w,
                                                                     int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  uint32_t even, odd;
  const uint32_t *xp = xw;
  {
    /* 11 instructions per 16 MACs, two quads per pass of the loop. */
    register uint32_t w0 __asm__("r4");
    register uint32_t w1 __asm__("r5");
    register uint32_t w2 __asm__("r6");
    register uint32_t w3 __asm__("r8");
#define QUAD_W16                                        \
    "ldrd %[e], %[o], [%[x]], #8\n\t"                  \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"     \
    "smlad %[a0], %[e], %[w0], %[a0]\n\t"               \
    "smlad %[a0], %[o], %[w1], %[a0]\n\t"               \
    "smlad %[a1], %[e], %[w2], %[a1]\n\t"               \
    "smlad %[a1], %[o], %[w3], %[a1]\n\t"               \
    "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"     \
    "smlad %[a2], %[e], %[w0], %[a2]\n\t"               \
    "smlad %[a2], %[o], %[w1], %[a2]\n\t"               \
    "smlad %[a3], %[e], %[w2], %[a3]\n\t"               \
    "smlad %[a3], %[o], %[w3], %[a3]\n\t"
    int32_t n = quads / 2;
    if (n > 0)
      __asm__ volatile("1:\n\t" QUAD_W16 QUAD_W16
                       "subs %[n], %[n], #1\n\t"
                       "bne 1b\n\t"
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),
                         [n] "+r"(n), [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1),
                         [w2] "=&r"(w2), [w3] "=&r"(w3)
                       :
                       : "cc", "memory");
    if (quads & 1)
      __asm__ volatile(QUAD_W16
                       : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w),
                         [e] "=&r"(even), [o] "=&r"(odd), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                         [w3] "=&r"(w3)
                       :
                       : "memory");
#undef QUAD_W16
  }
#else
  for (int32_t q = 0; q < quads; ++q) {
    const int32_t even = (int32_t)xw[2 * q], odd = (int32_t)xw[2 * q + 1];
    a0 = fast_smlad(even, (int32_t)w[0], a0);
    a0 = fast_smlad(odd, (int32_t)w[1], a0);
    a1 = fast_smlad(even, (int32_t)w[2], a1);
    a1 = fast_smlad(odd, (int32_t)w[3], a1);
    a2 = fast_smlad(even, (int32_t)w[4], a2);
    a2 = fast_smlad(odd, (int32_t)w[5], a2);
    a3 = fast_smlad(even, (int32_t)w[6], a3);
    a3 = fast_smlad(odd, (int32_t)w[7], a3);
    w += 8;
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* `blocks` 4-row blocks of w16 weights (depth 4 * quads, no tail, the blocks
 * contiguous) over the widened vector xw, requantized in ES_FAST_RQ_DSP_FULL
 * with the table k (4 words per row) into out[0 .. 4 * blocks)
 * (blocks_w16_full.c). */
void es_fast_blocks_w16_full(const uint32_t *xw, const uint32_t *w, const int32_t *k, int8_t *out, int32_t blocks,
                             int32_t quads);

/* Words of one packed 4-row block (see nn_fast.h). */
static inline int32_t fast_block_words(int32_t depth) { return (depth / 4) * 8 + (depth % 4); }

#endif /* EDGESIM_OPS_FAST_INTERNAL_H */
