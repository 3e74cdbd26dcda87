/* Sanitizer harness for kernels/app/: the feature window against a plain
 * shifting window, the schedule, stream time at the 32-bit edges, the feeds'
 * and the post feed's argument and state checks, float model I/O.  Each check prints what
 * failed; the exit code says whether any did.  Run by tests/test_app_layer.py
 * under ASan + UBSan. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgesim/app_layer.h"
#include "harness.h"

enum { FRAMES = 5, CHANNELS = 3 };

static void test_feature_window_equals_a_shifting_window(void) {
  const es_feature_window_params params = {FRAMES, CHANNELS};
  int8_t rows[FRAMES * CHANNELS], shifted[FRAMES * CHANNELS] = {0}, out[FRAMES * CHANNELS];
  es_feature_window window;
  CHECK(es_feature_window_init(&params, rows, sizeof rows - 1, &window) == ES_ERR_BUFFER_FULL);
  REQUIRE_MSG(es_feature_window_init(&params, rows, sizeof rows, &window) == ES_OK, "init");
  for (int n = 0; n < 3 * FRAMES + 2; ++n) {
    int8_t row[CHANNELS];
    for (int c = 0; c < CHANNELS; ++c) row[c] = (int8_t)(n * CHANNELS + c - 60);
    CHECK(es_feature_window_push(&params, &window, row) == ES_OK);
    memmove(shifted, shifted + CHANNELS, sizeof shifted - CHANNELS);
    memcpy(shifted + sizeof shifted - CHANNELS, row, CHANNELS);
    CHECK(es_feature_window_read(&params, &window, out) == ES_OK);
    CHECK_MSG(memcmp(out, shifted, sizeof out) == 0, "window differs after %d rows", n + 1);
  }
  window.head = FRAMES; /* corrupted state is refused, not read out of bounds */
  CHECK(es_feature_window_read(&params, &window, out) == ES_ERR_STATE);
  CHECK(es_feature_window_push(&params, &window, out) == ES_ERR_STATE);
  const es_feature_window_params bad = {0, CHANNELS};
  CHECK(es_feature_window_init(&bad, rows, sizeof rows, &window) == ES_ERR_ARGUMENT);
  CHECK(es_feature_window_init(&params, NULL, sizeof rows, &window) == ES_ERR_ARGUMENT);
}

static void test_schedule_and_stream_time(void) {
  const es_schedule_params every3 = {4, 3};
  const int32_t due[] = {0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1};
  for (uint32_t n = 0; n < sizeof due / sizeof due[0]; ++n)
    CHECK_MSG(es_schedule_due(&every3, n) == due[n], "frame %u", (unsigned)n);
  const es_schedule_params bad = {4, 0};
  CHECK(es_schedule_check(&bad) == ES_ERR_ARGUMENT && es_schedule_due(&bad, 10) == 0);
  CHECK(es_schedule_due(&every3, UINT32_MAX) == (int32_t)((UINT32_MAX - 4u) % 3u == 0));
  CHECK(es_frame_end_ms(1, 480, 320, 16000) == 30);
  CHECK(es_frame_end_ms(2, 480, 320, 16000) == 50);
  CHECK(es_frame_end_ms(0, 480, 320, 16000) == 0);
  /* 2^32 frames of 20 ms would overflow 32-bit sample counts: computed in 64 bits. */
  CHECK(es_frame_end_ms(200000000u, 480, 320, 16000) == (uint32_t)((199999999ull * 320 + 480) * 1000 / 16000));
  CHECK(es_stream_time_ms(119, 119) == 1000 && es_stream_time_ms(5, 0) == 0);
}

