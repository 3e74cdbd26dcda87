/* Streaming composition of the audio stages: a 480-sample window every hop
 * (320 by default) samples, each window through window -> auto-scale -> rfft -> energy ->
 * filter bank -> sqrt -> noise reduction -> PCAN -> log -> int8 (each of the
 * last three optional, es_audio_frontend_config), the same
 * graph as audio_preprocessor_int8.tflite. */
#include <string.h>

#include "edgesim/audio_frontend.h"

#include "fft_fixed.h"

#if ES_AUDIO_HOP_SAMPLES > ES_AUDIO_WINDOW_SAMPLES
#error "the framing below assumes windows that touch or overlap (hop <= window)"
#endif

/* Cheap checks for every call; init also checks the filter bank's weights. */
static int config_ok(const es_audio_frontend_config *config) {
  return config->hop >= 1 && config->hop <= es_audio_frontend_window(config) && config->noise_reduction <= 1 &&
         config->pcan <= config->noise_reduction && config->log_scale <= 1 &&
         es_audio_frontend_channels(config) > 0;
}

uint32_t es_audio_frontend_window(const es_audio_frontend_config *config) {
  if (config == NULL) return 0;
  if (config->window_coeffs == NULL) return ES_AUDIO_WINDOW_SAMPLES;
  const uint32_t window = config->window_samples;
  return window >= 2 && window % 2 == 0 && window <= ES_AUDIO_FFT_LENGTH ? window : 0;
}

int32_t es_audio_frontend_channels(const es_audio_frontend_config *config) {
  if (config == NULL) return 0;
  if (config->filterbank == NULL) return ES_AUDIO_FEATURE_CHANNELS;
  const int32_t channels = config->filterbank->channels;
  return channels >= 1 && channels <= ES_AUDIO_MAX_CHANNELS ? channels : 0;
}

es_status es_audio_frontend_reset(es_audio_frontend *fe) {
  if (fe == NULL) return ES_ERR_ARGUMENT;
  const es_audio_frontend_config config = fe->config;
  if (!config_ok(&config)) return ES_ERR_STATE; /* never initialized */
  memset(fe, 0, sizeof(*fe));
  fe->config = config;
  return ES_OK;
}

es_status es_audio_frontend_init_config(es_audio_frontend *fe, const es_audio_frontend_config *config) {
  if (fe == NULL || config == NULL || !config_ok(config)) return ES_ERR_ARGUMENT;
  if (config->filterbank != NULL && es_audio_filterbank_table_check(config->filterbank) != ES_OK)
    return ES_ERR_ARGUMENT;
  fe->config = *config;
  return es_audio_frontend_reset(fe);
}

es_status es_audio_frontend_init(es_audio_frontend *fe) {
  const es_audio_frontend_config full = {ES_AUDIO_HOP_SAMPLES, 1, 1, 1, NULL, NULL, 0};
  return es_audio_frontend_init_config(fe, &full);
}

#define TRY(call)                          \
  do {                                     \
    es_status status_ = (call);            \
    if (status_ != ES_OK) return status_;  \
  } while (0)

