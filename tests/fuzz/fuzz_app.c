/* libFuzzer target for kernels/app/: arbitrary feed and post-feed parameters,
 * chunkings, samples and scores must give a status, never a sanitizer report;
 * a feed never consumes more than it was given, and a ready input always
 * comes with a due schedule. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "edgesim/app_layer.h"

enum { MAX_FRAMES = 8, MAX_LABELS = 12, MAX_CAP = 16 };

static uint8_t take_u8(const uint8_t **data, size_t *size) {
  if (*size == 0) return 0;
  uint8_t v = **data;
  ++*data;
  --*size;
  return v;
}

static int32_t take_i16(const uint8_t **data, size_t *size) {
  return (int16_t)(take_u8(data, size) | (take_u8(data, size) << 8));
}

static void fuzz_audio(const uint8_t *data, size_t size) {
  static es_audio_feed feed;
  static es_audio_scratch scratch;
  static int8_t rows[MAX_FRAMES * ES_AUDIO_FEATURE_CHANNELS], input[MAX_FRAMES * ES_AUDIO_FEATURE_CHANNELS];
  es_audio_feed_params params;
  params.window_frames = take_u8(&data, &size) % (MAX_FRAMES + 1);
  params.infer_every_frames = take_u8(&data, &size) % 4;
  params.frontend.hop = (uint32_t)take_i16(&data, &size) % (ES_AUDIO_WINDOW_SAMPLES + 2);
  params.frontend.noise_reduction = take_u8(&data, &size) % 3;
  params.frontend.pcan = take_u8(&data, &size) % 3;
  params.frontend.log_scale = take_u8(&data, &size) % 3;
  /* An app's own filter bank (3 channels over bins 5..10) or the built-in one. */
  static const int16_t weights[6] = {4096, 2048, 0, 4000, 96, 1}, unweights[6] = {0, 2048, 4096, 96, 4000, 4095};
  static const int16_t channel_ends[4] = {6, 8, 10, 11};
  static const es_audio_filterbank_table small_bank = {3, 5, 11, weights, unweights, channel_ends};
  params.frontend.filterbank = take_u8(&data, &size) & 1 ? &small_bank : NULL;
  /* An app's own window (the first window_samples built-in coefficients) or the built-in one. */
  const uint8_t window_choice = take_u8(&data, &size);
  params.frontend.window_coeffs = window_choice & 1 ? es_audio_window_coeffs_planar : NULL;
  params.frontend.window_samples = (uint32_t)((window_choice >> 1) % 121u) * 4u; /* <= 480 coefficients */
  if (es_audio_feed_init(&params, rows, sizeof rows, &feed) != ES_OK) return;
  const size_t input_bytes = es_audio_feed_input_bytes(&params);
  int16_t samples[512];
  while (size > 1) {
    const size_t count = 1 + take_u8(&data, &size) % 512;
    size_t n = 0;
    for (; n < count && size >= 2; ++n) samples[n] = (int16_t)take_i16(&data, &size);
    size_t used = 0;
    while (used < n) {
      size_t consumed = 0;
      es_feed_result result;
      if (es_audio_feed_push(&params, &feed, &scratch, samples + used, n - used, input, input_bytes, &consumed,
                             &result) != ES_OK)
        __builtin_trap();
      if (consumed == 0 || consumed > n - used) __builtin_trap();
      const es_schedule_params schedule = {params.window_frames, params.infer_every_frames};
      if (result.ready && !es_schedule_due(&schedule, feed.frames)) __builtin_trap();
      used += consumed;
    }
  }
}

static void fuzz_post(const uint8_t *data, size_t size) {
  static int32_t times[MAX_CAP];
  static int8_t scores[MAX_CAP * MAX_LABELS];
  es_post_feed_params params;
  memset(&params, 0, sizeof params);
  params.kind = take_u8(&data, &size) % 5;
  params.label_count = take_u8(&data, &size) % (MAX_LABELS + 1);
  const es_recognizer_params recognizer = {params.label_count, take_i16(&data, &size), take_i16(&data, &size) % 300,
                                           take_i16(&data, &size), take_u8(&data, &size) % 5};
  params.recognizer = recognizer;
  for (int i = 0; i < 3; ++i) es_post_feed_report(&params, take_u8(&data, &size) % 16);
  params.watched_label = take_u8(&data, &size) % 16;
  const es_hysteresis_params hysteresis = {take_i16(&data, &size) % 300, take_i16(&data, &size) % 300,
                                           take_u8(&data, &size) % 4, take_u8(&data, &size) % 4};
  params.hysteresis = hysteresis;
  params.min_score = take_i16(&data, &size) % 300;
  es_post_feed feed;
  const int32_t capacity = 1 + take_u8(&data, &size) % MAX_CAP;
  if (es_post_feed_init(&params, times, scores, capacity, &feed) != ES_OK) return;
  int32_t t = 0;
  int8_t result[MAX_LABELS];
  while (size >= (size_t)params.label_count + 1) {
    t += take_u8(&data, &size) - 16; /* sometimes backwards: must be refused, not crash */
    for (int32_t i = 0; i < params.label_count; ++i) result[i] = (int8_t)take_u8(&data, &size);
    es_detection detection;
    const es_status status = es_post_feed_process(&params, &feed, result, t, &detection);
    if (status != ES_OK && status != ES_ERR_INPUT_DATA) __builtin_trap();
    if (status == ES_OK && detection.emit &&
        (detection.label < 0 || detection.label >= params.label_count || detection.score < 0 ||
         detection.score > 255))
      __builtin_trap();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1)
    fuzz_audio(data + 1, size - 1);
  else
    fuzz_post(data + 1, size - 1);
  return 0;
}
