/* Helpers shared by the op kernels in this folder (private to ops/).
 *
 * Geometry follows TFLM's padding.h (ComputeOutSize, ComputePadding) and the
 * requantization parameters follow PopulateConvolutionQuantizationParams():
 * one multiplier per output channel from
 *   (double)input_scale * (double)filter_scale[c] / (double)output_scale.
 * Helpers return a status; the calling op turns it into a detailed
 * es_op_fail() message naming itself.
 */
#ifndef EDGESIM_OPS_OP_COMMON_H
#define EDGESIM_OPS_OP_COMMON_H

#include <stdint.h>
#include <string.h>

#include "edgesim/nn_conv.h"
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "edgesim/tensor.h"

/* Keeps a hot loop in its own function: gcc vectorizes some reductions only
 * when they are not inlined into a larger loop nest. */
#if defined(__GNUC__)
#define ES_OP_NOINLINE __attribute__((noinline))
#else
#define ES_OP_NOINLINE
#endif

#include "edgesim/dsp_intrinsics.h"

/* Schema Padding enum. */
enum { ES_PADDING_SAME = 0, ES_PADDING_VALID = 1 };

/* Largest spatial size / filter / stride the kernels accept: keeps every
 * index product comfortably inside int32. */
#define ES_OP_MAX_SPATIAL 65535

/* Output size and leading padding of one spatial dimension. */
es_status es_op_conv_geometry(int32_t padding, int32_t in_size, int32_t filter_size, int32_t stride,
                              int32_t dilation, int32_t *out_size, int32_t *pad_before);

/* In-place placement for convolution-like kernels (es_op_allow_output_overlap).
 * For a kernel that walks the output pixels of one image (NHWC, batch 1) in
 * memory order, and reads the whole receptive field of a pixel - or of a
 * block of consecutive pixels - before writing their outputs, returns in
 * *offset the output's placement relative to the input (<= 0: output starts
 * -*offset bytes before the input, a multiple of ES_ARENA_ALIGN) such that no
 * write reaches input bytes a later pixel still reads, and 1; 0 when the
 * placement would save nothing.  Reasoning, per output row r: when the first
 * not yet processed pixel q lies in row r, writes so far end before byte
 * q * out_c <= ((r + 1) * out_w - 1) * out_c of the output, and pixels from
 * q on read input rows >= max(0, r * stride_h - pad_h) only. */
int es_op_forward_overlap(int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h, int32_t out_w, int32_t out_c,
                          int32_t stride_h, int32_t pad_h, int32_t *offset);

/* An int8 activation tensor with per-tensor affine quantization: one finite
 * positive scale and a zero point in [-128, 127]. */
int es_op_is_int8_per_tensor(const es_tensor *t);

/* --- CONV_2D and DEPTHWISE_CONV_2D: the checks and parameters their
 * prepare() share (inputs input, filter[, bias]; failures name the op). */

/* Their option field ids (schema order differs). */
typedef struct es_conv_option_ids {
  int padding, stride_w, stride_h, dilation_w, dilation_h;
} es_conv_option_ids;

/* Two or three inputs and one output, all float32 (filter and bias 4-byte
 * aligned) or int8 with an int32 bias; 4-D (else fails with `rank_detail`);
 * int8 input and output per-tensor quantized, the filter quantized.
 * *is_float tells which. */
es_status es_op_check_conv_tensors(es_op_context *ctx, const char *rank_detail, int *is_float);

/* Reads padding, strides and dilations into *tile with the padding that
 * TFLM computes for the input's and filter's height and width (dims 1 and
 * 2 of both), and checks the output's height and width. */
es_status es_op_prepare_conv_tile(es_op_context *ctx, const es_conv_option_ids *options, es_tile *tile);

/* int8: the output clamp of fused activation `activation`, the channel
 * requantization (`channels` output channels, stored in persistent memory)
 * and the input/output offsets. */
es_status es_op_prepare_conv_s8(es_op_context *ctx, int32_t activation, int32_t channels, es_range_i32 *range,
                                es_channel_requant *requant, int32_t *input_offset, int32_t *output_offset);

