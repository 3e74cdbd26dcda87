/* Convolution-family kernels: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
 * AVERAGE/MAX_POOL_2D, SOFTMAX, MEAN, RESHAPE.
 *
 * Pure functions in the manner of CMSIS-NN (see edgesim/kernel_types.h): a
 * params struct (filled once, e.g. by the op's prepare() in ops/<op>.c),
 * dims and plain arrays; no tensors, no op context.  Shapes are NHWC for
 * activations, OHWI for conv filters ([out_c, h, w, in_c / groups]),
 * 1HWC for depthwise filters.  The caller guarantees the geometry is
 * consistent (prepare() checks it); a kernel only returns ES_ERR_ARGUMENT
 * for dims it cannot handle at all.
 *
 * Arithmetic is that of TFLite Micro's reference kernels, bit for bit, for
 * int8 (_s8) and float32 (_f32).  Float kernels accumulate in TFLM's order
 * and are compiled with -ffp-contract=off (no fused multiply-add).
 */
#ifndef EDGESIM_NN_CONV_H
#define EDGESIM_NN_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/quant.h"
#include "edgesim/status.h"

/* --- CONV_2D --------------------------------------------------------------
 * int8: acc[c] = bias[c] + sum over taps inside the image of
 *       filter[c][ky][kx][i] * (input[iy][ix][i] + input_offset);
 *       out = clamp(requant_c(acc) + output_offset).  Grouped when
 *       in_dims->c is a multiple (> 1) of filter_dims->c. */
typedef struct es_conv_params {
  es_tile tile;
  int32_t input_offset;  /* -input zero point */
  int32_t output_offset; /* output zero point */
  es_range_i32 activation;
  es_channel_requant requant; /* one entry per output channel (or one shared) */
} es_conv_params;

/* Scratch bytes es_conv_s8 needs (8-byte aligned memory). */
size_t es_conv_s8_scratch_size(const es_dims *in_dims, const es_dims *filter_dims);
es_status es_conv_s8(const es_conv_params *params, const es_dims *in_dims, const int8_t *input,
                     const es_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                     const es_dims *out_dims, int8_t *output, void *scratch);

/* Float conv/depthwise/FC/pools: geometry and fused-activation clamp. */
typedef struct es_conv_f32_params {
  es_tile tile;
  es_range_f32 activation;
} es_conv_f32_params;

es_status es_conv_f32(const es_conv_f32_params *params, const es_dims *in_dims, const float *input,
                      const es_dims *filter_dims, const float *filter, const float *bias,
                      const es_dims *out_dims, float *output);

/* --- DEPTHWISE_CONV_2D ----------------------------------------------------
 * Output channel c = i * depth_multiplier + m reads input channel i. */
typedef struct es_depthwise_conv_params {
  es_tile tile;
  int32_t depth_multiplier;
  int32_t input_offset;
  int32_t output_offset;
  es_range_i32 activation;
  es_channel_requant requant;
} es_depthwise_conv_params;

size_t es_depthwise_conv_s8_scratch_size(const es_dims *filter_dims);
es_status es_depthwise_conv_s8(const es_depthwise_conv_params *params, const es_dims *in_dims, const int8_t *input,
                               const es_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                               const es_dims *out_dims, int8_t *output, void *scratch);

typedef struct es_depthwise_conv_f32_params {
  es_tile tile;
  int32_t depth_multiplier;
  es_range_f32 activation;
} es_depthwise_conv_f32_params;

es_status es_depthwise_conv_f32(const es_depthwise_conv_f32_params *params, const es_dims *in_dims,
                                const float *input, const es_dims *filter_dims, const float *filter,
                                const float *bias, const es_dims *out_dims, float *output);

/* --- FULLY_CONNECTED ------------------------------------------------------
 * in_dims: n = batches, c = depth (h = w = 1); filter_dims: n = rows
 * (outputs), c = depth; out_dims: n = batches, c = rows.
 *   acc[b][o] = bias[o] + sum_d (filter[o][d] + filter_offset) * (input[b][d] + input_offset) */
