/* Filter bank square root: channel energies -> amplitudes, then undo the
 * FFT auto-scale shift.  Integer square root rounded to nearest exactly as
 * upstream's Sqrt32/Sqrt64 (bit-pair, digit by digit): floor(sqrt(n)), plus
 * one when the remainder n - floor^2 exceeds the floor, except that Sqrt32
 * (every n < 2^32) never rounds up past 0xFFFF, Sqrt64 past 0xFFFFFFFF.
 *
 * The floor comes from a single-precision sqrt seed corrected in integers,
 * far cheaper than 16-32 digit steps (one VSQRT on the M4, and the channel
 * loop vectorizes on the host).  The float only guesses; integer compares
 * make the result exact.  n >= 2^48 (not reached by the front end's sums)
 * takes the digit-by-digit method. */
#include <math.h>

#include "edgesim/audio_frontend.h"

#include "audio_fixed.h"

static uint32_t sqrt32(uint32_t num) {
  if (num == 0) return 0;
  uint32_t res = 0;
  /* Start at the highest even bit position not above num's top bit. */
  uint32_t lead = (32u - es_msb32(num)) | 1u;
  uint32_t bit = 1u << (31u - lead);
  for (uint32_t it = (31u - lead) / 2u + 1u; it > 0; --it) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFu) ++res; /* round to nearest */
  return res;
}

static uint32_t sqrt64(uint64_t num) {
  if ((num >> 32) == 0) return sqrt32((uint32_t)num);
  uint64_t res = 0;
  uint32_t lead = (64u - es_msb64(num)) | 1u;
  uint64_t bit = (uint64_t)1 << (63u - lead);
  for (uint32_t it = (63u - lead) / 2u + 1u; it > 0; --it) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFFFFFu) ++res;
  return (uint32_t)res;
}

#define FLOAT_SEED_LIMIT ((uint64_t)1 << 48)

/* num < FLOAT_SEED_LIMIT.  Branch-free (the channel loop vectorizes): the
 * seed is within 1.5 of sqrt(num) - the float of num is rounded once
 * (relative error 2^-24), sqrtf rounds once more, and sqrt(num) < 2^24 - so
 * after truncation it is floor(sqrt(num)) - 2 .. + 1: one step down and two
 * steps up make it exact.  (Checked over every num < 2^26, around every
 * perfect square below 2^48 and at random.) */
static inline uint32_t seeded_rounded_sqrt(uint64_t num) {
  /* Two exact conversions of 24-bit halves: no uint64 -> float library
   * call on the M4. */
  const float seed = (float)(uint32_t)(num >> 24) * 16777216.0f + (float)(uint32_t)(num & 0xFFFFFFu);
  /* root < 2^24 + 2 throughout: 32x32 -> 64 products (UMULL, pmuludq). */
  uint32_t root = (uint32_t)sqrtf(seed);
  root -= (uint32_t)((uint64_t)root * root > num);
  root += (uint32_t)((uint64_t)(root + 1) * (root + 1) <= num);
  root += (uint32_t)((uint64_t)(root + 1) * (root + 1) <= num);
  const uint32_t cap = (num >> 32) == 0 ? 0xFFFFu : 0xFFFFFFFFu;
  root += (uint32_t)((num - (uint64_t)root * root > root) & (root != cap));
  return root;
}

es_status es_audio_filterbank_sqrt(const uint64_t *input, size_t count, int32_t scale_bits,
                                   uint32_t *output) {
  if (input == NULL || output == NULL || count == 0 || scale_bits < 0 || scale_bits > 31)
    return ES_ERR_ARGUMENT;
  uint64_t large = 0; /* any input too big for the float seed? (never, from the filter bank) */
  for (size_t i = 0; i < count; ++i) large |= input[i] & ~(FLOAT_SEED_LIMIT - 1);
  if (large != 0) {
    for (size_t i = 0; i < count; ++i) output[i] = sqrt64(input[i]) >> scale_bits;
  } else {
    for (size_t i = 0; i < count; ++i) output[i] = seeded_rounded_sqrt(input[i]) >> scale_bits;
  }
  return ES_OK;
}
