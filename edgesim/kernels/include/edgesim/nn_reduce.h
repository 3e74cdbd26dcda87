/* Reductions: REDUCE_MAX and SUM over any set of axes, and
 * L2_NORMALIZATION over the innermost axis, int8 and float32, bit-exact
 * with TFLite Micro's reference kernels. */
#ifndef EDGESIM_NN_REDUCE_H
#define EDGESIM_NN_REDUCE_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

/* The input (shape `dims`, rank `rank`) is walked in memory order; input
 * position i contributes to output element sum_d index_d * out_stride[d]
 * (out_stride[d] = 0 along reduced axes). */
typedef struct es_reduce_params {
  int32_t rank;
  int32_t dims[ES_MAX_DIMS];
  int32_t out_stride[ES_MAX_DIMS];
  int32_t outputs;             /* output elements */
  int32_t reduced_count;       /* input elements per output */
  int32_t input_offset;        /* SUM int8: input zero point */
  es_requant output;           /* SUM int8: input_scale / output_scale, output zero point */
} es_reduce_params;

/* REDUCE_MAX; TFLM starts from the type's lowest value (-FLT_MAX, -128). */
es_status es_reduce_max_s8(const es_reduce_params *params, const int8_t *input, int8_t *output);
es_status es_reduce_max_f32(const es_reduce_params *params, const float *input, float *output);
/* SUM; int8 accumulates int32 sums in `scratch` (params->outputs entries). */
es_status es_reduce_sum_s8(const es_reduce_params *params, const int8_t *input, int32_t *scratch, int8_t *output);
es_status es_reduce_sum_f32(const es_reduce_params *params, const float *input, float *output);

/* L2_NORMALIZATION over rows of `depth` values; int8 output is Q0.7
 * (scale 1/128, zero point 0, as TFLM assumes). */
es_status es_l2_normalization_s8(int32_t input_offset, int32_t rows, int32_t depth, const int8_t *input,
                                 int8_t *output);
es_status es_l2_normalization_f32(int32_t rows, int32_t depth, const float *input, float *output);

#endif /* EDGESIM_NN_REDUCE_H */
