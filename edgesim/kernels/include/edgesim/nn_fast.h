/* Specialized int8 kernels for build-time compiled models (edgesim/schedule.h).
 *
 * Each kernel is bit-exact with the TFLM reference kernel of its op for the
 * cases it accepts (the model compiler, edgesim/mcu/model_compiler.py, only
 * selects it for those) and takes everything from flash, prepared at build
 * time:
 *  - weights pre-packed in the layout the inner loop reads (int16 pairs for
 *    SMLAD), or (--optimize size) TFLM's own int8 weights read in place from
 *    the model, widened with SXTB16 in the loop;
 *  - bias with the input zero point folded in: sum((x - zp) * w) + b =
 *    sum(x * w) + [b - zp * sum(w)].  Windows that leave the input read the
 *    input zero point there (a zero-point-padded border), which contributes
 *    exactly the 0 that TFLM's skipped taps do;
 *  - per-channel requantization (multiplier, shift) fused into the kernel.
 * Kernels keep CMSIS-NN's shape: params and dims structs, caller memory,
 * status return; no state.
 */
#ifndef EDGESIM_NN_FAST_H
#define EDGESIM_NN_FAST_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

/* Largest kernel window (kernel_h * kernel_w, rounded up to even) of
 * es_fast_dw_1ch_s8: its int16 patch lives on the stack. */
#define ES_FAST_MAX_PATCH 256
/* Largest band (kernel_h x the columns all windows of an output row read)
 * of es_fast_dw_1ch_band_s8, int16 on the stack. */
#define ES_FAST_MAX_BAND 512
/* Largest window (kernel_h * kernel_w * input channels) of es_fast_conv_s8_*:
 * its int8 patch lives on the stack. */
#define ES_FAST_MAX_CONV_PATCH 640
/* Largest window (kernel_h * kernel_w) of es_fast_dw_pixels_s8: a pointer
 * per tap lives on the stack. */
#define ES_FAST_DW_MAX_TAPS 32
/* Largest input depth of es_fast_conv_1x1_s8_rows: two pixels widened to
 * int16 (4 * depth bytes) live on the stack, as large as the band above. */
#define ES_FAST_MAX_ROWS_DEPTH 256

/* Requantization of channel c: acc + folded bias, TFLM's
 * MultiplyByQuantizedMultiplier(multiplier, shift), + output offset, clamp.
 * The per-channel constants sit together (one LDM brings them):
 * channels[4c .. 4c+3] = folded bias, multiplier, then in the DSP modes the
 * right shift e = -shift and the rounding constant plus output offset
 * 2^(e-1) + output_offset * 2^e, in generic mode TFLM's shift and 0.  mode: ES_FAST_RQ_DSP when every
 * channel's shift is a right shift in [1, 21] with a non-zero multiplier and
 * every accumulator is below 2^30 in magnitude - then the Cortex-M4 form
 * (ADD, SMMLAR, ASR) is exactly equal (proof at
 * fast_requantize_dsp in ops/fast/fast_internal.h) - and ES_FAST_RQ_DSP_FULL
 * when moreover the clamp is the whole int8 range (one SSAT). */
#define ES_FAST_RQ_GENERIC 0
#define ES_FAST_RQ_DSP 1
#define ES_FAST_RQ_DSP_FULL 2
typedef struct es_fast_requant {
  const int32_t *channels;
  int32_t output_offset;
  int32_t act_min, act_max;
  int32_t mode;
} es_fast_requant;

/* A convolution-like operator: input and output dims (NHWC), window, and
 * packed weights whose layout belongs to the kernel. */
typedef struct es_fast_conv_params {
  es_dims input;
  es_dims output;
  int32_t kernel_h, kernel_w;
  es_tile tile;               /* strides and top/left padding; dilation 1 */
  int32_t input_zero_point;   /* value of the padded border */
  const void *weights;
  es_fast_requant requant;
} es_fast_conv_params;

/* A fully connected operator: batches x input_depth -> batches x output_depth. */
typedef struct es_fast_fc_params {
  int32_t batches, input_depth, output_depth;
  const void *weights;
  es_fast_requant requant;
} es_fast_fc_params;

/* Work memory: every kernel takes a caller-provided buffer (work,
 * work_bytes) instead of stack arrays, 4-byte aligned and at least the
 * ES_FAST_*_WORK_BYTES of its shapes (constant expressions: the model
 * compiler writes them into the schedule, whose loader has the planner place
 * the buffer in the arena as the operator's scratch, edgesim/schedule.h).  A
 * smaller one gives ES_ERR_ARENA_TOO_SMALL. */
/* es_fast_dw_1ch_s8: the int16 window patch, padded to whole tap pairs */
#define ES_FAST_DW_1CH_WORK_BYTES(kernel_h, kernel_w) (4 * (((kernel_h) * (kernel_w) + 1) / 2))
/* es_fast_dw_1ch_band_s8: kernel_h int16 rows of width ((output.w - 1) * stride_w + kernel_w) */
#define ES_FAST_DW_1CH_BAND_WORK_BYTES(kernel_h, width) (2 * (kernel_h) * (width))
/* es_fast_dw_3x3_s8: 3 int16 rows of its 128-value row capacity */
#define ES_FAST_DW_3X3_WORK_BYTES (3 * 2 * 128)
/* es_fast_dw_3x3_pixels_s8, es_fast_dw_pixels_s8: one zero-point pixel */
#define ES_FAST_DW_PIXELS_WORK_BYTES(channels) (channels)
/* es_fast_fc_s8_w16, es_fast_fc_s8_rows, es_fast_conv_1x1_s8_w16, es_fast_conv_s8_w16: one input row
 * (pixel, window zero-padded to whole quads) widened to int16 when it fits, else copied as int8 */
