/* Gray -> model input: int8 = gray - 128.
 *
 * This is the natural mapping (gray XOR 0x80) under which the reference
 * person detection results were measured; it uses the full int8 range.
 */
#include "edgesim/image.h"

es_status es_image_quantize(const uint8_t *gray, size_t count, int8_t *out) {
  if (gray == NULL || out == NULL) return ES_ERR_ARGUMENT;
  for (size_t i = 0; i < count; ++i) out[i] = (int8_t)((int32_t)gray[i] - 128);
  return ES_OK;
}
