/* MUL, int8 or float32, with TFLM's broadcasting and fused activation.
 *
 * int8 is TFLM's reference MulElementwise: the product of the offset inputs
 * rescaled by input1_scale * input2_scale / output_scale (double, any
 * shift), plus the output zero point, clamped.  Float: clamp(a * b).
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_ACTIVATION = 0 };

es_status es_mul_s8_params(float scale1, int32_t zp1, float scale2, int32_t zp2, float out_scale, int32_t out_zp,
                           int32_t activation, es_mul_params *p) {
  p->input1_offset = -zp1;
  p->input2_offset = -zp2;
  p->output_offset = out_zp;
  const es_status st =
      es_quantize_multiplier((double)scale1 * (double)scale2 / (double)out_scale, &p->output_mult);
  if (st != ES_OK) return st;
  return es_activation_range_int8(activation, out_scale, out_zp, &p->activation.min, &p->activation.max);
}

static void mul_row_s8(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                       int32_t n) {
  const es_mul_params p = *(const es_mul_params *)params;
  const int8_t *a = (const int8_t *)a_, *b = (const int8_t *)b_;
  int8_t *out = (int8_t *)out_;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t product = (a[i * sa] + p.input1_offset) * (b[i * sb] + p.input2_offset);
    int32_t v = es_multiply_by_quantized_multiplier(product, p.output_mult.multiplier, p.output_mult.shift) +
                p.output_offset;
    v = v < p.activation.min ? p.activation.min : v;
    out[i] = (int8_t)(v > p.activation.max ? p.activation.max : v);
  }
}

static void mul_row_f32(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_,
                        int32_t n) {
  const es_range_f32 r = *(const es_range_f32 *)params;
  const float *a = (const float *)a_, *b = (const float *)b_;
  float *out = (float *)out_;
  for (int32_t i = 0; i < n; ++i) out[i] = es_clamp_f32(a[i * sa] * b[i * sb], r.min, r.max);
}

es_status es_mul_s8(const es_mul_params *params, const es_broadcast *bc, const int8_t *in1, const int8_t *in2,
                    int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, mul_row_s8, params, in1, in2, out);
  return ES_OK;
}

es_status es_mul_f32(const es_range_f32 *activation, const es_broadcast *bc, const float *in1, const float *in2,
                     float *out) {
  es_op_broadcast_rows(bc, 4, 4, mul_row_f32, activation, in1, in2, out);
  return ES_OK;
}

typedef struct mul_op_data {
  es_binary_op_data base;
  es_mul_params s8;
} mul_op_data;

static const es_binary_messages k_messages = {
    "MUL: expects two inputs and one output",
    "MUL: inputs and output must all be int8 or all float32",
    "MUL: input shapes do not broadcast to the output shape",
    "MUL: int8 inputs and output need one positive scale and zero point",
    "MUL: arena too small for op data",
};

static es_status mul_prepare(es_op_context *ctx) {
  es_binary_op_data *base = 0;
  es_status st = es_op_prepare_binary(ctx, &k_messages, sizeof(mul_op_data), OPT_ACTIVATION, &base);
  if (st != ES_OK || base->is_float) return st;
  const es_tensor *in1 = es_op_input(ctx, 0), *in2 = es_op_input(ctx, 1), *out = es_op_output(ctx, 0);
  st = es_mul_s8_params(in1->quant.scale, in1->quant.zero_point, in2->quant.scale, in2->quant.zero_point,
                        out->quant.scale, out->quant.zero_point, base->activation, &((mul_op_data *)base)->s8);
  if (st == ES_ERR_UNSUPPORTED) return es_op_fail(ctx, st, "MUL: unsupported fused activation");
  if (st != ES_OK) return es_op_fail(ctx, st, "MUL: input/output scales give an unusable multiplier");
  return ES_OK;
}

static es_status mul_invoke(es_op_context *ctx) {
  const mul_op_data *d = (const mul_op_data *)es_op_data(ctx);
  const void *in1 = es_op_input(ctx, 0)->data, *in2 = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->base.is_float)
    return es_mul_f32(&d->base.activation_f32, &d->base.bc, (const float *)in1, (const float *)in2, (float *)out);
  return es_mul_s8(&d->s8, &d->base.bc, (const int8_t *)in1, (const int8_t *)in2, (int8_t *)out);
}

const es_op es_op_mul = {
    18 /* MUL */, "MUL", 2 /* v1 float, v2 int8 */, 0u, mul_prepare, mul_invoke,
};