typedef struct es_fully_connected_params {
  int32_t input_offset;
  int32_t filter_offset; /* -filter zero point (per-tensor weights; 0 per channel) */
  int32_t output_offset;
  es_range_i32 activation;
  es_channel_requant requant;
} es_fully_connected_params;

es_status es_fully_connected_s8(const es_fully_connected_params *params, const es_dims *in_dims, const int8_t *input,
                                const es_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                const es_dims *out_dims, int8_t *output);

typedef struct es_fully_connected_f32_params {
  es_range_f32 activation;
} es_fully_connected_f32_params;

es_status es_fully_connected_f32(const es_fully_connected_f32_params *params, const es_dims *in_dims,
                                 const float *input, const es_dims *filter_dims, const float *filter,
                                 const float *bias, const es_dims *out_dims, float *output);

/* --- AVERAGE_POOL_2D / MAX_POOL_2D ----------------------------------------
 * Windows clipped to the image (padding neither sums nor counts).  int8:
 * input and output share quantization; average rounds half away from zero. */
typedef struct es_pool_params {
  int32_t stride_w, stride_h, filter_w, filter_h, pad_w, pad_h;
  int32_t act_min, act_max;
} es_pool_params;

typedef struct es_pool_f32_params {
  int32_t stride_w, stride_h, filter_w, filter_h, pad_w, pad_h;
  es_range_f32 activation;
} es_pool_f32_params;

size_t es_avgpool_s8_scratch_size(const es_dims *in_dims);
es_status es_avgpool_s8(const es_pool_params *params, const es_dims *in_dims, const int8_t *input,
                        const es_dims *out_dims, int8_t *output, void *scratch);
es_status es_maxpool_s8(const es_pool_params *params, const es_dims *in_dims, const int8_t *input,
                        const es_dims *out_dims, int8_t *output);
es_status es_avgpool_f32(const es_pool_f32_params *params, const es_dims *in_dims, const float *input,
                         const es_dims *out_dims, float *output);
es_status es_maxpool_f32(const es_pool_f32_params *params, const es_dims *in_dims, const float *input,
                         const es_dims *out_dims, float *output);

/* --- SOFTMAX (over the last dimension; rows x depth values) ----------------
 * int8 -> int8, output scale 1/256 and zero point -128 (gemmlowp fixed point). */
typedef struct es_softmax_params {
  int32_t beta_multiplier;
  int32_t beta_left_shift;
  int32_t diff_min;
} es_softmax_params;

/* PreprocessSoftmaxScaling / CalculateInputRadius for beta * input_scale. */
es_status es_softmax_s8_params(double beta, float input_scale, es_softmax_params *params);
es_status es_softmax_s8(const es_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                        int8_t *output);
/* TFLM's float SoftmaxParams: exp((x - max) * beta) / sum. */
es_status es_softmax_f32(float beta, int32_t rows, int32_t depth, const float *input, float *output);

/* --- MEAN over a set of axes ------------------------------------------------
 * The input is walked in memory order; out_stride[i] is the output index step
 * per step of input dimension i (0 when reduced). */
typedef struct es_mean_params {
  int32_t multiplier; /* int8: input/output scale ratio with 1/n folded in */
  int32_t shift;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t reduced_count; /* n */
  int32_t outputs;
  es_shape in_shape;
  int32_t out_stride[ES_MAX_DIMS];
} es_mean_params;

size_t es_mean_scratch_size(const es_mean_params *params);
es_status es_mean_s8(const es_mean_params *params, const int8_t *input, int8_t *output, void *scratch);
es_status es_mean_f32(const es_mean_params *params, const float *input, float *output, void *scratch);

/* --- RESHAPE: the bytes unchanged (input and output may be the same memory) */
void es_reshape(const void *input, void *output, size_t bytes);

#endif /* EDGESIM_NN_CONV_H */
