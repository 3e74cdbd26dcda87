/* Helpers of the data movement ops (ops/concatenation.c, split.c, pad.c,
 * slice.c, transpose.c, gather.c, squeeze.c).  Private to ops/. */
#ifndef EDGESIM_OPS_SHAPE_COMMON_H
#define EDGESIM_OPS_SHAPE_COMMON_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/op.h"
#include "op_common.h" /* es_op_shape_of, es_op_dims_of */

/* Bytes per element of the tensor types the data movement ops move
 * (int8, uint8, bool, int16, int32, float32, int64); 0 for any other. */
static inline int32_t es_op_element_size(uint8_t type) {
  switch (type) {
    case ES_INT8: case ES_UINT8: case ES_BOOL: return 1;
    case ES_INT16: return 2;
    case ES_INT32: case ES_FLOAT32: return 4;
    case ES_INT64: return 8;
    default: return 0;
  }
}

/* The same type and, for quantized types, the same scale and zero point. */
static inline int es_op_same_quantization(const es_tensor *a, const es_tensor *b) {
  return a->type == b->type && a->quant.scale == b->quant.scale && a->quant.zero_point == b->quant.zero_point;
}

/* Element i of a constant int32 (or, when is_int64, int64) tensor such as
 * an axis or a paddings list; 1 when the tensor holds fewer than i + 1
 * elements (*ok cleared), so callers fail cleanly on short data. */
int32_t es_op_constant_index(const es_tensor *t, int32_t i, int *ok);

/* Product of dims[from, to). */
static inline int64_t es_op_dims_product(const es_tensor *t, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; ++i) n *= t->dims[i];
  return n;
}

#endif /* EDGESIM_OPS_SHAPE_COMMON_H */
