/* Sanitizer harness for kernels/dsp/audio/ (run by tests/test_audio_frontend_c.py
 * under ASan + UBSan).
 *
 *   test_audio                        unit checks: statuses, wrap behaviour,
 *                                     extreme signals, chunking invariance,
 *                                     the fused fast path against the
 *                                     stages composed one by one
 *   test_audio PCM.raw FEATURES.int8  streams the raw little-endian int16
 *                                     file through a fresh front end and
 *                                     compares every feature byte
 *
 * Each failed check prints a line; the exit code is the number of failures
 * (2 for unreadable files).  Prints "ok audio" when everything passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/audio_frontend.h"

static int failures = 0;
#define CHECK(cond, ...)                                     \
  do {                                                       \
    if (!(cond)) {                                           \
      failures++;                                            \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                   \
      printf("\n");                                          \
    }                                                        \
  } while (0)

enum { CH = ES_AUDIO_FEATURE_CHANNELS };

static es_audio_frontend fe;
static es_audio_scratch scratch;

static uint32_t rng_state = 12345u;
static uint32_t rnd(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

static void test_int16_narrowing_wraps(void) {
  /* The kernels rely on int -> int16 being modulo 2^16 (see audio_fixed.h). */
  volatile int32_t big = 40000, low = -40000;
  CHECK((int16_t)big == -25536, "got %d", (int)(int16_t)big);
  CHECK((int16_t)low == 25536, "got %d", (int)(int16_t)low);
  volatile int32_t neg = -7;
  CHECK((neg >> 1) == -4, "arithmetic shift expected");
}

static void test_stage_argument_checks(void) {
  int16_t buf[ES_AUDIO_FFT_LENGTH] = {0};
  int32_t bits;
  uint32_t u32[ES_AUDIO_SPECTRUM_BINS] = {0};
  uint64_t u64[CH + 1] = {0};
  int16_t i16[CH] = {0};
  es_cpx16 spec[ES_AUDIO_SPECTRUM_BINS];
  CHECK(es_audio_window_apply(NULL, buf, 4, 12, buf) == ES_ERR_ARGUMENT, "window NULL");
  CHECK(es_audio_window_apply(buf, buf, 0, 12, buf) == ES_ERR_ARGUMENT, "window empty");
  CHECK(es_audio_window_apply(buf, buf, 4, 32, buf) == ES_ERR_ARGUMENT, "window shift");
  CHECK(es_audio_window_apply(buf, buf, 4, -1, buf) == ES_ERR_ARGUMENT, "window shift");
  CHECK(es_audio_fft_auto_scale(NULL, 4, &bits) == ES_ERR_ARGUMENT, "autoscale NULL");
  CHECK(es_audio_fft_auto_scale(buf, 4, NULL) == ES_ERR_ARGUMENT, "autoscale NULL bits");
  CHECK(es_audio_fft_auto_scale(buf, 0, &bits) == ES_ERR_ARGUMENT, "autoscale empty");
  int16_t work[ES_AUDIO_FFT_LENGTH];
  CHECK(es_audio_rfft(NULL, work, spec) == ES_ERR_ARGUMENT, "rfft NULL");
  CHECK(es_audio_rfft(buf, NULL, spec) == ES_ERR_ARGUMENT, "rfft NULL work");
  CHECK(es_audio_rfft(buf, work, NULL) == ES_ERR_ARGUMENT, "rfft NULL out");
  CHECK(es_audio_energy(spec, 10, 5, 11, u32) == ES_ERR_ARGUMENT, "energy end > count");
  CHECK(es_audio_energy(spec, 10, 6, 5, u32) == ES_ERR_ARGUMENT, "energy start > end");
  CHECK(es_audio_energy(NULL, 10, 0, 1, u32) == ES_ERR_ARGUMENT, "energy NULL");
  CHECK(es_audio_filterbank(NULL, u64) == ES_ERR_ARGUMENT, "filterbank NULL");
  CHECK(es_audio_filterbank(u32, NULL) == ES_ERR_ARGUMENT, "filterbank NULL out");
  CHECK(es_audio_filterbank_sqrt(u64, CH, 32, u32) == ES_ERR_ARGUMENT, "sqrt shift");
  CHECK(es_audio_filterbank_sqrt(u64, 0, 0, u32) == ES_ERR_ARGUMENT, "sqrt empty");
  CHECK(es_audio_noise_reduction(NULL, u32, CH) == ES_ERR_ARGUMENT, "nr NULL");
  CHECK(es_audio_pcan(u32, NULL, CH) == ES_ERR_ARGUMENT, "pcan NULL");
  CHECK(es_audio_noise_reduction(u32, u32, ES_AUDIO_MAX_CHANNELS + 1) == ES_ERR_ARGUMENT, "nr count");
  CHECK(es_audio_pcan(u32, u32, ES_AUDIO_MAX_CHANNELS + 1) == ES_ERR_ARGUMENT, "pcan count");
  CHECK(es_audio_log_scale(u32, 0, i16) == ES_ERR_ARGUMENT, "log empty");
  CHECK(es_audio_feature_quantize(i16, CH, NULL) == ES_ERR_ARGUMENT, "quantize NULL");
}

