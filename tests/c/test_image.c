/* ASan/UBSan harness for the camera frame kernels (edgesim/image.h).
 *
 *   test_image run W H STRIDE FORMAT RESIZE FRAME OUT
 *       preprocess FRAME (exactly its bytes, heap-allocated to size so ASan
 *       sees any over-read) and write the 96*96 int8 result to OUT; the exit
 *       code is the es_status (the caller checks both)
 *   test_image selftest   crop/resize/validation edge cases
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/image.h"
#include "harness.h"


static int run(char **argv) {
  es_image_params p = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6])};
  FILE *f = fopen(argv[7], "rb");
  if (f == NULL) return 100;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *frame = malloc(n > 0 ? (size_t)n : 1);
  size_t got = fread(frame, 1, (size_t)n, f);
  fclose(f);
  int8_t *out = malloc(ES_IMAGE_SIDE * ES_IMAGE_SIDE);
  const char *detail = NULL;
  es_status status = es_image_preprocess(&p, frame, got, out, &detail);
  if (status != ES_OK) {
    if (detail == NULL || detail[0] == '\0') return 101; /* every failure says why */
    fprintf(stderr, "%s\n", detail);
  } else {
    FILE *o = fopen(argv[8], "wb");
    fwrite(out, 1, ES_IMAGE_SIDE * ES_IMAGE_SIDE, o);
    fclose(o);
  }
  free(out);
  free(frame);
  return (int)status;
}

static int selftest(void) {
  es_image_rect r;
  CHECK(es_image_center_crop(160, 120, &r) == ES_OK && r.side == 120 && r.left == 20 && r.top == 0);
  CHECK(es_image_center_crop(5, 8, &r) == ES_OK && r.side == 5 && r.left == 0 && r.top == 1);
  CHECK(es_image_center_crop(0, 8, &r) == ES_ERR_ARGUMENT);
  CHECK(es_image_center_crop(8, 8, NULL) == ES_ERR_ARGUMENT);

  /* Largest frames along one axis, every format, both methods. */
  const int32_t formats[] = {ES_PIXEL_GRAY8, ES_PIXEL_RGB888, ES_PIXEL_BGR888,
                             ES_PIXEL_RGB565, ES_PIXEL_RGB565LE, ES_PIXEL_YUYV};
  int8_t *out = malloc(ES_IMAGE_SIDE * ES_IMAGE_SIDE);
  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; ++f) {
    const int32_t bpp = es_pixel_format_bytes(formats[f]);
    const int32_t shapes[][2] = {{ES_IMAGE_MAX_DIM, 2}, {2, ES_IMAGE_MAX_DIM}, {2, 1}, {2, 2}, {96, 96}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
      const size_t bytes = (size_t)shapes[s][0] * (size_t)shapes[s][1] * (size_t)bpp;
      uint8_t *frame = malloc(bytes);
      memset(frame, 0xFF, bytes);
      for (int32_t m = 0; m < ES_RESIZE_METHOD_COUNT; ++m) {
        es_image_params p = {shapes[s][0], shapes[s][1], 0, formats[f], m};
        const char *detail;
        CHECK(es_image_preprocess(&p, frame, bytes, out, &detail) == ES_OK);
        for (int i = 0; i < ES_IMAGE_SIDE * ES_IMAGE_SIDE; ++i) CHECK(out[i] == 127); /* white */
        CHECK(es_image_preprocess(&p, frame, bytes - 1, out, &detail) == ES_ERR_INPUT_DATA);
      }
      free(frame);
    }
  }
  /* A 1-pixel source upscales everywhere to that pixel. */
  uint8_t one = 77;
  es_image_params p1 = {1, 1, 0, ES_PIXEL_GRAY8, ES_RESIZE_BILINEAR};
  CHECK(es_image_preprocess(&p1, &one, 1, out, NULL) == ES_OK && out[0] == 77 - 128 && out[9215] == 77 - 128);
  p1.resize = ES_RESIZE_AREA;
  CHECK(es_image_preprocess(&p1, &one, 1, out, NULL) == ES_OK && out[9215] == 77 - 128);

  /* Validation. */
  uint8_t frame[64] = {0};
  const char *detail = NULL;
  es_image_params bad[] = {
      {0, 4, 0, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
      {4, -1, 0, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
      {ES_IMAGE_MAX_DIM + 1, 1, 0, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
      {3, 2, 0, ES_PIXEL_YUYV, ES_RESIZE_AREA},
      {4, 4, 3, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
      {4, 4, -8, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
      {4, 4, 0x7FFFFFFF, ES_PIXEL_GRAY8, ES_RESIZE_AREA},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    detail = NULL;
    CHECK(es_image_preprocess(&bad[i], frame, 16, out, &detail) == ES_ERR_INPUT_DATA);
    CHECK(detail != NULL && detail[0] != '\0');
  }
  es_image_params unknown_format = {4, 4, 0, ES_PIXEL_FORMAT_COUNT, ES_RESIZE_AREA};
  CHECK(es_image_preprocess(&unknown_format, frame, 16, out, &detail) == ES_ERR_ARGUMENT);
  es_image_params unknown_resize = {4, 4, 0, ES_PIXEL_GRAY8, -1};
  CHECK(es_image_preprocess(&unknown_resize, frame, 16, out, &detail) == ES_ERR_ARGUMENT);
  es_image_params ok = {4, 4, 0, ES_PIXEL_GRAY8, ES_RESIZE_AREA};
  CHECK(es_image_preprocess(&ok, NULL, 16, out, &detail) == ES_ERR_ARGUMENT);
  CHECK(es_image_preprocess(&ok, frame, 16, NULL, &detail) == ES_ERR_ARGUMENT);
  CHECK(es_image_preprocess(NULL, frame, 16, out, &detail) == ES_ERR_ARGUMENT);
  CHECK(es_image_preprocess(&ok, frame, 17, out, NULL) == ES_ERR_INPUT_DATA);
  /* Strided: the last row needs only its pixels. */
  es_image_params strided = {4, 4, 6, ES_PIXEL_GRAY8, ES_RESIZE_BILINEAR};
  CHECK(es_image_preprocess(&strided, frame, 22, out, &detail) == ES_OK);
  CHECK(es_image_preprocess(&strided, frame, 24, out, &detail) == ES_OK);
  CHECK(es_image_preprocess(&strided, frame, 21, out, &detail) == ES_ERR_INPUT_DATA);
  CHECK(es_image_preprocess(&strided, frame, 25, out, &detail) == ES_ERR_INPUT_DATA);
  /* Resize stages guard their own arguments too. */
  es_image_view view = {frame, 4, ES_PIXEL_GRAY8};
  es_image_rect rect = {0, 0, 4};
  uint8_t gray[16];
  CHECK(es_image_resize_area(&view, &rect, 0, gray) == ES_ERR_ARGUMENT);
  CHECK(es_image_resize_bilinear(&view, &rect, ES_IMAGE_MAX_OUT_SIDE + 1, gray) == ES_ERR_ARGUMENT);
  CHECK(es_image_resize_area(&view, &rect, 4, gray) == ES_OK);
  free(out);
  if (failures == 0) printf("ok selftest\n");
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 9 && strcmp(argv[1], "run") == 0) return run(argv);
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: test_image run W H STRIDE FORMAT RESIZE FRAME OUT | selftest\n");
  return 2;
}
