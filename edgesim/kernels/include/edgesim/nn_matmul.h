/* TRANSPOSE_CONV and BATCH_MATMUL, int8 and float32, bit-exact with TFLite
 * Micro's reference kernels.
 *
 * TRANSPOSE_CONV (the gradient of a convolution: each input pixel scatters
 * filter * value into the output), int8 with per-channel requantization:
 * NHWC input and output; filter [out_channels, filter_h, filter_w,
 * in_channels] in es_dims as {n = out_channels, h, w, c = in_channels};
 * dilation 1.
 */
#ifndef EDGESIM_NN_MATMUL_H
#define EDGESIM_NN_MATMUL_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

typedef struct es_transpose_conv_params {
  es_tile tile;               /* strides and top/left padding (dilation unused) */
  int32_t input_offset;       /* minus the input zero point */
  int32_t output_offset;      /* output zero point */
  es_range_i32 activation;    /* int8 clamp */
  es_range_f32 activation_f32;
} es_transpose_conv_params;

/* bias: output-channel int32 values (any alignment) or NULL; per_channel:
 * one es_qmul per output channel; scratch: one int32 per output value.
 * TFLM ignores the filter zero point (int8 filters are symmetric). */
es_status es_transpose_conv_s8(const es_transpose_conv_params *params, const es_qmul *per_channel,
                               const es_dims *input_dims, const int8_t *input, const es_dims *filter_dims,
                               const int8_t *filter, const void *bias, const es_dims *output_dims, int8_t *output,
                               int32_t *scratch);
/* filter and bias (NULL when absent) float32 of any alignment; the output
 * accumulates in TFLM's scatter order. */
es_status es_transpose_conv_f32(const es_transpose_conv_params *params, const es_dims *input_dims, const float *input,
                                const es_dims *filter_dims, const void *filter, const void *bias,
                                const es_dims *output_dims, float *output);

/* BATCH_MATMUL: output[b][i][j] = sum_k X[b][i][k] * Y[b][k][j] with
 * X = lhs (its last two axes swapped when adj_x) and Y = rhs (swapped when
 * adj_y); shapes of rank 2 to 5 aligned at the innermost axis, batch axes
 * broadcast (each 1 or equal).  int8: (x - lhs_zp) * (y - rhs_zp) summed in
 * int32, requantized and clamped to int8; float: sums from 0.0f in k order.
 * Float operands may be unaligned (constants in the model buffer). */
typedef struct es_batch_matmul_params {
  int32_t adj_x, adj_y;
  int32_t lhs_offset;   /* minus the lhs zero point */
  int32_t rhs_offset;   /* minus the rhs zero point */
  es_requant output;    /* lhs_scale * rhs_scale / output_scale, output zero point */
} es_batch_matmul_params;

es_status es_batch_matmul_s8(const es_batch_matmul_params *params, const es_shape *lhs_shape, const int8_t *lhs,
                             const es_shape *rhs_shape, const int8_t *rhs, int8_t *output);
es_status es_batch_matmul_f32(const es_batch_matmul_params *params, const es_shape *lhs_shape, const void *lhs,
                              const es_shape *rhs_shape, const void *rhs, float *output);

#endif /* EDGESIM_NN_MATMUL_H */
