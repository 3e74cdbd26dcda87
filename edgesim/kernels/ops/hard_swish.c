/* HARD_SWISH, int8 and float32: x * relu6(x + 3) / 6.
 *
 * int8 arithmetic is TFLM's reference HardSwish (16-bit fixed point):
 *   hires_scale = input_scale / 128 (float)
 *   output  = QuantizeMultiplier((double)(hires_scale / output_scale)) -> Q0.15
 *             by DownScaleInt32ToInt16Multiplier; its exponent must be <= 0
 *   reluish = QuantizeMultiplier((double)(hires_scale / (3 / 32768))) -> Q0.15
 *   per value: x = (in - input_zp) * 128 (int16);
 *     pre  = SRDHM16(x, output)                 (x on the output scale)
 *     r    = x rescaled by reluish with saturating shifts, in [-1, 1] as Q0.15,
 *            then (r + 2^15) >> 1 in [0, 1]
 *     out  = RoundingDivideByPOT16(SaturatingDoublingHighMul16(r, pre), -exponent)
 *            + output_zp, clamped to int8
 * with gemmlowp's int16 helpers (their int16 wrap-arounds included).
 * float: in * min(6, max(0, in + 3)) / 6.
 */
#include "edgesim/nn_activation.h"
#include "edgesim/op.h"
#include "unary_common.h"

/* gemmlowp SaturatingRoundingDoublingHighMul(int16, int16). */
static int16_t srdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

/* TFLM SaturatingDoublingHighMul(int16, int16): truncating, no nudge. */
static int16_t sdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on int16 (exponent 0..31): the mask is the
 * int16 truncation of 2^exponent - 1, as gemmlowp's Dup<int16_t> makes it. */
static int16_t rounding_divide_by_pot16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)(((int64_t)1 << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> (exponent > 15 ? 15 : exponent)) + (remainder > threshold ? 1 : 0));
}

/* TFLM's SaturatingLeftShift(int16, amount), amount in [0, 30]. */
static int16_t saturating_left_shift16(int16_t value, int amount) {
  const int64_t v = (int64_t)value * ((int64_t)1 << amount);
  return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

es_status es_hard_swish_s8(const es_hard_swish_params *params, int32_t size, const int8_t *input, int8_t *output) {
  const int rexp = params->reluish_exponent;
  for (int32_t i = 0; i < size; ++i) {
    const int16_t hires = (int16_t)((input[i] - params->input_offset) * 128);
    const int16_t preshift_output = srdhm16(hires, params->output_multiplier);
    int16_t reluish = hires;
    if (rexp > 0) reluish = saturating_left_shift16(reluish, rexp - 1);
    reluish = srdhm16(reluish, params->reluish_multiplier);
    if (rexp > 0) reluish = saturating_left_shift16(reluish, 1);
    if (rexp < 0) reluish = rounding_divide_by_pot16(reluish, -rexp);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1);
    const int16_t preshift = sdhm16(reluish, preshift_output);
    int16_t v = rounding_divide_by_pot16(preshift, -params->output_exponent);
    v = (int16_t)(v + params->output_offset);
    output[i] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
  }
  return ES_OK;
}

es_status es_hard_swish_f32(int32_t size, const float *input, float *output) {
  for (int32_t i = 0; i < size; ++i) {
    const float in = input[i];
    const float relu6 = in + 3 > 0 ? (in + 3 < 6 ? in + 3 : 6.0f) : 0.0f;
    output[i] = in * relu6 / 6;
  }
  return ES_OK;
}

/* TFLM DownScaleInt32ToInt16Multiplier(). */
static int16_t downscale_multiplier(int32_t m) {
  if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
  return (int16_t)((m + (1 << 15)) >> 16);
}

typedef struct hard_swish_data {
  es_dtype type;
  int32_t size;
  es_hard_swish_params params;
} hard_swish_data;

static es_status hard_swish_prepare(es_op_context *ctx) {
  static const es_unary_errors errors = ES_UNARY_ERRORS("HARD_SWISH");
  int32_t size;
  es_dtype type;
  es_status st = es_op_prepare_unary(ctx, &errors, &size, &type);
  if (st != ES_OK) return st;
  hard_swish_data *d = (hard_swish_data *)es_op_alloc_persistent(ctx, sizeof(hard_swish_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, errors.arena);
  d->type = type;
  d->size = size;
  if (type == ES_INT8) {
    const es_tensor *input = es_op_input(ctx, 0);
    const es_tensor *output = es_op_output(ctx, 0);
    const float hires_input_scale = (1.0f / 128.0f) * input->quant.scale;
    es_qmul out_q, reluish_q;
    if (es_op_float_ratio_multiplier(hires_input_scale, output->quant.scale, &out_q) != ES_OK || out_q.shift > 0)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "HARD_SWISH: output scale must be at least input scale / 128");
    if (es_op_float_ratio_multiplier(hires_input_scale, 3.0f / 32768.0f, &reluish_q) != ES_OK || reluish_q.shift > 31)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "HARD_SWISH: input scale too large");
    d->params.input_offset = input->quant.zero_point;
    d->params.output_offset = output->quant.zero_point;
    d->params.output_multiplier = downscale_multiplier(out_q.multiplier);
    d->params.output_exponent = out_q.shift;
    d->params.reluish_multiplier = downscale_multiplier(reluish_q.multiplier);
    d->params.reluish_exponent = reluish_q.shift;
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status hard_swish_invoke(es_op_context *ctx) {
  const hard_swish_data *d = (const hard_swish_data *)es_op_data(ctx);
  const void *in = es_op_input(ctx, 0)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32) return es_hard_swish_f32(d->size, (const float *)in, (float *)out);
  return es_hard_swish_s8(&d->params, d->size, (const int8_t *)in, (int8_t *)out);
}

const es_op es_op_hard_swish = {117 /* HARD_SWISH */, "HARD_SWISH", 1, 0u, hard_swish_prepare, hard_swish_invoke};