static void test_stage_values(void) {
  /* Window saturates; auto-scale keeps -32768 unscaled; sqrt rounds. */
  int16_t in[4] = {32767, -32768, 100, -100}, coeff[4] = {4096, 4096, 4096, 4095}, out[4];
  CHECK(es_audio_window_apply(in, coeff, 4, 12, out) == ES_OK, "window");
  CHECK(out[0] == 32767 && out[1] == -32768 && out[2] == 100 && out[3] == -100, "%d %d %d %d", out[0],
        out[1], out[2], out[3]);
  int16_t x[3] = {1, -2, 3};
  int32_t bits = -1;
  CHECK(es_audio_fft_auto_scale(x, 3, &bits) == ES_OK && bits == 13, "bits %d", (int)bits);
  CHECK(x[0] == 8192 && x[1] == -16384 && x[2] == 24576, "%d %d %d", x[0], x[1], x[2]);
  int16_t rail[2] = {-32768, 5};
  CHECK(es_audio_fft_auto_scale(rail, 2, &bits) == ES_OK && bits == 12, "upstream MaxAbs16 quirk: %d",
        (int)bits);
  int16_t zeros[2] = {0, 0};
  CHECK(es_audio_fft_auto_scale(zeros, 2, &bits) == ES_OK && bits == 0, "zeros %d", (int)bits);
  uint64_t sq_in[5] = {0, 2, 6, UINT64_C(1) << 40, UINT64_MAX};
  uint32_t sq_out[5];
  CHECK(es_audio_filterbank_sqrt(sq_in, 5, 0, sq_out) == ES_OK, "sqrt");
  CHECK(sq_out[0] == 0 && sq_out[1] == 1 && sq_out[2] == 2 && sq_out[3] == (1u << 20) &&
            sq_out[4] == 0xFFFFFFFFu,
        "%u %u %u %u %u", sq_out[0], sq_out[1], sq_out[2], sq_out[3], sq_out[4]);
  int16_t logs[4] = {0, 32767, -32768, 333}; /* 333 * 256/666 = 128 -> 0 */
  int8_t q[4];
  CHECK(es_audio_feature_quantize(logs, 4, q) == ES_OK, "quantize");
  CHECK(q[0] == -128 && q[1] == 127 && q[2] == -128 && q[3] == 0, "%d %d %d %d", q[0], q[1], q[2],
        q[3]);
  /* ln(1 << 3) * 64 = 133.08; 0xFFFFFFFF << 3 wraps to 0xFFFFFFF8: ln * 64 = 1419.6 */
  uint32_t big[3] = {0, 1, 0xFFFFFFFFu};
  int16_t lg[3];
  CHECK(es_audio_log_scale(big, 3, lg) == ES_OK && lg[0] == 0 && lg[1] == 133 && lg[2] == 1420,
        "%d %d %d", lg[0], lg[1], lg[2]);
}

