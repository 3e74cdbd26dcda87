/* Shared prepare helpers of the data movement ops. */
#include "shape_common.h"

#include <string.h>

int32_t es_op_constant_index(const es_tensor *t, int32_t i, int *ok) {
  const size_t width = t->type == ES_INT64 ? 8u : 4u;
  if (t->data == 0 || i < 0 || (size_t)(i + 1) * width > t->bytes || (t->type != ES_INT32 && t->type != ES_INT64)) {
    *ok = 0;
    return 1;
  }
  const uint8_t *p = (const uint8_t *)t->data + (size_t)i * width;
  if (width == 8) {
    int64_t v;
    memcpy(&v, p, sizeof v);
    if (v > INT32_MAX || v < INT32_MIN) {
      *ok = 0;
      return 1;
    }
    return (int32_t)v;
  }
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
