/* Elementwise kernels: ADD, SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE
 * (two inputs, broadcast as TFLM does), QUANTIZE and DEQUANTIZE.
 *
 * Pure functions in the manner of CMSIS-NN (see edgesim/kernel_types.h): a
 * params struct, a broadcast geometry, plain arrays.  The params helpers
 * (es_<op>_s8_params) compute the fixed-point parameters exactly as TFLM's
 * Prepare does, in the same float or double arithmetic, so prepare() in
 * ops/<op>.c and tests share one formula.
 *
 * Arithmetic is TFLite Micro's reference kernels, bit for bit:
 *   ADD/SUB int8:  x' = MBQM((x + in_offset) << 20, in_mult)   (both inputs)
 *                  out = clamp(MBQM(x1' +/- x2', out_mult) + out_offset)
 *   MUL int8:      out = clamp(MBQM((x1 + o1) * (x2 + o2), out_mult) + out_offset)
 *   SQUARED_DIFFERENCE int8: as ADD with left shift 7, the difference squared
 *   MAXIMUM/MINIMUM: on the raw values (no rescaling, as TFLM)
 *   float:         out = clamp(x1 op x2)  (TFLM ActivationFunctionWithMinMax)
 * with MBQM = es_multiply_by_quantized_multiplier (quant.h).
 */
#ifndef EDGESIM_NN_ELEMENTWISE_H
#define EDGESIM_NN_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/quant.h"
#include "edgesim/status.h"

/* --- Broadcasting ----------------------------------------------------------
 * Both inputs' shapes are right-aligned with the output's (missing leading
 * dimensions are 1); each input dimension equals the output's or is 1
 * (repeated), and each output dimension is the larger of the two inputs'.  es_broadcast_init() also fuses adjacent dimensions that walk
 * memory alike, so equal shapes become one row of `elements` values. */
typedef struct es_broadcast {
  int32_t rank;                 /* >= 1 after fusing */
  int32_t out[ES_MAX_DIMS];     /* output extents, outermost first */
  int32_t step1[ES_MAX_DIMS];   /* input 1 element stride per output step (0: repeated) */
  int32_t step2[ES_MAX_DIMS];
  int32_t elements;             /* output elements */
} es_broadcast;

/* ES_ERR_SHAPE when an input dimension is neither 1 nor the output's, or a
 * rank exceeds ES_MAX_DIMS. */
es_status es_broadcast_init(const es_shape *in1, const es_shape *in2, const es_shape *out, es_broadcast *bc);

/* --- ADD / SUB ------------------------------------------------------------- */
typedef struct es_add_params {
  int32_t input1_offset, input2_offset; /* -zero points */
  int32_t output_offset;                /* output zero point */
  int32_t left_shift;                   /* 20 for int8 */
  es_qmul input1_mult, input2_mult, output_mult;
  es_range_i32 activation;
} es_add_params;

/* Quantization of both inputs and the output (scale, zero point), fused
 * activation code.  ADD computes the multipliers in double, SUB in float (as
 * their TFLM Prepare functions do).  ES_ERR_QUANTIZATION when TFLM would
 * reject the scales (a multiplier outside (0, 1)). */
es_status es_add_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_add_params *params);
es_status es_sub_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_add_params *params);

es_status es_add_s8(const es_add_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out);
es_status es_sub_s8(const es_add_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out);
es_status es_add_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out);
es_status es_sub_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out);

/* --- MUL ------------------------------------------------------------------- */
typedef struct es_mul_params {
  int32_t input1_offset, input2_offset, output_offset;
  es_qmul output_mult; /* scale1 * scale2 / out_scale (double) */
  es_range_i32 activation;
} es_mul_params;

es_status es_mul_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_mul_params *params);
es_status es_mul_s8(const es_mul_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out);
es_status es_mul_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out);

/* --- MAXIMUM / MINIMUM ----------------------------------------------------- */
es_status es_maximum_s8(const es_broadcast *bc, const int8_t *in1, const int8_t *in2, int8_t *out);
es_status es_minimum_s8(const es_broadcast *bc, const int8_t *in1, const int8_t *in2, int8_t *out);
es_status es_maximum_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out);
es_status es_minimum_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out);

/* --- SQUARED_DIFFERENCE (no fused activation; clamp to int8) --------------- */
typedef struct es_squared_difference_params {
  int32_t input1_offset, input2_offset, output_offset;
  int32_t left_shift; /* 7 for int8 */
  es_qmul input1_mult, input2_mult, output_mult;
} es_squared_difference_params;

es_status es_squared_difference_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale,
                                          int32_t out_zp, es_squared_difference_params *params);
es_status es_squared_difference_s8(const es_squared_difference_params *params, const es_broadcast *bc,
                                   const int8_t *in1, const int8_t *in2, int8_t *out);
es_status es_squared_difference_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out);

/* --- QUANTIZE / DEQUANTIZE (n values, no broadcasting) ----------------------
 * float -> int8: clamp(round_half_away(x / scale) + zero_point) (TFLM
 * AffineQuantize; a quotient beyond int32 converts as on x86-64, to INT32_MIN).
 * int8 -> int8:  clamp(MBQM(x - in_zp, in_scale / out_scale) + out_zp) (Requantize).
 * int8 -> float: scale * (x - zero_point), rounded once to float (Dequantize). */
typedef struct es_affine_params {
  float scale;
  int32_t zero_point;
} es_affine_params;

typedef struct es_requantize_params {
  es_qmul mult;
  int32_t input_zero_point, output_zero_point;
} es_requantize_params;

es_status es_quantize_f32_s8(const es_affine_params *params, int32_t n, const float *in, int8_t *out);
es_status es_requantize_s8_params(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                  es_requantize_params *params);
es_status es_requantize_s8(const es_requantize_params *params, int32_t n, const int8_t *in, int8_t *out);
es_status es_dequantize_s8_f32(const es_affine_params *params, int32_t n, const int8_t *in, float *out);

#endif /* EDGESIM_NN_ELEMENTWISE_H */
