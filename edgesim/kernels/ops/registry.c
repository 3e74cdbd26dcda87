/* The ops edgesim ships: one line per op kernel (ops/<name>.c). */
#include "edgesim/ops.h"

static const es_op *const k_all_ops[] = {
    &es_op_conv_2d,
    &es_op_depthwise_conv_2d,
    &es_op_fully_connected,
    &es_op_softmax,
    &es_op_average_pool_2d,
    &es_op_max_pool_2d,
    &es_op_reshape,
    &es_op_mean,
    &es_op_relu,
    &es_op_relu6,
    &es_op_relu_n1_to_1,
    &es_op_leaky_relu,
    &es_op_prelu,
    &es_op_logistic,
    &es_op_tanh,
    &es_op_hard_swish,
    &es_op_concatenation,
    &es_op_pad,
    &es_op_padv2,
    &es_op_strided_slice,
    &es_op_slice,
    &es_op_squeeze,
    &es_op_expand_dims,
    &es_op_transpose,
    &es_op_split,
    &es_op_split_v,
    &es_op_pack,
    &es_op_unpack,
    &es_op_gather,
};

const es_op_set es_all_ops = {k_all_ops, (int32_t)(sizeof k_all_ops / sizeof k_all_ops[0])};
