/* libFuzzer target for the JPEG decoder (tests/test_jpeg.py runs it for a
 * bounded time when clang is installed, seeded with small JPEGs).
 *
 * The first input byte picks the output format; the rest is the file.  Any
 * status other than ES_OK / ES_ERR_IMAGE_FORMAT, and any sanitizer report,
 * is a finding.  Workspace and output are exact-size heap blocks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/jpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  es_jpeg_pixel_format format = (data[0] & 1) ? ES_JPEG_RGB888 : ES_JPEG_GRAY8;
  data++;
  size--;
  uint8_t *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  es_jpeg_info info;
  const char *detail = NULL;
  es_status status = es_jpeg_read_info(copy, size, &info, &detail);
  if (status == ES_OK) {
    size_t ws_bytes, out_bytes;
    if (es_jpeg_workspace_size(&info, format, &ws_bytes) != ES_OK) abort();
    if (es_jpeg_output_size(&info, format, &out_bytes) != ES_OK) abort();
    if (out_bytes <= (16u << 20)) {
      uint8_t *ws = malloc(ws_bytes), *out = malloc(out_bytes);
      status = es_jpeg_decode(copy, size, format, ws, ws_bytes, out, out_bytes, &detail);
      free(ws);
      free(out);
    }
  }
  if (status != ES_OK && status != ES_ERR_IMAGE_FORMAT) abort();
  if (status == ES_ERR_IMAGE_FORMAT && (detail == NULL || detail[0] == '\0')) abort();
  free(copy);
  return 0;
}