static void test_audio_feed_checks(void) {
  static es_audio_feed feed;
  static es_audio_scratch scratch;
  static int8_t rows[2 * ES_AUDIO_FEATURE_CHANNELS], input[2 * ES_AUDIO_FEATURE_CHANNELS];
  static int16_t samples[2000];
  const es_audio_feed_params params = {2, 1, {ES_AUDIO_HOP_SAMPLES, 1, 1, 1}};
  const es_audio_feed_params bad = {2, 0, {ES_AUDIO_HOP_SAMPLES, 1, 1, 1}};
  const es_audio_feed_params bad_configs[] = {
      {2, 1, {0, 1, 1}}, {2, 1, {ES_AUDIO_WINDOW_SAMPLES + 1, 1, 1}}, {2, 1, {ES_AUDIO_HOP_SAMPLES, 0, 1}},
      {2, 1, {ES_AUDIO_HOP_SAMPLES, 2, 1}}, {2, 1, {ES_AUDIO_HOP_SAMPLES, 1, 1, 2}}};
  for (size_t i = 0; i < sizeof bad_configs / sizeof bad_configs[0]; ++i)
    CHECK_MSG(es_audio_feed_init(&bad_configs[i], rows, sizeof rows, &feed) == ES_ERR_ARGUMENT, "config %zu", i);
  size_t consumed = 99;
  es_feed_result result;
  CHECK(es_audio_feed_input_bytes(&params) == sizeof input && es_audio_feed_input_bytes(&bad) == 0);
  CHECK(es_audio_feed_init(&bad, rows, sizeof rows, &feed) == ES_ERR_ARGUMENT);
  REQUIRE_MSG(es_audio_feed_init(&params, rows, sizeof rows, &feed) == ES_OK, "audio feed init");
  CHECK(es_audio_feed_push(&params, &feed, &scratch, samples, 10, input, sizeof input - 1, &consumed, &result) ==
        ES_ERR_SHAPE);
  CHECK(es_audio_feed_push(&params, &feed, &scratch, NULL, 10, input, sizeof input, &consumed, &result) ==
        ES_ERR_ARGUMENT);
  /* 2000 samples: frames end at 480, 800, 1120, ...; the first input is due
   * with frame 2 (sample 800), so the first step stops there. */
  for (int i = 0; i < 2000; ++i) samples[i] = (int16_t)((i * 7919) % 20000 - 10000);
  CHECK(es_audio_feed_push(&params, &feed, &scratch, samples, 2000, input, sizeof input, &consumed, &result) == ES_OK);
  CHECK_MSG(consumed == 800 && result.ready && result.t_ms == 50, "consumed %zu ready %d t %u", consumed,
            (int)result.ready, (unsigned)result.t_ms);
  feed.frontend.fill = ES_AUDIO_WINDOW_SAMPLES + 1; /* corrupted */
  CHECK(es_audio_feed_push(&params, &feed, &scratch, samples, 10, input, sizeof input, &consumed, &result) ==
        ES_ERR_STATE);
  CHECK(es_audio_feed_reset(&params, &feed) == ES_OK && feed.frames == 0);
  /* Windows that touch (hop = window): frames end every 30 ms. */
  const es_audio_feed_params touching = {2, 1, {ES_AUDIO_WINDOW_SAMPLES, 1, 1, 1}};
  REQUIRE_MSG(es_audio_feed_init(&touching, rows, sizeof rows, &feed) == ES_OK, "hop = window");
  CHECK(es_audio_feed_push(&touching, &feed, &scratch, samples, 2000, input, sizeof input, &consumed, &result) ==
        ES_OK);
  CHECK_MSG(consumed == 960 && result.ready && result.t_ms == 60, "consumed %zu t %u", consumed,
            (unsigned)result.t_ms);
  /* A feed pushed with other parameters than it was made with is refused. */
  CHECK(es_audio_feed_push(&params, &feed, &scratch, samples, 10, input, sizeof input, &consumed, &result) ==
        ES_ERR_STATE);
}

static void test_stroke_feed_checks(void) {
  static es_stroke_feed feed;
  static int8_t input[ES_RASTER_BYTES];
  const es_stroke_feed_params params = {119.0f, {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE}};
  const es_stroke_feed_params bad_rate = {0.0f, {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE}};
  const es_stroke_feed_params small = {119.0f, {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, 16}};
  const es_stroke_feed_params no_side = {119.0f, {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, 0}};
  CHECK(es_stroke_feed_input_bytes(&small) == 16 * 16 * 3 && es_stroke_feed_input_bytes(&no_side) == 0);
  CHECK(es_stroke_feed_init(&no_side, &feed) == ES_ERR_ARGUMENT);
  float samples[6 * 4] = {0};
  size_t consumed = 0;
  es_feed_result result;
  CHECK(es_stroke_feed_init(&bad_rate, &feed) != ES_OK);
  REQUIRE_MSG(es_stroke_feed_init(&params, &feed) == ES_OK, "stroke feed init");
  CHECK(es_stroke_feed_push(&params, &feed, samples, 4, input, sizeof input, &consumed, &result) == ES_OK);
  CHECK(consumed == 4 && !result.ready && feed.samples == 4 && !es_stroke_feed_drawing(&feed));
  samples[6 + 2] = 1.0f / 0.0f; /* infinite: rejected at that sample */
  CHECK(es_stroke_feed_push(&params, &feed, samples, 4, input, sizeof input, &consumed, &result) ==
        ES_ERR_INPUT_DATA);
  CHECK(consumed == 1 && feed.samples == 5);
  CHECK(es_stroke_feed_push(&params, &feed, samples, 4, input, sizeof input - 1, &consumed, &result) == ES_ERR_SHAPE);
  const int8_t points[] = {0, 0, 40, 40};
  CHECK(es_stroke_feed_points(&params, points, 2, input, sizeof input) == ES_OK);
  CHECK(es_stroke_feed_reset(&feed) == ES_OK && feed.samples == 0);
}

