/* ADD, int8 or float32, with TFLM's broadcasting and fused activation.
 *
 * int8 is TFLM's reference AddFunc (see edgesim/nn_elementwise.h): both
 * inputs shifted left by 20 and rescaled to twice the larger input scale,
 * added, rescaled to the output.  Multipliers come from
 * CalculateOpDataAdd(), in double.  Float: clamp(a + b).
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

es_status es_add_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_add_params *p) {
  p->input1_offset = -zp1;
  p->input2_offset = -zp2;
  p->output_offset = out_zp;
  p->left_shift = 20;
  const double twice_max_input_scale = 2 * (double)(scale1 > scale2 ? scale1 : scale2);
  es_status st = es_quantize_multiplier_smaller_than_one((double)scale1 / twice_max_input_scale, &p->input1_mult);
  if (st == ES_OK) st = es_quantize_multiplier_smaller_than_one((double)scale2 / twice_max_input_scale, &p->input2_mult);
  if (st == ES_OK)
    st = es_quantize_multiplier_smaller_than_one(twice_max_input_scale / ((1 << p->left_shift) * (double)out_scale), &p->output_mult);
  if (st != ES_OK) return st;
  return es_activation_range_int8(activation, out_scale, out_zp, &p->activation.min, &p->activation.max);
}

static void add_row_s8(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                       int32_t n) {
  const es_add_params p = *(const es_add_params *)params;
  const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
  int8_t *out = (int8_t *)out_;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x1 = es_op_scaled_input(a[i * sa], p.input1_offset, p.left_shift, p.input1_mult);
    const int32_t x2 = es_op_scaled_input(b[i * sb], p.input2_offset, p.left_shift, p.input2_mult);
    const int32_t raw_sum = (int32_t)((uint32_t)x1 + (uint32_t)x2);
    int32_t v = es_multiply_by_quantized_multiplier(raw_sum, p.output_mult.multiplier, p.output_mult.shift) +
                p.output_offset;
    v = v < p.activation.min ? p.activation.min : v;
    out[i] = (int8_t)(v > p.activation.max ? p.activation.max : v);
  }
}

static void add_row_f32(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                        int32_t n) {
  const es_range_f32 r = *(const es_range_f32 *)params;
  const float *a = (const float *)a_, *b = (const float *)b_;
  float *out = (float *)out_;
  for (int32_t i = 0; i < n; ++i) out[i] = es_clamp_f32(a[i * sa] + b[i * sb], r.min, r.max);
}

es_status es_add_s8(const es_add_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, add_row_s8, params, in1, in2, out);
  return ES_OK;
}

es_status es_add_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out) {
  es_op_broadcast_rows(bc, 4, 4, add_row_f32, activation, in1, in2, out);
  return ES_OK;
}

static const es_add_sub_op k_add = {
    {
        "ADD: expects two inputs and one output",
        "ADD: inputs and output must all be int8 or all float32",
        "ADD: input shapes do not broadcast to the output shape",
        "ADD: int8 inputs and output need one positive scale and zero point",
        "ADD: arena too small for op data",
    },
    "ADD: unsupported fused activation",
    "ADD: input/output scales give a multiplier outside (0, 1)",
    es_add_s8_params,
    es_add_s8,
    es_add_f32,
};

static es_status add_prepare(es_op_context *ctx) { return es_op_prepare_add_sub(ctx, &k_add); }

static es_status add_invoke(es_op_context *ctx) { return es_op_invoke_add_sub(ctx, &k_add); }

const es_op es_op_add = {
    0 /* ADD */, "ADD", 2 /* v1 float, v2 int8 */, 0u, add_prepare, add_invoke,
};