static void test_frontend_argument_checks(void) {
  int16_t pcm[ES_AUDIO_WINDOW_SAMPLES] = {0};
  int8_t feat[4 * CH];
  size_t frames = 99;
  CHECK(es_audio_frontend_init(NULL) == ES_ERR_ARGUMENT, "init NULL");
  CHECK(es_audio_frontend_init(&fe) == ES_OK, "init");
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, 0, feat, 4, &frames) == ES_ERR_ARGUMENT, "empty push");
  CHECK(es_audio_frontend_push(NULL, &scratch, pcm, 10, feat, 4, &frames) == ES_ERR_ARGUMENT, "NULL fe");
  CHECK(es_audio_frontend_push(&fe, NULL, pcm, 10, feat, 4, &frames) == ES_ERR_ARGUMENT, "NULL scratch");
  CHECK(es_audio_frontend_push(&fe, &scratch, NULL, 10, feat, 4, &frames) == ES_ERR_ARGUMENT, "NULL pcm");
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, 10, NULL, 4, &frames) == ES_ERR_ARGUMENT, "NULL out");
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, 10, feat, 4, NULL) == ES_ERR_ARGUMENT, "NULL frames");
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, SIZE_MAX, feat, 4, &frames) == ES_ERR_INPUT_DATA,
        "absurd count");
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, ES_AUDIO_MAX_PUSH_SAMPLES + 1, feat, 4, &frames) ==
            ES_ERR_INPUT_DATA,
        "count over the limit");
  /* 480 + 5*320 samples make 6 frames: 4 rows of room is too little, and
   * nothing may be consumed. */
  static int16_t many[ES_AUDIO_WINDOW_SAMPLES + 5 * ES_AUDIO_HOP_SAMPLES];
  CHECK(es_audio_frontend_push(&fe, &scratch, many, sizeof many / 2, feat, 4, &frames) == ES_ERR_BUFFER_FULL,
        "buffer full");
  CHECK(fe.fill == 0, "consumed %u samples on error", (unsigned)fe.fill);
  size_t need = 0;
  CHECK(es_audio_frontend_frames_for(&fe, sizeof many / 2, &need) == ES_OK && need == 6, "need %zu", need);
  fe.fill = ES_AUDIO_WINDOW_SAMPLES + 1; /* corrupted / uninitialised state */
  CHECK(es_audio_frontend_push(&fe, &scratch, pcm, 10, feat, 4, &frames) == ES_ERR_STATE, "bad state");
  CHECK(es_audio_frontend_reset(&fe) == ES_OK && fe.fill == 0, "reset");
  CHECK(es_audio_frontend_process_window(&fe, &scratch, NULL, feat) == ES_ERR_ARGUMENT, "window NULL");
}

/* Push `n` samples in chunks from `chunk()`; returns frames written. */
static size_t push_chunked(const int16_t *pcm, size_t n, int8_t *out, size_t max_chunk) {
  es_audio_frontend_init(&fe);
  size_t total = 0, pos = 0;
  while (pos < n) {
    size_t take = max_chunk ? 1 + rnd() % max_chunk : n - pos;
    if (take > n - pos) take = n - pos;
    size_t frames = 0;
    es_status s = es_audio_frontend_push(&fe, &scratch, pcm + pos, take, out + total * CH, 1 + take / 320,
                                         &frames);
    CHECK(s == ES_OK, "push status %d", (int)s);
    total += frames;
    pos += take;
  }
  return total;
}

static void test_extreme_signals_and_chunking(void) {
  enum { N = 16000 * 3 };
  static int16_t pcm[N];
  static int8_t whole[(N / 320 + 1) * CH], chunked[(N / 320 + 1) * CH];
  for (int kind = 0; kind < 6; ++kind) {
    for (int i = 0; i < N; ++i) {
      switch (kind) {
        case 0: pcm[i] = (int16_t)(rnd() & 0xFFFF); break;                 /* white noise */
        case 1: pcm[i] = (rnd() & 1) ? 32767 : -32768; break;               /* rails */
        case 2: pcm[i] = -32768; break;                                     /* DC min */
        case 3: pcm[i] = 0; break;                                          /* zeros */
        case 4: pcm[i] = (int16_t)((i / 1000) % 2 ? -32768 : 0); break;     /* bursts */
        default: pcm[i] = (int16_t)((int32_t)(rnd() % 7) - 3); break;      /* near silence */
      }
    }
    size_t a = push_chunked(pcm, N, whole, 0);
    size_t b = push_chunked(pcm, N, chunked, 700);
    CHECK(a == (N - 480) / 320 + 1 && a == b, "kind %d: %zu vs %zu frames", kind, a, b);
    CHECK(memcmp(whole, chunked, a * CH) == 0, "kind %d: chunked features differ", kind);
  }
}

/* es_audio_frontend_process_window fuses stages (shift applied inside the
 * FFT, split fused with |X|^2, vectorizable/M4-specific arithmetic); it must
 * give exactly what the public stages give composed one by one, the way the
 * model runs them, on windows of every amplitude and the MaxAbs16 quirk. */
