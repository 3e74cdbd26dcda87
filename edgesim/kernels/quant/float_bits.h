/* Bit views of IEEE-754 floats for the libm reproductions in this folder
 * (memcpy, so no aliasing rules are bent; compilers turn it into a move). */
#ifndef EDGESIM_QUANT_FLOAT_BITS_H
#define EDGESIM_QUANT_FLOAT_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint64_t double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static inline double bits_double(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

#endif /* EDGESIM_QUANT_FLOAT_BITS_H */
