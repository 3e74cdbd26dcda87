/* Activation kernels: RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU,
 * LOGISTIC, TANH, HARD_SWISH, in int8 and float32, bit-exact with TFLite
 * Micro's reference kernels (the arithmetic of each is described in its
 * ops/<op>.c).  Elementwise kernels take the element count; PRELU takes the
 * shapes because its alpha broadcasts against the input.
 */
#ifndef EDGESIM_NN_ACTIVATION_H
#define EDGESIM_NN_ACTIVATION_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

/* RELU / RELU_N1_TO_1 int8: requantize (input - input_offset) to the output
 * scale, add the output zero point, clamp to `clamp`. */
typedef struct es_relu_params {
  int32_t input_offset;  /* input zero point */
  es_requant output;     /* input_scale / output_scale and output zero point */
  es_range_i32 clamp;    /* the activation's range on the output scale */
} es_relu_params;

es_status es_relu_s8(const es_relu_params *params, int32_t size, const int8_t *input, int8_t *output);
/* RELU6 int8 (TFLM requires no rescaling): clamp to `range` on the input scale. */
es_status es_relu_clamp_s8(const es_range_i32 *range, int32_t size, const int8_t *input, int8_t *output);
/* RELU, RELU6, RELU_N1_TO_1 float: v > max ? max : v < min ? min : v. */
es_status es_relu_clamp_f32(const es_range_f32 *range, int32_t size, const float *input, float *output);

/* LEAKY_RELU int8: identity or alpha branch, each its own multiplier. */
typedef struct es_leaky_relu_params {
  int32_t input_offset;
  int32_t output_offset;
  es_qmul identity;      /* input_scale / output_scale */
  es_qmul alpha;         /* |input_scale * alpha / output_scale| */
  int32_t alpha_negative;
} es_leaky_relu_params;

es_status es_leaky_relu_s8(const es_leaky_relu_params *params, int32_t size, const int8_t *input, int8_t *output);
es_status es_leaky_relu_f32(float alpha, int32_t size, const float *input, float *output);

/* PRELU: out = x >= 0 ? x : x * alpha, alpha broadcast against x (shapes of
 * rank <= 4, aligned at the innermost dimension; each dimension of input
 * and alpha equals the output's or is 1). */
typedef struct es_prelu_params {
  int32_t input_offset;  /* minus the input zero point, as TFLM stores it */
  int32_t alpha_offset;  /* minus the alpha zero point */
  int32_t output_offset; /* output zero point */
  es_qmul identity;      /* input_scale / output_scale */
  es_qmul alpha;         /* input_scale * alpha_scale / output_scale */
} es_prelu_params;

es_status es_prelu_s8(const es_prelu_params *params, const es_shape *input_shape, const int8_t *input,
                      const es_shape *alpha_shape, const int8_t *alpha, const es_shape *output_shape,
                      int8_t *output);
es_status es_prelu_f32(const es_shape *input_shape, const float *input, const es_shape *alpha_shape,
                       const float *alpha, const es_shape *output_shape, float *output);

/* LOGISTIC and TANH int8: the input rescaled to Q4.27 by `input` (a left
 * shift in [0, 31]); inputs at or beyond +-range_radius saturate. */
typedef struct es_sigmoid_params {
  int32_t input_offset;
  int32_t range_radius;
  es_qmul input;
} es_sigmoid_params;

es_status es_logistic_s8(const es_sigmoid_params *params, int32_t size, const int8_t *input, int8_t *output);
es_status es_logistic_f32(int32_t size, const float *input, float *output);
es_status es_tanh_s8(const es_sigmoid_params *params, int32_t size, const int8_t *input, int8_t *output);
es_status es_tanh_f32(int32_t size, const float *input, float *output);

/* HARD_SWISH int8: TFLM's 16-bit fixed-point evaluation. */
typedef struct es_hard_swish_params {
  int32_t input_offset;
  int32_t output_offset;
  int16_t output_multiplier;   /* hires_input_scale / output_scale, Q0.15 */
  int16_t reluish_multiplier;  /* hires_input_scale / (3 / 32768), Q0.15 */
  int32_t output_exponent;     /* <= 0 */
  int32_t reluish_exponent;
} es_hard_swish_params;

es_status es_hard_swish_s8(const es_hard_swish_params *params, int32_t size, const int8_t *input, int8_t *output);
es_status es_hard_swish_f32(int32_t size, const float *input, float *output);

#endif /* EDGESIM_NN_ACTIVATION_H */
