/* The small structs every op kernel takes, in the manner of CMSIS-NN's
 * arm_nn_types.h.  An op kernel is a pure function per op and data type:
 *
 *   es_status es_<op>_<s8|s16|f32>(const es_<op>_params *params,
 *                                  const es_dims *input_dims, const int8_t *input,
 *                                  ...,
 *                                  const es_dims *output_dims, int8_t *output);
 *
 * taking only plain arrays, dims and a params struct (no es_tensor, no
 * es_op_context), so it can be called by the interpreter's thin
 * prepare/invoke layer (ops/<op>.c), by build-time compiled models, and
 * directly by tests.  Requantization goes through quant/ (edgesim/quant.h).
 *
 * The kernels are declared per family: edgesim/nn_conv.h (conv, depthwise,
 * fully connected, pools, softmax, mean, reshape) and edgesim/nn_elementwise.h
 * (two-input ops with TFLM broadcasting via es_broadcast, QUANTIZE,
 * DEQUANTIZE).  A float kernel (_f32) takes an es_range_f32 clamp from
 * es_activation_range_f32() and applies it with es_clamp_f32() (quant.h).
 * In ops/, op_common.h has the shared prepare helpers (es_op_prepare_binary,
 * es_op_broadcast_rows, es_op_prepare_pool, ...).
 */
#ifndef EDGESIM_KERNEL_TYPES_H
#define EDGESIM_KERNEL_TYPES_H

#include <stdint.h>

#include "edgesim/quant.h"
#include "edgesim/tensor.h"

/* A 4-D activation shape, NHWC (CMSIS-NN's cmsis_nn_dims). */
typedef struct es_dims {
  int32_t n, h, w, c;
} es_dims;

/* Any shape up to ES_MAX_DIMS, outermost first (for elementwise,
 * broadcasting and shape ops). */
typedef struct es_shape {
  int32_t rank;
  int32_t d[ES_MAX_DIMS];
} es_shape;

/* Spatial window parameters of conv, depthwise, pooling. */
typedef struct es_tile {
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_h, pad_w;          /* top / left padding (TFLM's padding.height/width) */
} es_tile;

/* Output clamp of an int8 (or int16) kernel, after the fused activation. */
typedef struct es_range_i32 {
  int32_t min, max;
} es_range_i32;

/* Output clamp of a float kernel (fused activation as min/max). */
typedef struct es_range_f32 {
  float min, max;
} es_range_f32;

/* A requantization step: multiply by a quantized multiplier, then add the
 * zero point (per tensor; per channel uses arrays of es_qmul). */
typedef struct es_requant {
  es_qmul scale;
  int32_t zero_point;
} es_requant;

#endif /* EDGESIM_KERNEL_TYPES_H */