static void test_fast_path_equals_the_stage_composition(void) {
  static int16_t window[ES_AUDIO_WINDOW_SAMPLES], frame[ES_AUDIO_FFT_LENGTH], work[ES_AUDIO_FFT_LENGTH];
  static es_cpx16 spectrum[ES_AUDIO_SPECTRUM_BINS];
  static uint32_t energy[ES_AUDIO_SPECTRUM_BINS], signal[CH], noise[CH];
  static uint64_t channels[CH + 1];
  static int16_t logs[CH];
  int8_t expected[CH], got[CH];
  es_audio_frontend_init(&fe);
  memset(noise, 0, sizeof noise);
  int mismatches = 0;
  for (int w = 0; w < 3000; ++w) {
    const int kind = w % 5, bits = (int)(rnd() % 16);
    for (int i = 0; i < ES_AUDIO_WINDOW_SAMPLES; ++i) {
      const int32_t r = (int32_t)(rnd() & 0xFFFF) - 32768;
      switch (kind) {
        case 0: window[i] = (int16_t)(r >> bits); break;                         /* noise, every level */
        case 1: window[i] = (int16_t)((i * (1 + w % 61)) % 97 < 48 ? 32767 : -32768); break; /* rails */
        case 2: window[i] = (int16_t)((rnd() % 50) ? r >> 15 : -32768); break;    /* rare -32768: quirk */
        case 3: window[i] = (int16_t)(r >> 14); break;                            /* near silence */
        default: window[i] = (int16_t)r; break;                                   /* full scale */
      }
    }
    int32_t scale = 0;
    CHECK(es_audio_window_apply(window, es_audio_window_coeffs, ES_AUDIO_WINDOW_SAMPLES, ES_AUDIO_WINDOW_SHIFT,
                                frame) == ES_OK, "window");
    memset(frame + ES_AUDIO_WINDOW_SAMPLES, 0, sizeof(int16_t) * (ES_AUDIO_FFT_LENGTH - ES_AUDIO_WINDOW_SAMPLES));
    CHECK(es_audio_fft_auto_scale(frame, ES_AUDIO_WINDOW_SAMPLES, &scale) == ES_OK, "auto scale");
    CHECK(es_audio_rfft(frame, work, spectrum) == ES_OK, "rfft");
    CHECK(es_audio_energy(spectrum, ES_AUDIO_SPECTRUM_BINS, ES_AUDIO_SPECTRUM_START, ES_AUDIO_SPECTRUM_END,
                          energy) == ES_OK, "energy");
    CHECK(es_audio_filterbank(energy, channels) == ES_OK, "filterbank");
    CHECK(es_audio_filterbank_sqrt(channels + 1, CH, scale, signal) == ES_OK, "sqrt");
    CHECK(es_audio_noise_reduction(signal, noise, CH) == ES_OK, "noise reduction");
    CHECK(es_audio_pcan(signal, noise, CH) == ES_OK, "pcan");
    CHECK(es_audio_log_scale(signal, CH, logs) == ES_OK, "log");
    CHECK(es_audio_feature_quantize(logs, CH, expected) == ES_OK, "quantize");
    CHECK(es_audio_frontend_process_window(&fe, &scratch, window, got) == ES_OK, "process window");
    if (memcmp(expected, got, CH) != 0 || memcmp(noise, fe.noise_estimate, sizeof noise) != 0) ++mismatches;
  }
  CHECK(mismatches == 0, "%d of 3000 windows differ", mismatches);
}

static int compare_file(const char *pcm_path, const char *features_path) {
  FILE *f = fopen(pcm_path, "rb"), *g = fopen(features_path, "rb");
  if (!f || !g) {
    printf("cannot open %s or %s\n", pcm_path, features_path);
    return 2;
  }
  static int16_t pcm[16000 * 60];
  static int8_t expected[(16000 * 60 / 320 + 1) * CH], got[(16000 * 60 / 320 + 1) * CH];
  size_t n = fread(pcm, 2, sizeof pcm / 2, f);
  size_t m = fread(expected, 1, sizeof expected, g);
  fclose(f);
  fclose(g);
  size_t frames = push_chunked(pcm, n, got, 333);
  CHECK(frames * CH == m, "%zu frames for %zu expected bytes", frames, m);
  for (size_t i = 0; i < m && i < frames * CH; ++i) {
    if (got[i] != expected[i]) {
      CHECK(0, "frame %zu channel %zu: %d vs %d", i / CH, i % CH, got[i], expected[i]);
      break;
    }
  }
  return failures;
}

/* An app's own window and filter bank: the _n window stages with the
 * built-in coefficients equal the fixed ones; tables are checked; a table's
 * sums are the weighted and carried unweighted energies. */
