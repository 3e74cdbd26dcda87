/* Wake word audio front end: 16 kHz int16 audio -> 40 int8 features per frame.
 *
 * Bit-exact with tflite-micro's audio_preprocessor_int8.tflite (the TFLM
 * "signal" ops) for every input.  One stage per file in dsp/audio/:
 *
 *   window.c          Hann window (Q12), saturating to int16
 *   fft_auto_scale.c  shift the frame up to use all 16 bits, report the shift
 *   rfft.c            512-point real FFT, kissfft v130 int16 fixed point
 *   energy.c          |X[k]|^2 for the bins the filter bank uses
 *   filterbank.c      40 triangular mel channels (uint64 sums)
 *   filterbank_sqrt.c sqrt of each channel, undoing the auto-scale shift
 *   noise_reduction.c spectral subtraction against a per-channel noise
 *                     estimate (the stateful part)
 *   pcan.c            per-channel automatic gain control from the estimate
 *   log_scale.c       log of each channel in Q6
 *   feature_quantize.c  to the classifier's int8 input
 *   frontend.c        composition + 480/320 sample framing (streaming)
 *
 * Speed: frontend.c runs the stages' fused forms - the window writes the
 * FFT's input as planar (even, odd) halves, the auto-scale only computes its
 * shift (the FFT's first pass applies it), and the real FFT's split goes
 * straight to |X|^2 (energy.c) - while the public stage functions below stay
 * the plain composition the model runs; tests/c/test_audio.c checks that both
 * give the same bits.  The fixed-point FFT arithmetic (fft_fixed.h) has two
 * exact forms: int16-lane expressions that compilers vectorize on the host,
 * and the Cortex-M4 DSP extension's dual 16-bit instructions on packed
 * (re, im) words (#if __ARM_FEATURE_DSP).
 *
 * Integer arithmetic (documented once, here): every stage reproduces the
 * upstream C++ integer expressions, including where they wrap.  Values that
 * upstream stores into int16_t from a wider int are reduced modulo 2^16
 * (es_wrap16 in audio_fixed.h) - that is what GCC/Clang do for the
 * implementation-defined conversion and what makes clipped, full-scale input
 * come out identical.  Signed right shifts are arithmetic (floor), as on
 * every GCC target.  uint32 sums wrap modulo 2^32 like upstream's.
 *
 * Memory: the caller owns everything.  es_audio_frontend holds the state that
 * carries across frames (1,320 bytes, room for ES_AUDIO_MAX_CHANNELS and a
 * 32 ms window);
 * es_audio_scratch is working memory for one frame (may be reused by
 * anything else between calls); the constant
 * tables (audio_tables.h, generated) are const and live in flash.
 *
 * Usage (firmware):
 *   static es_audio_frontend fe;  static es_audio_scratch scratch;
 *   es_audio_frontend_init(&fe);
 *   for (;;) {  // any chunk size
 *     int8_t features[4 * ES_AUDIO_FEATURE_CHANNELS];  size_t frames;
 *     es_audio_frontend_push(&fe, &scratch, pcm, n, features, 4, &frames);
 *   }
 */
#ifndef EDGESIM_AUDIO_FRONTEND_H
#define EDGESIM_AUDIO_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/audio_tables.h"
#include "edgesim/config.h"
#include "edgesim/status.h"

#define ES_AUDIO_SPECTRUM_BINS (ES_AUDIO_FFT_LENGTH / 2 + 1)
/* Largest chunk one push accepts (~18 h of audio): keeps every count well
 * inside 32 bits on the MCU. */
#define ES_AUDIO_MAX_PUSH_SAMPLES ((size_t)1 << 30)

typedef struct es_cpx16 {
  int16_t re;
  int16_t im;
} es_cpx16;

/* ---- stages (each validates its pointers/sizes and returns a status) ---- */

/* output[i] = sat16((input[i] * coeffs[i]) >> shift), i < count. */
es_status es_audio_window_apply(const int16_t *input, const int16_t *coeffs, size_t count,
                                int shift, int16_t *output);

/* In place: data <<= scale so the largest magnitude uses 15 bits; *scale_bits
 * receives the shift (0..14). */
es_status es_audio_fft_auto_scale(int16_t *data, size_t count, int32_t *scale_bits);

/* Window stage of the front end's fused path: the ES_AUDIO_WINDOW_SAMPLES
 * samples windowed (Q12 Hann, ES_AUDIO_WINDOW_SHIFT) into planar (even, odd)
 * halves of ES_AUDIO_FFT_LENGTH / 2 int16 each - the real FFT's complex
 * input - zero-padded. */
