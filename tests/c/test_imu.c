/* ASan/UBSan harness for the magic wand kernels (edgesim/imu.h).
 *
 *   test_imu segment SAMPLES.f32 OUT      float32 [n][6] stream -> for each
 *       finished stroke: int32 count, 2*count int8 points, 3072 raster bytes
 *   test_imu raster POINTS.i8 OUT         int8 x,y pairs -> 3072 raster bytes
 *   test_imu selftest                     error paths and edge cases
 * Exit 0 on success; the caller compares OUT with the Python binding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/imu.h"
#include "harness.h"


static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(n > 0 ? (size_t)n : 1);
  *size = fread(data, 1, (size_t)n, f);
  fclose(f);
  return data;
}

static int segment(const char *in, const char *out_path) {
  size_t size;
  unsigned char *data = read_file(in, &size);
  if (data == NULL || size % 24 != 0) return 2;
  FILE *out = fopen(out_path, "wb");
  es_stroke_segmenter_params params = {(float)ES_IMU_SAMPLE_RATE_HZ};
  /* Heap-allocated so ASan sees the exact extent of the state. */
  es_stroke_segmenter *seg = malloc(sizeof *seg);
  CHECK(es_stroke_segmenter_init(&params, seg) == ES_OK);
  for (size_t i = 0; i < size / 24; ++i) {
    float sample[6];
    memcpy(sample, data + 24 * i, 24);
    es_stroke stroke;
    int32_t ready;
    es_status status = es_stroke_segmenter_push(seg, sample, &stroke, &ready);
    if (status != ES_OK) {
      CHECK(status == ES_ERR_INPUT_DATA && ready == 0);
      continue;
    }
    if (!ready) continue;
    CHECK(stroke.count > 0 && stroke.count <= ES_STROKE_MAX_POINTS);
    int8_t raster[ES_RASTER_BYTES];
    es_raster_params rp = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
    CHECK(es_stroke_rasterize(&rp, stroke.points, stroke.count, raster) == ES_OK);
    fwrite(&stroke.count, sizeof stroke.count, 1, out);
    fwrite(stroke.points, 1, 2 * (size_t)stroke.count, out);
    fwrite(raster, 1, sizeof raster, out);
  }
  fclose(out);
  free(seg);
  free(data);
  return failures ? 1 : 0;
}

static int raster(const char *in, const char *out_path) {
  size_t size;
  unsigned char *data = read_file(in, &size);
  if (data == NULL || size % 2 != 0) return 2;
  /* Exact-size copy so ASan catches any read past the last point. */
  int8_t *points = malloc(size ? size : 1);
  memcpy(points, data, size);
  int8_t out[ES_RASTER_BYTES];
  es_raster_params rp = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
  CHECK(es_stroke_rasterize(&rp, points, (int32_t)(size / 2), out) == ES_OK);
  FILE *f = fopen(out_path, "wb");
  fwrite(out, 1, sizeof out, f);
  fclose(f);
  free(points);
  free(data);
  return failures ? 1 : 0;
}

