/* MAXIMUM and MINIMUM, int8 or float32, with TFLM's broadcasting.
 *
 * TFLM compares the raw values (el1 > el2 ? el1 : el2, el1 < el2 ? ...),
 * ignoring quantization, so int8 tensors may have any quantization here too.
 */
#include "edgesim/nn_elementwise.h"
#include "edgesim/op.h"
#include "op_common.h"

#define DEFINE_ROW(name, type, cmp)                                                                        \
  static void name(const void *params, const void *a_, int32_t sa, const void *b_, int32_t sb, void *out_, \
                   int32_t n) {                                                                           \
    (void)params;                                                                                         \
    const type *a = (const type *)a_, *b = (const type *)b_;                                              \
    type *out = (type *)out_;                                                                             \
    for (int32_t i = 0; i < n; ++i) {                                                                     \
      const type x = a[i * sa], y = b[i * sb];                                                            \
      out[i] = x cmp y ? x : y;                                                                           \
    }                                                                                                     \
  }

DEFINE_ROW(maximum_row_s8, int8_t, >)
DEFINE_ROW(minimum_row_s8, int8_t, <)
DEFINE_ROW(maximum_row_f32, float, >)
DEFINE_ROW(minimum_row_f32, float, <)

es_status es_maximum_s8(const es_broadcast *bc, const int8_t *in1, const int8_t *in2, int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, maximum_row_s8, 0, in1, in2, out);
  return ES_OK;
}

es_status es_minimum_s8(const es_broadcast *bc, const int8_t *in1, const int8_t *in2, int8_t *out) {
  es_op_broadcast_rows(bc, 1, 1, minimum_row_s8, 0, in1, in2, out);
  return ES_OK;
}

es_status es_maximum_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out) {
  es_op_broadcast_rows(bc, 4, 4, maximum_row_f32, 0, in1, in2, out);
  return ES_OK;
}

es_status es_minimum_f32(const es_broadcast *bc, const float *in1, const float *in2, float *out) {
  es_op_broadcast_rows(bc, 4, 4, minimum_row_f32, 0, in1, in2, out);
  return ES_OK;
}

static const es_binary_messages k_maximum_messages = {
    "MAXIMUM: expects two inputs and one output",
    "MAXIMUM: inputs and output must all be int8 or all float32",
    "MAXIMUM: input shapes do not broadcast to the output shape",
    0,
    "MAXIMUM: arena too small for op data",
};

static const es_binary_messages k_minimum_messages = {
    "MINIMUM: expects two inputs and one output",
    "MINIMUM: inputs and output must all be int8 or all float32",
    "MINIMUM: input shapes do not broadcast to the output shape",
    0,
    "MINIMUM: arena too small for op data",
};

static es_status maximum_prepare(es_op_context *ctx) {
  es_binary_op_data *d = 0;
  return es_op_prepare_binary(ctx, &k_maximum_messages, sizeof(es_binary_op_data), -1, &d);
}

static es_status minimum_prepare(es_op_context *ctx) {
  es_binary_op_data *d = 0;
  return es_op_prepare_binary(ctx, &k_minimum_messages, sizeof(es_binary_op_data), -1, &d);
}

static es_status maximum_invoke(es_op_context *ctx) {
  const es_binary_op_data *d = (const es_binary_op_data *)es_op_data(ctx);
  const void *in1 = es_op_input(ctx, 0)->data, *in2 = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->is_float) return es_maximum_f32(&d->bc, (const float *)in1, (const float *)in2, (float *)out);
  return es_maximum_s8(&d->bc, (const int8_t *)in1, (const int8_t *)in2, (int8_t *)out);
}

static es_status minimum_invoke(es_op_context *ctx) {
  const es_binary_op_data *d = (const es_binary_op_data *)es_op_data(ctx);
  const void *in1 = es_op_input(ctx, 0)->data, *in2 = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->is_float) return es_minimum_f32(&d->bc, (const float *)in1, (const float *)in2, (float *)out);
  return es_minimum_s8(&d->bc, (const int8_t *)in1, (const int8_t *)in2, (int8_t *)out);
}

const es_op es_op_maximum = {
    55 /* MAXIMUM */, "MAXIMUM", 2 /* v1 float, v2 int8 */, 0u, maximum_prepare, maximum_invoke,
};

const es_op es_op_minimum = {
    57 /* MINIMUM */, "MINIMUM", 2 /* v1 float, v2 int8 */, 0u, minimum_prepare, minimum_invoke,
};
