/* The op kernels edgesim ships, and sets of them for es_model_load().
 *
 * Each op is one file ops/<name>.c defining `const es_op es_op_<name>` (the
 * contract is edgesim/op.h) and one line in ops/registry.c.  A board that
 * needs only some ops can build its own set and link only those kernels:
 *
 *   static const es_op *const my_ops[] = {&es_op_conv_2d, &es_op_softmax};
 *   static const es_op_set my_set = {my_ops, 2};
 */
#ifndef EDGESIM_OPS_H
#define EDGESIM_OPS_H

#include <stdint.h>

#include "edgesim/op.h"

typedef struct es_op_set {
  const es_op *const *ops;
  int32_t count;
} es_op_set;

extern const es_op es_op_conv_2d;
extern const es_op es_op_depthwise_conv_2d;
extern const es_op es_op_fully_connected;
extern const es_op es_op_softmax;
extern const es_op es_op_average_pool_2d;
extern const es_op es_op_max_pool_2d;
extern const es_op es_op_reshape;
extern const es_op es_op_mean;
extern const es_op es_op_relu;
extern const es_op es_op_relu6;
extern const es_op es_op_relu_n1_to_1;
extern const es_op es_op_leaky_relu;
extern const es_op es_op_prelu;
extern const es_op es_op_logistic;
extern const es_op es_op_tanh;
extern const es_op es_op_hard_swish;
extern const es_op es_op_concatenation;
extern const es_op es_op_pad;
extern const es_op es_op_padv2;
extern const es_op es_op_strided_slice;
extern const es_op es_op_slice;
extern const es_op es_op_squeeze;
extern const es_op es_op_expand_dims;
extern const es_op es_op_transpose;
extern const es_op es_op_split;
extern const es_op es_op_split_v;
extern const es_op es_op_pack;
extern const es_op es_op_unpack;
extern const es_op es_op_gather;
extern const es_op es_op_resize_nearest_neighbor;
extern const es_op es_op_resize_bilinear;
extern const es_op es_op_reduce_max;
extern const es_op es_op_sum;
extern const es_op es_op_l2_normalization;
extern const es_op es_op_transpose_conv;
extern const es_op es_op_batch_matmul;
extern const es_op es_op_svdf;
extern const es_op es_op_unidirectional_sequence_lstm;
extern const es_op es_op_add;
extern const es_op es_op_sub;
extern const es_op es_op_mul;
extern const es_op es_op_maximum;
extern const es_op es_op_minimum;
extern const es_op es_op_squared_difference;
extern const es_op es_op_quantize;
extern const es_op es_op_dequantize;

/* Every op above (ops/registry.c). */
extern const es_op_set es_all_ops;

#endif /* EDGESIM_OPS_H */