#define ES_FAST_ROW_WORK_BYTES(depth) (2 * (depth) < ES_FAST_MAX_CONV_PATCH ? 2 * (depth) : ES_FAST_MAX_CONV_PATCH)
/* es_fast_conv_1x1_s8_pairs, es_fast_conv_1x1_s8_rows: two pixels widened, 4 words per quad */
#define ES_FAST_PAIRS_WORK_BYTES(depth) (4 * (depth))

/* Depthwise convolution of a one-channel input with depth multiplier M
 * (output channels, M % 4 == 0) as a small convolution: per output pixel, the
 * window becomes an int16 patch, and four channels at a time take SMLAD dot
 * products with it.  weights: uint32 words, for each group of 4 channels, for
 * each tap pair j, the 4 channels' (w[2j], w[2j+1]) int16 pairs. */
es_status es_fast_dw_1ch_s8(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes);

/* 3x3 depthwise convolution, depth multiplier 1, stride 1 or 2, dilation 1,
 * computed per channel plane from int16 rows with a zero-point-padded
 * border.  weights: per channel 6 uint32 words, for kernel rows 0..2 the
 * int16 pairs (w0, w1) and (w1, w2). */
es_status es_fast_dw_3x3_s8(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes);

/* 3x3 depthwise convolution, depth multiplier 1, channels % 4 == 0 (at most
 * ES_FAST_MAX_CONV_PATCH), any stride and padding, in pixel order with 4
 * channels per step.  weights: per group of 4 channels, per tap (ky, kx),
 * 2 uint32 words: int16 pairs (w_c0, w_c2) and (w_c1, w_c3); in the DSP
 * requantization modes the weights and the table's folded biases are
 * doubled (2w, 2 * bias: the requantization's doubling done in advance). */
es_status es_fast_dw_3x3_pixels_s8(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                                   void *work, size_t work_bytes);

/* The same for any window of at most ES_FAST_DW_MAX_TAPS taps (e.g. the
 * kh x 1 depthwise of 1-D models); weights per group of 4 channels, per tap
 * (ky, kx) in that order, the same 2 words. */
es_status es_fast_dw_pixels_s8(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                               void *work, size_t work_bytes);

/* es_fast_dw_1ch_s8's operator for kernel_w 8 or 4 (a narrower kernel zero-padded to 4 columns)
 * over a band of widened input rows shared by a whole output row (kernel_h x
 * ((output.w - 1) * stride_w + kernel_w) int16, at most ES_FAST_MAX_BAND).  weights: uint32 words, for each group of 4
 * channels, for each tap pair j in natural order (ky, kx), the 4 channels'
 * (w[2j], w[2j+1]) int16 pairs, doubled with the folded biases in the DSP
 * modes as for es_fast_dw_3x3_pixels_s8. */
es_status es_fast_dw_1ch_band_s8(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                                 void *work, size_t work_bytes);

/* Fully connected with SMLAD over 4 output rows.  Weights, per block of 4
 * rows (a last partial block is padded with zero rows), per 4 input columns
 * 8 uint32 words, row r's (w[k], w[k+2]) then (w[k+1], w[k+3]) int16 pairs
 * (the order SXTB16 splits the input word into).  A depth tail
 * (input_depth % 4) follows each block as int8, row-major. */
es_status es_fast_fc_s8_w16(const es_fast_fc_params *params, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes);

/* The same reading TFLM's int8 weights as they are (rows x input_depth,
 * e.g. the model's own buffer: no second copy in flash), 4 rows at a time. */
es_status es_fast_fc_s8_rows(const es_fast_fc_params *params, const int8_t *input, int8_t *output,
                             void *work, size_t work_bytes);

/* 1x1 convolution, stride 1, no padding (a fully connected layer per pixel)
 * per pixel in 4-channel blocks; weights packed as for es_fast_fc_s8_w16
 * with output channels as rows and input channels as depth. */
es_status es_fast_conv_1x1_s8_w16(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                                  void *work, size_t work_bytes);

/* The same in tiles of 2 channels x 2 pixels, whole int8 output range only
 * (requant.mode ES_FAST_RQ_DSP_FULL); input depth a multiple of 4, at most
 * ES_FAST_MAX_ROWS_DEPTH, an even number of output channels.  Weights: per
 * pair of output channels, per 4 input columns, 4 uint32 words: the first
 * channel's (w[k], w[k+2]) and (w[k+1], w[k+3]) int16 pairs, then the
 * second's; weights and the table's folded biases doubled as for
 * es_fast_dw_3x3_pixels_s8. */
es_status es_fast_conv_1x1_s8_pairs(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                                    void *work, size_t work_bytes);

/* The same reading TFLM's int8 weights as they are (output channels x
 * input channels, e.g. the model's own buffer: no second copy in flash) in
 * tiles of 2 channels x 2 pixels; input depth a multiple of 4, at most
 * ES_FAST_MAX_ROWS_DEPTH, an even number of output channels. */
es_status es_fast_conv_1x1_s8_rows(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                                   void *work, size_t work_bytes);

/* Convolution with any window, stride and padding (dilation 1): per output
 * pixel an int8 patch of the window (kernel_h x kernel_w x input channels,
 * at most ES_FAST_MAX_CONV_PATCH bytes, zero-point border), then the 4-row
 * block dot product; weights packed as for es_fast_fc_s8_w16 with output
 * channels as rows and the window (ky, kx, c order, zero-padded to a multiple
 * of 4) as depth. */
es_status es_fast_conv_s8_w16(const es_fast_conv_params *params, const int8_t *input, int8_t *output,
                              void *work, size_t work_bytes);

#endif /* EDGESIM_NN_FAST_H */
