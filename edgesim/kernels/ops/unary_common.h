/* Prepare-time checks shared by the elementwise one-input ops (activations):
 * one input and one output of the same type (int8 with per-tensor
 * quantization, or float32) and the same shape.  Private to ops/. */
#ifndef EDGESIM_OPS_UNARY_COMMON_H
#define EDGESIM_OPS_UNARY_COMMON_H

#include <stdint.h>

#include "edgesim/op.h"
#include "edgesim/quant.h"

/* The static failure details of one op, written by ES_UNARY_ERRORS("NAME"). */
typedef struct es_unary_errors {
  const char *arity, *types, *shape, *quantization, *arena;
} es_unary_errors;

#define ES_UNARY_ERRORS(name)                                            \
  {                                                                      \
    name ": expects one input and one output",                           \
    name ": input and output must both be int8 or both float32",         \
    name ": output shape != input shape",                                \
    name ": int8 input and output need one positive scale and zero point", \
    name ": arena too small for op data"                                 \
  }

/* Validates the node; on success stores the element count and the common
 * type (ES_INT8 or ES_FLOAT32). */
es_status es_op_prepare_unary(es_op_context *ctx, const es_unary_errors *errors, int32_t *size, es_dtype *type);

/* TFLM's FloatToQuantizedType<int8_t>(): round(value / scale) + zero_point
 * in float, clamped to int8. */
int32_t es_op_float_to_int8(float value, float scale, int32_t zero_point);

/* The quantized multiplier of real = (double)(numerator / denominator), the
 * float division TFLM writes for these ops. */
es_status es_op_float_ratio_multiplier(float numerator, float denominator, es_qmul *out);

#endif /* EDGESIM_OPS_UNARY_COMMON_H */
