/* SUB, int8 or float32, with TFLM's broadcasting and fused activation.
 *
 * int8 is TFLM's reference quantized Sub: ADD's arithmetic (left shift 20,
 * both inputs rescaled to twice the larger input scale) with a difference,
 * but CalculateOpDataSub() computes the multipliers in float before
 * widening them to double, so they can differ from ADD's in the last bit.
 * Float: clamp(a - b).
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

es_status es_sub_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_add_params *p) {
  p->input1_offset = -zp1;
  p->input2_offset = -zp2;
  p->output_offset = out_zp;
  p->left_shift = 20;
  const float twice_max_input_scale = 2 * (scale1 > scale2 ? scale1 : scale2);
  es_status st = es_quantize_multiplier_smaller_than_one((double)(scale1 / twice_max_input_scale), &p->input1_mult);
  if (st == ES_OK)
    st = es_quantize_multiplier_smaller_than_one((double)(scale2 / twice_max_input_scale), &p->input2_mult);
  if (st == ES_OK)
    st = es_quantize_multiplier_smaller_than_one(
        (double)(twice_max_input_scale / ((float)(1 << p->left_shift) * out_scale)), &p->output_mult);
  if (st != ES_OK) return st;
  return es_activation_range_int8(activation, out_scale, out_zp, &p->activation.min, &p->activation.max);
}

static void sub_row_s8(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                       int32_t n) {
  const es_add_params p = *(const es_add_params *)params;
  const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
  int8_t *out = (int8_t *)out_;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t x1 = es_op_scaled_input(a[i * sa], p.input1_offset, p.left_shift, p.input1_mult);
    const int32_t x2 = es_op_scaled_input(b[i * sb], p.input2_offset, p.left_shift, p.input2_mult);
    const int32_t raw_sub = (int32_t)((uint32_t)x1 - (uint32_t)x2);
    int32_t v = es_multiply_by_quantized_multiplier(raw_sub, p.output_mult.multiplier, p.output_mult.shift) +
                p.output_offset;
    v = v < p.activation.min ? p.activation.min : v;
    out[i] = (int8_t)(v > p.activation.max ? p.activation.max : v);
  }
}

static void sub_row_f32(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                        int32_t n) {
  const es_range_f32 r = *(const es_range_f32 *)params;
  const float *a = (const float *)a_, *b = (const float *)b_;
  float *out = (float *)out_;
  for (int32_t i = 0; i < n; ++i) out[i] = es_clamp_f32(a[i * sa] - b[i * sb], r.min, r.max);
}

es_status es_sub_s8(const es_add_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, sub_row_s8, params, in1, in2, out);
  return ES_OK;
}

es_status es_sub_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out) {
  es_op_broadcast_rows(bc, 4, 4, sub_row_f32, activation, in1, in2, out);
  return ES_OK;
}

static const es_add_sub_op k_sub = {
    {
        "SUB: expects two inputs and one output",
        "SUB: inputs and output must all be int8 or all float32",
        "SUB: input shapes do not broadcast to the output shape",
        "SUB: int8 inputs and output need one positive scale and zero point",
        "SUB: arena too small for op data",
    },
    "SUB: unsupported fused activation",
    "SUB: input/output scales give a multiplier outside (0, 1)",
    es_sub_s8_params,
    es_sub_s8,
    es_sub_f32,
};

static es_status sub_prepare(es_op_context *ctx) { return es_op_prepare_add_sub(ctx, &k_sub); }

static es_status sub_invoke(es_op_context *ctx) { return es_op_invoke_add_sub(ctx, &k_sub); }

const es_op es_op_sub = {
    41 /* SUB */, "SUB", 2 /* v1 float, v2 int8 */, 0u, sub_prepare, sub_invoke,
};