es_status es_audio_window_planar(const int16_t *samples, int16_t *even, int16_t *odd);

/* The auto-scale shift of the window whose sample 2s is even[s] and 2s+1
 * is odd[s] (s < ES_AUDIO_WINDOW_SAMPLES / 2), exactly as
 * es_audio_fft_auto_scale computes it; the data is not modified (the FFT
 * applies the shift). */
es_status es_audio_fft_scale_bits(const int16_t *even, const int16_t *odd, int32_t *scale_bits);

/* The same two for another window: `window` samples (even, 2..ES_AUDIO_FFT_LENGTH),
 * its Q12 coefficients planar (even-indexed first, then odd-indexed). */
es_status es_audio_window_planar_n(const int16_t *samples, const int16_t *coeffs, size_t window, int16_t *even,
                                   int16_t *odd);
es_status es_audio_fft_scale_bits_n(const int16_t *even, const int16_t *odd, size_t window, int32_t *scale_bits);

/* ES_AUDIO_FFT_LENGTH real samples -> ES_AUDIO_SPECTRUM_BINS complex bins,
 * scaled by 1/ES_AUDIO_FFT_LENGTH as kissfft's fixed point does.  work holds
 * ES_AUDIO_FFT_LENGTH int16 and must not overlap the others; spectrum may
 * overlay input. */
es_status es_audio_rfft(const int16_t *input, int16_t *work, es_cpx16 *spectrum);

/* energy[k] = re^2 + im^2 for start <= k < end, 0 for the other bins
 * (count = number of bins). */
es_status es_audio_energy(const es_cpx16 *spectrum, size_t count, size_t start, size_t end,
                          uint32_t *energy);

/* ES_AUDIO_FEATURE_CHANNELS + 1 weighted sums of energy (which has
 * ES_AUDIO_SPECTRUM_BINS entries); channels[0] is the lower slope of channel
 * 1 and is not a feature. */
es_status es_audio_filterbank(const uint32_t *energy, uint64_t *channels);

/* output[i] = sqrt(input[i]) >> scale_bits (rounded integer sqrt). */
es_status es_audio_filterbank_sqrt(const uint64_t *input, size_t count, int32_t scale_bits,
                                   uint32_t *output);

/* Another filter bank than the generated one (an app's num_channels and
 * band edges): bin b (start <= b < end) adds weights[b - start] * energy[b]
 * to the channel it belongs to and unweights[b - start] * energy[b] to the
 * next one; channel c (0..channels, 0 being the lower slope of channel 1)
 * owns the bins up to channel_ends[c].  The tables come from the same
 * generator as the built-in one (edgesim/compute/frontend_tables.py). */
typedef struct es_audio_filterbank_table {
  int32_t channels;            /* features, 1..ES_AUDIO_MAX_CHANNELS */
  int32_t start, end;          /* 0 <= start <= end < ES_AUDIO_SPECTRUM_BINS */
  const int16_t *weights;      /* end - start, each 0..4096 (Q12) */
  const int16_t *unweights;    /* end - start, each 0..4096 */
  const int16_t *channel_ends; /* channels + 1, non-decreasing from start, the last = end */
} es_audio_filterbank_table;

/* ES_ERR_ARGUMENT unless the table is as described above. */
es_status es_audio_filterbank_table_check(const es_audio_filterbank_table *table);
/* table->channels + 1 sums into channels, as es_audio_filterbank does for the
 * generated bank (energy has ES_AUDIO_SPECTRUM_BINS entries). */
es_status es_audio_filterbank_apply(const es_audio_filterbank_table *table, const uint32_t *energy,
                                    uint64_t *channels);

/* Spectral subtraction, in place on signal[count] (count <=
 * ES_AUDIO_MAX_CHANNELS); updates noise_estimate (the front end's state). */
es_status es_audio_noise_reduction(uint32_t *signal, uint32_t *noise_estimate, size_t count);

/* PCAN gain control, in place on signal[count], from the updated noise estimate. */
es_status es_audio_pcan(uint32_t *signal, const uint32_t *noise_estimate, size_t count);

/* output[i] = min(log(input[i] << correction) * 64, INT16_MAX), 0 for <= 1. */
es_status es_audio_log_scale(const uint32_t *input, size_t count, int16_t *output);

/* int8 = clamp((log * 256 + 333) / 666 - 128, -128, 127). */
es_status es_audio_feature_quantize(const int16_t *log_features, size_t count, int8_t *features);

/* The same tail on the linear channel values of a front end without the log
 * stage (the graph without SignalFilterBankLog: CAST uint32 -> int32, then
 * the int32 MUL/ADD/DIV, wrapping like the reference's int32 arithmetic). */