es_status es_audio_frontend_process_window(es_audio_frontend *fe, es_audio_scratch *scratch,
                                           const int16_t *window, int8_t *features) {
  if (fe == NULL || scratch == NULL || window == NULL || features == NULL) return ES_ERR_ARGUMENT;
  /* The stages' fast forms: the window writes the FFT's planar complex
   * input, the auto-scale shift is only computed (the FFT's first pass
   * applies it), and the real FFT's split goes straight to |X|^2.  Buffers
   * ping-pong between the two unions: each stage's output overwrites an
   * input that is no longer needed. */
  int16_t *even = scratch->a.fft_input, *odd = scratch->a.fft_input + ES_FFT_NCFFT;
  int32_t scale_bits = 0;
  if (fe->config.window_coeffs == NULL) {
    TRY(es_audio_window_planar(window, even, odd));
    TRY(es_audio_fft_scale_bits(even, odd, &scale_bits));
  } else {
    const size_t samples = es_audio_frontend_window(&fe->config);
    TRY(es_audio_window_planar_n(window, fe->config.window_coeffs, samples, even, odd));
    TRY(es_audio_fft_scale_bits_n(even, odd, samples, &scale_bits));
  }
  TRY(es_fft_complex(even, odd, scale_bits, scratch->b.fft_output));
  const es_audio_filterbank_table *bank = fe->config.filterbank;
  const size_t channels = (size_t)es_audio_frontend_channels(&fe->config);
  if (channels == 0) return ES_ERR_STATE;
  if (bank == NULL) {
    TRY(es_audio_spectrum_energy(scratch->b.fft_output, ES_AUDIO_SPECTRUM_START, ES_AUDIO_SPECTRUM_END,
                                 scratch->a.energy));
    TRY(es_audio_filterbank(scratch->a.energy, scratch->b.channels));
  } else {
    TRY(es_audio_spectrum_energy(scratch->b.fft_output, (size_t)bank->start, (size_t)bank->end, scratch->a.energy));
    TRY(es_audio_filterbank_apply(bank, scratch->a.energy, scratch->b.channels));
  }
  /* channels[0] only feeds channel 1's lower slope; features are 1..channels. */
  TRY(es_audio_filterbank_sqrt(scratch->b.channels + 1, channels, scale_bits, scratch->signal));
  if (fe->config.noise_reduction) TRY(es_audio_noise_reduction(scratch->signal, fe->noise_estimate, channels));
  if (fe->config.pcan) TRY(es_audio_pcan(scratch->signal, fe->noise_estimate, channels));
  if (!fe->config.log_scale) return es_audio_feature_quantize_linear(scratch->signal, channels, features);
  TRY(es_audio_log_scale(scratch->signal, channels, scratch->log_features));
  return es_audio_feature_quantize(scratch->log_features, channels, features);
}

es_status es_audio_frontend_frames_for(const es_audio_frontend *fe, size_t count, size_t *frames) {
  if (fe == NULL || frames == NULL) return ES_ERR_ARGUMENT;
  /* not initialized / corrupted */
  const size_t window = es_audio_frontend_window(&fe->config);
  if (!config_ok(&fe->config) || fe->fill > window) return ES_ERR_STATE;
  if (count > ES_AUDIO_MAX_PUSH_SAMPLES) return ES_ERR_INPUT_DATA;
  const size_t total = (size_t)fe->fill + count;
  *frames = total < window ? 0 : (total - window) / fe->config.hop + 1;
  return ES_OK;
}

es_status es_audio_frontend_push(es_audio_frontend *fe, es_audio_scratch *scratch,
                                 const int16_t *samples, size_t count, int8_t *features,
                                 size_t max_frames, size_t *frames) {
  if (fe == NULL || scratch == NULL || samples == NULL || features == NULL || frames == NULL ||
      count == 0)
    return ES_ERR_ARGUMENT;
  size_t needed = 0;
  TRY(es_audio_frontend_frames_for(fe, count, &needed));
  if (needed > max_frames) return ES_ERR_BUFFER_FULL;
  *frames = 0;
  size_t pos = 0; /* samples consumed */
  const size_t hop = fe->config.hop;
  const size_t channels = (size_t)es_audio_frontend_channels(&fe->config);
  const size_t window = es_audio_frontend_window(&fe->config);
  const size_t overlap = window - hop; /* samples two windows share */
  while (pos < count) {
    if (fe->fill == overlap && pos >= overlap) {
      /* The buffer holds samples[pos - overlap, pos) (its last copy had at
       * least `overlap` samples): every further window lies whole in
       * `samples` and is read in place; only the tail is kept. */
      size_t start = pos - overlap;
      for (; count - start >= window; start += hop) {
        TRY(es_audio_frontend_process_window(fe, scratch, samples + start,
                                             features + *frames * channels));
        ++*frames;
      }
      fe->fill = (uint32_t)(count - start); /* overlap .. WINDOW - 1 */
      memcpy(fe->window, samples + start, fe->fill * sizeof(int16_t));
      return ES_OK;
    }
    size_t take = window - fe->fill;
    if (take > count - pos) take = count - pos;
    memcpy(fe->window + fe->fill, samples + pos, take * sizeof(int16_t));
    fe->fill += (uint32_t)take;
    pos += take;
    if (fe->fill == window) {
      TRY(es_audio_frontend_process_window(fe, scratch, fe->window,
                                           features + *frames * channels));
      ++*frames;
      /* Keep the last `overlap` samples: they start the next window. */
      memmove(fe->window, fe->window + hop, overlap * sizeof(int16_t));
      fe->fill = (uint32_t)overlap;
    }
  }
  return ES_OK;
}
