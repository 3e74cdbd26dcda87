/* Sanitizer harness for kernels/post/: recognizer, hysteresis, classify.
 * Each check prints what failed; the exit code is the number of failures.
 * Run by tests/test_post_c.py under ASan + UBSan. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgesim/post.h"
#include "harness.h"


enum { CATS = 4, CAP = 64 };
static const int8_t SILENCE[CATS] = {127, -128, -128, -128};
static const int8_t YES[CATS] = {-128, -128, 127, -128};
static const int8_t NO[CATS] = {-128, -128, -128, 127};

typedef struct {
  es_recognizer_params params;
  es_recognizer_state state;
  int32_t times[CAP];
  int8_t scores[CAP * CATS];
} recognizer;

static void make(recognizer *r, int32_t capacity) {
  es_recognizer_params p = {CATS, 1000, 200, 1500, 3};
  r->params = p;
  es_status s = es_recognizer_init(&r->params, r->times, r->scores, capacity, &r->state);
  CHECK_MSG(s == ES_OK, "init status %d", (int)s);
}

static es_recognizer_output feed(recognizer *r, const int8_t *scores, int32_t t) {
  es_recognizer_output out;
  memset(&out, 0xAB, sizeof out);
  es_status s = es_recognizer_process(&r->params, &r->state, scores, t, &out);
  CHECK_MSG(s == ES_OK, "process at %d: status %d", (int)t, (int)s);
  return out;
}

static void test_warmup_and_first_detection(void) {
  recognizer r;
  make(&r, CAP);
  /* 3 results needed, spanning >= 250 ms: 0, 100, 200 are unreliable. */
  for (int32_t t = 0; t <= 200; t += 100) {
    es_recognizer_output o = feed(&r, YES, t);
    CHECK_MSG(!o.is_reliable && !o.is_new && o.score == 0 && o.top == 0, "t=%d reliable=%d", (int)t, o.is_reliable);
  }
  es_recognizer_output o = feed(&r, YES, 300);
  CHECK_MSG(o.is_reliable && o.is_new && o.top == 2 && o.score == 255, "t=300 new=%d top=%d score=%d", o.is_new,
        (int)o.top, (int)o.score);
  CHECK_MSG(r.state.starved_count == 3 && r.state.results_count == 4, "starved %u", (unsigned)r.state.starved_count);
}

static void test_suppression(void) {
  recognizer r;
  make(&r, CAP);
  int detections = 0;
  int32_t first = -1, second = -1;
  for (int32_t t = 0; t <= 2000; t += 100) {
    es_recognizer_output o = feed(&r, YES, t);
    if (o.is_new) {
      detections++;
      if (first < 0) first = t; else if (second < 0) second = t;
    }
  }
  /* 300, then suppressed while (t - 300) <= 1500, so next at 1900. */
  CHECK_MSG(detections == 2 && first == 300 && second == 1900, "detections %d at %d, %d", detections, (int)first,
        (int)second);
}

static void test_new_label_is_not_suppressed(void) {
  recognizer r;
  make(&r, CAP);
  for (int32_t t = 0; t <= 300; t += 100) feed(&r, YES, t);
  /* "no" needs its average to beat "yes" first: after the yes results age
   * out of the window the average is pure "no". */
  int32_t no_at = -1;
  for (int32_t t = 400; t <= 1500; t += 100) {
    es_recognizer_output o = feed(&r, NO, t);
    if (o.is_new && no_at < 0) no_at = t;
    CHECK_MSG(!o.is_new || o.top == 3, "t=%d new top %d", (int)t, (int)o.top);
  }
  CHECK_MSG(no_at > 0 && no_at <= 1400, "no detected at %d", (int)no_at);
}

static void test_threshold_is_strict_and_average_truncates(void) {
  recognizer r;
  make(&r, CAP);
  /* (q + 128) values 200, 200, 202 -> average 602/3 = 200 (truncated): not above 200. */
  int8_t a[CATS] = {-128, -128, 72, -128};
  int8_t b[CATS] = {-128, -128, 74, -128};
  feed(&r, a, 0);
  feed(&r, a, 150);
  es_recognizer_output o = feed(&r, b, 300);
  CHECK_MSG(o.is_reliable && o.score == 200 && !o.is_new, "score %d new %d", (int)o.score, o.is_new);
  o = feed(&r, b, 310); /* 200+200+202+202 = 804/4 = 201 > 200 */
  CHECK_MSG(o.score == 201 && o.is_new && o.top == 2, "score %d new %d", (int)o.score, o.is_new);
}

