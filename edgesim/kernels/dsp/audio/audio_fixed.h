/* Integer helpers shared by the audio front end stages (see the arithmetic
 * notes in edgesim/audio_frontend.h). */
#ifndef EDGESIM_DSP_AUDIO_FIXED_H
#define EDGESIM_DSP_AUDIO_FIXED_H

#include <stdint.h>

/* Loops written as small inline helpers must be inlined into each caller,
 * where their trip counts and strides become constants the vectorizer (and
 * the M4's addressing modes) can use. */
#if defined(__GNUC__)
#define ES_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ES_ALWAYS_INLINE inline
#endif

/* int -> int16 modulo 2^16, what upstream's implicit narrowing does.  The
 * conversion is implementation-defined in C99; GCC, Clang and Arm Compiler
 * all define it as modulo 2^16 (one SXTH on the M4), and
 * tests/c/test_audio_kernels.c checks it on every build. */
static inline int16_t es_wrap16(int32_t x) { return (int16_t)x; }

/* Number of bits needed for x (1 for x == 1); x must be non-zero. */
static inline uint32_t es_msb32(uint32_t x) {
#if defined(__GNUC__)
  return 32u - (uint32_t)__builtin_clz(x);
#else
  uint32_t n = 0;
  while (x) { x >>= 1; ++n; }
  return n;
#endif
}

static inline uint32_t es_msb64(uint64_t x) {
  uint32_t high = (uint32_t)(x >> 32);
  return high ? 32u + es_msb32(high) : es_msb32((uint32_t)x);
}

#endif /* EDGESIM_DSP_AUDIO_FIXED_H */
