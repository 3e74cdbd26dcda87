/* libFuzzer target for kernels/post/: arbitrary parameters, scores and
 * timestamps must give a status, never a sanitizer report.  The invariants
 * checked here are the ones every caller relies on. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "edgesim/post.h"

enum { MAX_CATS = 16, MAX_CAP = 32 };

static int32_t take_i32(const uint8_t **data, size_t *size) {
  uint32_t v = 0;
  for (int i = 0; i < 4 && *size > 0; ++i, ++*data, --*size) v |= (uint32_t)**data << (8 * i);
  return (int32_t)v;
}

static uint8_t take_u8(const uint8_t **data, size_t *size) {
  if (*size == 0) return 0;
  uint8_t v = **data;
  ++*data;
  --*size;
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  es_recognizer_params rp;
  rp.category_count = 1 + take_u8(&data, &size) % MAX_CATS;
  rp.average_window_ms = take_i32(&data, &size) % 5000;
  rp.detection_threshold = take_i32(&data, &size) % 300;
  rp.suppression_ms = take_i32(&data, &size) % 5000;
  rp.minimum_count = take_i32(&data, &size) % 10;
  int32_t capacity = 1 + take_u8(&data, &size) % MAX_CAP;
  es_hysteresis_params hp = {take_i32(&data, &size) % 300, take_i32(&data, &size) % 300,
                             take_i32(&data, &size) % 5, take_i32(&data, &size) % 5};
  es_classify_params cp = {rp.category_count, take_i32(&data, &size) % 300};

  int32_t times[MAX_CAP];
  int8_t scores[MAX_CAP * MAX_CATS];
  es_recognizer_state rs;
  es_hysteresis_state hs;
  const int rec_ok = es_recognizer_init(&rp, times, scores, capacity, &rs) == ES_OK;
  const int hys_ok = es_hysteresis_init(&hp, &hs) == ES_OK;
  int32_t now = take_i32(&data, &size);
  while (size > (size_t)rp.category_count) {
    int8_t result[MAX_CATS];
    memcpy(result, data, (size_t)rp.category_count);
    data += rp.category_count;
    size -= (size_t)rp.category_count;
    const int8_t step = (int8_t)take_u8(&data, &size);
    now = (int32_t)((uint32_t)now + (uint32_t)(int32_t)step); /* may go backwards */
    if (rec_ok) {
      es_recognizer_output out;
      es_status s = es_recognizer_process(&rp, &rs, result, now, &out);
      if (s == ES_OK && (out.top < 0 || out.top >= rp.category_count || out.score < 0 || out.score > 255 ||
                         rs.count < 1 || rs.count > capacity))
        __builtin_trap();
      if (s != ES_OK && s != ES_ERR_INPUT_DATA) __builtin_trap();
    }
    if (hys_ok) {
      es_hysteresis_output out;
      if (es_hysteresis_process(&hp, &hs, result[0], &out) != ES_OK || out.active > 1) __builtin_trap();
    }
    es_classify_output out;
    if (es_classify_process(&cp, result, &out) == ES_OK && (out.top < 0 || out.top >= rp.category_count))
      __builtin_trap();
  }
  return 0;
}