static void test_ties_and_zero_keep_lowest_index(void) {
  recognizer r;
  make(&r, CAP);
  int8_t zero[CATS] = {-128, -128, -128, -128};
  int8_t tie[CATS] = {-128, 0, 0, -128};
  feed(&r, zero, 0);
  feed(&r, zero, 200);
  es_recognizer_output o = feed(&r, zero, 400);
  CHECK_MSG(o.is_reliable && o.top == 0 && o.score == 0, "top %d", (int)o.top);
  recognizer r2;
  make(&r2, CAP);
  feed(&r2, tie, 0);
  feed(&r2, tie, 200);
  o = feed(&r2, tie, 400);
  CHECK_MSG(o.top == 1 && o.score == 128, "top %d score %d", (int)o.top, (int)o.score);
}

static void test_out_of_order_is_rejected_without_state_change(void) {
  recognizer r;
  make(&r, CAP);
  feed(&r, YES, 0);
  feed(&r, YES, 100);
  feed(&r, YES, 100); /* equal timestamps are allowed */
  es_recognizer_state before = r.state;
  es_recognizer_output out;
  es_status s = es_recognizer_process(&r.params, &r.state, YES, 99, &out);
  CHECK_MSG(s == ES_ERR_INPUT_DATA, "status %d", (int)s);
  CHECK_MSG(memcmp(&before, &r.state, sizeof before) == 0, "state changed by a rejected result");
  es_recognizer_output o = feed(&r, YES, 300);
  CHECK_MSG(o.is_new && r.state.results_count == 4, "results %u", (unsigned)r.state.results_count);
}

static void test_timestamps_in_samples_starve(void) {
  /* A loop every 100 ms whose timestamps are in 16 kHz samples: 1600 "ms"
   * apart, so the 1000 ms window never holds more than one result. */
  recognizer r;
  make(&r, CAP);
  for (int32_t i = 0; i < 50; ++i) {
    es_recognizer_output o = feed(&r, YES, i * 1600);
    CHECK_MSG(!o.is_reliable && !o.is_new, "i=%d", (int)i);
  }
  CHECK_MSG(r.state.starved_count == 50 && r.state.count == 1, "starved %u count %d", (unsigned)r.state.starved_count,
        (int)r.state.count);
}

static void test_capacity_eviction(void) {
  recognizer r;
  make(&r, 8);
  for (int32_t t = 0; t < 200; t += 10) feed(&r, YES, t);
  CHECK_MSG(r.state.count == 8 && r.state.evicted_count == 12, "count %d evicted %u", (int)r.state.count,
        (unsigned)r.state.evicted_count);
}

static void test_reset_and_bad_arguments(void) {
  recognizer r;
  make(&r, CAP);
  for (int32_t t = 0; t <= 300; t += 100) feed(&r, YES, t);
  CHECK_MSG(es_recognizer_reset(&r.state) == ES_OK, "reset");
  es_recognizer_output o = feed(&r, YES, 0); /* time may restart after reset */
  CHECK_MSG(!o.is_reliable && r.state.results_count == 1, "after reset");

  es_recognizer_state st;
  int32_t times[4];
  int8_t scores[16];
  es_recognizer_params bad[] = {
      {0, 1000, 200, 1500, 3}, {4, 0, 200, 1500, 3}, {4, 1000, 256, 1500, 3},
      {4, 1000, -1, 1500, 3},  {4, 1000, 200, -1, 3}, {4, 1000, 200, 1500, 0},
  };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    CHECK_MSG(es_recognizer_init(&bad[i], times, scores, 4, &st) == ES_ERR_ARGUMENT, "bad params %u accepted", i);
  es_recognizer_params good = {4, 1000, 200, 1500, 3};
  CHECK_MSG(es_recognizer_init(&good, NULL, scores, 4, &st) == ES_ERR_ARGUMENT, "NULL times");
  CHECK_MSG(es_recognizer_init(&good, times, scores, 0, &st) == ES_ERR_ARGUMENT, "zero capacity");
  CHECK_MSG(es_recognizer_init(&good, times, scores, 4, &st) == ES_OK, "good init");
  CHECK_MSG(es_recognizer_process(&good, &st, NULL, 0, &o) == ES_ERR_ARGUMENT, "NULL scores");
  CHECK_MSG(es_recognizer_process(&good, &st, YES, 0, NULL) == ES_ERR_ARGUMENT, "NULL output");
  st.count = 99; /* corrupted state is detected, not trusted */
  CHECK_MSG(es_recognizer_process(&good, &st, YES, 0, &o) == ES_ERR_STATE, "corrupt state");
}