es_status es_audio_feature_quantize_linear(const uint32_t *signal, size_t count, int8_t *features);

/* ---- streaming front end ---- */

/* What a front end computes besides the fixed stages. */
typedef struct es_audio_frontend_config {
  uint32_t hop;            /* samples from one window to the next, 1..ES_AUDIO_WINDOW_SAMPLES
                              (ES_AUDIO_HOP_SAMPLES = 20 ms by default) */
  uint8_t noise_reduction; /* 1: spectral subtraction (default); 0: skipped */
  uint8_t pcan;            /* 1: PCAN gain control (default; needs noise_reduction's estimate) */
  uint8_t log_scale;       /* 1: log of each channel (default); 0: the linear values are quantized */
  /* NULL: the generated filter bank (ES_AUDIO_FEATURE_CHANNELS channels,
   * ES_AUDIO_LOWER_BAND_HZ..ES_AUDIO_UPPER_BAND_HZ); else another one
   * (caller memory that outlives the front end). */
  const es_audio_filterbank_table *filterbank;
  /* NULL: the built-in 480-sample (30 ms) Hann window; else another window of
   * window_samples (even, hop..ES_AUDIO_FFT_LENGTH) Q12 coefficients, planar
   * as es_audio_window_planar_n takes them (caller memory). */
  const int16_t *window_coeffs;
  uint32_t window_samples;
} es_audio_frontend_config;

/* Samples per window of a configuration (0 when inconsistent). */
uint32_t es_audio_frontend_window(const es_audio_frontend_config *config);

/* Features per frame of a configuration: its filter bank's channels. */
int32_t es_audio_frontend_channels(const es_audio_frontend_config *config);

typedef struct es_audio_frontend {
  int16_t window[ES_AUDIO_FFT_LENGTH];     /* oldest sample first (a window's worth) */
  uint32_t fill;                           /* valid samples in window[] */
  es_audio_frontend_config config;
  uint32_t noise_estimate[ES_AUDIO_MAX_CHANNELS];
} es_audio_frontend;

/* Working memory of one frame; contents need not survive between calls. */
typedef struct es_audio_scratch {
  union { /* each stage's output replaces the input of the stage before */
    int16_t fft_input[ES_AUDIO_FFT_LENGTH]; /* windowed (even, odd) planar */
    uint32_t energy[ES_AUDIO_SPECTRUM_BINS];
  } a;
  union {
    int16_t fft_output[ES_AUDIO_FFT_LENGTH]; /* complex FFT output */
    uint64_t channels[ES_AUDIO_MAX_CHANNELS + 1];
  } b;
  uint32_t signal[ES_AUDIO_MAX_CHANNELS];
  int16_t log_features[ES_AUDIO_MAX_CHANNELS];
} es_audio_scratch;

/* Empty sample buffer, zero noise estimate (= a fresh interpreter), windows
 * every ES_AUDIO_HOP_SAMPLES through every stage.  _init_config takes
 * another hop (1..window: the stages see the same windows, only more or
 * fewer of them) and may skip PCAN, or noise reduction and PCAN, or the log
 * (the graph without those ops); ES_ERR_ARGUMENT for PCAN without noise
 * reduction.
 * Reset keeps the configuration. */
es_status es_audio_frontend_init(es_audio_frontend *fe);
es_status es_audio_frontend_init_config(es_audio_frontend *fe, const es_audio_frontend_config *config);
es_status es_audio_frontend_reset(es_audio_frontend *fe);

/* Features of one ES_AUDIO_WINDOW_SAMPLES window, advancing the noise state
 * (the sample buffer is not touched). */
es_status es_audio_frontend_process_window(es_audio_frontend *fe, es_audio_scratch *scratch,
                                           const int16_t *window, int8_t *features);

/* Frames that pushing `count` more samples would complete. */
es_status es_audio_frontend_frames_for(const es_audio_frontend *fe, size_t count, size_t *frames);

/* Appends count samples; writes one row of es_audio_frontend_channels() int8
 * per completed frame (window of 480 every config.hop samples) to features and the
 * number of rows to *frames.  ES_ERR_BUFFER_FULL, consuming nothing, when
 * more than max_frames rows would be produced. */
es_status es_audio_frontend_push(es_audio_frontend *fe, es_audio_scratch *scratch,
                                 const int16_t *samples, size_t count, int8_t *features,
                                 size_t max_frames, size_t *frames);

#endif /* EDGESIM_AUDIO_FRONTEND_H */
