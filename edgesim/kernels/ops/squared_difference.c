/* SQUARED_DIFFERENCE, int8 or float32, with TFLM's broadcasting.
 *
 * int8 is TFLM's reference: both offset inputs shifted left by 7 and
 * rescaled to twice the larger input scale, their difference squared and
 * rescaled by (2 * max scale)^2 / (2^14 * output scale), plus the output
 * zero point, clamped to int8 (no fused activation).  Float: (a - b)^2.
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

es_status es_squared_difference_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale,
                                          int32_t out_zp, es_squared_difference_params *p) {
  p->input1_offset = -zp1;
  p->input2_offset = -zp2;
  p->output_offset = out_zp;
  p->left_shift = 7;
  const double twice_max_input_scale = 2.0 * (double)(scale1 > scale2 ? scale1 : scale2);
  es_status st = es_quantize_multiplier_smaller_than_one((double)scale1 / twice_max_input_scale, &p->input1_mult);
  if (st == ES_OK)
    st = es_quantize_multiplier_smaller_than_one((double)scale2 / twice_max_input_scale, &p->input2_mult);
  if (st != ES_OK) return st;
  /* (1 << 14) * output scale is a float product in TFLM. */
  return es_quantize_multiplier(
      (twice_max_input_scale * twice_max_input_scale) / (double)((float)(1 << (p->left_shift * 2)) * out_scale),
      &p->output_mult);
}

static void squared_difference_row_s8(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb,
                                      void *out_, int32_t n) {
  const es_squared_difference_params p = *(const es_squared_difference_params *)params;
  const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
  int8_t *out = (int8_t *)out_;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x1 = es_op_scaled_input(a[i * sa], p.input1_offset, p.left_shift, p.input1_mult);
    const int32_t x2 = es_op_scaled_input(b[i * sb], p.input2_offset, p.left_shift, p.input2_mult);
    const int32_t diff = x1 - x2; /* |diff| < 2^15: the square fits int32 */
    int32_t v = es_multiply_by_quantized_multiplier(diff * diff, p.output_mult.multiplier, p.output_mult.shift) +
                p.output_offset;
    v = v < -128 ? -128 : v;
    out[i] = (int8_t)(v > 127 ? 127 : v);
  }
}

static void squared_difference_row_f32(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb,
                                       void *out_, int32_t n) {
  (void)params;
  const float *a = (const float *)a_, *b = (const float *)b_;
  float *out = (float *)out_;
  for (int32_t i = 0; i < n; ++i) {
    const float d = a[i * sa] - b[i * sb];
    out[i] = d * d;
  }
}

es_status es_squared_difference_s8(const es_squared_difference_params *params, const es_broadcast *bc,
                                   const int8_t *in1, const int8_t *in2, int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, squared_difference_row_s8, params, in1, in2, out);
  return ES_OK;
}

es_status es_squared_difference_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out) {
  es_op_broadcast_rows(bc, 4, 4, squared_difference_row_f32, 0, in1, in2, out);
  return ES_OK;
}

typedef struct squared_difference_op_data {
  es_binary_op_data base;
  es_squared_difference_params s8;
} squared_difference_op_data;

static const es_binary_messages k_messages = {
    "SQUARED_DIFFERENCE: expects two inputs and one output",
    "SQUARED_DIFFERENCE: inputs and output must all be int8 or all float32",
    "SQUARED_DIFFERENCE: input shapes do not broadcast to the output shape",
    "SQUARED_DIFFERENCE: int8 inputs and output need one positive scale and zero point",
    "SQUARED_DIFFERENCE: arena too small for op data",
};

static es_status squared_difference_prepare(es_op_context *ctx) {
  es_binary_op_data *base = 0;
  es_status st = es_op_prepare_binary(ctx, &k_messages, sizeof(squared_difference_op_data), -1, &base);
  if (st != ES_OK || base->is_float) return st;
  const es_tensor *in1 = es_op_input(ctx, 0), *in2 = es_op_input(ctx, 1), *out = es_op_output(ctx, 0);
  st = es_squared_difference_s8_params(in1->quant.scale, in1->quant.zero_point, in2->quant.scale,
                                       in2->quant.zero_point, out->quant.scale, out->quant.zero_point,
                                       &((squared_difference_op_data *)base)->s8);
  if (st != ES_OK) return es_op_fail(ctx, st, "SQUARED_DIFFERENCE: input/output scales give an unusable multiplier");
  return ES_OK;
}

static es_status squared_difference_invoke(es_op_context *ctx) {
  const squared_difference_op_data *d = (const squared_difference_op_data *)es_op_data(ctx);
  const void *in1 = es_op_input(ctx, 0)->data, *in2 = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->base.is_float)
    return es_squared_difference_f32(&d->base.bc, (const float *)in1, (const float *)in2, (float *)out);
  return es_squared_difference_s8(&d->s8, &d->base.bc, (const int8_t *)in1, (const int8_t *)in2, (int8_t *)out);
}

const es_op es_op_squared_difference = {
    99 /* SQUARED_DIFFERENCE */, "SQUARED_DIFFERENCE", 2 /* v1 float, v2 int8 */, 0u, squared_difference_prepare,
    squared_difference_invoke,
};