static void test_post_feed(void) {
  static int32_t times[8];
  static int8_t scores[8 * 4];
  es_post_feed_params params;
  memset(&params, 0, sizeof params);
  params.kind = ES_POST_RECOGNIZE;
  params.label_count = 4;
  const es_recognizer_params recognizer = {4, 1000, 200, 1500, 3};
  params.recognizer = recognizer;
  CHECK(es_post_feed_report(&params, 4) == ES_ERR_ARGUMENT);
  CHECK(es_post_feed_report(&params, 2) == ES_OK && params.report_mask[0] == 4u);
  es_post_feed feed;
  REQUIRE_MSG(es_post_feed_init(&params, times, scores, 8, &feed) == ES_OK, "post feed init");
  const int8_t yes[4] = {-128, -128, 127, -128}, no[4] = {-128, -128, -128, 127};
  es_detection detection;
  int emitted = 0;
  for (int32_t t = 0; t <= 600; t += 100) {
    CHECK(es_post_feed_process(&params, &feed, yes, t, &detection) == ES_OK);
    emitted += detection.emit;
    if (detection.emit) CHECK(detection.kind == ES_DETECTION_COMMAND && detection.label == 2 && detection.score == 255);
  }
  CHECK_MSG(emitted == 1, "%d detections of a reported word", emitted);
  for (int32_t t = 2000; t <= 2600; t += 100) {
    CHECK(es_post_feed_process(&params, &feed, no, t, &detection) == ES_OK);
    CHECK_MSG(!detection.emit, "label 3 is not in the report mask (t %d)", (int)t);
  }
  CHECK(es_post_feed_process(&params, &feed, no, 100, &detection) == ES_ERR_INPUT_DATA);
  params.recognizer.category_count = 3; /* must match label_count */
  CHECK(es_post_feed_process(&params, &feed, no, 3000, &detection) == ES_ERR_ARGUMENT);
  params.recognizer.category_count = 4;
  params.kind = 7;
  CHECK(es_post_feed_init(&params, times, scores, 8, &feed) == ES_ERR_ARGUMENT);
  params.kind = ES_POST_HYSTERESIS;
  params.watched_label = 4;
  CHECK(es_post_feed_init(&params, NULL, NULL, 0, &feed) == ES_ERR_ARGUMENT);
  params.watched_label = 1;
  const es_hysteresis_params hysteresis = {160, 96, 1, 1};
  params.hysteresis = hysteresis;
  params.label_count = 2;
  REQUIRE_MSG(es_post_feed_init(&params, NULL, NULL, 0, &feed) == ES_OK, "hysteresis init");
  const int8_t person[2] = {-100, 100}, nobody[2] = {90, -90};
  CHECK(es_post_feed_process(&params, &feed, person, 0, &detection) == ES_OK);
  CHECK(detection.emit && detection.kind == ES_DETECTION_ENTER && detection.label == 1 && detection.score == 228);
  CHECK(es_post_feed_process(&params, &feed, nobody, 1, &detection) == ES_OK);
  CHECK(detection.emit && detection.kind == ES_DETECTION_LEAVE && detection.label == 0 && detection.score == 218);
  CHECK(es_post_feed_process(&params, &feed, NULL, 2, &detection) == ES_ERR_ARGUMENT);
}

/* Float model I/O: widening in place equals widening into another buffer;
 * scores saturate, NaN is the lowest score; bad parameters are refused. */
static void test_model_io(void) {
  enum { COUNT = 37 };
  float in_place[COUNT];
  float separate[COUNT];
  int8_t q[COUNT];
  for (int i = 0; i < COUNT; ++i) q[i] = (int8_t)(i * 7 - 128);
  memcpy(in_place, q, sizeof q);
  const es_float_input_params params = {1.0f / 255.0f, -128};
  CHECK(es_float_input_from_int8(&params, (const int8_t *)in_place, COUNT, in_place) == ES_OK);
  CHECK(es_float_input_from_int8(&params, q, COUNT, separate) == ES_OK);
  CHECK(memcmp(in_place, separate, sizeof separate) == 0);
  CHECK(separate[0] == 0.0f && separate[1] == params.scale * 7.0f);
  const es_float_input_params zero_scale = {0.0f, 0}, bad_zero = {1.0f, 128}, nan_scale = {NAN, 0};
  CHECK(es_float_input_from_int8(&zero_scale, q, COUNT, separate) == ES_ERR_ARGUMENT);
  CHECK(es_float_input_from_int8(&bad_zero, q, COUNT, separate) == ES_ERR_ARGUMENT);
  CHECK(es_float_input_from_int8(&nan_scale, q, COUNT, separate) == ES_ERR_ARGUMENT);
  CHECK(es_float_input_from_int8(&params, NULL, COUNT, separate) == ES_ERR_ARGUMENT);

  const float scores[] = {0.0f, 1.0f, 0.5f, -3.0f, 7.0f, NAN, INFINITY, -INFINITY, 0.498f, 0.5f / 256.0f};
  const int8_t expected[] = {-128, 127, 0, -128, 127, -128, 127, -128, -1, -127};
  int8_t out[sizeof expected];
  CHECK(es_scores_from_float(scores, sizeof expected, out) == ES_OK);
  CHECK(memcmp(out, expected, sizeof expected) == 0);
  CHECK(es_scores_from_float(NULL, 1, out) == ES_ERR_ARGUMENT && es_scores_from_float(NULL, 0, NULL) == ES_OK);
}

int main(void) {
  test_feature_window_equals_a_shifting_window();
  test_schedule_and_stream_time();
  test_audio_feed_checks();
  test_stroke_feed_checks();
  test_post_feed();
  test_model_io();
  if (failures == 0) printf("ok app\n");
  return failures != 0;
}