static int selftest(void) {
  es_stroke_segmenter *seg = malloc(sizeof *seg);
  es_stroke stroke;
  int32_t ready = 7;
  es_stroke_segmenter_params params = {(float)ES_IMU_SAMPLE_RATE_HZ};
  es_stroke_segmenter_params bad_rates[] = {{0.0f}, {-5.0f}, {NAN}, {INFINITY}, {1e9f}};
  for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; ++i)
    CHECK(es_stroke_segmenter_init(&bad_rates[i], seg) == ES_ERR_ARGUMENT);
  CHECK(es_stroke_segmenter_init(NULL, seg) == ES_ERR_ARGUMENT);
  CHECK(es_stroke_segmenter_init(&params, seg) == ES_OK);

  const float bad_values[] = {NAN, INFINITY, -INFINITY, 2e6f, -3e38f};
  for (size_t v = 0; v < sizeof bad_values / sizeof bad_values[0]; ++v) {
    for (int axis = 0; axis < 6; ++axis) {
      float sample[6] = {0, 0, 1, 0, 0, 0};
      sample[axis] = bad_values[v];
      CHECK(es_stroke_segmenter_push(seg, sample, &stroke, &ready) == ES_ERR_INPUT_DATA);
      CHECK(ready == 0);
    }
  }
  CHECK(seg->motion.samples == 0); /* rejected samples leave no trace */
  float ok[6] = {0, 0, 1, 0, 0, 0};
  CHECK(es_stroke_segmenter_push(NULL, ok, &stroke, &ready) == ES_ERR_ARGUMENT);
  CHECK(es_stroke_segmenter_push(seg, NULL, &stroke, &ready) == ES_ERR_ARGUMENT);
  CHECK(es_stroke_segmenter_push(seg, ok, NULL, &ready) == ES_ERR_ARGUMENT);
  CHECK(es_stroke_segmenter_push(seg, ok, &stroke, NULL) == ES_ERR_ARGUMENT);

  /* Largest accepted values for a long time: stays finite, no UB. */
  for (int i = 0; i < 5000; ++i) {
    const float big = ES_IMU_MAX_ABS_VALUE;
    float sample[6] = {big, -big, big, (i % 3) ? big : -big, big, (i % 7) ? -big : big};
    CHECK(es_stroke_segmenter_push(seg, sample, &stroke, &ready) == ES_OK);
    if (ready) CHECK(stroke.count > 0 && stroke.count <= ES_STROKE_MAX_POINTS);
  }
  /* A corrupted state is refused rather than used as an index. */
  seg->length = 100000;
  CHECK(es_stroke_segmenter_push(seg, ok, &stroke, &ready) == ES_ERR_STATE);
  CHECK(es_stroke_segmenter_reset(seg) == ES_OK);
  seg->motion.orientation_head = ES_IMU_HISTORY_SAMPLES;
  CHECK(es_stroke_segmenter_push(seg, ok, &stroke, &ready) == ES_ERR_STATE);
  CHECK(es_stroke_segmenter_reset(seg) == ES_OK);
  seg->motion.accel_head = -1;
  CHECK(es_stroke_segmenter_push(seg, ok, &stroke, &ready) == ES_ERR_STATE);
  CHECK(es_stroke_segmenter_reset(seg) == ES_OK);
  CHECK(seg->length == 0 && seg->state == ES_STROKE_WAITING && seg->motion.samples == 0);

  /* Rasterizer edges. */
  int8_t out[ES_RASTER_BYTES];
  es_raster_params rp = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
  int8_t extremes[] = {-128, -128, 127, 127, -128, 127, 127, -128, 0, 0};
  CHECK(es_stroke_rasterize(&rp, extremes, 0, out) == ES_ERR_INPUT_DATA);
  CHECK(es_stroke_rasterize(&rp, extremes, ES_RASTER_MAX_POINTS + 1, out) == ES_ERR_INPUT_DATA);
  CHECK(es_stroke_rasterize(NULL, extremes, 5, out) == ES_ERR_ARGUMENT);
  es_raster_params small = {ES_RASTER_MIN_RANGE_Q12 - 1, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE};
  CHECK(es_stroke_rasterize(&small, extremes, 5, out) == ES_ERR_ARGUMENT);
  es_raster_params tight = {ES_RASTER_MIN_RANGE_Q12, ES_RASTER_MIN_RANGE_Q12, ES_RASTER_SIDE};
  CHECK(es_stroke_rasterize(&tight, extremes, 5, out) == ES_OK);
  es_raster_params wide = {ES_RASTER_MAX_RANGE_Q12, ES_RASTER_MAX_RANGE_Q12, ES_RASTER_SIDE};
  es_raster_params no_side = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, 0};
  CHECK(es_stroke_rasterize(&no_side, extremes, 5, out) == ES_ERR_ARGUMENT);
  es_raster_params too_big = {ES_RASTER_RANGE_Q12, ES_RASTER_RANGE_Q12, ES_RASTER_SIDE + 1};
  CHECK(es_stroke_rasterize(&too_big, extremes, 5, out) == ES_ERR_ARGUMENT);
  es_raster_params tiny = {ES_RASTER_MIN_RANGE_Q12, ES_RASTER_MIN_RANGE_Q12, 1};
  CHECK(es_stroke_rasterize(&tiny, extremes, 5, out) == ES_OK);
  CHECK(es_stroke_rasterize(&wide, extremes, 5, out) == ES_OK);
  CHECK(es_stroke_rasterize(&rp, extremes, 1, out) == ES_OK);
  for (int i = 0; i < ES_RASTER_BYTES; ++i) CHECK(out[i] == -128); /* one point draws nothing */
  int8_t *many = malloc(2 * ES_RASTER_MAX_POINTS);
  for (int i = 0; i < 2 * ES_RASTER_MAX_POINTS; ++i) many[i] = (int8_t)((i * 37) % 256 - 128);
  CHECK(es_stroke_rasterize(&tight, many, ES_RASTER_MAX_POINTS, out) == ES_OK);
  free(many);
  free(seg);
  if (failures == 0) printf("ok selftest\n");
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "segment") == 0) return segment(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "raster") == 0) return raster(argv[2], argv[3]);
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: test_imu segment|raster IN OUT | selftest\n");
  return 2;
}
