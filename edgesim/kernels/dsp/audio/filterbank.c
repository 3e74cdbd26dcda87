/* Mel filter bank: each bin's energy is split between two neighbouring
 * triangular channels by weight (Q12) and 1 - weight (the "unweight");
 * the unweighted part carries over into the next channel's sum.
 *
 * Upstream walks per-channel weight arrays padded with zero weights to
 * blocks of 4.  The channels' actual bin ranges tile [SPECTRUM_START,
 * SPECTRUM_END), so the same sums come from one pass over those bins in
 * order; gen_audio_tables.py writes that pass out as a sequence of
 * BIN(bin, weight, unweight) / END(channel) steps (ES_AUDIO_FILTERBANK_PROGRAM)
 * from the same weights as the padded tables.  With constant bins and
 * weights the compiler emits no loop and no table loads: one multiply by an
 * immediate (UMLAL on the M4) per product. */
#include "edgesim/audio_frontend.h"

es_status es_audio_filterbank(const uint32_t *energy, uint64_t *channels) {
  if (energy == NULL || channels == NULL) return ES_ERR_ARGUMENT;
  uint64_t weighted = 0, unweighted = 0;
  /* weights are 0..4096 (the generator checks): 32x32->64 products */
#define BIN(bin, weight, unweight)                     \
  weighted += (uint64_t)(weight) * energy[bin];        \
  unweighted += (uint64_t)(unweight) * energy[bin];
#define END(channel)          \
  channels[channel] = weighted; \
  weighted = unweighted;      \
  unweighted = 0;
  ES_AUDIO_FILTERBANK_PROGRAM(BIN, END)
#undef BIN
#undef END
  return ES_OK;
}
