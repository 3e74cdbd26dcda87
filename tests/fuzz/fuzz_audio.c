/* libFuzzer target for the audio front end (kernels/dsp/audio).
 *
 * Input: byte 0 = maximum chunk size (1..256, x7 samples), then native int16
 * samples.  The samples are pushed whole into one front end and in chunks
 * into another; both must succeed and give identical features.  Then every
 * stage runs on the raw bytes as its own input type (arbitrary spectra,
 * filter bank energies, noise estimates, log inputs) - any sanitizer report
 * or unexpected status is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/audio_frontend.h"

enum { CH = ES_AUDIO_FEATURE_CHANNELS, MAX_SAMPLES = 16000 };

static es_audio_frontend whole, chunked;
static es_audio_scratch scratch;

static void fill(void *dst, size_t bytes, const uint8_t *data, size_t size) {
  uint8_t *d = dst;
  for (size_t i = 0; i < bytes; ++i) d[i] = size ? data[i % size] : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const size_t max_chunk = 7u * (1u + data[0]);
  data++;
  size--;
  size_t n = size / 2;
  if (n > MAX_SAMPLES) n = MAX_SAMPLES;
  int16_t *pcm = malloc((n ? n : 1) * sizeof *pcm);
  memcpy(pcm, data, n * sizeof *pcm);
  const size_t rows = n / ES_AUDIO_HOP_SAMPLES + 1;
  int8_t *a = malloc(rows * CH), *b = malloc(rows * CH);

  es_audio_frontend_init(&whole);
  es_audio_frontend_init(&chunked);
  size_t fa = 0, fb = 0;
  if (n > 0 && es_audio_frontend_push(&whole, &scratch, pcm, n, a, rows, &fa) != ES_OK) abort();
  for (size_t pos = 0; pos < n;) {
    size_t take = 1 + (pos * 31 + data[pos % size]) % max_chunk, got = 0;
    if (take > n - pos) take = n - pos;
    if (es_audio_frontend_push(&chunked, &scratch, pcm + pos, take, b + fb * CH, rows - fb, &got) != ES_OK)
      abort();
    fb += got;
    pos += take;
  }
  if (fa != fb || memcmp(a, b, fa * CH) != 0) abort();

  /* Stages on arbitrary inputs of their own types. */
  es_cpx16 spectrum[ES_AUDIO_SPECTRUM_BINS];
  int16_t frame[ES_AUDIO_FFT_LENGTH], work[ES_AUDIO_FFT_LENGTH];
  uint32_t energy[ES_AUDIO_SPECTRUM_BINS], signal[CH], noise[CH];
  uint64_t channels[CH + 1];
  int16_t logs[CH];
  int8_t features[CH];
  int32_t bits = 0;
  fill(frame, sizeof frame, data, size);
  if (es_audio_fft_auto_scale(frame, ES_AUDIO_FFT_LENGTH, &bits) != ES_OK || bits < 0 || bits > 15) abort();
  if (es_audio_rfft(frame, work, spectrum) != ES_OK) abort();
  fill(spectrum, sizeof spectrum, data, size);
  if (es_audio_energy(spectrum, ES_AUDIO_SPECTRUM_BINS, 0, ES_AUDIO_SPECTRUM_BINS, energy) != ES_OK) abort();
  fill(energy, sizeof energy, data, size);
  if (es_audio_filterbank(energy, channels) != ES_OK) abort();
  fill(channels, sizeof channels, data, size);
  if (es_audio_filterbank_sqrt(channels, CH + 1, (int32_t)(size % 32), energy) != ES_OK) abort();
  fill(signal, sizeof signal, data, size);
  fill(noise, sizeof noise, data + size / 2, size - size / 2);
  if (es_audio_noise_reduction(signal, noise, CH) != ES_OK) abort();
  if (es_audio_pcan(signal, noise, CH) != ES_OK) abort();
  fill(signal, sizeof signal, data, size);
  if (es_audio_pcan(signal, signal, CH) != ES_OK) abort();
  if (es_audio_log_scale(signal, CH, logs) != ES_OK) abort();
  fill(logs, sizeof logs, data, size);
  if (es_audio_feature_quantize(logs, CH, features) != ES_OK) abort();

  free(pcm);
  free(a);
  free(b);
  return 0;
}