/* Computes and stores (in persistent memory) the requantization of `channels`
 * output channels.  filter->quant.channel_count must be 1 or `channels`.
 * Returns ES_ERR_QUANTIZATION for unusable scales, ES_ERR_ARENA_TOO_SMALL. */
es_status es_op_prepare_channel_requant(es_op_context *ctx, float input_scale, const es_tensor *filter,
                                        float output_scale, int32_t channels, es_channel_requant *out);

/* Whether a tensor's data may be read as an array of its element type: the
 * model buffer has any alignment, and a Cortex-M4 faults on unaligned float
 * loads (VLDR).  Float ops check their constant tensors in prepare(). */
static inline int es_op_is_aligned(const es_tensor *t, uintptr_t alignment) {
  return t == 0 || ((uintptr_t)t->data & (alignment - 1u)) == 0;
}

/* One axis of a pooling window: output index `o` reads input indices
 * start + [first, last), the taps of the `filter`-wide window (moved by
 * `stride`, shifted by `pad`) that fall inside the input's `in` entries. */
static inline void es_pool_window(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t in,
                                  int32_t *start, int32_t *first, int32_t *last) {
  const int32_t s = o * stride - pad;
  *start = s;
  *first = s < 0 ? -s : 0;
  *last = in - s < filter ? in - s : filter;
}

/* What a pool op's prepare() stores for invoke(). */
typedef struct es_pool_op_data {
  int is_float;
  union {
    es_pool_params s8;
    es_pool_f32_params f32;
  } u;
  es_dims in_dims, out_dims;
} es_pool_op_data;

/* Validates a Pool2DOptions op (int8 with the same quantization in and out
 * as TFLM requires, or float32; NHWC) and fills persistent op data; on
 * failure calls es_op_fail() with `op_name`-prefixed details chosen from a
 * fixed table. */
es_status es_op_prepare_pool(es_op_context *ctx, int is_average, es_pool_op_data **out);

/* The float pools' shared walk (TFLM's float AveragePool and MaxPool): per
 * output value, the window clipped to the image visited in (y, x) order;
 * average: the sum from 0.0f divided by the (float) count, max: folded
 * with std::max from the lowest float; then the activation clamp.
 * ES_ERR_ARGUMENT when an average window lies outside the image. */
es_status es_op_pool_f32(const es_pool_f32_params *p, int is_average, const es_dims *in_dims, const float *in,
                         const es_dims *out_dims, float *out);

/* Where a float convolution finds filter value i of tap (ky, kx) of output
 * channel c, and which input channels it reads:
 *   filter[c * channel_step + (ky * k_w + kx) * tap_step + i], i < depth,
 *   input channels (c / per_group) * depth + i.
 * CONV_2D (OHWI): depth = filter depth, channel_step = k_h * k_w * depth,
 * tap_step = depth; DEPTHWISE_CONV_2D (1HWC): depth 1, per_group = depth
 * multiplier, channel_step 1, tap_step = output channels. */
typedef struct es_op_conv_f32_filter {
  const float *data;
  int32_t k_h, k_w, depth, per_group, out_c;
  size_t channel_step, tap_step;
} es_op_conv_f32_filter;

/* TFLM reference_ops::Conv and DepthwiseConv (float): per output value, the
 * sum over taps inside the image in (ky, kx, i) order from 0.0f, then
 * + bias, then the activation clamp. */
void es_op_conv_f32(const es_tile *tile, const es_range_f32 *activation, const es_dims *in_dims, const float *input,
                    const es_op_conv_f32_filter *filter, const float *bias, const es_dims *out_dims, float *output);

/* Element i of an int32 array in the model buffer, which may have any
 * alignment (one unaligned-safe load on x86 and Cortex-M4). */
static inline int32_t es_op_load_i32(const int32_t *base, int32_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, sizeof v);
  return v;
}

/* Scale of channel `i` of a per-channel (or per-tensor) quantized tensor. */
static inline float es_op_channel_scale(const es_tensor *t, int32_t i) {
  return t->quant.channel_count > 1 ? es_load_f32(t->quant.channel_scales + 4 * i) : t->quant.scale;
}

