/* ASan/UBSan harness for the JPEG decoder (run by tests/test_jpeg.py).
 *
 *   test_jpeg FILE.jpg MUTATIONS SEED
 *
 * 1. decodes FILE as gray and RGB (must succeed) and prints a checksum;
 * 2. decodes every prefix of FILE (every truncation must be rejected with
 *    ES_ERR_IMAGE_FORMAT and a non-empty detail);
 * 3. decodes MUTATIONS copies with 1..8 random bytes changed (deterministic
 *    LCG from SEED): each must return ES_OK or ES_ERR_IMAGE_FORMAT.
 * Each decode gets a workspace and output buffer of exactly the queried
 * size, in their own heap blocks, so ASan sees any overrun.
 * Prints "ok <checksum> <truncations> <mutations> <mutations accepted>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/jpeg.h"

static es_status decode(const uint8_t *data, size_t size, es_jpeg_pixel_format format,
                        uint32_t *checksum, const char **detail) {
  es_jpeg_info info;
  size_t ws_bytes, out_bytes, i;
  es_status status = es_jpeg_read_info(data, size, &info, detail);
  if (status != ES_OK) return status;
  if (es_jpeg_workspace_size(&info, format, &ws_bytes) != ES_OK) return ES_ERR_ARGUMENT;
  if (es_jpeg_output_size(&info, format, &out_bytes) != ES_OK) return ES_ERR_ARGUMENT;
  if (out_bytes > (64u << 20)) { /* a mutated header may claim 65535x65535 */
    *detail = "skipped: huge image";
    return ES_ERR_IMAGE_FORMAT;
  }
  uint8_t *ws = malloc(ws_bytes), *out = malloc(out_bytes ? out_bytes : 1);
  if (ws == NULL || out == NULL) abort();
  status = es_jpeg_decode(data, size, format, ws, ws_bytes, out, out_bytes, detail);
  if (status == ES_OK && checksum != NULL)
    for (i = 0; i < out_bytes; i++) *checksum = *checksum * 31u + out[i];
  free(ws);
  free(out);
  return status;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s FILE.jpg MUTATIONS SEED\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) return 2;
  static uint8_t data[1 << 20];
  size_t size = fread(data, 1, sizeof data, f);
  fclose(f);
  long mutations = atol(argv[2]);
  uint32_t rng = (uint32_t)atol(argv[3]);
  const char *detail = "";
  uint32_t checksum = 0;

  if (decode(data, size, ES_JPEG_GRAY8, &checksum, &detail) != ES_OK ||
      decode(data, size, ES_JPEG_RGB888, &checksum, &detail) != ES_OK) {
    fprintf(stderr, "valid file rejected: %s\n", detail);
    return 1;
  }
  size_t truncations = 0;
  for (size_t cut = 0; cut < size; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1); /* exact-size block: overreads are caught */
    memcpy(copy, data, cut);
    detail = "";
    es_status status = decode(copy, cut, ES_JPEG_GRAY8, NULL, &detail);
    free(copy);
    if (status != ES_ERR_IMAGE_FORMAT || detail == NULL || detail[0] == '\0') {
      fprintf(stderr, "truncation at %zu: status %d (%s)\n", cut, (int)status, es_status_str(status));
      return 1;
    }
    truncations++;
  }
  long accepted = 0;
  for (long m = 0; m < mutations; m++) {
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    rng = rng * 1664525u + 1013904223u;
    int changes = 1 + (int)((rng >> 24) & 7u);
    for (int c = 0; c < changes; c++) {
      rng = rng * 1664525u + 1013904223u;
      size_t at = (size_t)(rng >> 8) % size;
      rng = rng * 1664525u + 1013904223u;
      copy[at] = (uint8_t)(rng >> 24);
    }
    es_status status = decode(copy, size, (m & 1) ? ES_JPEG_RGB888 : ES_JPEG_GRAY8, NULL, &detail);
    free(copy);
    if (status == ES_OK) accepted++;
    else if (status != ES_ERR_IMAGE_FORMAT) {
      fprintf(stderr, "mutation %ld: status %d\n", m, (int)status);
      return 1;
    }
  }
  printf("ok %08x %zu %ld %ld\n", (unsigned)checksum, truncations, mutations, accepted);
  return 0;
}
