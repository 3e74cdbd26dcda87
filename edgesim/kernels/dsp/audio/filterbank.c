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

es_status es_audio_filterbank_table_check(const es_audio_filterbank_table *table) {
  if (table == NULL || table->channels < 1 || table->channels > ES_AUDIO_MAX_CHANNELS || table->start < 0 ||
      table->start > table->end || table->end >= ES_AUDIO_SPECTRUM_BINS || table->weights == NULL ||
      table->unweights == NULL || table->channel_ends == NULL)
    return ES_ERR_ARGUMENT;
  for (int32_t i = 0; i < table->end - table->start; ++i)
    if (table->weights[i] < 0 || table->weights[i] > 4096 || table->unweights[i] < 0 || table->unweights[i] > 4096)
      return ES_ERR_ARGUMENT;
  int32_t previous = table->start;
  for (int32_t c = 0; c <= table->channels; ++c) {
    if (table->channel_ends[c] < previous) return ES_ERR_ARGUMENT;
    previous = table->channel_ends[c];
  }
  return previous == table->end ? ES_OK : ES_ERR_ARGUMENT;
}

es_status es_audio_filterbank_apply(const es_audio_filterbank_table *table, const uint32_t *energy,
                                    uint64_t *channels) {
  if (energy == NULL || channels == NULL) return ES_ERR_ARGUMENT;
  es_status status = es_audio_filterbank_table_check(table);
  if (status != ES_OK) return status;
  /* The same pass as the generated program, its bins and weights read from the table. */
  uint64_t weighted = 0, unweighted = 0;
  int32_t bin = table->start;
  for (int32_t c = 0; c <= table->channels; ++c) {
    for (; bin < table->channel_ends[c]; ++bin) {
      weighted += (uint64_t)(uint16_t)table->weights[bin - table->start] * energy[bin];
      unweighted += (uint64_t)(uint16_t)table->unweights[bin - table->start] * energy[bin];
    }
    channels[c] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
  return ES_OK;
}
