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
static inline int32_t fast_qadd(int32_t a, int32_t b) { return __qadd(a, b); }
static inline int32_t fast_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
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
static inline int32_t fast_qadd(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}
static inline int32_t fast_smmulr(int32_t a, int32_t b) {
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}
#endif

/* Unaligned 32-bit load (the M4 allows it; memcpy compiles to one LDR). */
static inline uint32_t fast_load_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Output channel c's int8 from its accumulator (folded bias not yet added).
 * With rq->dsp (right shift e = -shift in [1, 21], multiplier in
 * [2^30, 2^31)), the same arithmetic as es_requantize_int8():
 *  - SMMULR(QADD(a, a), m) = (2a * m + 2^31) >> 32 = (a * m + 2^30) >> 31
 *    for |a| < 2^30 (2a exact); TFLM's rounding doubling high multiply.
 *  - rounding divide by 2^e, ties away from zero, is
 *    (high + 2^(e-1) - (high < 0)) >> e; |high| <= 2^30 so QADD is exact.
 *  - |a| >= 2^30: QADD saturates, but both results have |high| >= 2^29, so
 *    after >> e (e <= 21) both are beyond +-256 and clamp to the same end.
 * (The interpreter's requantize_dsp in ops/op_common.c uses the same form;
 * tests/test_requant_dsp.py checks it against TFLM's formula.) */
static inline int8_t fast_requantize(const es_fast_requant *rq, int32_t acc, int32_t c) {
  const int32_t a = (int32_t)((uint32_t)acc + (uint32_t)rq->bias[c]);
  int32_t v;
  if (rq->dsp) {
    const int right = -rq->shift[c];
    const int32_t high = fast_smmulr(fast_qadd(a, a), rq->multiplier[c]);
    const int32_t rounded = fast_qadd(high + (high >> 31), (int32_t)(1u << (right - 1)));
    v = (rounded >> right) + rq->output_offset;
  } else {
    return es_requantize_int8(a, rq->multiplier[c], rq->shift[c], rq->output_offset, rq->act_min, rq->act_max);
  }
  v = v < rq->act_min ? rq->act_min : v;
  return (int8_t)(v > rq->act_max ? rq->act_max : v);
}

/* One block of 4 rows over the whole depth; w points at the block. */
static inline void fast_fc_block(const int8_t *x, int32_t depth, const uint32_t *w, int wide, int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const int32_t quads = depth / 4;
  for (int32_t q = 0; q < quads; ++q) {
    const uint32_t word = fast_load_u32(x + 4 * q);
    const int32_t even = fast_sxtb16(word), odd = fast_sxtb16_ror8(word);
    if (wide) {
      a0 = fast_smlad(even, (int32_t)w[0], a0);
      a0 = fast_smlad(odd, (int32_t)w[1], a0);
      a1 = fast_smlad(even, (int32_t)w[2], a1);
      a1 = fast_smlad(odd, (int32_t)w[3], a1);
      a2 = fast_smlad(even, (int32_t)w[4], a2);
      a2 = fast_smlad(odd, (int32_t)w[5], a2);
      a3 = fast_smlad(even, (int32_t)w[6], a3);
      a3 = fast_smlad(odd, (int32_t)w[7], a3);
      w += 8;
    } else {
      a0 = fast_smlad(even, fast_sxtb16(w[0]), a0);
      a0 = fast_smlad(odd, fast_sxtb16_ror8(w[0]), a0);
      a1 = fast_smlad(even, fast_sxtb16(w[1]), a1);
      a1 = fast_smlad(odd, fast_sxtb16_ror8(w[1]), a1);
      a2 = fast_smlad(even, fast_sxtb16(w[2]), a2);
      a2 = fast_smlad(odd, fast_sxtb16_ror8(w[2]), a2);
      a3 = fast_smlad(even, fast_sxtb16(w[3]), a3);
      a3 = fast_smlad(odd, fast_sxtb16_ror8(w[3]), a3);
      w += 4;
    }
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

/* Words of one packed 4-row block (see nn_fast.h). */
static inline int32_t fast_block_words(int32_t depth, int wide) { return (depth / 4) * (wide ? 8 : 4) + (depth % 4); }

#endif /* EDGESIM_OPS_FAST_INTERNAL_H */
