/* Filter bank square root: channel energies -> amplitudes, then undo the
 * FFT auto-scale shift.  Integer square root by the bit-pair (digit by
 * digit) method, rounded to nearest as upstream's Sqrt32/Sqrt64. */
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

es_status es_audio_filterbank_sqrt(const uint64_t *input, size_t count, int32_t scale_bits,
                                   uint32_t *output) {
  if (input == NULL || output == NULL || count == 0 || scale_bits < 0 || scale_bits > 31)
    return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) output[i] = sqrt64(input[i]) >> scale_bits;
  return ES_OK;
}