/* The dims of a 4-D (NHWC or filter) tensor as an es_dims. */
static inline es_dims es_op_dims_of(const es_tensor *t) {
  const es_dims d = {t->dims[0], t->dims[1], t->dims[2], t->dims[3]};
  return d;
}

/* The shape of a tensor as an es_shape. */
static inline es_shape es_op_shape_of(const es_tensor *t) {
  es_shape s;
  s.rank = t->rank;
  for (int32_t i = 0; i < ES_MAX_DIMS; ++i) s.d[i] = i < t->rank ? t->dims[i] : 1;
  return s;
}

/* --- Two-input elementwise ops (ADD, SUB, MUL, MAXIMUM, ...) -------------
 * A kernel computes one output row of n values from inputs a and b, which
 * advance by step_a / step_b elements (0: one value repeated, or 1). */
typedef void (*es_op_row_fn)(const void *params, const void *a, int32_t step_a, const void *b, int32_t step_b,
                             void *out, int32_t n);

/* Walks the broadcast output row by row (ops/broadcast.c); in_size and
 * out_size are the element sizes in bytes. */
void es_op_broadcast_rows(const es_broadcast *bc, size_t in_size, size_t out_size, es_op_row_fn row,
                          const void *params, const void *in1, const void *in2, void *out);

/* ADD/SUB/SQUARED_DIFFERENCE input rescaling (TFLM):
 * MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset) * 2^left_shift, m). */
static inline int32_t es_op_scaled_input(int32_t x, int32_t offset, int left_shift, es_qmul m) {
  return es_multiply_by_quantized_multiplier((int32_t)((uint32_t)(x + offset) << left_shift), m.multiplier, m.shift);
}

/* The error texts of one binary op, each starting with the op's name. */
typedef struct es_binary_messages {
  const char *arity;      /* "ADD: expects two inputs and one output" */
  const char *types;      /* inputs and output must share int8 or float32 */
  const char *shape;      /* shapes do not broadcast to the output */
  const char *quant;      /* int8 tensors need one positive scale and zero point
                           * (NULL: the op ignores quantization, e.g. MAXIMUM) */
  const char *arena;      /* arena too small for op data */
} es_binary_messages;

/* What every binary op's prepare() stores first in its op data. */
typedef struct es_binary_op_data {
  int is_float;
  es_broadcast bc;
  es_range_f32 activation_f32; /* float fused activation */
  int32_t activation;          /* the fused activation code (int8 ops compute their clamp) */
} es_binary_op_data;

/* Validates two inputs and one output of one type (int8, per-tensor
 * quantized, or float32) whose shapes broadcast to the output's; allocates
 * `size` bytes (>= sizeof(es_binary_op_data)) of op data, fills its
 * es_binary_op_data head (activation from option field `activation_field`,
 * or none when -1) and sets it as the node's data. */
es_status es_op_prepare_binary(es_op_context *ctx, const es_binary_messages *messages, size_t size,
                               int activation_field, es_binary_op_data **out);

/* ADD and SUB: one op (same op data, checks and dispatch) with two kinds of
 * arithmetic.  They differ in their kernels and in how TFLM computes their
 * multipliers (ADD in double, SUB in float), so each names its own. */
typedef struct es_add_sub_op {
  es_binary_messages messages;
  const char *activation_message; /* "ADD: unsupported fused activation" */
  const char *multiplier_message; /* the scales give a multiplier outside (0, 1) */
  es_status (*s8_params)(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                         int32_t activation, es_add_params *params);
  es_status (*s8)(const es_add_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                  int8_t *out);
  es_status (*f32)(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                   float *out);
} es_add_sub_op;

/* prepare() and invoke() of ADD or SUB. */
es_status es_op_prepare_add_sub(es_op_context *ctx, const es_add_sub_op *op);
es_status es_op_invoke_add_sub(es_op_context *ctx, const es_add_sub_op *op);

#endif /* EDGESIM_OPS_OP_COMMON_H */
