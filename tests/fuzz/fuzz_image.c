/* libFuzzer target: es_image_preprocess on arbitrary parameters and bytes.
 *
 * Input: 8 header bytes then the frame.
 *   [0..1] width (little-endian int16, may be zero or negative)
 *   [2..3] height, unless flag 1 derives it from the frame length
 *   [4]    stride: 0 = packed, else width * bpp + value - 8 (may be short)
 *   [5]    pixel format (value % 8: includes unknown formats)
 *   [6]    resize method (value % 3: includes an unknown one)
 *   [7]    flags: 1 = height from the length so the frame is usually valid
 * Failures: a crash, a sanitizer report, an error without a reason, or a
 * packed 96x96 gray frame that does not pass through as gray - 128.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "edgesim/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 8) return 0;
  es_image_params p;
  p.width = (int16_t)(data[0] | (data[1] << 8));
  p.height = (int16_t)(data[2] | (data[3] << 8));
  p.pixel_format = data[5] % 8;
  p.resize = data[6] % 3;
  const int32_t bpp = es_pixel_format_bytes(p.pixel_format);
  p.stride = data[4] == 0 ? 0 : p.width * (bpp > 0 ? bpp : 1) + (int32_t)data[4] - 8;
  const uint8_t *frame = data + 8;
  const size_t length = size - 8;
  if ((data[7] & 1) && p.width > 0 && bpp > 0) {
    const size_t row = p.stride > 0 ? (size_t)p.stride : (size_t)p.width * (size_t)bpp;
    p.height = (int32_t)(length / row);
  }
  int8_t out[ES_IMAGE_SIDE * ES_IMAGE_SIDE];
  const char *detail = NULL;
  es_status status = es_image_preprocess(&p, frame, length, out, &detail);
  if (status != ES_OK && (detail == NULL || detail[0] == '\0')) __builtin_trap();
  /* A packed 96x96 gray frame passes through unchanged (gray - 128) by both
   * methods. */
  if (status == ES_OK && p.pixel_format == ES_PIXEL_GRAY8 && p.stride == 0 && p.width == ES_IMAGE_SIDE &&
      p.height == ES_IMAGE_SIDE) {
    for (size_t i = 0; i < (size_t)ES_IMAGE_SIDE * ES_IMAGE_SIDE; ++i)
      if (out[i] != (int8_t)((int32_t)frame[i] - 128)) __builtin_trap();
  }
  return 0;
}
