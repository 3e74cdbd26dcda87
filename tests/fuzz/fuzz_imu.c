/* libFuzzer target: the magic wand segmenter and rasterizer.
 *
 * Input byte 0 selects:
 *   even: the rest is a stream of float32 samples (6 per sample, any bits:
 *         NaN, inf, huge, subnormal) pushed through the segmenter; every
 *         finished stroke is rasterized.  Byte 1 picks the sample rate.
 *   odd:  bytes 1..4 are two int16 raster ranges (Q12), the rest int8 points.
 * Invariants checked besides crashes and sanitizer reports: only the
 * documented statuses occur, and a finished stroke holds
 * 1..ES_STROKE_MAX_POINTS points that rasterize without error.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "edgesim/imu.h"

static es_stroke_segmenter segmenter_storage; /* harness only; kernels keep no globals */

static void fuzz_stream(const uint8_t *data, size_t size) {
  if (size < 1) return;
  const es_stroke_segmenter_params params = {20.0f + (float)data[0]};
  es_stroke_segmenter *seg = &segmenter_storage;
  if (es_stroke_segmenter_init(&params, seg) != ES_OK) __builtin_trap();
  data += 1;
  size -= 1;
  for (size_t i = 0; i + 24 <= size; i += 24) {
    float sample[6];
    memcpy(sample, data + i, sizeof sample);
    es_stroke stroke;
    int32_t ready = 0;
    const es_status status = es_stroke_segmenter_push(seg, sample, &stroke, &ready);
    if (status != ES_OK && status != ES_ERR_INPUT_DATA) __builtin_trap();
    if (!ready) continue;
    if (stroke.count < 1 || stroke.count > ES_STROKE_MAX_POINTS) __builtin_trap();
    const es_raster_params rp = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
    int8_t raster[ES_RASTER_BYTES];
    if (es_stroke_rasterize(&rp, stroke.points, stroke.count, raster) != ES_OK) __builtin_trap();
  }
}

static void fuzz_raster(const uint8_t *data, size_t size) {
  if (size < 4) return;
  /* The low bits of the first byte also pick the side (25..32, 0 and 33 rejected). */
  const es_raster_params rp = {(int16_t)(data[0] | (data[1] << 8)) * 16, (int16_t)(data[2] | (data[3] << 8)) * 16,
                               (data[0] & 15) == 15 ? 0 : (data[0] & 15) == 14 ? ES_RASTER_SIDE + 1
                                                                                : ES_RASTER_SIDE - (data[0] & 7)};
  const int8_t *points = (const int8_t *)(data + 4);
  const int32_t count = (int32_t)((size - 4) / 2);
  int8_t raster[ES_RASTER_BYTES];
  const es_status status = es_stroke_rasterize(&rp, points, count, raster);
  if (status != ES_OK && status != ES_ERR_ARGUMENT && status != ES_ERR_INPUT_DATA) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1)
    fuzz_raster(data + 1, size - 1);
  else
    fuzz_stream(data + 1, size - 1);
  return 0;
}
