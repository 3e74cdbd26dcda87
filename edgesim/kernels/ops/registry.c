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
    &es_op_add,
    &es_op_sub,
    &es_op_mul,
    &es_op_maximum,
    &es_op_minimum,
    &es_op_squared_difference,
    &es_op_quantize,
    &es_op_dequantize,
};

const es_op_set es_all_ops = {k_all_ops, (int32_t)(sizeof k_all_ops / sizeof k_all_ops[0])};
