/* Portable models of the Cortex-M4 DSP instructions the int8 kernels use,
 * and the switch between the host's and the microcontroller's loop orders.
 * Shared by ops/ and quant/ (private to the kernels; not an API). */
#ifndef EDGESIM_DSP_INTRINSICS_H
#define EDGESIM_DSP_INTRINSICS_H

#include <stdint.h>
#include <string.h>

/* Loop orders for microcontrollers: compiled on any Arm core with the DSP
 * extension (Cortex-M4/M7/M33), or on the host with ES_OPS_FORCE_MCU_LOOPS
 * so that the tests run the very same loops (with portable models of the
 * SIMD instructions below).  Both loop orders give identical results. */
#if defined(__ARM_FEATURE_DSP) || defined(ES_OPS_FORCE_MCU_LOOPS)
#define ES_OPS_MCU_LOOPS 1
#else
#define ES_OPS_MCU_LOOPS 0
#endif

#if ES_OPS_MCU_LOOPS
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
/* SXTB16: bytes 0 and 2 of x sign-extended into two int16 halves. */
static inline int32_t es_sxtb16(uint32_t x) { return (int32_t)__sxtb16((int8x4_t)x); }
/* SMLAD: acc + lo(a) * lo(b) + hi(a) * hi(b) on int16 halves. */
static inline int32_t es_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
/* SMLABB / SMLATB: acc + lo(a) * lo(b), acc + hi(a) * lo(b). */
static inline int32_t es_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t es_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
/* SMLATT: acc + hi(a) * hi(b).  SADD16: two independent int16 additions. */
static inline int32_t es_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
static inline int32_t es_sadd16(int32_t a, int32_t b) { return (int32_t)__sadd16((int16x2_t)a, (int16x2_t)b); }
/* SSAT #8: v clamped to [-128, 127]. */
static inline int32_t es_ssat8(int32_t v) { return __ssat(v, 8); }
/* QADD: a + b saturated to int32. */
static inline int32_t es_qadd(int32_t a, int32_t b) { return __qadd(a, b); }
/* SMMULR: (a * b + 2^31) >> 32, the rounded high word (ACLE has no
 * intrinsic for it). */
static inline int32_t es_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* SXTB16 of x rotated right by 8: bytes 1 and 3, in one instruction (gcc
 * does not fold the rotation into __sxtb16 by itself). */
static inline int32_t es_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
#else
static inline int32_t es_sxtb16(uint32_t x) {
  const uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)x;
  const uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)(x >> 16);
  return (int32_t)(lo | (hi << 16));
}
static inline int32_t es_smlad(int32_t a, int32_t b, int32_t acc) {
  const int32_t lo = (int32_t)(int16_t)(uint16_t)(uint32_t)a * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  const int32_t hi = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
static inline int32_t es_smlabb(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)(uint32_t)a * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_smlatb(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_smlatt(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_sadd16(int32_t a, int32_t b) {
  const uint32_t lo = ((uint32_t)a + (uint32_t)b) & 0xFFFFu;
  const uint32_t hi = (((uint32_t)a >> 16) + ((uint32_t)b >> 16)) & 0xFFFFu;
  return (int32_t)(lo | (hi << 16));
}
static inline int32_t es_ssat8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static inline int32_t es_qadd(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}
static inline int32_t es_smmulr(int32_t a, int32_t b) {
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}
static inline int32_t es_sxtb16_ror8(uint32_t x) { return es_sxtb16((x >> 8) | (x << 24)); }
#endif
/* 32-bit load from any alignment (Cortex-M4 LDR allows it). */
static inline uint32_t es_load_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
#endif

#endif /* EDGESIM_DSP_INTRINSICS_H */
