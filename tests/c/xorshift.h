/* The C harnesses' pseudo-random values: xorshift64, its upper bits.  Define
 * XORSHIFT_SEED (nonzero) before including, one sequence per harness. */
#ifndef EDGESIM_TESTS_XORSHIFT_H
#define EDGESIM_TESTS_XORSHIFT_H

#include <stdint.h>

static uint64_t rng_state = XORSHIFT_SEED;

static uint32_t next_u32(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

#endif /* EDGESIM_TESTS_XORSHIFT_H */