static void test_extreme_times_do_not_overflow(void) {
  recognizer r;
  make(&r, CAP);
  feed(&r, YES, INT32_MIN);
  feed(&r, YES, INT32_MIN + 500);
  es_recognizer_output o = feed(&r, YES, INT32_MIN + 900);
  CHECK_MSG(o.is_new, "near INT32_MIN");
  feed(&r, YES, INT32_MAX - 10);
  o = feed(&r, SILENCE, INT32_MAX);
  CHECK_MSG(r.state.count == 2, "window across the full range: count %d", (int)r.state.count);
}

static void test_hysteresis(void) {
  es_hysteresis_params p = {160, 96, 2, 3};
  es_hysteresis_state s;
  es_hysteresis_output o;
  CHECK_MSG(es_hysteresis_init(&p, &s) == ES_OK, "init");
  /* q + 128: 200 200 -> on at the 2nd; 120 (dead band) keeps it on; 50 50 120 50 50 50 -> off at the 3rd 50
   * after the streak broken by 120. */
  const int8_t seq[] = {72, 72, -8, -78, -78, -8, -78, -78, -78};
  const uint8_t active[] = {0, 1, 1, 1, 1, 1, 1, 1, 0};
  const uint8_t changed[] = {0, 1, 0, 0, 0, 0, 0, 0, 1};
  for (unsigned i = 0; i < sizeof seq; ++i) {
    CHECK_MSG(es_hysteresis_process(&p, &s, seq[i], &o) == ES_OK, "process");
    CHECK_MSG(o.active == active[i] && o.changed == changed[i], "step %u: active %d changed %d", i, o.active,
          o.changed);
  }
  es_hysteresis_params edge = {160, 96, 1, 1};
  CHECK_MSG(es_hysteresis_reset(&s) == ES_OK, "reset");
  es_hysteresis_process(&edge, &s, 160 - 128, &o);
  CHECK_MSG(o.active == 1, "on threshold is inclusive");
  es_hysteresis_process(&edge, &s, 96 - 128, &o);
  CHECK_MSG(o.active == 1, "off threshold is exclusive");
  es_hysteresis_process(&edge, &s, 95 - 128, &o);
  CHECK_MSG(o.active == 0, "below off threshold");
  es_hysteresis_params bad[] = {{100, 101, 1, 1}, {256, 0, 1, 1}, {100, -1, 1, 1}, {100, 50, 0, 1}, {100, 50, 1, 0}};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    CHECK_MSG(es_hysteresis_init(&bad[i], &s) == ES_ERR_ARGUMENT, "bad hysteresis params %u", i);
  CHECK_MSG(es_hysteresis_process(&p, &s, 0, NULL) == ES_ERR_ARGUMENT, "NULL output");
}

static void test_classify(void) {
  es_classify_params p = {4, 0};
  es_classify_output o;
  const int8_t tie[4] = {-5, 7, 7, -128};
  CHECK_MSG(es_classify_process(&p, tie, &o) == ES_OK && o.top == 1 && o.score == 135 && o.is_accepted, "tie");
  p.min_score = 136;
  CHECK_MSG(es_classify_process(&p, tie, &o) == ES_OK && !o.is_accepted, "below min");
  p.min_score = 135;
  CHECK_MSG(es_classify_process(&p, tie, &o) == ES_OK && o.is_accepted, "min inclusive");
  es_classify_params bad = {0, 0};
  CHECK_MSG(es_classify_process(&bad, tie, &o) == ES_ERR_ARGUMENT, "zero categories");
  bad.category_count = 4;
  bad.min_score = 256;
  CHECK_MSG(es_classify_process(&bad, tie, &o) == ES_ERR_ARGUMENT, "min_score range");
  CHECK_MSG(es_classify_process(&p, NULL, &o) == ES_ERR_ARGUMENT, "NULL scores");
}

int main(void) {
  test_warmup_and_first_detection();
  test_suppression();
  test_new_label_is_not_suppressed();
  test_threshold_is_strict_and_average_truncates();
  test_ties_and_zero_keep_lowest_index();
  test_out_of_order_is_rejected_without_state_change();
  test_timestamps_in_samples_starve();
  test_capacity_eviction();
  test_reset_and_bad_arguments();
  test_extreme_times_do_not_overflow();
  test_hysteresis();
  test_classify();
  if (failures == 0) printf("ok post\n");
  return failures;
}