static void test_configurable_window_and_filterbank(void) {
  static int16_t samples[ES_AUDIO_FFT_LENGTH], even[ES_AUDIO_FFT_LENGTH / 2], odd[ES_AUDIO_FFT_LENGTH / 2];
  static int16_t even_n[ES_AUDIO_FFT_LENGTH / 2], odd_n[ES_AUDIO_FFT_LENGTH / 2];
  for (int i = 0; i < ES_AUDIO_FFT_LENGTH; ++i) samples[i] = (int16_t)((i * 7919) % 65536 - 32768);
  int32_t bits = -1, bits_n = -2;
  CHECK(es_audio_window_planar(samples, even, odd) == ES_OK, "window");
  CHECK(es_audio_window_planar_n(samples, es_audio_window_coeffs_planar, ES_AUDIO_WINDOW_SAMPLES, even_n, odd_n) ==
            ES_OK, "window n");
  CHECK(memcmp(even, even_n, sizeof even) == 0 && memcmp(odd, odd_n, sizeof odd) == 0, "window n differs");
  CHECK(es_audio_fft_scale_bits(even, odd, &bits) == ES_OK, "scale");
  CHECK(es_audio_fft_scale_bits_n(even, odd, ES_AUDIO_WINDOW_SAMPLES, &bits_n) == ES_OK && bits == bits_n,
        "scale n %d vs %d", (int)bits_n, (int)bits);
  CHECK(es_audio_window_planar_n(samples, es_audio_window_coeffs_planar, 481, even_n, odd_n) == ES_ERR_ARGUMENT,
        "odd window");
  CHECK(es_audio_window_planar_n(samples, es_audio_window_coeffs_planar, ES_AUDIO_FFT_LENGTH + 2, even_n, odd_n) ==
            ES_ERR_ARGUMENT, "window longer than the FFT");
  CHECK(es_audio_fft_scale_bits_n(even, odd, 0, &bits) == ES_ERR_ARGUMENT, "empty window");

  const int16_t weights[4] = {4096, 1000, 0, 3000}, unweights[4] = {0, 3096, 4096, 1096};
  const int16_t ends[3] = {4, 6, 7}, bad_ends[3] = {4, 3, 7};
  es_audio_filterbank_table table = {2, 3, 7, weights, unweights, ends};
  uint32_t energy[ES_AUDIO_SPECTRUM_BINS] = {0};
  for (int b = 3; b < 7; ++b) energy[b] = (uint32_t)(b * 1000);
  uint64_t sums[3];
  CHECK(es_audio_filterbank_apply(&table, energy, sums) == ES_OK, "apply");
  CHECK(sums[0] == 4096u * 3000u && sums[1] == 1000u * 4000 + 0u * 5000 && sums[2] == 3096u * 4000 + 4096u * 5000 +
        3000u * 6000, "table sums");
  es_audio_filterbank_table bad = table;
  bad.channel_ends = bad_ends;
  CHECK(es_audio_filterbank_table_check(&bad) == ES_ERR_ARGUMENT, "decreasing ends");
  bad = table;
  bad.channels = ES_AUDIO_MAX_CHANNELS + 1;
  CHECK(es_audio_filterbank_table_check(&bad) == ES_ERR_ARGUMENT, "too many channels");
  bad = table;
  bad.end = ES_AUDIO_SPECTRUM_BINS;
  CHECK(es_audio_filterbank_table_check(&bad) == ES_ERR_ARGUMENT, "end past the spectrum");
  const int16_t heavy[4] = {4097, 0, 0, 0};
  bad = table;
  bad.weights = heavy;
  CHECK(es_audio_filterbank_table_check(&bad) == ES_ERR_ARGUMENT, "weight above 4096");

  static es_audio_frontend own;
  es_audio_frontend_config config = {160, 1, 1, 1, &table, es_audio_window_coeffs_planar, 100};
  CHECK(es_audio_frontend_init_config(&own, &config) == ES_ERR_ARGUMENT, "hop longer than the window");
  config.window_samples = ES_AUDIO_WINDOW_SAMPLES;
  CHECK(es_audio_frontend_init_config(&own, &config) == ES_OK && es_audio_frontend_channels(&own.config) == 2,
        "own window and bank");
  config.filterbank = &bad;
  CHECK(es_audio_frontend_init_config(&own, &config) == ES_ERR_ARGUMENT, "bad bank");
}

int main(int argc, char **argv) {
  if (argc == 3) {
    int rc = compare_file(argv[1], argv[2]);
    if (rc == 0) printf("ok audio\n");
    return rc;
  }
  test_int16_narrowing_wraps();
  test_stage_argument_checks();
  test_stage_values();
  test_frontend_argument_checks();
  test_extreme_signals_and_chunking();
  test_fast_path_equals_the_stage_composition();
  test_configurable_window_and_filterbank();
  if (failures == 0) printf("ok audio\n");
  return failures;
}
